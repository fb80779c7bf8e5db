#include "kube/leader_election.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "base/log.hpp"
#include "kube/api_error.hpp"
#include "metrics/registry.hpp"

namespace sso::kube {
namespace {

constexpr std::string_view kLogger = "leaderelection";

// client-go's leaderelection.JitterFactor: acquisition retries wait retry_period plus up to
// 1.2 times more, and renew_deadline must leave room for one such wait.
constexpr double kJitterFactor = 1.2;

// metav1.MicroTime's wire form: RFC 3339 in UTC with exactly six fractional digits.
std::string format_micro_time(TimePoint t) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - whole).count();
  std::string text = format_rfc3339(whole);  // "...T20:01:02Z"
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  text.pop_back();
  return text + fraction;
}

// A whole number of seconds no shorter than `d`. client-go truncates (int(LeaseDuration /
// time.Second)); with a sub-second part that would tell other candidates to wait less than
// our renew_deadline margin assumes.
int64_t ceil_seconds(std::chrono::milliseconds d) { return std::chrono::ceil<std::chrono::seconds>(d).count(); }

const nlohmann::json& spec_of(const nlohmann::json& lease) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!lease.is_object()) return kEmpty;
  auto it = lease.find("spec");
  return it != lease.end() && it->is_object() ? *it : kEmpty;
}

std::string holder_of(const nlohmann::json& spec) {
  auto it = spec.find("holderIdentity");
  return it != spec.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t int_field(const nlohmann::json& spec, const char* name) {
  auto it = spec.find(name);
  return it != spec.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string random_uuid() {
  std::random_device device;
  std::mt19937_64 random(device());
  unsigned char bytes[16];
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[bytes[i] >> 4];
    out += hex[bytes[i] & 15];
  }
  return out;
}

}  // namespace

Result<std::string> default_leader_identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return internal_error("leader election identity: cannot read hostname");
  return std::string(host) + "_" + random_uuid();
}

Result<std::unique_ptr<LeaderElector>> LeaderElector::create(RestClient& client, LeaderElectionConfig config,
                                                             metrics::Registry* metrics) {
  // The checks and their order are client-go's NewLeaderElector.
  if (config.lease_duration <= config.renew_deadline) {
    return invalid_argument("leaseDuration must be greater than renewDeadline");
  }
  if (std::chrono::duration<double, std::milli>(config.retry_period) * kJitterFactor >= config.renew_deadline) {
    return invalid_argument("renewDeadline must be greater than retryPeriod*JitterFactor");
  }
  if (config.lease_duration.count() < 1) return invalid_argument("leaseDuration must be greater than zero");
  if (config.renew_deadline.count() < 1) return invalid_argument("renewDeadline must be greater than zero");
  if (config.retry_period.count() < 1) return invalid_argument("retryPeriod must be greater than zero");
  if (config.identity.empty()) return invalid_argument("Lock identity is empty");
  if (config.lease_name.empty()) return invalid_argument("lease name is empty");
  if (config.lease_namespace.empty()) return invalid_argument("lease namespace is empty");
  return std::unique_ptr<LeaderElector>(new LeaderElector(client, std::move(config), metrics));
}

