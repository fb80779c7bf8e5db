// The controller runtime's hot paths: the informer cache (an event applied, a relist
// swapped in) and the work queue (a key through add, get and done). The operator keeps one
// cache entry per SecureService and per owned object, so 10k objects is a large cluster.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "kube/object_cache.hpp"
#include "kube/work_queue.hpp"

namespace {

using sso::kube::ObjectCache;
using sso::kube::ObjectPtr;

ObjectPtr secret(int i, int rv) {
  return std::make_shared<const nlohmann::json>(
      nlohmann::json{{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata",
                      {{"name", "svc-" + std::to_string(i) + "-tls"},
                       {"namespace", "ns-" + std::to_string(i % 50)},
                       {"resourceVersion", std::to_string(rv)},
                       {"labels", {{"app.kubernetes.io/managed-by", "secureservice-operator"}}}}},
                     {"type", "kubernetes.io/tls"},
                     {"data", {{"tls.crt", std::string(800, 'c')}, {"tls.key", std::string(300, 'k')}}}});
}

std::vector<std::string> owner_index(const nlohmann::json& o) {
  return {o["metadata"]["name"].get<std::string>().substr(0, 6)};
}

void BM_CacheUpsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ObjectCache cache;
  cache.add_index("owner", owner_index);
  std::vector<ObjectPtr> objects;
  for (int i = 0; i < n; ++i) objects.push_back(secret(i, 1));
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.upsert(objects[i]));
    i = (i + 1) % n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheUpsert)->Arg(10000);

void BM_CacheRelist(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ObjectCache cache;
  cache.add_index("owner", owner_index);
  std::vector<ObjectPtr> first, second;
  for (int i = 0; i < n; ++i) {
    first.push_back(secret(i, 1));
    second.push_back(secret(i, i % 10 == 0 ? 2 : 1));  // a tenth changed while the watch was down
  }
  (void)cache.replace(first);
  bool flip = false;
  for (auto _ : state) {
    auto delta = cache.replace(flip ? first : second);
    benchmark::DoNotOptimize(delta);
    flip = !flip;
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_CacheRelist)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_WorkQueueAddGetDone(benchmark::State& state) {
  sso::kube::WorkQueue queue("bench");
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("ns/svc-" + std::to_string(i));
  size_t i = 0;
  for (auto _ : state) {
    queue.add(keys[i]);
    auto key = queue.get();
    queue.done(*key);
    i = (i + 1) % keys.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WorkQueueAddGetDone);

}  // namespace

BENCHMARK_MAIN();
