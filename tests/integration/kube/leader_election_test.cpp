// client-go's leader election over a Lease, against the API test server.
#include "kube/leader_election.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api_test_client.hpp"
#include "base/time.hpp"
#include "kube/resource.hpp"
#include "kube/rest_client.hpp"
#include "metrics/registry.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"

namespace sso::kube {
namespace {

using namespace std::chrono_literals;
using sso::testing::ApiServerTest;
using sso::testing::eventually;
using sso::testing::HasCode;
using sso::testing::IsOk;
using Steady = std::chrono::steady_clock;

constexpr const char* kNamespace = "default";

// metav1.MicroTime: RFC 3339, UTC, exactly six fractional digits ("2026-11-25T20:01:02.123456Z").
std::optional<TimePoint> parse_micro_time(const nlohmann::json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  const std::string shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  if (text.size() != shape.size()) return std::nullopt;
  for (size_t i = 0; i < shape.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    if (shape[i] == 'd' ? !digit : text[i] != shape[i]) return std::nullopt;
  }
  auto whole = parse_rfc3339(text);
  if (!whole.ok()) return std::nullopt;
  return *whole + std::chrono::microseconds(std::stoll(text.substr(20, 6)));
}

std::string micro_time(TimePoint t) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - whole).count();
  std::string text = format_rfc3339(whole);
  text.pop_back();
  const std::string digits = std::to_string(micros);
  return text + "." + std::string(6 - digits.size(), '0') + digits + "Z";
}

// The leadership intervals of every elector in a test, on one timeline: a start while
// another elector leads is a split brain.
class Timeline {
 public:
  struct Interval {
    std::string who;
    Steady::time_point started;
    TimePoint started_wall;
    std::optional<Steady::time_point> stopped;
  };

  std::function<void()> on_started(const std::string& who) {
    return [this, who] {
      std::lock_guard lock(mu_);
      for (const auto& i : intervals_) {
        if (!i.stopped) overlaps_ = true;
      }
      intervals_.push_back({who, Steady::now(), std::chrono::system_clock::now(), std::nullopt});
    };
  }
  std::function<void()> on_stopped(const std::string& who) {
    return [this, who] {
      std::lock_guard lock(mu_);
      for (auto& i : intervals_) {
        if (i.who == who && !i.stopped) {
          i.stopped = Steady::now();
          return;
        }
      }
      stopped_without_start_ = true;
    };
  }

  std::vector<Interval> intervals() const {
    std::lock_guard lock(mu_);
    return intervals_;
  }
  std::vector<Interval> of(const std::string& who) const {
    std::vector<Interval> out;
    for (const auto& i : intervals()) {
      if (i.who == who) out.push_back(i);
    }
    return out;
  }
  // on_started_leading has run (is_leader() turns true just before it).
  bool started(const std::string& who) const { return !of(who).empty(); }
  bool stopped(const std::string& who) const {
    const auto mine = of(who);
    return !mine.empty() && mine.back().stopped.has_value();
  }
  bool overlaps() const {
    std::lock_guard lock(mu_);
    return overlaps_;
  }
  bool stopped_without_start() const {
    std::lock_guard lock(mu_);
    return stopped_without_start_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Interval> intervals_;
  bool overlaps_ = false;
  bool stopped_without_start_ = false;
};

// The intervals, sorted by start, each end before the next start.
void expect_no_overlap(const Timeline& timeline) {
  EXPECT_FALSE(timeline.overlaps());
  EXPECT_FALSE(timeline.stopped_without_start());
  auto intervals = timeline.intervals();
  std::sort(intervals.begin(), intervals.end(), [](const auto& a, const auto& b) { return a.started < b.started; });
  for (size_t i = 1; i < intervals.size(); ++i) {
    ASSERT_TRUE(intervals[i - 1].stopped.has_value()) << intervals[i - 1].who << " never stopped leading";
    EXPECT_LT(*intervals[i - 1].stopped, intervals[i].started)
        << intervals[i - 1].who << " still led when " << intervals[i].who << " started";
  }
}

// Leases live in kNamespace, not in the fixture's namespace per test.
class LeaderElectionTest : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    admin_ = new_client();
  }
  void TearDown() override { server_->faults().clear(); }

  static std::unique_ptr<RestClient> new_client() {
    RestClient::Options options;
    options.timeout = 3s;
    auto client = RestClient::create(admin_config(), options);
    EXPECT_TRUE(client.ok()) << client.error().describe();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Short timings, in the ratios of controller-runtime's 15 s / 10 s / 2 s.
  static LeaderElectionConfig fast_config(const std::string& lease, const std::string& identity) {
    LeaderElectionConfig config;
    config.lease_namespace = kNamespace;
    config.lease_name = lease;
    config.identity = identity;
    config.lease_duration = 1500ms;
    config.renew_deadline = 1000ms;
    config.retry_period = 200ms;
    return config;
  }

  std::unique_ptr<LeaderElector> new_elector(RestClient& client, LeaderElectionConfig config,
                                             metrics::Registry* metrics = nullptr) {
    auto elector = LeaderElector::create(client, std::move(config), metrics);
    EXPECT_THAT(elector, IsOk());
    return elector.ok() ? std::move(*elector) : nullptr;
  }

  nlohmann::json lease(const std::string& name) {
    auto got = admin_->get(resources::leases(), kNamespace, name);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? *got : nlohmann::json::object();
  }
  nlohmann::json spec(const std::string& name) { return lease(name).value("spec", nlohmann::json::object()); }

  std::unique_ptr<RestClient> admin_;
};