LeaderElector::LeaderElector(RestClient& client, LeaderElectionConfig config, metrics::Registry* metrics)
    : client_(client),
      config_(std::move(config)),
      metrics_(metrics),
      clock_(config_.clock != nullptr ? *config_.clock : system_clock_),
      random_(std::random_device{}()) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start(std::function<void()> on_started_leading, std::function<void()> on_stopped_leading) {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (thread_.joinable() || thread_id_.load() != std::thread::id()) {
    throw std::logic_error("LeaderElector::start called twice");
  }
  on_started_leading_ = std::move(on_started_leading);
  on_stopped_leading_ = std::move(on_stopped_leading);
  // Standbys export 0, so a dashboard sees every candidate, not only the leader.
  if (metrics_ != nullptr) metrics_->set_leader(config_.lease_name, false);
  thread_ = std::thread([this] {
    // Set here, before any callback can run and call stop() on this thread.
    thread_id_ = std::this_thread::get_id();
    run();
  });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // From a callback on the elector's own thread there is nothing to join: it ends once the
  // callback returns.
  if (std::this_thread::get_id() == thread_id_.load()) return;
  std::lock_guard lifecycle(lifecycle_mu_);
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::is_leader() const {
  std::lock_guard lock(mu_);
  return leading_ && std::chrono::steady_clock::now() < leading_until_;
}

std::string LeaderElector::observed_holder() const {
  std::lock_guard lock(mu_);
  return observed_holder_;
}

bool LeaderElector::wait_for_stop(SteadyTime until) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, until, [this] { return stopping_; });
}

LeaderElector::Wake LeaderElector::attempt_until(bool leading, std::optional<SteadyTime> deadline, Outcome* out) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Wake::kStopping;
    attempt_done_ = false;
  }
  in_flight_ = std::async(std::launch::async, [this, leading] {
    Outcome outcome = try_acquire_or_renew(leading);
    {
      std::lock_guard lock(mu_);
      attempt_done_ = true;
    }
    cv_.notify_all();
    return outcome;
  });
  std::unique_lock lock(mu_);
  const auto ready = [this] { return attempt_done_ || stopping_; };
  if (deadline) {
    cv_.wait_until(lock, *deadline, ready);
  } else {
    cv_.wait(lock, ready);
  }
  if (attempt_done_) {
    lock.unlock();
    *out = in_flight_.get();
    return Wake::kDone;
  }
  return stopping_ ? Wake::kStopping : Wake::kDeadline;
}

void LeaderElector::finish_in_flight() {
  if (in_flight_.valid()) in_flight_.get();
}

