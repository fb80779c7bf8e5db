#include "kube/event_recorder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api_test_client.hpp"
#include "base/time.hpp"
#include "kube/api_error.hpp"
#include "kube/resource.hpp"
#include "kube/rest_client.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"

namespace sso::kube {
namespace {

using ::sso::testing::ApiServerTest;
using ::sso::testing::eventually;
using ::sso::testing::IsOk;
using ::testing::SizeIs;
using ::testing::StartsWith;

// A clock the test steps. The recorder reads it from record(), on the test's thread, but
// guard it anyway: it is shared with the writer thread's object.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now) : now_(now) {}
  TimePoint now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void advance(std::chrono::seconds d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

TimePoint start_time() { return *parse_rfc3339("2026-11-25T19:38:58Z"); }

class EventRecorderTest : public ApiServerTest {
 protected:
  // A namespace per test (the fixture's), so tests see only their own events.
  void SetUp() override {
    ApiServerTest::SetUp();
    auto client = RestClient::create(admin_config(), RestClient::Options{.qps = 1000, .burst = 1000});
    ASSERT_TRUE(client.ok()) << client.error().describe();
    client_ = std::move(*client);
    auto config_map =
        client_->create(resources::config_maps(), {{"apiVersion", "v1"},
                                                   {"kind", "ConfigMap"},
                                                   {"metadata", {{"name", "payments"}, {"namespace", ns_}}},
                                                   {"data", {{"a", "b"}}}});
    ASSERT_TRUE(config_map.ok()) << config_map.error().describe();
    object_ = std::move(*config_map);
  }

  void TearDown() override { server_->faults().clear(); }

  EventRecorder::Options options() const {
    EventRecorder::Options o;
    o.component = "secureservice-operator-test";
    o.host = "node-a";
    o.retry_interval = std::chrono::milliseconds(10);
    return o;
  }

  std::vector<nlohmann::json> events_on_server(const std::string& ns) {
    auto list = client_->list(resources::events(), ns);
    EXPECT_TRUE(list.ok()) << list.error().describe();
    return list.ok() ? list->items : std::vector<nlohmann::json>{};
  }
  std::vector<nlohmann::json> events_on_server() { return events_on_server(ns_); }

  // Reads the server's store directly: no HTTP, so no injected latency in the way.
  size_t events_in_store() {
    auto txn = server_->api().store().begin();
    return txn.list(apiserver::ObjectFilter{.group = "", .resource = "events", .ns = ns_}).size();
  }

  std::unique_ptr<RestClient> client_;
  FakeClock clock_{start_time()};
  nlohmann::json object_;
};

TEST_F(EventRecorderTest, CreatesAnEventDescribingTheObject) {
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  const auto events = events_on_server();
  ASSERT_THAT(events, SizeIs(1));
  const auto& e = events[0];
  EXPECT_THAT(e["metadata"]["name"].get<std::string>(), ::testing::MatchesRegex("payments\\.[0-9a-f]{16}"));
  EXPECT_EQ(e["metadata"]["namespace"], ns_);
  EXPECT_EQ(e["involvedObject"]["kind"], "ConfigMap");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "v1");
  EXPECT_EQ(e["involvedObject"]["namespace"], ns_);
  EXPECT_EQ(e["involvedObject"]["name"], "payments");
  EXPECT_EQ(e["involvedObject"]["uid"], uid_of(object_));
  EXPECT_FALSE(uid_of(object_).empty());
  EXPECT_EQ(e["involvedObject"]["resourceVersion"], resource_version_of(object_));
  EXPECT_EQ(e["reason"], "IssueFailed");
  EXPECT_EQ(e["message"], "the CA Secret ops/ca is missing");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["source"]["component"], "secureservice-operator-test");
  EXPECT_EQ(e["source"]["host"], "node-a");
  EXPECT_EQ(e["firstTimestamp"], "2026-11-25T19:38:58Z");
  EXPECT_EQ(e["lastTimestamp"], "2026-11-25T19:38:58Z");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["reportingComponent"], "secureservice-operator-test");
  EXPECT_EQ(e["reportingInstance"], "node-a");
  EXPECT_EQ(recorder.dropped(), 0u);
}

