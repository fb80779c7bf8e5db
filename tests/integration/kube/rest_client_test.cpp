#include "kube/rest_client.hpp"

#include <gmock/gmock.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "kube/api_error.hpp"
#include "metrics/registry.hpp"
#include "process.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;
using sso::testing::ApiServerTest;
using sso::testing::HasCode;
using sso::testing::IsOk;

class RestClientTest : public ApiServerTest {
 protected:
  std::unique_ptr<RestClient> make_client(RestClient::Options options = {}) {
    auto client = RestClient::create(admin_config(), options);
    EXPECT_THAT(client, IsOk());
    return client.ok() ? std::move(*client) : nullptr;
  }
  json config_map_in_ns(const std::string& name, json labels = json::object()) {
    auto cm = config_map(name, {{"k", "v"}}, std::move(labels));
    cm["metadata"]["namespace"] = ns();
    return cm;
  }
};

TEST_F(RestClientTest, CreatesGetsUpdatesPatchesAndDeletes) {
  auto client = make_client();
  auto created = client->create(resources::config_maps(), config_map_in_ns("a"));
  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE(resource_version_of(*created).empty());

  auto got = client->get(resources::config_maps(), ns(), "a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ((*got)["data"]["k"], "v");

  json changed = *got;
  changed["data"]["k"] = "w";
  auto updated = client->update(resources::config_maps(), changed);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ((*updated)["data"]["k"], "w");

  auto patched = client->merge_patch(resources::config_maps(), ns(), "a", {{"data", {{"extra", "1"}}}});
  ASSERT_THAT(patched, IsOk());
  EXPECT_EQ((*patched)["data"], json({{"k", "w"}, {"extra", "1"}}));

  ASSERT_THAT(client->remove(resources::config_maps(), ns(), "a"), IsOk());
  auto gone = client->get(resources::config_maps(), ns(), "a");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(is_not_found(gone.error()));
}

TEST_F(RestClientTest, ErrorsAreTypedByStatusReason) {
  auto client = make_client();
  auto missing = client->get(resources::config_maps(), ns(), "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing, HasCode(ErrorCode::kNotFound));
  EXPECT_EQ(missing.error().reason(), "NotFound");
  EXPECT_EQ(missing.error().http_status(), 404);
  EXPECT_THAT(missing.error().describe(), ::testing::HasSubstr("get configmaps " + ns() + "/nope"));

  ASSERT_THAT(client->create(resources::config_maps(), config_map_in_ns("a")), IsOk());
  auto again = client->create(resources::config_maps(), config_map_in_ns("a"));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(is_already_exists(again.error()));
  EXPECT_THAT(again, HasCode(ErrorCode::kAlreadyExists));

  json bad = config_map_in_ns("Not_A_Name");
  auto invalid = client->create(resources::config_maps(), bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(is_invalid(invalid.error()));
  EXPECT_THAT(invalid, HasCode(ErrorCode::kInvalidArgument));
}

TEST_F(RestClientTest, StaleResourceVersionIsAConflict) {
  auto client = make_client();
  auto created = client->create(resources::config_maps(), config_map_in_ns("a"));
  ASSERT_THAT(created, IsOk());
  json first = *created;
  first["data"]["k"] = "1";
  ASSERT_THAT(client->update(resources::config_maps(), first), IsOk());
  json stale = *created;  // still the old resourceVersion
  stale["data"]["k"] = "2";
  auto conflict = client->update(resources::config_maps(), stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(is_conflict(conflict.error()));
  EXPECT_THAT(conflict, HasCode(ErrorCode::kAborted));
}

TEST_F(RestClientTest, DeletePreconditionsAreChecked) {
  auto client = make_client();
  ASSERT_THAT(client->create(resources::config_maps(), config_map_in_ns("a")), IsOk());
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  auto refused = client->remove(resources::config_maps(), ns(), "a", wrong_uid);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_conflict(refused.error()));
  EXPECT_THAT(client->get(resources::config_maps(), ns(), "a"), IsOk());

  auto current = client->get(resources::config_maps(), ns(), "a");
  ASSERT_THAT(current, IsOk());
  DeleteOptions right;
  right.precondition_uid = uid_of(*current);
  right.precondition_resource_version = resource_version_of(*current);
  right.propagation_policy = "Foreground";
  EXPECT_THAT(client->remove(resources::config_maps(), ns(), "a", right), IsOk());
}

TEST_F(RestClientTest, ListsWithSelectorsAndPages) {
  auto client = make_client();
  for (int i = 0; i < 5; ++i) {
    json labels = {{"app", i % 2 == 0 ? "even" : "odd"}};
    ASSERT_THAT(client->create(resources::config_maps(), config_map_in_ns("cm" + std::to_string(i), labels)), IsOk());
  }
  ListOptions even;
  even.label_selector = "app=even";
  auto evens = client->list(resources::config_maps(), ns(), even);
  ASSERT_THAT(evens, IsOk());
  EXPECT_EQ(evens->items.size(), 3u);
  EXPECT_EQ(evens->items[0]["kind"], "ConfigMap") << "list items carry their kind";

  ListOptions by_name;
  by_name.field_selector = "metadata.name=cm3";
  auto one = client->list(resources::config_maps(), ns(), by_name);
  ASSERT_THAT(one, IsOk());
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(name_of(one->items[0]), "cm3");

  ListOptions paged;
  paged.limit = 2;
  auto first = client->list(resources::config_maps(), ns(), paged);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->items.size(), 2u);
  EXPECT_FALSE(first->continue_token.empty());

  auto all = client->list_all(resources::config_maps(), ns(), paged);
  ASSERT_THAT(all, IsOk());
  std::set<std::string> names;
  for (const auto& item : all->items) names.insert(name_of(item));
  EXPECT_EQ(names, (std::set<std::string>{"cm0", "cm1", "cm2", "cm3", "cm4"}));
  EXPECT_FALSE(all->resource_version.empty());
}

TEST_F(RestClientTest, ServerSideApplyRecordsTheFieldManager) {
  auto client = make_client();
  json cm = config_map_in_ns("applied");
  auto first = client->apply(resources::config_maps(), cm, "secureservice-operator");
  ASSERT_THAT(first, IsOk());
  cm["data"]["k"] = "changed";
  auto second = client->apply(resources::config_maps(), cm, "secureservice-operator");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*second)["data"]["k"], "changed");
  bool managed = false;
  for (const auto& entry : (*second)["metadata"]["managedFields"]) {
    managed = managed || entry["manager"] == "secureservice-operator";
  }
  EXPECT_TRUE(managed);
}