void LeaderElector::run() {
  log::info(kLogger, "attempting to acquire leader lease " + describe() + "...");

  // Acquire: client-go's acquire(), wait.JitterUntil(tryAcquireOrRenew, RetryPeriod,
  // JitterFactor, sliding): try at once, then every retry_period plus up to 1.2x more, so
  // that candidates started together spread out.
  std::uniform_real_distribution<double> jitter(0.0, kJitterFactor);
  while (true) {
    Outcome outcome;
    if (attempt_until(false, std::nullopt, &outcome) != Wake::kDone) {
      // An attempt in flight may still win the lease; release() then gives it back.
      finish_in_flight();
      if (config_.release_on_cancel) release();
      return;
    }
    if (outcome.holding) {
      {
        std::unique_lock lock(mu_);
        if (stopping_) {
          // Won just as stop() was called: never start leading, hand the lease back.
          lock.unlock();
          if (config_.release_on_cancel) release();
          return;
        }
        leading_ = true;
        leading_until_ = outcome.written_at + config_.renew_deadline;
      }
      if (metrics_ != nullptr) metrics_->set_leader(config_.lease_name, true);
      log::info(kLogger, "successfully acquired lease " + describe(), {{"identity", config_.identity}});
      break;
    }
    if (outcome.error) {
      log::debug(kLogger, "failed to acquire lease " + describe(), {{"error", outcome.error->describe()}});
    }
    const auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>(config_.retry_period) * (1.0 + jitter(random_)));
    if (wait_for_stop(std::chrono::steady_clock::now() + wait)) {
      if (config_.release_on_cancel) release();
      return;
    }
  }
  if (on_started_leading_) on_started_leading_();

  // Renew: every retry_period, each attempt bounded by the leadership deadline (client-go's
  // renew(): wait.PollImmediateUntil(RetryPeriod, tryAcquireOrRenew, ctx with RenewDeadline)).
  //
  // Why the leader always stops believing before anyone else can acquire: leading_until_ is
  // the time our last successful write was *sent* + renew_deadline. The server committed
  // that write later, so every other candidate saw the record change later still, and (its
  // update being guarded by the resourceVersion it read) can only take the lease
  // lease_duration after that observation. renew_deadline < lease_duration leaves the
  // difference as margin for the wake-up below and for clock rate drift. Hence: a success
  // that arrives after the deadline does not revive leadership, and a hung request does not
  // hold it up.
  std::optional<Error> last_error;
  bool lost = false;
  while (true) {
    SteadyTime until;
    {
      std::lock_guard lock(mu_);
      until = leading_until_;
    }
    if (wait_for_stop(std::min(std::chrono::steady_clock::now() + config_.retry_period, until))) break;
    if (std::chrono::steady_clock::now() >= until) {
      lost = true;
      break;
    }
    Outcome outcome;
    const Wake wake = attempt_until(true, until, &outcome);
    if (wake == Wake::kStopping) break;
    if (wake == Wake::kDeadline || std::chrono::steady_clock::now() >= until) {
      lost = true;
      break;
    }
    if (outcome.holding) {
      std::lock_guard lock(mu_);
      leading_until_ = outcome.written_at + config_.renew_deadline;
      last_error.reset();
      continue;
    }
    last_error = outcome.error;
    log::debug(kLogger, "failed to renew lease " + describe() + ", retrying",
               {{"error", last_error ? last_error->describe() : "the lease is held by " + observed_holder()}});
  }

  // Leadership ends here, before any release: the moment the lease is released another
  // candidate may take it, and by then on_stopped_leading must have stopped our work.
  // (client-go releases first and asks callers to finish the guarded work before
  // cancelling, see LeaderElectionConfig.ReleaseOnCancel; we can make it so ourselves.)
  {
    std::lock_guard lock(mu_);
    leading_ = false;
  }
  if (metrics_ != nullptr) metrics_->set_leader(config_.lease_name, false);
  if (lost) {
    log::error(kLogger, "failed to renew lease " + describe(),
               {{"error", last_error ? last_error->describe() : "timed out waiting for the condition"}});
  }
  if (on_stopped_leading_) on_stopped_leading_();
  finish_in_flight();
  // client-go releases after the renew loop ends for either reason.
  if (config_.release_on_cancel) release();
}

