#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/secure_service.hpp"

namespace sso::controller {

// A request match as a Gateway API HTTPRoute spells it: a method (empty: any) and a path,
// exact, or a prefix that matches path elements ("/api" matches "/api" and "/api/x", not
// "/apix"; "/" matches every path).
struct HttpMatch {
  std::string method;
  bool exact = false;
  std::string path = "/";
  auto operator<=>(const HttpMatch&) const = default;
};

// A request rule's matches: each method with each path. A rule path "/api/*" is the prefix
// "/api", "/*" the prefix "/", any other an exact path.
std::vector<HttpMatch> matches_of(const api::RequestRule& rule);

// Whether every request `inner` matches is matched by `outer`.
bool covers(const HttpMatch& outer, const HttpMatch& inner);

// The match of the requests both match, if any.
std::optional<HttpMatch> intersect(const HttpMatch& a, const HttpMatch& b);

// `matches` with every intersection of two of them added, until none is new, sorted. In a
// closed set the most specific match of a request is covered by every match of the set that
// the request matches: so a route per match, authorizing whoever covers it, allows a client
// exactly the requests its own rules match, whichever route a request lands on.
std::vector<HttpMatch> closed_under_intersection(std::vector<HttpMatch> matches);

bool matches_request(const HttpMatch& match, std::string_view method, std::string_view path);

// The Gateway API's precedence among matches of one request: an exact path, then the longest
// prefix, then a method.
bool more_specific(const HttpMatch& a, const HttpMatch& b);

std::string describe(const HttpMatch& match);  // "GET /api/orders/*", "any method /healthz"

}  // namespace sso::controller
