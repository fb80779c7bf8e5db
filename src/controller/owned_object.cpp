#include "controller/owned_object.hpp"

namespace sso::controller {

using nlohmann::json;

json owned_metadata(const api::SecureService& service, const std::string& name) {
  json meta = {{"name", name},
               {"namespace", service.ns},
               {"labels",
                {{std::string(api::kManagedByLabel), std::string(api::kManagedByValue)},
                 {std::string(api::kNameLabel), service.name}}}};
  if (!service.uid.empty()) {
    meta["ownerReferences"] = json::array({{{"apiVersion", std::string(api::kApiVersion)},
                                            {"kind", std::string(api::kKind)},
                                            {"name", service.name},
                                            {"uid", service.uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
  }
  return meta;
}

json owned_object(const api::SecureService& service, const std::string& api_version, const std::string& kind,
                  const std::string& name) {
  return {{"apiVersion", api_version}, {"kind", kind}, {"metadata", owned_metadata(service, name)}};
}

}  // namespace sso::controller
