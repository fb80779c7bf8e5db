#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "api/secure_service.hpp"
#include "kube/informer.hpp"

namespace sso::webhook {

using ServiceList = std::vector<std::shared_ptr<const api::SecureService>>;

// The SecureServices the informers hold, parsed once per change and grouped by namespace,
// so that an admission request costs a map lookup and a selector match per service, never a
// parse or a call to the API server. Each namespace's list is an immutable snapshot, replaced
// whole on a change (copy on write): readers hold what they got without a lock.
class SecureServiceIndex {
 public:
  // Keeps the index in step with `informer` (before it starts).
  void follow(kube::Informer& informer);

  void upsert(const nlohmann::json& object);
  void remove(const nlohmann::json& object);

  // The SecureServices of `ns`, in name order (empty when none).
  std::shared_ptr<const ServiceList> in_namespace(const std::string& ns) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<const ServiceList>> by_namespace_;
};

}  // namespace sso::webhook
