#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/http_client.hpp"

namespace hookd::testing {

// The seed's error shape: {"message", "code", "errorMessage", "errorCode"}, with
// message == errorMessage and code == errorCode, served as JSON.
inline void expect_error_shape(const HttpResponse& r) {
  EXPECT_EQ(r.header("Content-Type"), "application/json") << r;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(r.body, ec);
  ASSERT_FALSE(ec) << "error body is not JSON\n" << r;
  ASSERT_TRUE(v.is_object()) << r;
  const auto& o = v.as_object();
  EXPECT_EQ(o.size(), 4u) << r;
  for (const char* key : {"message", "code", "errorMessage", "errorCode"}) {
    ASSERT_TRUE(o.contains(key) && o.at(key).is_string()) << key << " missing\n" << r;
  }
  EXPECT_EQ(o.at("message"), o.at("errorMessage")) << r;
  EXPECT_EQ(o.at("code"), o.at("errorCode")) << r;
  EXPECT_FALSE(o.at("message").as_string().empty()) << r;
}

// `status` with the error `code`, in the seed's error shape.
inline void expect_error(const HttpResponse& r, long status, std::string_view code) {
  if (r.status == 0) {
    ADD_FAILURE() << "expected " << status << " " << code << ", got " << r.body;
    return;
  }
  EXPECT_EQ(r.status, status) << r;
  expect_error_shape(r);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code")) return;
  EXPECT_EQ(v.at("code"), boost::json::value(code)) << r;
}

// The response of `send()`, or, when the connection failed (reset, closed without an answer),
// a response with status 0 whose body names the transport error, so the test goes on.
template <class Send>
HttpResponse send_or_transport_error(Send&& send) {
  try {
    return send();
  } catch (const std::runtime_error& e) {
    HttpResponse failed;
    failed.body = std::string("no HTTP response, transport error: ") + e.what();
    return failed;
  }
}

inline void expect_invalid_token(const HttpResponse& r) {
  expect_error(r, 401, "InvalidAuthenticationToken");
  if (r.status == 401) {
    EXPECT_EQ(r.json().at("message").as_string(), "Invalid authentication token") << r;
  }
}

inline void expect_insufficient_rights(const HttpResponse& r) {
  expect_error(r, 403, "InsufficientRights");
  if (r.status == 403) {
    EXPECT_EQ(r.json().at("message").as_string(), "Insufficient rights") << r;
  }
}

}  // namespace hookd::testing
