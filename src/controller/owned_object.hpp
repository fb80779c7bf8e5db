#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"

namespace sso::controller {

// metadata for an object the operator writes for `service`: name, namespace, the
// managed-by and secureservice.io/name labels, and a controller ownerReference so that
// deleting the SecureService deletes it (garbage collection, as controller-runtime's
// SetControllerReference).
nlohmann::json owned_metadata(const api::SecureService& service, const std::string& name);

// The object with apiVersion, kind and owned metadata, ready for its spec.
nlohmann::json owned_object(const api::SecureService& service, const std::string& api_version, const std::string& kind,
                            const std::string& name);

}  // namespace sso::controller