bool leader_gauge_is(const metrics::Registry& metrics, const std::string& lease, int value) {
  const std::string line = "leader_election_master_status{name=\"" + lease + "\"} " + std::to_string(value) + "\n";
  return metrics.scrape().find(line) != std::string::npos;
}

TEST_F(LeaderElectionTest, SingleElectorAcquiresRenewsAndReleasesOnStop) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  metrics::Registry metrics;
  auto client = new_client();
  auto elector = new_elector(*client, fast_config("single", "candidate-a"), &metrics);
  elector->start(timeline.on_started("a"), timeline.on_stopped("a"));

  ASSERT_TRUE(eventually([&] { return timeline.started("a"); }, 5s));
  EXPECT_TRUE(elector->is_leader());
  EXPECT_EQ(timeline.of("a").size(), 1u);
  EXPECT_EQ(elector->observed_holder(), "candidate-a");
  EXPECT_TRUE(leader_gauge_is(metrics, "single", 1)) << metrics.scrape();

  const auto acquired = spec("single");
  EXPECT_EQ(acquired.value("holderIdentity", ""), "candidate-a");
  EXPECT_EQ(acquired.value("leaseDurationSeconds", 0), 2) << "1.5 s rounds up to whole seconds";
  EXPECT_EQ(acquired.value("leaseTransitions", -1), 0);
  const auto acquire_time = parse_micro_time(acquired.value("acquireTime", nlohmann::json()));
  const auto first_renew = parse_micro_time(acquired.value("renewTime", nlohmann::json()));
  ASSERT_TRUE(acquire_time.has_value()) << acquired.dump();
  ASSERT_TRUE(first_renew.has_value()) << acquired.dump();
  EXPECT_LE(*acquire_time, *first_renew);
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - *first_renew), 5s);

  // Renewal moves renewTime and keeps acquireTime.
  nlohmann::json renewed;
  ASSERT_TRUE(eventually(
      [&] {
        renewed = spec("single");
        return renewed.value("renewTime", "") != acquired.value("renewTime", "");
      },
      5s));
  const auto later_renew = parse_micro_time(renewed.value("renewTime", nlohmann::json()));
  ASSERT_TRUE(later_renew.has_value()) << renewed.dump();
  EXPECT_GT(*later_renew, *first_renew);
  EXPECT_EQ(renewed.value("acquireTime", ""), acquired.value("acquireTime", ""));
  EXPECT_EQ(renewed.value("holderIdentity", ""), "candidate-a");
  EXPECT_TRUE(elector->is_leader());

  elector->stop();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_TRUE(timeline.stopped("a"));
  EXPECT_TRUE(leader_gauge_is(metrics, "single", 0)) << metrics.scrape();
  // client-go's release(): no holder, a 1 s lease, the transition count kept.
  const auto released = spec("single");
  EXPECT_EQ(released.value("holderIdentity", "absent"), "");
  EXPECT_EQ(released.value("leaseDurationSeconds", 0), 1);
  EXPECT_EQ(released.value("leaseTransitions", -1), 0);
  EXPECT_TRUE(parse_micro_time(released.value("renewTime", nlohmann::json())).has_value()) << released.dump();

  elector->stop();  // idempotent
  EXPECT_EQ(timeline.of("a").size(), 1u);
  expect_no_overlap(timeline);
}

