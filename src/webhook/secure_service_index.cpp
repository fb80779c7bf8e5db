#include "webhook/secure_service_index.hpp"

#include <algorithm>
#include <mutex>

#include "base/log.hpp"
#include "kube/resource.hpp"

namespace sso::webhook {

void SecureServiceIndex::follow(kube::Informer& informer) {
  informer.add_handlers({
      .on_add = [this](const kube::ObjectPtr& o) { upsert(*o); },
      .on_update = [this](const kube::ObjectPtr&, const kube::ObjectPtr& o) { upsert(*o); },
      .on_delete = [this](const kube::ObjectPtr& o) { remove(*o); },
  });
}

void SecureServiceIndex::upsert(const nlohmann::json& object) {
  auto parsed = api::parse_secure_service(object);
  if (!parsed.ok()) {
    // The CRD's schema admits nothing the parser refuses; an object that slipped past an
    // older schema is left out (the controller reports it in its status) and counts as absent.
    log::warn("webhook", "SecureService left out of admission decisions",
              {{"secureservice", kube::object_key(object)}, {"error", parsed.error().describe()}});
    remove(object);
    return;
  }
  auto service = std::make_shared<const api::SecureService>(std::move(*parsed));
  std::unique_lock lock(mu_);
  auto& slot = by_namespace_[service->ns];
  auto next = std::make_shared<ServiceList>(slot ? *slot : ServiceList{});
  auto at = std::lower_bound(next->begin(), next->end(), service->name,
                             [](const auto& s, const std::string& name) { return s->name < name; });
  if (at != next->end() && (*at)->name == service->name)
    *at = std::move(service);
  else
    next->insert(at, std::move(service));
  slot = std::move(next);
}

void SecureServiceIndex::remove(const nlohmann::json& object) {
  const std::string ns = kube::namespace_of(object), name = kube::name_of(object);
  std::unique_lock lock(mu_);
  auto it = by_namespace_.find(ns);
  if (it == by_namespace_.end()) return;
  auto next = std::make_shared<ServiceList>(*it->second);
  std::erase_if(*next, [&](const auto& s) { return s->name == name; });
  if (next->empty())
    by_namespace_.erase(it);
  else
    it->second = std::move(next);
}

std::shared_ptr<const ServiceList> SecureServiceIndex::in_namespace(const std::string& ns) const {
  static const auto kEmpty = std::make_shared<const ServiceList>();
  std::shared_lock lock(mu_);
  auto it = by_namespace_.find(ns);
  return it == by_namespace_.end() ? kEmpty : it->second;
}

size_t SecureServiceIndex::size() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [ns, list] : by_namespace_) n += list->size();
  return n;
}

}  // namespace sso::webhook
