#include "kube/names.hpp"

#include <regex>

namespace sso::kube {

bool is_dns_label(const std::string& name) {
  static const std::regex kLabel("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return !name.empty() && name.size() <= 63 && std::regex_match(name, kLabel);
}

bool is_dns_subdomain(const std::string& name) {
  static const std::regex kSubdomain("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return !name.empty() && name.size() <= 253 && std::regex_match(name, kSubdomain);
}

}  // namespace sso::kube