TEST_F(RestClientTest, UpdatesStatusThroughTheSubresource) {
  ASSERT_EQ(api()
                .post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      crd("rest.example.com", "widgets", "Widget", "Namespaced"))
                .code,
            201);
  ResourceType widgets{"rest.example.com", "v1", "widgets", "Widget", true};
  auto client = make_client();
  json widget = {{"apiVersion", "rest.example.com/v1"},
                 {"kind", "Widget"},
                 {"metadata", {{"name", "w"}, {"namespace", ns()}}},
                 {"spec", {{"size", 1}}}};
  ASSERT_TRUE(sso::testing::eventually([&] { return client->create(widgets, widget).ok(); }));
  auto current = client->get(widgets, ns(), "w");
  ASSERT_THAT(current, IsOk());
  json with_status = *current;
  with_status["status"] = {{"phase", "Ready"}};
  with_status["spec"]["size"] = 99;  // ignored by the status subresource
  auto updated = client->update_status(widgets, with_status);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ((*updated)["status"]["phase"], "Ready");
  EXPECT_EQ((*updated)["spec"]["size"], 1);
}

TEST_F(RestClientTest, RetriesTooManyRequestsAfterRetryAfter) {
  auto client = make_client();
  ASSERT_THAT(client->create(resources::config_maps(), config_map_in_ns("a")), IsOk());
  server_->faults().fail_next("get", "configmaps", 1, 429, 1);
  EXPECT_THAT(client->get(resources::config_maps(), ns(), "a"), IsOk());

  RestClient::Options no_retries;
  no_retries.max_retries = 0;
  auto impatient = make_client(no_retries);
  server_->faults().fail_next("get", "configmaps", 1, 429, 7);
  auto refused = impatient->get(resources::config_maps(), ns(), "a");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(is_too_many_requests(refused.error()));
  EXPECT_EQ(refused.error().retry_after(), std::chrono::seconds(7));
  EXPECT_THAT(refused, HasCode(ErrorCode::kUnavailable));
}

TEST_F(RestClientTest, PacesRequestsOnlyWhenAQpsIsSet) {
  ASSERT_THAT(make_client()->create(resources::config_maps(), config_map_in_ns("a")), IsOk());
  auto time_gets = [&](RestClient& client, int n) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) EXPECT_THAT(client.get(resources::config_maps(), ns(), "a"), IsOk());
    return std::chrono::steady_clock::now() - start;
  };
  // A qps paces with a token bucket: the burst at once, then qps a second.
  RestClient::Options paced;
  paced.qps = 20;
  paced.burst = 5;
  EXPECT_GE(time_gets(*make_client(paced), 25), std::chrono::milliseconds(950));
  // The default leaves it to the server (Priority and Fairness: 429 and Retry-After, above).
  // Paced as controller-runtime's old default (20 a second, burst 30), 200 gets would take at
  // least 8.5 s; unpaced they take a fraction of a second.
  EXPECT_LT(time_gets(*make_client(), 200), std::chrono::seconds(8));
}

