// The admission webhook under load, as kube-apiserver drives it: AdmissionReviews for Pods
// over kept-alive TLS connections, with the pod's namespace holding 1,000 SecureServices.
//   BM_ValidatePod                 the handler alone (index lookup, selectors, checks)
//   BM_ReviewsOverKeepAlive        closed loop, one request in flight per connection: throughput
//   BM_LatencyAt1000PerSecond      open loop at a fixed 1,000 requests per second, latency
//                                  measured from each request's scheduled time (so a slow answer
//                                  delays the count, as it would delay kube-apiserver)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/secure_service.hpp"
#include "metrics/registry.hpp"
#include "metrics/webhook_metrics.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/tls_credentials.hpp"
#include "tls_http_connection.hpp"
#include "webhook/admission_handlers.hpp"
#include "webhook/admission_review.hpp"
#include "webhook/secure_service_index.hpp"
#include "webhook/server.hpp"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kServices = 1000;

json secure_service(int i) {
  const std::string name = "svc-" + std::to_string(i);
  return {{"apiVersion", "secureservice.io/v1alpha1"},
          {"kind", "SecureService"},
          {"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", "uid-" + name}, {"generation", 1}}},
          {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"ports", {{{"port", 8443}}}}}}};
}

// A pod of svc-500 carrying its identity as the webhook wants it.
std::string pod_review() {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", "svc-500-0"}, {"namespace", "shop"}, {"labels", {{"app", "svc-500"}}}}},
      {"spec",
       {{"serviceAccountName", "svc-500"},
        {"containers",
         {{{"name", "app"},
           {"image", "registry.example/app:1"},
           {"volumeMounts",
            {{{"name", "tls"}, {"mountPath", std::string(sso::api::kDefaultMountPath)}, {"readOnly", true}}}}}}},
        {"volumes", {{{"name", "tls"}, {"secret", {{"secretName", "svc-500-tls"}}}}}}}}};
  json review = {{"apiVersion", "admission.k8s.io/v1"},
                 {"kind", "AdmissionReview"},
                 {"request",
                  {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
                   {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                   {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
                   {"name", "svc-500-0"},
                   {"namespace", "shop"},
                   {"operation", "CREATE"},
                   {"userInfo", {{"username", "system:serviceaccount:kube-system:replicaset-controller"}}},
                   {"object", pod},
                   {"oldObject", nullptr},
                   {"dryRun", false}}}};
  return review.dump();
}

struct Webhook {
  Webhook() : metrics(registry) {
    for (int i = 0; i < kServices; ++i) index.upsert(secure_service(i));
    handlers = std::make_unique<sso::webhook::AdmissionHandlers>(
        index, [](const std::string&) { return sso::kube::Labels{}; }, [] { return true; },
        sso::webhook::AdmissionOptions{});
    const auto now = std::chrono::system_clock::now();
    sso::pki::CaOptions ca_options;
    ca_options.common_name = "bench CA";
    auto ca = sso::pki::CertificateAuthority::create(ca_options, now);
    sso::pki::IdentityRequest request;
    request.dns_names = {"webhook.ops.svc"};
    request.mode = sso::pki::TlsMode::kServer;
    auto identity = ca->issue(request, now);
    if (!credentials.load(identity->chain_pem(), identity->key.to_pkcs8_pem().reveal()).ok()) std::abort();
    ca_pem = ca->certificate().to_pem();
    std::map<std::string, sso::webhook::AdmissionHandler> routes = {
        {sso::webhook::kPodPath,
         [h = handlers.get()](const sso::webhook::AdmissionRequest& r) { return h->validate_pod(r); }}};
    auto started =
        sso::webhook::WebhookServer::start({.bind_address = "127.0.0.1:0"}, credentials, std::move(routes), &metrics);
    if (!started.ok()) {
      fprintf(stderr, "webhook server: %s\n", started.error().describe().c_str());
      std::abort();
    }
    server = std::move(*started);
  }

  sso::metrics::Registry registry;
  sso::metrics::WebhookMetrics metrics;
  sso::webhook::SecureServiceIndex index;
  std::unique_ptr<sso::webhook::AdmissionHandlers> handlers;
  sso::pki::ServingCredentials credentials;
  std::string ca_pem;
  std::unique_ptr<sso::webhook::WebhookServer> server;
};

Webhook& webhook() {
  static Webhook w;
  return w;
}

// One kept-alive HTTPS connection, as kube-apiserver keeps one per webhook.
std::unique_ptr<sso::testing::TlsHttpConnection> open_connection(const Webhook& w) {
  auto connection = sso::testing::TlsHttpConnection::open(
      {.port = w.server->port(), .server_name = "webhook.ops.svc", .ca_bundle_pem = w.ca_pem});
  if (!connection.ok()) {
    fprintf(stderr, "connect: %s\n", connection.error().describe().c_str());
    std::abort();
  }
  return std::move(*connection);
}

// The review as kube-apiserver POSTs it.
std::string review_request() {
  return sso::testing::json_post("webhook.ops.svc", std::string(sso::webhook::kPodPath) + "?timeout=10s", pod_review());
}

// Sends the request and returns the response body; aborts on anything but 200.
std::string post(sso::testing::TlsHttpConnection& connection, const std::string& request) {
  const sso::Status sent = connection.send(request);
  if (!sent.ok()) {
    fprintf(stderr, "%s\n", sent.error().describe().c_str());
    std::abort();
  }
  auto response = connection.read_response();
  if (!response.ok() || response->code != 200) {
    fprintf(stderr, "%s\n", response.ok() ? response->body.c_str() : response.error().describe().c_str());
    std::abort();
  }
  return std::move(response->body);
}

void BM_ValidatePod(benchmark::State& state) {
  auto& w = webhook();
  auto request = sso::webhook::decode_admission_review(pod_review());
  for (auto _ : state) {
    auto response = w.handlers->validate_pod(*request);
    if (!response.allowed) std::abort();
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_ValidatePod);

void BM_ReviewsOverKeepAlive(benchmark::State& state) {
  auto& w = webhook();
  const auto connection = open_connection(w);
  const std::string request = review_request();
  for (auto _ : state) benchmark::DoNotOptimize(post(*connection, request));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReviewsOverKeepAlive)->Threads(1)->Threads(4)->UseRealTime();

// 1,000 requests per second for `seconds`, spread over 4 connections (kube-apiserver's
// requests to a webhook come from many goroutines at once), each request sent at its
// scheduled time.
void BM_LatencyAt1000PerSecond(benchmark::State& state) {
  auto& w = webhook();
  constexpr int kConnections = 4;
  constexpr int kRate = 1000;
  const int seconds = static_cast<int>(state.range(0));
  const std::string request = review_request();
  for (auto _ : state) {
    std::vector<std::vector<double>> latencies(kConnections);
    std::vector<std::thread> clients;
    const auto start = Clock::now() + std::chrono::milliseconds(50);
    for (int c = 0; c < kConnections; ++c) {
      clients.emplace_back([&, c] {
        const auto connection = open_connection(w);
        const int per_connection = kRate * seconds / kConnections;
        const auto interval = std::chrono::microseconds(1000000 * kConnections / kRate);
        for (int i = 0; i < per_connection; ++i) {
          const auto scheduled = start + std::chrono::microseconds(1000000 / kRate * c) + interval * i;
          std::this_thread::sleep_until(scheduled);
          post(*connection, request);
          latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count());
        }
      });
    }
    for (auto& t : clients) t.join();
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    auto at = [&](double q) { return all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))]; };
    state.counters["p50_ms"] = at(0.50);
    state.counters["p99_ms"] = at(0.99);
    state.counters["max_ms"] = all.back();
    state.counters["requests"] = static_cast<double>(all.size());
  }
}
BENCHMARK(BM_LatencyAt1000PerSecond)->Arg(10)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