TEST_F(LeaderElectionTest, TwoElectorsNeverLeadAtOnceAndStopHandsOverAtOnce) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  auto client_a = new_client();
  auto client_b = new_client();
  // A long lease, so that a hand-over faster than it can only come from the release.
  auto with_long_lease = [](LeaderElectionConfig config) {
    config.lease_duration = 3000ms;
    config.renew_deadline = 2000ms;
    return config;
  };
  auto a = new_elector(*client_a, with_long_lease(fast_config("pair", "candidate-a")));
  auto b = new_elector(*client_b, with_long_lease(fast_config("pair", "candidate-b")));
  a->start(timeline.on_started("candidate-a"), timeline.on_stopped("candidate-a"));
  b->start(timeline.on_started("candidate-b"), timeline.on_stopped("candidate-b"));

  ASSERT_TRUE(eventually([&] { return a->is_leader() || b->is_leader(); }, 5s));
  LeaderElector* leader = a->is_leader() ? a.get() : b.get();
  LeaderElector* standby = leader == a.get() ? b.get() : a.get();
  const std::string leader_id = leader == a.get() ? "candidate-a" : "candidate-b";
  const std::string standby_id = leader == a.get() ? "candidate-b" : "candidate-a";
  ASSERT_TRUE(eventually([&] { return standby->observed_holder() == leader_id; }, 5s));
  EXPECT_FALSE(standby->is_leader());
  EXPECT_TRUE(timeline.of(standby_id).empty());
  EXPECT_EQ(spec("pair").value("leaseTransitions", -1), 0);

  leader->stop();
  const auto stopped = Steady::now();
  EXPECT_FALSE(leader->is_leader());
  ASSERT_TRUE(eventually([&] { return timeline.started(standby_id); }, 5s));
  EXPECT_TRUE(standby->is_leader());
  const auto taken = timeline.of(standby_id).at(0).started;
  // Without the release the standby would wait out the lease (3 s from its last sight of a
  // renewal); released, it takes the lease at its next retry.
  EXPECT_LT(taken - stopped, 2000ms);

  const auto handed_over = spec("pair");
  EXPECT_EQ(handed_over.value("holderIdentity", ""), standby_id);
  EXPECT_EQ(handed_over.value("leaseTransitions", -1), 1);

  standby->stop();
  ASSERT_EQ(timeline.of(leader_id).size(), 1u);
  ASSERT_EQ(timeline.of(standby_id).size(), 1u);
  expect_no_overlap(timeline);
}

