#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resource_types.hpp"
#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
};

// What kube-apiserver tells a webhook about a write.
struct AdmissionAttributes {
  std::string operation;  // CREATE, UPDATE, DELETE
  ResourceType type;
  std::string version;
  std::string subresource;
  std::string name;
  std::string ns;
  nlohmann::json object;      // null for DELETE
  nlohmann::json old_object;  // null for CREATE
  UserInfo user;
  bool dry_run = false;
};

// The webhook configurations in force and the labels of the object's namespace, read under
// the store's lock before the calls are made without it.
struct AdmissionSnapshot {
  std::vector<nlohmann::json> mutating;
  std::vector<nlohmann::json> validating;
  nlohmann::json namespace_labels = nlohmann::json::object();
  bool empty() const { return mutating.empty() && validating.empty(); }
};

struct AdmissionResult {
  std::optional<ApiResponse> denial;  // set: the write must not happen
  nlohmann::json object;              // after mutating webhooks' patches
  std::vector<std::string> warnings;
};

// Calls admission webhooks the way kube-apiserver does: every matching
// MutatingWebhookConfiguration webhook in turn (applying its JSON patch), then every
// matching ValidatingWebhookConfiguration webhook; matching by rules, namespaceSelector and
// objectSelector; a full admission.k8s.io/v1 AdmissionReview; timeoutSeconds and
// failurePolicy; a denial as `admission webhook "NAME" denied the request: MESSAGE`.
class Admission {
 public:
  // Where clientConfig.service NAMESPACE/NAME is served on this machine.
  void map_service(const std::string& ns, const std::string& name, uint16_t local_port);
  AdmissionResult admit(const AdmissionAttributes& attributes, const AdmissionSnapshot& snapshot);

 private:
  std::optional<uint16_t> local_port(const std::string& ns, const std::string& name);
  AdmissionResult call(const nlohmann::json& webhook, bool mutating, const AdmissionAttributes& attributes,
                       const nlohmann::json& object);

  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint16_t> services_;
};

// A metav1.LabelSelector object ({matchLabels, matchExpressions}); absent or empty matches all.
bool selector_object_matches(const nlohmann::json& selector, const nlohmann::json& labels);

}  // namespace sso::apiserver
