#!/usr/bin/env python3
"""Turns openapi/hookd.yaml into the JSON form and a C++ file that holds both texts.

Usage: openapi_embed.py HOOKD_YAML OUT_JSON OUT_CPP

The YAML is read as the OpenAPI tools read it (the JSON schema of YAML 1.2 plus merge keys):
no timestamps, and yes/no/on/off stay strings, so the JSON served is the document that
redocly lints and the typed client is generated from.
"""
import json
import re
import sys

import yaml


class JsonSchemaLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's timestamps and yes/no/on/off booleans."""


JsonSchemaLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
JsonSchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def raw_literal(text: str) -> str:
    """A C++ raw string literal of text, in pieces under the compilers' literal limits."""
    delimiter = "openapi"
    if f"){delimiter}\"" in text:
        raise SystemExit(f"the document contains ){delimiter}\" and cannot be embedded")
    data = text.encode("utf-8")
    pieces = []
    start = 0
    while start < len(data):
        end = min(start + 60000, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            end += 1
        pieces.append(f'R"{delimiter}({data[start:end].decode("utf-8")}){delimiter}"')
        start = end
    return "\n".join(pieces) if pieces else '""'


def main() -> None:
    source, out_json, out_cpp = sys.argv[1:4]
    with open(source, encoding="utf-8") as f:
        yaml_text = f.read()
    document = yaml.load(yaml_text, Loader=JsonSchemaLoader)  # noqa: S506 (no object tags)
    if not isinstance(document, dict) or "openapi" not in document:
        raise SystemExit(f"{source}: not an OpenAPI document")
    json_text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    with open(out_json, "w", encoding="utf-8") as f:
        f.write(json_text)
    cpp = f"""// Generated from {source.rsplit('/', 1)[-1]} by scripts/openapi_embed.py; do not edit.
#include "api/openapi_document.hpp"

namespace hookd::api::openapi_document {{
namespace {{
// Concatenated literals: one string each, without a terminating NUL in its size.
constexpr char kJson[] =
{raw_literal(json_text)};
constexpr char kYaml[] =
{raw_literal(yaml_text)};
}}  // namespace

std::string_view json() {{ return {{kJson, sizeof kJson - 1}}; }}
std::string_view yaml() {{ return {{kYaml, sizeof kYaml - 1}}; }}

}}  // namespace hookd::api::openapi_document
"""
    with open(out_cpp, "w", encoding="utf-8") as f:
        f.write(cpp)


if __name__ == "__main__":
    main()