TEST_F(LeaderElectionTest, LeaderThatCannotRenewStepsDownBeforeAnotherCanTakeOver) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  auto client_a = new_client();
  auto client_b = new_client();
  // `a` plays a leader whose writes stop reaching the server and which then dies without
  // releasing: release_on_cancel off.
  auto config_a = fast_config("stuck", "candidate-a");
  config_a.release_on_cancel = false;
  const auto config_b = fast_config("stuck", "candidate-b");
  auto a = new_elector(*client_a, config_a);
  auto b = new_elector(*client_b, config_b);
  a->start(timeline.on_started("a"), timeline.on_stopped("a"));
  ASSERT_TRUE(eventually([&] { return timeline.started("a"); }, 5s));
  b->start(timeline.on_started("b"), timeline.on_stopped("b"));
  ASSERT_TRUE(eventually([&] { return b->observed_holder() == "candidate-a"; }, 5s));

  // Every lease update fails from now on, for both.
  const auto faulted = Steady::now();
  server_->faults().fail_next("update", "leases", 100000, 500);
  ASSERT_TRUE(eventually([&] { return timeline.stopped("a"); }, 5s));
  EXPECT_FALSE(a->is_leader());
  const auto stepped_down = *timeline.of("a").at(0).stopped;
  // Its last renewal was sent at most a retry period (and a request) before the faults, and
  // leadership lasts renew_deadline from it: not sooner, not much later.
  EXPECT_GT(stepped_down - faulted, config_a.renew_deadline - config_a.retry_period - 300ms);
  EXPECT_LT(stepped_down - faulted, config_a.renew_deadline + 400ms);
  EXPECT_FALSE(b->is_leader());
  a->stop();

  // The lease still names `a`, renewed last at `last_renewal`.
  const auto stale = spec("stuck");
  EXPECT_EQ(stale.value("holderIdentity", ""), "candidate-a");
  const auto last_renewal = parse_micro_time(stale.value("renewTime", nlohmann::json()));
  ASSERT_TRUE(last_renewal.has_value()) << stale.dump();
  EXPECT_TRUE(timeline.of("b").empty());

  // Writes work again well before the lease has expired; `b` still waits until it has not
  // changed for lease_duration since it saw that renewal (which it saw after `a` stamped it).
  server_->faults().clear();
  ASSERT_TRUE(eventually([&] { return timeline.started("b"); }, 5s));
  EXPECT_TRUE(b->is_leader());
  const auto b_started = timeline.of("b").at(0).started_wall;
  EXPECT_GE(b_started - *last_renewal, config_b.lease_duration - 20ms);
  const auto taken = spec("stuck");
  EXPECT_EQ(taken.value("holderIdentity", ""), "candidate-b");
  EXPECT_EQ(taken.value("leaseTransitions", -1), 1);

  b->stop();
  expect_no_overlap(timeline);
}

TEST_F(LeaderElectionTest, LeaderStepsDownOnTimeWhileItsRenewalHangs) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  auto client = new_client();
  const auto config = fast_config("hung", "candidate-a");
  auto elector = new_elector(*client, config);
  elector->start(timeline.on_started("a"), timeline.on_stopped("a"));
  ASSERT_TRUE(eventually([&] { return timeline.started("a"); }, 5s));

  // The server now answers after 2.5 s (within the client's 3 s timeout): a renewal sent
  // from here on is still in flight when renew_deadline has passed.
  const auto hung = Steady::now();
  server_->faults().set_latency(2500ms);
  ASSERT_TRUE(eventually([&] { return timeline.stopped("a"); }, 5s));
  const auto stepped_down = *timeline.of("a").at(0).stopped;
  EXPECT_GT(stepped_down - hung, config.renew_deadline - config.retry_period - 300ms);
  EXPECT_LT(stepped_down - hung, config.renew_deadline + 400ms) << "waited for the hung request";
  EXPECT_FALSE(elector->is_leader());

  server_->faults().clear();
  elector->stop();
  EXPECT_EQ(timeline.of("a").size(), 1u);
}

