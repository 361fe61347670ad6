#pragma once

#include <boost/json/object.hpp>

#include "domain/webhook.hpp"

namespace hookd::api {

// The webhook object of the public API. Secrets are never part of it.
boost::json::object webhook_to_json(const domain::Webhook& webhook);

}  // namespace hookd::api
