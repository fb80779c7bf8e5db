#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "base/time.hpp"
#include "kube/rest_client.hpp"

namespace sso::metrics {
class Registry;
}

namespace sso::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per process: default_leader_identity()
  // controller-runtime's defaults (pkg/manager/manager.go).
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  // Give the lease up on stop() so a standby takes over at once instead of after
  // lease_duration (client-go's ReleaseOnCancel; controller-runtime's
  // LeaderElectionReleaseOnCancel).
  bool release_on_cancel = true;
  // Wall time for the acquireTime and renewTime written to the Lease (never used to decide
  // anything: that runs on the local steady clock). nullptr: the system clock.
  const Clock* clock = nullptr;
};

// "<hostname>_<random UUID>", the identity controller-runtime gives a manager
// (pkg/leaderelection/leader_election.go), so two replicas on one host still differ.
Result<std::string> default_leader_identity();

// client-go's tools/leaderelection over a coordination.k8s.io/v1 Lease (resourcelock.LeaseLock):
// candidates race to write themselves as the Lease's holder with optimistic concurrency; the
// holder renews every retry_period and stops leading when it has not renewed for
// renew_deadline; the others take the Lease once it has not changed for lease_duration, as
// measured on their own steady clock from when they saw it change.
//
// Thread-safe. The callbacks run on the elector's thread and must return promptly: client-go
// runs OnStartedLeading on a goroutine of its own, and a slow on_started_leading here delays
// the first renewal. on_stopped_leading is called once after on_started_leading, and never
// without it (client-go's Run defers OnStoppedLeading even when it never led). Transitions
// set leader_election_master_status{name=lease_name} when `metrics` is given.
//
// Requests run on a helper thread so that leadership ends on time even when the API server
// hangs (client-go bounds each renewal with a context of renewDeadline; our requests cannot
// be cancelled). stop() still waits for a request in flight, so give the elector a RestClient
// whose timeout is short (kube-controller-manager gives its leader-election client a timeout
// of renewDeadline, cmd/kube-controller-manager/app/options/options.go).
class LeaderElector {
 public:
  // Checks the configuration as client-go's NewLeaderElector does: every duration positive,
  // lease_duration > renew_deadline > retry_period * 1.2 (JitterFactor), identity and lease
  // names not empty; kInvalidArgument otherwise. `client` and `metrics` (may be null) must
  // outlive the elector.
  static Result<std::unique_ptr<LeaderElector>> create(RestClient& client, LeaderElectionConfig config,
                                                       metrics::Registry* metrics);
  ~LeaderElector();  // stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts the elector's thread and returns: it acquires the lease (retrying every
  // retry_period with jitter), calls on_started_leading, renews until stop() or until a
  // renewal has not succeeded for renew_deadline, then calls on_stopped_leading and ends. An
  // elector runs once: a second start() is a programming error.
  void start(std::function<void()> on_started_leading, std::function<void()> on_stopped_leading);

  // Ends the election: a leader stops leading (on_stopped_leading), then, with
  // release_on_cancel, releases the lease. (client-go releases first, which lets a standby
  // start before OnStoppedLeading has run; this order keeps leaders from overlapping.) Joins the thread. Idempotent.
  // Called from a callback, it only asks the thread to end.
  void stop();

  // True from just before on_started_leading until leadership ends; false as soon as renew_deadline has
  // passed since the last renewal was sent, even before the thread notices.
  bool is_leader() const;
  // The holder in the Lease as last read or written ("" when free or not yet seen).
  std::string observed_holder() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  // What one try_acquire_or_renew() came to.
  struct Outcome {
    bool holding = false;        // we hold the lease now
    SteadyTime written_at;       // when the write that made it so was sent
    std::optional<Error> error;  // why not, when a request failed
  };
  enum class Wake { kDone, kStopping, kDeadline };

  LeaderElector(RestClient& client, LeaderElectionConfig config, metrics::Registry* metrics);

  void run();
  Outcome try_acquire_or_renew(bool leading);
  Result<nlohmann::json> write_spec(const nlohmann::json& spec);
  void observe(const nlohmann::json& lease);
  void release();
  // Runs try_acquire_or_renew on a helper thread and waits until it finishes, stop() is
  // called, or `deadline` passes; only on kDone is `out` set. Otherwise the attempt is still
  // in flight and finish_in_flight() must be called before the next one.
  Wake attempt_until(bool leading, std::optional<SteadyTime> deadline, Outcome* out);
  void finish_in_flight();
  // Waits until `until` or stop(); true when stopping.
  bool wait_for_stop(SteadyTime until);
  std::string describe() const { return config_.lease_namespace + "/" + config_.lease_name; }

  RestClient& client_;
  const LeaderElectionConfig config_;
  metrics::Registry* const metrics_;
  SystemClock system_clock_;
  const Clock& clock_;
  std::mt19937_64 random_;  // the elector's thread only

  // The attempt in flight owns these; attempts never overlap.
  nlohmann::json lease_;          // the Lease as last read or written: its resourceVersion guards our writes
  nlohmann::json observed_spec_;  // the record last seen, compared whole as client-go's observedRawRecord
  SteadyTime observed_at_;        // when it was seen to change

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool attempt_done_ = false;
  bool leading_ = false;
  SteadyTime leading_until_;  // the last renewal sent + renew_deadline
  std::string observed_holder_;
  std::future<Outcome> in_flight_;

  std::mutex lifecycle_mu_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_;
  std::function<void()> on_started_leading_;
  std::function<void()> on_stopped_leading_;
};

}  // namespace sso::kube
