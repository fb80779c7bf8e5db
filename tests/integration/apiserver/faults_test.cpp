#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

class Faults : public ApiServerTest {};

TEST_F(Faults, FailsTheNextMatchingRequestsOnly) {
  server_->faults().fail_next("create", "configmaps", 2, 500);
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 500);
  EXPECT_EQ(api().post(ns_path("secrets"), {{"metadata", {{"name", "s"}}}}).code, 201) << "other resources pass";
  auto second = api().post(ns_path("configmaps"), config_map("a"));
  EXPECT_EQ(second.code, 500);
  EXPECT_EQ(second.reason(), "InternalError");
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
}

TEST_F(Faults, TooManyRequestsCarriesRetryAfter) {
  server_->faults().fail_next("list", "*", 1, 429, 3);
  auto r = api().get(ns_path("configmaps"));
  EXPECT_EQ(r.code, 429);
  EXPECT_EQ(r.reason(), "TooManyRequests");
  EXPECT_EQ(r.headers["Retry-After"], "3");
  EXPECT_EQ(r.body["details"]["retryAfterSeconds"], 3);
}

TEST_F(Faults, ConflictOnWrites) {
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
  server_->faults().fail_next("update", "configmaps", 1, 409);
  auto r = api().put(ns_path("configmaps/a"), api().get(ns_path("configmaps/a")).body);
  EXPECT_EQ(r.code, 409);
  EXPECT_EQ(r.reason(), "Conflict");
}

TEST_F(Faults, LatencyDelaysEveryRequest) {
  server_->faults().set_latency(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(api().get(ns_path("configmaps")).code, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(Faults, ARestartDropsWatchesAndKeepsServing) {
  bool ended = false;
  api().watch(
      ns_path("configmaps"), {}, std::chrono::seconds(10),
      [&] {
        ASSERT_TRUE(eventually([&] { return server_->api().store().open_watches() > 0; }));
        ASSERT_TRUE(server_->restart().ok());
      },
      &ended);
  EXPECT_TRUE(ended);
  EXPECT_EQ(api().post(ns_path("configmaps"), config_map("after")).code, 201);
}

// The request log is what tests read to count a client's requests and to see who wrote.
class RequestLogTest : public ApiServerTest {};

TEST_F(RequestLogTest, RecordsWhoAskedWhatAndTheAnswer) {
  server_->api().request_log().clear();
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 409);
  ASSERT_EQ(api().get(ns_path("configmaps/a")).code, 200);
  server_->faults().fail_next("list", "configmaps", 1, 500);
  ASSERT_EQ(api().get(ns_path("configmaps")).code, 500);

  const auto log = server_->api().request_log().snapshot();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].verb, "create");
  EXPECT_EQ(log[0].resource, "configmaps");
  EXPECT_EQ(log[0].ns, ns_);
  EXPECT_EQ(log[0].code, 201);
  EXPECT_TRUE(log[0].is_write());
  EXPECT_FALSE(log[0].user.empty());
  EXPECT_EQ(log[1].code, 409);
  EXPECT_EQ(log[2].verb, "get");
  EXPECT_EQ(log[2].name, "a");
  EXPECT_FALSE(log[2].is_write());
  EXPECT_EQ(log[3].verb, "list");
  EXPECT_EQ(log[3].code, 500) << "an injected failure is logged as answered";
}

}  // namespace
}  // namespace sso::testing