LeaderElector::Outcome LeaderElector::try_acquire_or_renew(bool leading) {
  // client-go's tryAcquireOrRenew (tools/leaderelection/leaderelection.go) with the record
  // mapped onto LeaseSpec as resourcelock/leaselock.go does.
  const std::string now = format_micro_time(clock_.now());
  nlohmann::json spec = {
      {"holderIdentity", config_.identity},
      {"leaseDurationSeconds", ceil_seconds(config_.lease_duration)},
      {"acquireTime", now},
      {"renewTime", now},
      {"leaseTransitions", 0},
  };
  Outcome outcome;

  // 1. The leader's fast path: update the lease as last seen, assuming nobody else wrote it.
  if (leading && lease_.is_object()) {
    const auto& old = spec_of(lease_);
    spec["acquireTime"] = old.value("acquireTime", now);
    spec["leaseTransitions"] = int_field(old, "leaseTransitions");
    const auto sent = std::chrono::steady_clock::now();
    auto written = write_spec(spec);
    if (written.ok()) {
      observe(*written);
      return Outcome{true, sent, std::nullopt};
    }
    log::debug(kLogger, "failed to update lease optimistically, falling back to slow path",
               {{"error", written.error().describe()}});
  }

  // 2. Read the lease, or create it with us as holder.
  auto got = client_.get(resources::leases(), config_.lease_namespace, config_.lease_name);
  if (!got.ok()) {
    if (!is_not_found(got.error())) {
      outcome.error = std::move(got).error().add_context("get lease " + describe());
      return outcome;
    }
    const nlohmann::json lease = {
        {"apiVersion", resources::leases().api_version()},
        {"kind", resources::leases().kind},
        {"metadata", {{"namespace", config_.lease_namespace}, {"name", config_.lease_name}}},
        {"spec", spec},
    };
    const auto sent = std::chrono::steady_clock::now();
    auto created = client_.create(resources::leases(), lease);
    if (!created.ok()) {
      // AlreadyExists: another candidate created it first and won this round.
      outcome.error = std::move(created).error();
      return outcome;
    }
    observe(*created);
    return Outcome{true, sent, std::nullopt};
  }

  // 3. Someone else holds it: it is theirs until it has not changed for a lease duration on
  // *our* clock. Their renewTime is never compared with our clock: the two may be skewed.
  observe(*got);
  const auto& old = spec_of(lease_);
  const std::string holder = holder_of(old);
  // client-go waits the holder's own leaseDurationSeconds; we also wait at least our own, so
  // a record claiming 0 (or a truncated duration) cannot make us take it sooner than told.
  const auto window = std::max<std::chrono::milliseconds>(
      config_.lease_duration, std::chrono::seconds(std::max<int64_t>(0, int_field(old, "leaseDurationSeconds"))));
  if (!holder.empty() && holder != config_.identity && std::chrono::steady_clock::now() < observed_at_ + window) {
    return outcome;
  }

  // 4. Free, expired, or ours: write ourselves in. Taking it from someone else (or after a
  // release) is a transition; renewing keeps the acquire time.
  if (holder == config_.identity) {
    spec["acquireTime"] = old.value("acquireTime", now);
    spec["leaseTransitions"] = int_field(old, "leaseTransitions");
  } else {
    spec["leaseTransitions"] = int_field(old, "leaseTransitions") + 1;
  }
  const auto sent = std::chrono::steady_clock::now();
  auto written = write_spec(spec);
  if (!written.ok()) {
    // Conflict: another candidate wrote first (optimistic concurrency); not ours this round.
    outcome.error = std::move(written).error();
    return outcome;
  }
  observe(*written);
  return Outcome{true, sent, std::nullopt};
}

Result<nlohmann::json> LeaderElector::write_spec(const nlohmann::json& spec) {
  // The lease as last seen, carrying its resourceVersion: a write based on a stale read
  // fails with a Conflict instead of overwriting a newer holder.
  nlohmann::json lease = lease_;
  lease["spec"] = spec;
  return client_.update(resources::leases(), lease);
}

void LeaderElector::observe(const nlohmann::json& lease) {
  lease_ = lease;
  const auto& spec = spec_of(lease);
  if (spec != observed_spec_) {
    observed_spec_ = spec;
    observed_at_ = std::chrono::steady_clock::now();
  }
  std::string holder = holder_of(spec);
  {
    std::lock_guard lock(mu_);
    if (holder == observed_holder_) return;
    observed_holder_ = holder;
  }
  // client-go's maybeReportTransition (OnNewLeader).
  log::debug(kLogger, "new leader observed for lease " + describe(), {{"holder", holder}});
}

void LeaderElector::release() {
  // client-go's release(): only a holder gives the lease up; it clears the holder, asks for
  // a 1 s lease, and keeps the transition count.
  if (!lease_.is_object() || holder_of(spec_of(lease_)) != config_.identity) return;
  const std::string now = format_micro_time(clock_.now());
  const nlohmann::json spec = {
      {"holderIdentity", ""},
      {"leaseDurationSeconds", 1},
      {"acquireTime", now},
      {"renewTime", now},
      {"leaseTransitions", int_field(spec_of(lease_), "leaseTransitions")},
  };
  auto written = write_spec(spec);
  if (!written.ok()) {
    log::error(kLogger, "failed to release lease " + describe(), {{"error", written.error().describe()}});
    return;
  }
  observe(*written);
  log::info(kLogger, "released lease " + describe(), {{"identity", config_.identity}});
}

}  // namespace sso::kube
