#include "controller/secure_service_operator.hpp"

#include "api/secure_service.hpp"
#include "kube/label_selector.hpp"
#include "kube/resource.hpp"

namespace sso::controller {

using nlohmann::json;

namespace {

constexpr const char* kCaKey = "cluster-ca";
constexpr const char* kWebhookCertificateKey = "webhook-certificate";

std::string managed_selector() { return std::string(api::kManagedByLabel) + "=" + std::string(api::kManagedByValue); }

// The SecureService an owned object belongs to, by its secureservice.io/name label.
std::vector<std::string> owner_key(const json& object) {
  const auto labels = kube::labels_of(object);
  auto it = labels.find(std::string(api::kNameLabel));
  if (it == labels.end()) return {};
  return {kube::object_key(kube::namespace_of(object), it->second)};
}

}  // namespace

Result<std::unique_ptr<SecureServiceOperator>> SecureServiceOperator::create(kube::Runtime& runtime,
                                                                             kube::RestClient& client,
                                                                             metrics::Registry& registry,
                                                                             OperatorOptions options) {
  if (options.ca_namespace.empty()) return invalid_argument("the cluster CA Secret needs a namespace (--ca-secret)");
  std::unique_ptr<SecureServiceOperator> op(new SecureServiceOperator(registry));
  std::vector<std::string> namespaces = options.namespaces;
  if (namespaces.empty()) namespaces.push_back("");

  // One informer per watched namespace and kind; owned kinds are label-selected, so the
  // caches hold only what the operator wrote (as cert-manager filters its Secret informer).
  std::vector<kube::Informer*> services, secrets, policies, bundles;
  for (const auto& ns : namespaces) {
    auto& s = runtime.add_informer({.type = api::secure_services(), .ns = ns, .resync = std::chrono::minutes(10)});
    s.add_index(kClientIndex, allowed_client_keys);
    services.push_back(&s);
    secrets.push_back(
        &runtime.add_informer({.type = kube::resources::secrets(), .ns = ns, .label_selector = managed_selector()}));
    policies.push_back(&runtime.add_informer(
        {.type = kube::resources::network_policies(), .ns = ns, .label_selector = managed_selector()}));
    bundles.push_back(&runtime.add_informer(
        {.type = kube::resources::config_maps(), .ns = ns, .label_selector = managed_selector()}));
  }
  auto& ca_secret = runtime.add_informer({.type = kube::resources::secrets(),
                                          .ns = options.ca_namespace,
                                          .field_selector = "metadata.name=" + options.ca_name});

  auto cache_set = [&](const std::vector<kube::Informer*>& informers) {
    CacheSet set;
    for (size_t i = 0; i < informers.size(); ++i) set.add(namespaces[i], informers[i]->cache());
    return set;
  };
  CacheSet service_caches = cache_set(services);

  op->services_ = std::make_unique<SecureServiceReconciler>(
      SecureServiceReconciler::Deps{client, service_caches, cache_set(secrets), cache_set(policies), cache_set(bundles),
                                    op->ca_source_, runtime.events(), op->metrics_, op->clock_, options.settings,
                                    // op->ca_ is made below, before any worker runs.
                                    [ops = op.get()](const std::string& serial, pki::RevocationReason reason) {
                                      return ops->ca_->revoke(serial, reason);
                                    }});
  auto& service_controller = runtime.add_controller(
      "secureservice", [r = op->services_.get()](const std::string& key) { return r->reconcile(key); });

  // The webhook's serving certificate: a Secret and the webhook configuration's caBundle,
  // each watched by name so that a deleted Secret or an upgrade that blanks the caBundle is
  // put back at once.
  kube::Controller* webhook_controller = nullptr;
  if (options.webhook) {
    const auto& w = *options.webhook;
    if (w.service_namespace.empty() || w.service_name.empty() || w.secret_name.empty() || w.config_name.empty())
      return invalid_argument("the webhook needs a service, a Secret and a webhook configuration name");
    auto& secret = runtime.add_informer({.type = kube::resources::secrets(),
                                         .ns = w.service_namespace,
                                         .field_selector = "metadata.name=" + w.secret_name});
    op->serving_secret_ = &secret;
    auto& configs = runtime.add_informer({.type = kube::resources::validating_webhook_configurations(),
                                          .field_selector = "metadata.name=" + w.config_name});
    op->webhook_certificate_ = std::make_unique<WebhookCertificateReconciler>(
        WebhookCertificateReconciler::Deps{client, secret.cache(), configs.cache(), op->ca_source_, runtime.events(),
                                           op->clock_},
        w);
    webhook_controller = &runtime.add_controller(
        "webhook-certificate",
        [r = op->webhook_certificate_.get()](const std::string& key) { return r->reconcile(key); });
    const auto to_key = [](const json&) { return std::vector<std::string>{kWebhookCertificateKey}; };
    runtime.enqueue(secret, *webhook_controller, to_key);
    runtime.enqueue(configs, *webhook_controller, to_key);
  }
  op->service_informers_ = services;

  auto enqueue_all_services = [service_caches, &service_controller, webhook_controller]() {
    for (const auto& key : service_caches.keys()) service_controller.queue().add(key);
    if (webhook_controller) webhook_controller->queue().add(kWebhookCertificateKey);
  };
  op->ca_ =
      std::make_unique<CaReconciler>(CaReconciler::Deps{client, ca_secret.cache(), op->ca_source_, runtime.events(),
                                                        op->metrics_, op->clock_, enqueue_all_services},
                                     options.ca_namespace, options.ca_name, options.ca);
  auto& ca_controller =
      runtime.add_controller("cluster-ca", [r = op->ca_.get()](const std::string& key) { return r->reconcile(key); });

  for (auto* informer : services) {
    // A service, the services that allow it as a client (their ingress names its pods), and
    // its own clients (their egress names its pods, when restricted).
    runtime.enqueue(*informer, service_controller, [service_caches](const json& o) {
      std::vector<std::string> keys = {kube::object_key(o)};
      for (auto& server_key : service_caches.keys_by_index(kClientIndex, kube::object_key(o)))
        keys.push_back(std::move(server_key));
      for (auto& client_key : allowed_client_keys(o)) keys.push_back(std::move(client_key));
      return keys;
    });
  }
  for (auto* informer : secrets) runtime.enqueue(*informer, service_controller, owner_key);
  for (auto* informer : policies) runtime.enqueue(*informer, service_controller, owner_key);
  for (auto* informer : bundles) {
    // The shared trust bundle: any service of the namespace puts it back.
    runtime.enqueue(*informer, service_controller, [service_caches](const json& o) {
      return service_caches.keys_in_namespace(kube::namespace_of(o));
    });
  }
  runtime.enqueue(ca_secret, ca_controller, [](const json&) { return std::vector<std::string>{kCaKey}; });
  // The CA controller also runs once at start, when the Secret does not exist yet.
  ca_controller.queue().add(kCaKey);
  return op;
}

}  // namespace sso::controller
