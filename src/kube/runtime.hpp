#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "kube/controller.hpp"
#include "kube/event_recorder.hpp"
#include "kube/informer.hpp"
#include "kube/leader_election.hpp"
#include "kube/stop_signal.hpp"

namespace sso::metrics {
class Registry;
}

namespace sso::kube {

class HttpServer;
class MetricsEndpoint;
class RestClient;

struct RuntimeOptions {
  std::string health_probe_bind_address = ":8081";  // "0" turns it off
  std::string metrics_bind_address = ":8443";       // "0" turns it off
  // HTTPS, and only for bearer tokens the API server authorizes to get /metrics
  // (controller-runtime's SecureServing with WithAuthenticationAndAuthorization).
  bool metrics_secure = true;
  std::optional<LeaderElectionConfig> leader_election;  // unset: run without electing
  int workers = 1;                                      // concurrent reconciles per controller (--workers)
  // How long SIGTERM waits for reconciles in flight before giving up on them.
  std::chrono::milliseconds graceful_shutdown_timeout{30000};
};

// What controller-runtime's manager does for one process, kept to the parts we use: it owns
// the informers and controllers, serves /healthz and /readyz (ready once every cache has
// synced and, when electing, the election loop runs) and /metrics, runs the controllers
// only while this replica leads (followers keep their caches warm, so a new leader starts
// at once), and shuts down in order on stop: workers drain, the lease is released, the
// informers and servers stop.
class Runtime {
 public:
  Runtime(RestClient& client, metrics::Registry& metrics, RuntimeOptions options);
  ~Runtime();

  // Before run(). The runtime owns what these return.
  Informer& add_informer(InformerOptions options);
  Controller& add_controller(const std::string& name, Reconciler reconcile);
  // Events about objects, written in the background (controller-runtime's
  // GetEventRecorderFor); only the leader's controllers record, so followers write none.
  EventRecorder& events() { return events_; }
  // One more condition of /readyz (controller-runtime's AddReadyzCheck), e.g. a server that
  // cannot answer yet.
  void add_readiness_check(std::function<bool()> check) { readiness_checks_.push_back(std::move(check)); }
  // Enqueues, into `controller`, the keys `map` gives for each object the informer sees
  // added, updated or deleted (controller-runtime's Watches with an EnqueueRequestsFromMapFunc;
  // nullptr maps an object to its own key), while the controllers run. When they start (this
  // replica leads), every object already cached is enqueued, as controller-runtime's sources
  // replay their informer's cache to a controller that starts late: a follower's queues stay
  // empty, and its queue metrics say so.
  void enqueue(Informer& informer, Controller& controller,
               std::function<std::vector<std::string>(const nlohmann::json&)> map = nullptr);

  // Runs until `stop` is notified (then OK) or leadership is lost (an error: the process
  // should exit and restart as a follower, as controller-runtime's manager does).
  Status run(const StopSignal& stop);

  // The probe and metrics ports actually bound (after run() has started them), for tests.
  uint16_t health_port() const { return health_port_.load(); }
  uint16_t metrics_port() const { return metrics_port_.load(); }
  bool ready() const;
  bool leading() const { return leading_.load(); }

 private:
  void start_controllers();
  bool stop_controllers();

  RestClient& client_;
  metrics::Registry& metrics_;
  RuntimeOptions options_;
  SystemClock clock_;
  EventRecorder events_;
  std::vector<std::unique_ptr<Informer>> informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<std::function<bool()>> readiness_checks_;
  // What enqueue() wired, replayed from the caches when the controllers start.
  struct Route {
    Informer* informer;
    std::function<void(const ObjectPtr&)> add;
  };
  std::vector<Route> routes_;
  std::unique_ptr<RestClient> election_client_;
  std::unique_ptr<LeaderElector> elector_;
  std::unique_ptr<HttpServer> health_server_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::atomic<uint16_t> health_port_{0};
  std::atomic<uint16_t> metrics_port_{0};
  std::atomic<bool> electing_{false};
  std::atomic<bool> leading_{false};
  std::atomic<bool> controllers_running_{false};
};

}  // namespace sso::kube
