#include "controller/http_match.hpp"

#include <algorithm>
#include <set>

namespace sso::controller {
namespace {

bool path_covers(const HttpMatch& outer, const HttpMatch& inner) {
  if (outer.exact) return inner.exact && inner.path == outer.path;
  return outer.path == "/" || inner.path == outer.path || inner.path.starts_with(outer.path + "/");
}

}  // namespace

std::vector<HttpMatch> matches_of(const api::RequestRule& rule) {
  std::vector<HttpMatch> paths;
  for (const auto& p : rule.paths) {
    if (p == "/*")
      paths.push_back({"", false, "/"});
    else if (p.ends_with("/*"))
      paths.push_back({"", false, p.substr(0, p.size() - 2)});
    else
      paths.push_back({"", true, p});
  }
  if (paths.empty()) paths.push_back({"", false, "/"});
  std::vector<HttpMatch> out;
  for (const auto& path : paths) {
    if (rule.methods.empty()) out.push_back(path);
    for (const auto& method : rule.methods) out.push_back({method, path.exact, path.path});
  }
  return out;
}

bool covers(const HttpMatch& outer, const HttpMatch& inner) {
  return (outer.method.empty() || outer.method == inner.method) && path_covers(outer, inner);
}

std::optional<HttpMatch> intersect(const HttpMatch& a, const HttpMatch& b) {
  std::string method;
  if (a.method.empty() || a.method == b.method)
    method = b.method;
  else if (b.method.empty())
    method = a.method;
  else
    return std::nullopt;
  if (path_covers(a, b)) return HttpMatch{method, b.exact, b.path};
  if (path_covers(b, a)) return HttpMatch{method, a.exact, a.path};
  return std::nullopt;
}

std::vector<HttpMatch> closed_under_intersection(std::vector<HttpMatch> matches) {
  // Intersections take their method and path from the inputs, so this ends within
  // (methods + 1) x paths matches; each round meets only the matches new in the last one.
  std::set<HttpMatch> set(matches.begin(), matches.end());
  std::vector<HttpMatch> fresh(set.begin(), set.end());
  while (!fresh.empty()) {
    const std::vector<HttpMatch> known(set.begin(), set.end());
    std::vector<HttpMatch> next;
    for (const auto& a : fresh)
      for (const auto& b : known)
        if (auto m = intersect(a, b); m && set.insert(*m).second) next.push_back(std::move(*m));
    fresh = std::move(next);
  }
  return {set.begin(), set.end()};
}

bool matches_request(const HttpMatch& match, std::string_view method, std::string_view path) {
  if (!match.method.empty() && match.method != method) return false;
  if (match.exact) return path == match.path;
  return match.path == "/" || path == match.path ||
         (path.starts_with(match.path) && path.size() > match.path.size() && path[match.path.size()] == '/');
}

bool more_specific(const HttpMatch& a, const HttpMatch& b) {
  if (a.exact != b.exact) return a.exact;
  if (a.path.size() != b.path.size()) return a.path.size() > b.path.size();
  return !a.method.empty() && b.method.empty();
}

std::string describe(const HttpMatch& match) {
  const std::string path = match.exact ? match.path : (match.path == "/" ? "/*" : match.path + "/*");
  return (match.method.empty() ? "any method" : match.method) + " " + path;
}

}  // namespace sso::controller
