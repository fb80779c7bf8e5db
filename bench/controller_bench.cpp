// What one reconcile costs without the network: reading the SecureService, deciding its
// Secret (kept on nearly every pass; minted on the first and at renewal), and building its
// NetworkPolicy and mesh objects. A reconcile runs on every watch event of the service and
// of what it owns, so the keep path and the builders are the hot ones.
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/secure_service.hpp"
#include "controller/desired_policies.hpp"
#include "controller/identity_secret.hpp"
#include "controller/linkerd.hpp"
#include "controller/network_policy.hpp"
#include "pki/certificate_authority.hpp"

namespace {

using nlohmann::json;
using namespace sso;

const TimePoint kNow = std::chrono::system_clock::from_time_t(1798761600);

// As the API server stores a SecureService: metadata with managedFields-free extras, a spec
// with ports, TLS settings, ten clients (SecureServices and plain pods) and Istio.
json checkout_object(int clients) {
  json allowed = json::array();
  for (int i = 0; i < clients; ++i) {
    if (i % 3 == 2)
      allowed.push_back({{"namespaceSelector", {{"matchLabels", {{"team", "t" + std::to_string(i)}}}}},
                         {"podSelector", {{"matchLabels", {{"app", "job-" + std::to_string(i)}}}}}});
    else
      allowed.push_back({{"secureService", "client-" + std::to_string(i)},
                         {"namespace", "ns-" + std::to_string(i % 4)},
                         {"ports", {8443}}});
  }
  return {{"apiVersion", "secureservice.io/v1alpha1"},
          {"kind", "SecureService"},
          {"metadata",
           {{"name", "checkout"},
            {"namespace", "shop"},
            {"uid", "5f0c6a4e-3b1d-4c8e-9a7f-2d6b1e0c9a11"},
            {"generation", 4},
            {"resourceVersion", "18342"},
            {"labels", {{"app.kubernetes.io/part-of", "shop"}}}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", "checkout"}}}}},
            {"serviceAccountName", "checkout"},
            {"ports", {{{"name", "https"}, {"port", 8443}}, {{"name", "metrics"}, {"port", 9090}}}},
            {"tls",
             {{"duration", "720h"},
              {"renewBefore", "240h"},
              {"dnsNames", {"checkout.example.com"}},
              {"privateKey", {{"algorithm", "ECDSA"}, {"size", 256}}}}},
            {"allowedClients", allowed},
            {"networkPolicy", {{"egress", "Restricted"}}},
            {"mesh", {{"provider", "Istio"}}}}}};
}

api::SecureService checkout(int clients) {
  auto service = api::parse_secure_service(checkout_object(clients));
  if (!service.ok()) std::abort();
  return std::move(*service);
}

const controller::ClusterCa& cluster_ca() {
  static const controller::ClusterCa made = [] {
    auto issuer = pki::CertificateAuthority::create(pki::CaOptions{}, kNow);
    if (!issuer.ok()) std::abort();
    std::vector<pki::Certificate> trusted = {issuer->certificate()};
    std::string bundle = pki::to_pem(trusted);
    return controller::ClusterCa{std::move(*issuer), std::move(trusted), std::move(bundle), "", "1"};
  }();
  return made;
}

// The peers the reconciler resolves from the cache: every SecureService client found.
std::vector<controller::Peer> resolved_clients(const api::SecureService& service) {
  std::map<std::pair<std::string, std::string>, api::SecureService> cache;
  for (const auto& client : service.allowed_clients) {
    if (!client.is_secure_service()) continue;
    api::SecureService& found = cache[{client.ns, client.secure_service}];
    found.name = client.secure_service;
    found.ns = client.ns;
    found.selector.match_labels = {{"app", client.secure_service}};
    found.service_account_name = client.secure_service;
  }
  return controller::resolve_clients(service, [&](const std::string& ns, const std::string& name) {
    auto it = cache.find({ns, name});
    return it == cache.end() ? nullptr : &it->second;
  });
}

void BM_ParseSecureService(benchmark::State& state) {
  const json object = checkout_object(10);
  for (auto _ : state) {
    auto service = api::parse_secure_service(object);
    if (!service.ok()) state.SkipWithError(service.error().describe().c_str());
    benchmark::DoNotOptimize(service);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseSecureService);

// A valid identity Secret for the service, as the first reconcile writes it.
json issued_secret(const api::SecureService& service, const pki::IdentityRequest& request) {
  auto first = controller::plan_identity_secret({service, request, cluster_ca(), json(), std::nullopt, kNow});
  if (!first.ok()) std::abort();
  return first->secret;
}

// The Secret exists and is valid: read it, decide to keep it, write the same object back.
void BM_PlanIdentitySecretKeep(benchmark::State& state) {
  const api::SecureService service = checkout(10);
  const auto request = api::identity_request(service, "cluster.local", "cluster.local");
  if (!request.ok()) std::abort();
  const json existing = issued_secret(service, *request);
  for (auto _ : state) {
    auto plan = controller::plan_identity_secret({service, *request, cluster_ca(), existing, std::nullopt, kNow});
    if (!plan.ok() || plan->issued) state.SkipWithError("the keep path issued a certificate");
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanIdentitySecretKeep);

// The same, as the reconciler runs it: with its KeyFactsCache, which has seen this tls.key.
void BM_PlanIdentitySecretKeepWithKeyFactsCache(benchmark::State& state) {
  const api::SecureService service = checkout(10);
  const auto request = api::identity_request(service, "cluster.local", "cluster.local");
  if (!request.ok()) std::abort();
  const json existing = issued_secret(service, *request);
  pki::KeyFactsCache key_facts;
  for (auto _ : state) {
    auto plan = controller::plan_identity_secret(
        {service, *request, cluster_ca(), existing, std::nullopt, kNow, "", &key_facts});
    if (!plan.ok() || plan->issued) state.SkipWithError("the keep path issued a certificate");
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanIdentitySecretKeepWithKeyFactsCache);

// No Secret yet: a new ECDSA P-256 key and leaf, signed by the cluster CA.
void BM_PlanIdentitySecretIssue(benchmark::State& state) {
  const api::SecureService service = checkout(10);
  const auto request = api::identity_request(service, "cluster.local", "cluster.local");
  if (!request.ok()) std::abort();
  const json none;
  for (auto _ : state) {
    auto plan = controller::plan_identity_secret({service, *request, cluster_ca(), none, std::nullopt, kNow});
    if (!plan.ok() || !plan->issued) state.SkipWithError("the issue path issued nothing");
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanIdentitySecretIssue);

void BM_BuildNetworkPolicy(benchmark::State& state) {
  const api::SecureService service = checkout(static_cast<int>(state.range(0)));
  const std::vector<controller::Peer> clients = resolved_clients(service);
  for (auto _ : state) benchmark::DoNotOptimize(controller::build_network_policy(service, clients, {}));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildNetworkPolicy)->Arg(10);

// The NetworkPolicy and Istio's PeerAuthentication and AuthorizationPolicy.
void BM_DesiredPolicyObjectsIstio(benchmark::State& state) {
  const api::SecureService service = checkout(10);
  const std::vector<controller::Peer> clients = resolved_clients(service);
  const controller::ClusterSettings settings;
  for (auto _ : state) benchmark::DoNotOptimize(controller::desired_policy_objects(service, clients, {}, settings));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DesiredPolicyObjectsIstio);

// Linkerd with request rules at the limit (api::kMaxRequestMatches): one client may use any of
// the 9 methods anywhere, another 247 paths with any method, so that the closure under
// intersection is at its largest (every method with every path). Target: well under a
// second, as it runs on every full mesh sync of such a service.
void BM_LinkerdRoutesAtTheRuleLimit(benchmark::State& state) {
  api::SecureService service = checkout(2);
  service.mesh = api::MeshProvider::kLinkerd;
  api::RequestRule by_method, by_path;
  for (auto method : api::kHttpMethods) by_method.methods.emplace_back(method);
  for (size_t i = 0; by_method.methods.size() + by_path.paths.size() < api::kMaxRequestMatches; ++i)
    by_path.paths.push_back("/area-" + std::to_string(i % 16) + "/item-" + std::to_string(i) + "/*");
  service.allowed_clients[0].rules = {by_method};
  service.allowed_clients[1].rules = {by_path};
  const std::vector<controller::Peer> clients = resolved_clients(service);
  size_t objects = 0;
  for (auto _ : state) objects = controller::build_linkerd_objects(service, clients).size();
  state.counters["objects"] = static_cast<double>(objects);
}
BENCHMARK(BM_LinkerdRoutesAtTheRuleLimit)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