TEST_F(EventRecorderTest, PutsEventsOfClusterScopedObjectsInDefault) {
  auto ns_object = client_->get(resources::namespaces(), "", ns_);
  ASSERT_TRUE(ns_object.ok()) << ns_object.error().describe();
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(*ns_object, EventType::kNormal, "Labelled", "namespace " + ns_ + " labelled");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  std::vector<nlohmann::json> mine;
  for (auto& e : events_on_server("default")) {
    if (e["involvedObject"]["name"] == ns_) mine.push_back(e);
  }
  ASSERT_THAT(mine, SizeIs(1));
  EXPECT_EQ(mine[0]["metadata"]["namespace"], "default");
  EXPECT_EQ(mine[0]["involvedObject"]["kind"], "Namespace");
  EXPECT_FALSE(mine[0]["involvedObject"].contains("namespace"));
  EXPECT_EQ(mine[0]["type"], "Normal");
}

TEST_F(EventRecorderTest, AggregatesRepeatsIntoOneEventWithACount) {
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));
  const auto first = events_on_server();
  ASSERT_THAT(first, SizeIs(1));
  const auto name = first[0]["metadata"]["name"].get<std::string>();

  clock_.advance(std::chrono::seconds(30));
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  clock_.advance(std::chrono::seconds(30));
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  const auto events = events_on_server();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0]["metadata"]["name"], name);
  EXPECT_EQ(events[0]["count"], 3);
  EXPECT_EQ(events[0]["firstTimestamp"], "2026-11-25T19:38:58Z");
  EXPECT_EQ(events[0]["lastTimestamp"], "2026-11-25T19:39:58Z");
}

TEST_F(EventRecorderTest, WritesADifferentMessageAsASecondEvent) {
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca has no tls.key");
  recorder.record(object_, EventType::kNormal, "IssueFailed", "the CA Secret ops/ca has no tls.key");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  const auto events = events_on_server();
  ASSERT_THAT(events, SizeIs(3));
  for (const auto& e : events) EXPECT_EQ(e["count"], 1) << e.dump();
}

TEST_F(EventRecorderTest, ForgetsTheLeastRecentlyUsedEventBeyondTheCache) {
  auto o = options();
  o.cache_size = 1;
  EventRecorder recorder(*client_, clock_, o);
  recorder.record(object_, EventType::kNormal, "Issued", "first");
  recorder.record(object_, EventType::kNormal, "Issued", "second");
  recorder.record(object_, EventType::kNormal, "Issued", "first");  // "first" was forgotten
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  EXPECT_THAT(events_on_server(), SizeIs(3));
}

TEST_F(EventRecorderTest, RetriesACreateTheServerFailed) {
  server_->faults().fail_next("create", "events", 2, 500);
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  const auto events = events_on_server();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0]["count"], 1);
  EXPECT_EQ(recorder.dropped(), 0u);
}

TEST_F(EventRecorderTest, GivesUpAfterMaxWriteAttempts) {
  server_->faults().fail_next("create", "events", 1000, 503);
  auto o = options();
  o.max_write_attempts = 3;
  EventRecorder recorder(*client_, clock_, o);
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));
  server_->faults().clear();

  EXPECT_THAT(events_on_server(), SizeIs(0));
  EXPECT_EQ(recorder.dropped(), 1u);
}

TEST_F(EventRecorderTest, DropsAnEventTheServerRejectsAndCarriesOn) {
  server_->faults().fail_next("create", "events", 1, 403);
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "rejected");
  recorder.record(object_, EventType::kNormal, "Issued", "accepted");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  const auto events = events_on_server();
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0]["message"], "accepted");
  EXPECT_EQ(recorder.dropped(), 1u);
}

TEST_F(EventRecorderTest, RecreatesAnAggregatedEventDeletedBehindItsBack) {
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));
  const auto before = events_on_server();
  ASSERT_THAT(before, SizeIs(1));
  const auto name = before[0]["metadata"]["name"].get<std::string>();
  ASSERT_THAT(client_->remove(resources::events(), ns_, name), IsOk());
  ASSERT_THAT(events_on_server(), SizeIs(0));

  clock_.advance(std::chrono::seconds(60));
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  // client-go's recordEvent creates it again as the correlator left it: same name, the
  // count carried on, the first timestamp kept.
  const auto after = events_on_server();
  ASSERT_THAT(after, SizeIs(1));
  EXPECT_EQ(after[0]["metadata"]["name"], name);
  EXPECT_EQ(after[0]["count"], 3);
  EXPECT_EQ(after[0]["firstTimestamp"], "2026-11-25T19:38:58Z");
  EXPECT_EQ(after[0]["lastTimestamp"], "2026-11-25T19:39:58Z");

  // And the recreated Event is the one later repeats patch.
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));
  const auto last = events_on_server();
  ASSERT_THAT(last, SizeIs(1));
  EXPECT_EQ(last[0]["count"], 4);
}