TEST_F(RestClientTest, ServerErrorsAreUnavailable) {
  auto client = make_client();
  server_->faults().fail_next("list", "configmaps", 1, 500);
  auto failed = client->list(resources::config_maps(), ns());
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(is_server_error(failed.error()));
  EXPECT_THAT(failed, HasCode(ErrorCode::kUnavailable));
  EXPECT_THAT(client->list(resources::config_maps(), ns()), IsOk()) << "the next one passes";
}

TEST_F(RestClientTest, TimesOutASlowServer) {
  RestClient::Options quick;
  quick.timeout = std::chrono::milliseconds(200);
  auto client = make_client(quick);
  server_->faults().set_latency(std::chrono::milliseconds(1500));
  auto slow = client->list(resources::config_maps(), ns());
  server_->faults().clear();
  ASSERT_FALSE(slow.ok());
  EXPECT_THAT(slow, HasCode(ErrorCode::kDeadlineExceeded));
}

TEST_F(RestClientTest, SurvivesAServerRestartOnAKeptAliveConnection) {
  auto client = make_client();
  ASSERT_THAT(client->list(resources::config_maps(), ns()), IsOk());
  ASSERT_THAT(server_->restart(), IsOk());
  EXPECT_THAT(client->list(resources::config_maps(), ns()), IsOk());
}

TEST_F(RestClientTest, RereadsARotatedTokenFile) {
  sso::testing::TempDir dir;
  const std::filesystem::path token_file = dir.write("token", "not-a-valid-token\n");
  kube::ClusterConfig config = admin_config();
  config.bearer_token.clear();
  config.bearer_token_file = token_file.string();
  auto client = RestClient::create(config, {});
  ASSERT_THAT(client, IsOk());
  auto refused = (*client)->list(resources::config_maps(), ns());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http_status(), 401);
  EXPECT_THAT(refused, HasCode(ErrorCode::kPermissionDenied));

  std::ofstream(token_file) << server_->admin_token() << "\n";
  std::filesystem::last_write_time(token_file, std::filesystem::last_write_time(token_file) + std::chrono::seconds(5));
  EXPECT_THAT((*client)->list(resources::config_maps(), ns()), IsOk());
}

TEST_F(RestClientTest, WatchDeliversEventsAndReports410AsGone) {
  auto client = make_client();
  auto list = client->list(resources::config_maps(), ns());
  ASSERT_THAT(list, IsOk());
  ListOptions from_list;
  from_list.resource_version = list->resource_version;
  auto stream = client->watch(resources::config_maps(), ns(), from_list);
  ASSERT_THAT(stream, IsOk());
  ASSERT_THAT(client->create(resources::config_maps(), config_map_in_ns("watched")), IsOk());
  auto event = (*stream)->next();
  ASSERT_THAT(event, IsOk());
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->type, "ADDED");
  EXPECT_EQ(name_of((*event)->object), "watched");
  (*stream)->close();

  server_->api().store().compact();
  auto stale = client->watch(resources::config_maps(), ns(), from_list);
  Error error = stale.ok() ? [&] {
    auto e = (*stale)->next();
    return e.ok() ? internal_error("no error") : e.error();
  }()
                           : stale.error();
  EXPECT_TRUE(is_gone(error)) << error.describe();
}

TEST_F(RestClientTest, CountsRequestsByCodeAndMethod) {
  metrics::Registry registry;
  RestClient::Options options;
  options.metrics = &registry;
  auto client = make_client(options);
  ASSERT_FALSE(client->get(resources::config_maps(), ns(), "missing").ok());
  ASSERT_THAT(client->list(resources::config_maps(), ns()), IsOk());
  const std::string text = registry.scrape();
  EXPECT_THAT(text, ::testing::HasSubstr("rest_client_requests_total{code=\"404\",host=\"127.0.0.1:" +
                                         std::to_string(server_->port()) + "\",method=\"GET\"} 1"));
  EXPECT_THAT(text, ::testing::HasSubstr("code=\"200\""));
}

TEST_F(RestClientTest, RefusesBrokenTlsMaterialAtCreation) {
  kube::ClusterConfig config = admin_config();
  config.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  auto client = RestClient::create(config, {});
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(client.error().describe(), ::testing::HasSubstr("certificate authority"));
}

}  // namespace
}  // namespace sso::kube