TEST_F(LeaderElectionTest, CreateRejectsTheConfigurationsClientGoRejects) {
  struct Row {
    const char* name;
    std::function<void(LeaderElectionConfig&)> change;
    bool valid;
  };
  const std::vector<Row> rows = {
      {"controller-runtime defaults",
       [](LeaderElectionConfig& c) {
         c = LeaderElectionConfig{"ns", "l", "id"};
       },
       true},
      {"short timings", [](LeaderElectionConfig&) {}, true},
      {"lease equal to renew deadline", [](LeaderElectionConfig& c) { c.lease_duration = c.renew_deadline; }, false},
      {"lease shorter than renew deadline", [](LeaderElectionConfig& c) { c.lease_duration = 900ms; }, false},
      {"renew deadline equal to 1.2 retry periods",
       [](LeaderElectionConfig& c) {
         c.lease_duration = 2000ms;
         c.renew_deadline = 1200ms;
         c.retry_period = 1000ms;
       },
       false},
      {"renew deadline just above 1.2 retry periods",
       [](LeaderElectionConfig& c) {
         c.lease_duration = 2000ms;
         c.renew_deadline = 1201ms;
         c.retry_period = 1000ms;
       },
       true},
      {"zero retry period", [](LeaderElectionConfig& c) { c.retry_period = 0ms; }, false},
      {"negative retry period", [](LeaderElectionConfig& c) { c.retry_period = -200ms; }, false},
      {"zero renew deadline and lease",
       [](LeaderElectionConfig& c) {
         c.lease_duration = 0ms;
         c.renew_deadline = -1ms;
         c.retry_period = -2ms;
       },
       false},
      {"empty identity", [](LeaderElectionConfig& c) { c.identity.clear(); }, false},
      {"empty lease name", [](LeaderElectionConfig& c) { c.lease_name.clear(); }, false},
      {"empty lease namespace", [](LeaderElectionConfig& c) { c.lease_namespace.clear(); }, false},
  };
  auto client = new_client();
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto config = fast_config("validation", "candidate-a");
    row.change(config);
    auto elector = LeaderElector::create(*client, config, nullptr);
    if (row.valid) {
      EXPECT_THAT(elector, IsOk());
    } else {
      EXPECT_THAT(elector, HasCode(ErrorCode::kInvalidArgument));
    }
  }
}

// Another process holds the lease and keeps changing it; the elector must wait until it has
// seen no change for lease_duration on its own clock, whatever renewTime says.
void expect_waits_out_held_lease(RestClient& admin, RestClient& client, const std::string& name,
                                 const std::function<std::string()>& renew_time) {
  Timeline timeline;  // first: it outlives the elector, whose destructor may call into it
  const nlohmann::json held = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", {{"namespace", kNamespace}, {"name", name}}},
      {"spec",
       {{"holderIdentity", "someone-else"},
        {"leaseDurationSeconds", 1},
        {"acquireTime", renew_time()},
        {"renewTime", renew_time()},
        {"leaseTransitions", 3}}},
  };
  const auto first_write = Steady::now();
  ASSERT_THAT(admin.create(resources::leases(), held), IsOk());

  auto config = LeaderElectionConfig{kNamespace, name, "candidate-a"};
  config.lease_duration = 1500ms;
  config.renew_deadline = 1000ms;
  config.retry_period = 200ms;
  auto created = LeaderElector::create(client, config, nullptr);
  ASSERT_THAT(created, IsOk());
  auto elector = std::move(*created);
  elector->start(timeline.on_started("a"), timeline.on_stopped("a"));
  ASSERT_TRUE(eventually([&] { return elector->observed_holder() == "someone-else"; }, 5s));

  // The holder renews each time the elector has seen its previous renewal (alternating the
  // holder's name makes that visible), for longer than a lease duration in all.
  auto last_write = Steady::now();
  for (int round = 1; round <= 9; ++round) {
    const std::string holder = round % 2 == 1 ? "someone-else-2" : "someone-else";
    auto current = admin.get(resources::leases(), kNamespace, name);
    ASSERT_THAT(current, IsOk());
    (*current)["spec"]["holderIdentity"] = holder;
    (*current)["spec"]["renewTime"] = renew_time();
    last_write = Steady::now();
    ASSERT_THAT(admin.update(resources::leases(), *current), IsOk());
    ASSERT_TRUE(eventually([&] { return elector->observed_holder() == holder; }, 5s)) << "round " << round;
    ASSERT_FALSE(elector->is_leader()) << "took a lease renewed moments ago, round " << round;
  }
  ASSERT_GT(Steady::now() - first_write, config.lease_duration) << "the holder did not keep it long enough to tell";
  EXPECT_TRUE(timeline.of("a").empty());

  // Renewals stop: lease_duration after the elector saw the last one, it is the leader's.
  ASSERT_TRUE(eventually([&] { return timeline.started("a"); }, 5s));
  EXPECT_GE(timeline.of("a").at(0).started - last_write, config.lease_duration);
  auto taken = admin.get(resources::leases(), kNamespace, name);
  ASSERT_THAT(taken, IsOk());
  EXPECT_EQ((*taken)["spec"].value("holderIdentity", ""), "candidate-a");
  EXPECT_EQ((*taken)["spec"].value("leaseTransitions", -1), 4);
  const auto acquired = parse_micro_time((*taken)["spec"].value("acquireTime", nlohmann::json()));
  ASSERT_TRUE(acquired.has_value()) << taken->dump();
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - *acquired), 5s);
  elector->stop();
  expect_no_overlap(timeline);
}

