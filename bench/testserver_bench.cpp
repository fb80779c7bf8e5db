// How long the Kubernetes API test server takes to start and stop (test fixtures start one
// per suite; the target is well under a second), and how fast it serves a create and a get.
#include <benchmark/benchmark.h>

#include "api_test_client.hpp"
#include "kube_test_server.hpp"

namespace {

void BM_StartStop(benchmark::State& state) {
  for (auto _ : state) {
    auto server = sso::testing::KubeTestServer::start();
    if (!server.ok()) state.SkipWithError(server.error().describe().c_str());
    benchmark::DoNotOptimize(server);
  }
}
BENCHMARK(BM_StartStop)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_CreateAndGet(benchmark::State& state) {
  auto server = sso::testing::KubeTestServer::start();
  if (!server.ok()) return state.SkipWithError(server.error().describe().c_str());
  sso::testing::ApiTestClient client((*server)->url(), (*server)->ca_pem(), (*server)->admin_token());
  int i = 0;
  for (auto _ : state) {
    const std::string name = "cm-" + std::to_string(i++);
    client.post("/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", name}}}, {"data", {{"k", "v"}}}});
    benchmark::DoNotOptimize(client.get("/api/v1/namespaces/default/configmaps/" + name));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_CreateAndGet)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