TEST_F(EventRecorderTest, RecordReturnsBeforeTheServerHasAnswered) {
  EventRecorder recorder(*client_, clock_, options());
  server_->faults().set_latency(std::chrono::milliseconds(500));
  recorder.record(object_, EventType::kWarning, "IssueFailed", "the CA Secret ops/ca is missing");
  // The create, if sent yet, is still held by the server's latency: a recorder that wrote
  // synchronously could not have returned before it was stored.
  EXPECT_EQ(events_in_store(), 0u);
  EXPECT_TRUE(eventually([&] { return events_in_store() == 1; }));
  EXPECT_TRUE(recorder.flush(std::chrono::seconds(10)));
}

TEST_F(EventRecorderTest, DropsEventsWhenTheQueueIsFullWithoutBlocking) {
  auto o = options();
  o.max_queued = 3;
  EventRecorder recorder(*client_, clock_, o);
  server_->faults().set_latency(std::chrono::milliseconds(500));
  for (int i = 0; i < 20; ++i) {
    recorder.record(object_, EventType::kNormal, "Issued", "event " + std::to_string(i));
  }
  // None is stored yet, so all 20 calls returned without waiting for the server.
  EXPECT_EQ(events_in_store(), 0u);
  // The writer may have taken the first event off the queue before the rest came: three
  // queued, and at most one more in flight.
  EXPECT_GE(recorder.dropped(), 16u);
  EXPECT_LE(recorder.dropped(), 17u);
  server_->faults().set_latency(std::chrono::milliseconds(0));

  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));
  EXPECT_EQ(events_on_server().size(), 20u - recorder.dropped());
  EXPECT_EQ(events_on_server()[0]["message"], "event 0");
}

TEST_F(EventRecorderTest, WritesQueuedEventsWhenDestroyed) {
  {
    EventRecorder recorder(*client_, clock_, options());
    recorder.record(object_, EventType::kNormal, "Issued", "certificate issued");
  }
  EXPECT_THAT(events_on_server(), SizeIs(1));
}

TEST_F(EventRecorderTest, TruncatesLongMessagesAtACharacterBoundary) {
  EventRecorder recorder(*client_, clock_, options());
  std::string long_ascii(3000, 'x');
  // 2-byte characters: a cut at byte 1020 would split one.
  std::string long_utf8;
  for (int i = 0; i < 1000; ++i) long_utf8 += "\xC3\xA9";  // é
  recorder.record(object_, EventType::kNormal, "Ascii", long_ascii);
  recorder.record(object_, EventType::kNormal, "Utf8", long_utf8);
  recorder.record(object_, EventType::kNormal, "Invalid", "bad byte \xFF here");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  std::map<std::string, std::string> messages;
  for (const auto& e : events_on_server()) messages[e["reason"].get<std::string>()] = e["message"].get<std::string>();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages["Ascii"], std::string(1020, 'x') + " ...");
  EXPECT_LE(messages["Utf8"].size(), 1024u);
  EXPECT_GE(messages["Utf8"].size(), 1020u);
  EXPECT_THAT(messages["Utf8"], StartsWith("\xC3\xA9\xC3\xA9"));
  EXPECT_THAT(messages["Utf8"], ::testing::EndsWith("\xC3\xA9 ..."));
  EXPECT_EQ(messages["Invalid"], "bad byte \xEF\xBF\xBD here");  // U+FFFD
}

TEST_F(EventRecorderTest, RefusesAnObjectWithoutKindOrName) {
  EventRecorder recorder(*client_, clock_, options());
  recorder.record(nlohmann::json{{"metadata", {{"name", "x"}, {"namespace", ns_}}}}, EventType::kNormal, "Issued",
                  "no kind");
  recorder.record(nlohmann::json::object(), EventType::kNormal, "Issued", "nothing");
  recorder.record(object_, EventType::kNormal, "Issued", "fine");
  ASSERT_TRUE(recorder.flush(std::chrono::seconds(10)));

  EXPECT_THAT(events_on_server(), SizeIs(1));
  EXPECT_EQ(recorder.dropped(), 2u);
}

}  // namespace
}  // namespace sso::kube