TEST_F(LeaderElectionTest, HeldLeaseIsNotTakenUntilUnchangedForLeaseDuration) {
  auto client = new_client();
  expect_waits_out_held_lease(*admin_, *client, "held-now",
                              [] { return micro_time(std::chrono::system_clock::now()); });
}

TEST_F(LeaderElectionTest, HeldLeaseWithSkewedRenewTimeIsStillWaitedOut) {
  // The holder's clock is years behind ours: its renewTime looks long expired, yet it renews.
  auto client = new_client();
  expect_waits_out_held_lease(*admin_, *client, "held-skewed", [] { return "2020-01-01T00:00:00.000000Z"; });
}

TEST_F(LeaderElectionTest, StopReturnsPromptlyWhileWaitingToAcquire) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  const nlohmann::json held = {
      {"apiVersion", "coordination.k8s.io/v1"},
      {"kind", "Lease"},
      {"metadata", {{"namespace", kNamespace}, {"name", "waiting"}}},
      {"spec",
       {{"holderIdentity", "someone-else"},
        {"leaseDurationSeconds", 60},
        {"renewTime", micro_time(std::chrono::system_clock::now())}}},
  };
  ASSERT_THAT(admin_->create(resources::leases(), held), IsOk());
  auto client = new_client();
  auto config = fast_config("waiting", "candidate-a");
  config.lease_duration = 6000ms;
  config.renew_deadline = 5000ms;
  config.retry_period = 2000ms;  // a sleeping retry loop would hold stop() for 2-4.4 s
  auto elector = new_elector(*client, config);
  elector->start(timeline.on_started("a"), timeline.on_stopped("a"));
  ASSERT_TRUE(eventually([&] { return elector->observed_holder() == "someone-else"; }, 5s));

  const auto stopping = Steady::now();
  elector->stop();
  EXPECT_LT(Steady::now() - stopping, 500ms);
  EXPECT_TRUE(timeline.intervals().empty()) << "on_stopped_leading without on_started_leading";
  EXPECT_EQ(spec("waiting").value("holderIdentity", ""), "someone-else") << "released a lease it did not hold";
}

TEST_F(LeaderElectionTest, StopFromALeadershipCallbackEndsLeadershipWithoutDeadlock) {
  Timeline timeline;  // first: it outlives the electors, whose destructors may call into it
  auto client = new_client();
  auto elector = new_elector(*client, fast_config("self-stop", "candidate-a"));
  auto record_start = timeline.on_started("a");
  elector->start(
      [&] {
        record_start();
        elector->stop();
      },
      timeline.on_stopped("a"));
  ASSERT_TRUE(eventually([&] { return timeline.stopped("a"); }, 5s));
  EXPECT_FALSE(elector->is_leader());
  ASSERT_TRUE(eventually([&] { return spec("self-stop").value("holderIdentity", "absent").empty(); }, 5s));
  elector->stop();
  EXPECT_EQ(timeline.of("a").size(), 1u);
}

}  // namespace
}  // namespace sso::kube
