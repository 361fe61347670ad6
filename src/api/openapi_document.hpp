#pragma once

#include <string_view>

// The OpenAPI 3.1 document of the API (openapi/hookd.yaml), embedded at build time
// (scripts/openapi_embed.py writes the definitions).
namespace hookd::api::openapi_document {

std::string_view json();  // the document as JSON
std::string_view yaml();  // its YAML source, as written

}  // namespace hookd::api::openapi_document
