#include "kube/runtime.hpp"

#include <mutex>

#include "base/log.hpp"
#include "kube/http_server.hpp"
#include "kube/metrics_endpoint.hpp"
#include "kube/rest_client.hpp"
#include "metrics/registry.hpp"

namespace sso::kube {

Runtime::Runtime(RestClient& client, metrics::Registry& metrics, RuntimeOptions options)
    : client_(client), metrics_(metrics), options_(std::move(options)), events_(client_, clock_) {}

Runtime::~Runtime() {
  stop_controllers();
  if (elector_) elector_->stop();
  for (auto& informer : informers_) informer->stop();
}

Informer& Runtime::add_informer(InformerOptions options) {
  informers_.push_back(std::make_unique<Informer>(client_, std::move(options)));
  return *informers_.back();
}

Controller& Runtime::add_controller(const std::string& name, Reconciler reconcile) {
  Controller::Options options;
  options.workers = options_.workers;
  controllers_.push_back(std::make_unique<Controller>(name, std::move(reconcile), options, &metrics_));
  return *controllers_.back();
}

void Runtime::enqueue(Informer& informer, Controller& controller,
                      std::function<std::vector<std::string>(const nlohmann::json&)> map) {
  auto add = [&controller, map](const ObjectPtr& object) {
    if (!map) {
      controller.queue().add(object_key(*object));
      return;
    }
    for (const auto& key : map(*object)) controller.queue().add(key);
  };
  routes_.push_back({&informer, add});
  auto add_while_running = [this, add](const ObjectPtr& object) {
    if (controllers_running_.load()) add(object);
  };
  informer.add_handlers({add_while_running,
                         [add_while_running](const ObjectPtr&, const ObjectPtr& now) { add_while_running(now); },
                         add_while_running});
}

bool Runtime::ready() const {
  for (const auto& informer : informers_) {
    if (!informer->has_synced()) return false;
  }
  for (const auto& check : readiness_checks_) {
    if (!check()) return false;
  }
  return !options_.leader_election || electing_.load();
}

void Runtime::start_controllers() {
  if (controllers_running_.exchange(true)) return;
  // After the flag: an event arriving meanwhile is enqueued twice at most, and the queue
  // keeps one of each key.
  for (const auto& route : routes_)
    for (const auto& object : route.informer->cache().list()) route.add(object);
  for (auto& controller : controllers_) controller->start();
  log::info("runtime", "controllers started", {{"count", std::to_string(controllers_.size())}});
}

bool Runtime::stop_controllers() {
  if (!controllers_running_.exchange(false)) return true;
  bool in_time = true;
  for (auto& controller : controllers_) in_time = controller->stop(options_.graceful_shutdown_timeout) && in_time;
  return in_time;
}

Status Runtime::run(const StopSignal& stop) {
  auto serve = [&](const std::string& address, std::map<std::string, std::function<HttpReply()>> routes,
                   std::unique_ptr<HttpServer>* server, std::atomic<uint16_t>* port, const char* what) -> Status {
    if (address == "0") return ok_status();
    SSO_ASSIGN_OR_RETURN(*server, HttpServer::start(address, routes), what);
    *port = (*server)->port();
    log::info("runtime", std::string("serving ") + what, {{"address", address}, {"port", std::to_string(*port)}});
    return ok_status();
  };
  auto ok_reply = [] { return HttpReply{200, "text/plain; charset=utf-8", "ok"}; };
  SSO_RETURN_IF_ERROR(serve(options_.health_probe_bind_address,
                            {{"/healthz", ok_reply},
                             {"/readyz",
                              [this] {
                                return ready() ? HttpReply{200, "text/plain; charset=utf-8", "ok"}
                                               : HttpReply{503, "text/plain; charset=utf-8", "caches not synced\n"};
                              }}},
                            &health_server_, &health_port_, "health probes"));
  if (options_.metrics_bind_address != "0") {
    SSO_ASSIGN_OR_RETURN(metrics_endpoint_,
                         MetricsEndpoint::start(options_.metrics_bind_address, options_.metrics_secure, client_,
                                                [this] { return metrics_.scrape(); }));
    metrics_port_ = metrics_endpoint_->port();
    log::info("runtime", "serving metrics",
              {{"address", options_.metrics_bind_address},
               {"port", std::to_string(metrics_port_.load())},
               {"secure", options_.metrics_secure ? "true" : "false"}});
  }

  for (auto& informer : informers_) informer->start();
  // controller-runtime starts controllers only once their caches have synced, so that a
  // reconcile never mistakes a cold cache for a world without objects.
  while (!stop.stopped()) {
    bool synced = true;
    for (auto& informer : informers_) synced = synced && informer->has_synced();
    if (synced) break;
    stop.wait_for(std::chrono::milliseconds(50));
  }

  StopSignal lost;
  if (!stop.stopped()) {
    if (options_.leader_election) {
      // A client of its own, whose requests give up before the renew deadline and never wait
      // out a Retry-After: a renewal that hangs must not keep a leader that can no longer
      // prove it leads (kube-controller-manager gives its election client such a timeout).
      RestClient::Options election_options;
      election_options.timeout = options_.leader_election->renew_deadline;
      election_options.max_retries = 0;
      election_options.metrics = &metrics_;
      SSO_ASSIGN_OR_RETURN(election_client_, RestClient::create(client_.config(), election_options), "leader election");
      SSO_ASSIGN_OR_RETURN(elector_, LeaderElector::create(*election_client_, *options_.leader_election, &metrics_),
                           "leader election");
      elector_->start(
          [this] {
            leading_ = true;
            start_controllers();
          },
          [this, &lost] {
            leading_ = false;
            lost.notify();
          });
      electing_ = true;
    } else {
      start_controllers();
    }
  }

  // Wait for whichever comes first: the stop signal, or the lease lost.
  while (!stop.stopped() && !lost.stopped()) stop.wait_for(std::chrono::milliseconds(100));
  const bool lost_leadership = lost.stopped() && !stop.stopped();

  log::info("runtime", lost_leadership ? "leadership lost, stopping" : "stopping: draining workers");
  const bool drained = stop_controllers();
  if (!drained) log::warn("runtime", "reconciles still running when the graceful shutdown timeout ran out");
  // The lease goes only after the workers stopped writing, so that the next leader never
  // overlaps with a reconcile of ours.
  if (elector_) elector_->stop();
  electing_ = false;
  for (auto& informer : informers_) informer->stop();
  if (health_server_) health_server_->stop();
  if (metrics_endpoint_) metrics_endpoint_->stop();
  // What the last reconciles recorded reaches the server before the process ends.
  if (!events_.flush(std::chrono::seconds(2))) log::warn("runtime", "some events were not written before exit");
  if (lost_leadership) return failed_precondition("leader election lost");
  return ok_status();
}

}  // namespace sso::kube
