#include "webhook/admission_webhooks.hpp"

#include "base/log.hpp"
#include "kube/resource.hpp"
#include "kube/secret_data.hpp"

namespace sso::webhook {

AdmissionWebhooks::~AdmissionWebhooks() { stop(); }

Result<std::unique_ptr<AdmissionWebhooks>> AdmissionWebhooks::create(
    kube::Runtime& runtime, metrics::Registry& registry, const std::vector<kube::Informer*>& secure_services,
    kube::Informer& serving_secret, AdmissionWebhooksOptions options) {
  std::unique_ptr<AdmissionWebhooks> w(new AdmissionWebhooks(registry));
  w->options_ = std::move(options);
  for (auto* informer : secure_services) {
    w->index_.follow(*informer);
    w->informers_.push_back(informer);
  }
  // Namespaces for their enforcement label: all of them, or each watched one by name.
  std::map<std::string, const kube::ObjectCache*> by_name;  // "" : every namespace
  if (w->options_.namespaces.empty()) {
    auto& informer = runtime.add_informer({.type = kube::resources::namespaces()});
    w->informers_.push_back(&informer);
    by_name[""] = &informer.cache();
  } else {
    for (const auto& ns : w->options_.namespaces) {
      auto& informer =
          runtime.add_informer({.type = kube::resources::namespaces(), .field_selector = "metadata.name=" + ns});
      w->informers_.push_back(&informer);
      by_name[ns] = &informer.cache();
    }
  }
  NamespaceLabels namespace_labels = [by_name](const std::string& ns) {
    auto it = by_name.find(ns);
    if (it == by_name.end()) it = by_name.find("");
    if (it == by_name.end()) return kube::Labels{};
    const kube::ObjectPtr object = it->second->get(ns);
    return object ? kube::labels_of(*object) : kube::Labels{};
  };
  serving_secret.add_handlers({
      .on_add = [raw = w.get()](const kube::ObjectPtr& o) { raw->load_credentials(*o); },
      .on_update = [raw = w.get()](const kube::ObjectPtr&, const kube::ObjectPtr& o) { raw->load_credentials(*o); },
      .on_delete = nullptr,  // keep serving the last certificate until a new one arrives
  });
  runtime.add_readiness_check([raw = w.get()] { return raw->serving(); });
  w->handlers_ = std::make_unique<AdmissionHandlers>(
      w->index_, std::move(namespace_labels),
      [raw = w.get()] {
        for (auto* informer : raw->informers_)
          if (!informer->has_synced()) return false;
        return true;
      },
      w->options_.admission);
  return w;
}

void AdmissionWebhooks::load_credentials(const nlohmann::json& secret) {
  auto cert = kube::secret_value(secret, "tls.crt");
  auto key = kube::secret_value(secret, "tls.key");
  if (!cert.ok() || !key.ok() || !*cert || !*key) {
    log::warn("webhook", "the serving Secret holds no certificate yet", {{"secret", kube::object_key(secret)}});
    return;
  }
  const std::string before = credentials_.leaf_fingerprint();
  Status loaded = credentials_.load(**cert, **key);
  if (!loaded.ok()) {
    log::warn("webhook", "the serving Secret was not loaded; still serving the previous certificate",
              {{"secret", kube::object_key(secret)}, {"error", loaded.error().describe()}});
    return;
  }
  if (credentials_.leaf_fingerprint() != before)
    log::info("webhook", "serving certificate loaded",
              {{"secret", kube::object_key(secret)}, {"fingerprint", credentials_.leaf_fingerprint()}});
}

Status AdmissionWebhooks::start() {
  std::map<std::string, AdmissionHandler> routes = {
      {kPodPath, [h = handlers_.get()](const AdmissionRequest& r) { return h->validate_pod(r); }},
      {kSecureServicePath, [h = handlers_.get()](const AdmissionRequest& r) { return h->validate_secure_service(r); }},
  };
  SSO_ASSIGN_OR_RETURN(server_, WebhookServer::start(options_.server, credentials_, std::move(routes), &metrics_),
                       "start the admission webhook server");
  log::info("webhook", "serving admission webhooks", {{"port", std::to_string(server_->port())}});
  return ok_status();
}

void AdmissionWebhooks::stop() {
  if (server_) server_->stop();
}

uint16_t AdmissionWebhooks::port() const { return server_ ? server_->port() : 0; }

}  // namespace sso::webhook
