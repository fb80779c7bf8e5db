#pragma once

#include <string>

namespace sso::kube {

// Kubernetes object names (apimachinery validation: IsDNS1123Label, IsDNS1123Subdomain).
bool is_dns_label(const std::string& name);      // namespaces, Services: [a-z0-9-], at most 63
bool is_dns_subdomain(const std::string& name);  // most objects: labels joined by '.', at most 253

}  // namespace sso::kube
