#include "api/route_table.hpp"

#include <stdexcept>

namespace hookd::api {

void RouteTable::add(Route route) {
  Entry entry;
  std::string_view p = route.pattern;
  if (!p.starts_with('/'))
    throw std::logic_error("route pattern must start with /: " + route.pattern);
  p.remove_prefix(1);
  while (!p.empty()) {
    const size_t slash = p.find('/');
    std::string_view seg = p.substr(0, slash);
    const bool param = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
    entry.segments.emplace_back(param ? std::string_view{} : seg);
    entry.is_param.push_back(param);
    p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
  }
  for (size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].method == route.method && entries_[i].segments == entry.segments &&
        entries_[i].is_param == entry.is_param) {
      throw std::logic_error("route registered twice: " + route.method + " " + route.pattern);
    }
  }
  routes_.push_back(std::move(route));
  entries_.push_back(std::move(entry));
}

RouteTable::Match RouteTable::find(std::string_view method,
                                   const std::vector<std::string>& segments) const {
  Match match;
  const Entry* best = nullptr;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.segments.size() != segments.size()) continue;
    bool same = true;
    for (size_t s = 0; s < segments.size() && same; ++s) {
      same = e.is_param[s] ? !segments[s].empty() : e.segments[s] == segments[s];
    }
    if (!same) continue;
    match.path_known = true;
    if (routes_[i].method != method) continue;
    // As OpenAPI matches paths: a literal segment wins over a {parameter} in its place
    // ("/portal/session" over "/portal/{file}"), whichever was registered first.
    if (best && !(e.is_param < best->is_param)) continue;
    best = &e;
    match.route = &routes_[i];
  }
  if (best) {
    for (size_t s = 0; s < segments.size(); ++s) {
      if (best->is_param[s]) match.params.push_back(segments[s]);
    }
  }
  return match;
}

}  // namespace hookd::api
