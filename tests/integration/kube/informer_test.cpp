#include "kube/informer.hpp"

#include <gmock/gmock.h>

#include <map>
#include <mutex>

#include "kube/rest_client.hpp"
#include "status_matchers.hpp"
#include "test_server_fixture.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;
using sso::testing::ApiServerTest;
using sso::testing::eventually;
using sso::testing::HasCode;
using sso::testing::IsOk;

// What the handlers heard, per key.
struct Recorder {
  std::mutex mu;
  std::map<std::string, int> adds, updates, deletes;
  std::map<std::string, std::string> last_value;

  EventHandlers handlers() {
    return {[this](const ObjectPtr& o) {
              std::lock_guard lock(mu);
              ++adds[object_key(*o)];
              last_value[object_key(*o)] = o->value("data", json::object()).value("k", "");
            },
            [this](const ObjectPtr&, const ObjectPtr& o) {
              std::lock_guard lock(mu);
              ++updates[object_key(*o)];
              last_value[object_key(*o)] = o->value("data", json::object()).value("k", "");
            },
            [this](const ObjectPtr& o) {
              std::lock_guard lock(mu);
              ++deletes[object_key(*o)];
            }};
  }
  int count(std::map<std::string, int>& m, const std::string& key) {
    std::lock_guard lock(mu);
    return m.count(key) ? m[key] : 0;
  }
};

class InformerTest : public ApiServerTest {
 protected:
  void SetUp() override {
    ApiServerTest::SetUp();
    auto client = RestClient::create(admin_config(), {});
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }
  InformerOptions options() {
    InformerOptions o;
    o.type = resources::config_maps();
    o.ns = ns();
    o.backoff_initial = std::chrono::milliseconds(10);
    o.backoff_max = std::chrono::milliseconds(100);
    return o;
  }
  std::string key(const std::string& name) { return ns() + "/" + name; }
  void create(const std::string& name, const std::string& value = "v", json labels = json::object()) {
    auto cm = config_map(name, {{"k", value}}, std::move(labels));
    cm["metadata"]["namespace"] = ns();
    ASSERT_THAT(client_->create(resources::config_maps(), cm), IsOk());
  }
  void set_value(const std::string& name, const std::string& value) {
    ASSERT_THAT(client_->merge_patch(resources::config_maps(), ns(), name, {{"data", {{"k", value}}}}), IsOk());
  }
  void remove(const std::string& name) { ASSERT_THAT(client_->remove(resources::config_maps(), ns(), name), IsOk()); }

  // key -> resourceVersion, from the server and from the cache.
  std::map<std::string, std::string> server_state(const std::string& selector = "") {
    ListOptions o;
    o.label_selector = selector;
    auto list = client_->list(resources::config_maps(), ns(), o);
    EXPECT_THAT(list, IsOk());
    std::map<std::string, std::string> out;
    if (list.ok()) {
      for (const auto& item : list->items) out[object_key(item)] = resource_version_of(item);
    }
    return out;
  }
  static std::map<std::string, std::string> cache_state(const Informer& informer) {
    std::map<std::string, std::string> out;
    for (const auto& o : informer.cache().list()) out[object_key(*o)] = resource_version_of(*o);
    return out;
  }
  bool converged(const Informer& informer, const std::string& selector = "") {
    return eventually([&] { return cache_state(informer) == server_state(selector); });
  }

  std::unique_ptr<RestClient> client_;
};

TEST_F(InformerTest, ListsThenWatchesAndDeliversEachChangeOnce) {
  create("before");
  Recorder rec;
  Informer informer(*client_, options());
  informer.add_handlers(rec.handlers());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  EXPECT_EQ(rec.count(rec.adds, key("before")), 1);

  create("after");
  ASSERT_TRUE(eventually([&] { return rec.count(rec.adds, key("after")) == 1; }));
  set_value("after", "changed");
  ASSERT_TRUE(eventually([&] { return rec.count(rec.updates, key("after")) == 1; }));
  remove("before");
  ASSERT_TRUE(eventually([&] { return rec.count(rec.deletes, key("before")) == 1; }));
  EXPECT_TRUE(converged(informer));
  EXPECT_EQ(informer.cache().get(key("after"))->at("data").at("k"), "changed");
  EXPECT_EQ(informer.lists(), 1);
  informer.stop();
}

// managedFields is most of what a small object's cache entry holds and no reconciler reads
// it: at 5,000 SecureServices it took a quarter of the operator's memory (bench_scale).
TEST_F(InformerTest, CachesObjectsWithoutManagedFieldsUnlessAskedToKeepThem) {
  create("listed");
  auto direct = client_->get(resources::config_maps(), ns(), "listed");
  ASSERT_THAT(direct, IsOk());
  ASSERT_TRUE((*direct)["metadata"].contains("managedFields"));  // the server does send it

  Informer stripping(*client_, options());
  auto keep = options();
  keep.keep_managed_fields = true;
  Informer keeping(*client_, keep);
  stripping.start();
  keeping.start();
  ASSERT_TRUE(stripping.wait_for_sync(std::chrono::seconds(10)));
  ASSERT_TRUE(keeping.wait_for_sync(std::chrono::seconds(10)));
  create("watched");
  ASSERT_TRUE(eventually([&] { return stripping.cache().get(key("watched")) && keeping.cache().get(key("watched")); }));
  for (const char* name : {"listed", "watched"}) {
    EXPECT_FALSE(stripping.cache().get(key(name))->at("metadata").contains("managedFields")) << name;
    EXPECT_EQ(stripping.cache().get(key(name))->at("data").at("k"), "v") << name;
    EXPECT_TRUE(keeping.cache().get(key(name))->at("metadata").contains("managedFields")) << name;
  }
  stripping.stop();
  keeping.stop();
}

TEST_F(InformerTest, SeesOnlyObjectsMatchingItsLabelSelector) {
  create("mine", "v", {{"app.kubernetes.io/managed-by", "secureservice-operator"}});
  create("theirs");
  auto o = options();
  o.label_selector = "app.kubernetes.io/managed-by=secureservice-operator";
  Informer informer(*client_, o);
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  create("theirs-too");
  create("mine-too", "v", {{"app.kubernetes.io/managed-by", "secureservice-operator"}});
  ASSERT_TRUE(eventually([&] { return informer.cache().get(key("mine-too")) != nullptr; }));
  EXPECT_EQ(informer.cache().size(), 2u);
  EXPECT_EQ(informer.cache().get(key("theirs")), nullptr);
  EXPECT_TRUE(converged(informer, o.label_selector));
}

TEST_F(InformerTest, ResumesFromItsResourceVersionAfterADroppedWatch) {
  Recorder rec;
  Informer informer(*client_, options());
  informer.add_handlers(rec.handlers());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  create("a");
  ASSERT_TRUE(eventually([&] { return rec.count(rec.adds, key("a")) == 1; }));

  server_->api().store().close_all_watches();
  create("b");
  set_value("a", "changed");
  ASSERT_TRUE(converged(informer));
  EXPECT_EQ(rec.count(rec.adds, key("a")), 1) << "no duplicate add after re-watching";
  EXPECT_EQ(rec.count(rec.adds, key("b")), 1);
  EXPECT_EQ(rec.count(rec.updates, key("a")), 1);
  EXPECT_EQ(informer.lists(), 1) << "a closed stream re-watches; it does not relist";
}

TEST_F(InformerTest, RelistsOn410AndDeliversOnlyTheDifferences) {
  create("kept");
  create("changed");
  create("deleted");
  Recorder rec;
  Informer informer(*client_, options());
  informer.add_handlers(rec.handlers());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));

  // The watch is cut while changes happen, and the history it would resume from is gone:
  // the resumed watch gets 410 and the informer must relist.
  server_->faults().fail_next("watch", "configmaps", 1000, 503);
  server_->api().store().close_all_watches();
  set_value("changed", "new");
  remove("deleted");
  create("added");
  server_->api().store().compact();
  server_->faults().clear();

  ASSERT_TRUE(converged(informer));
  ASSERT_TRUE(eventually([&] { return rec.count(rec.deletes, key("deleted")) == 1; }));
  EXPECT_GE(informer.lists(), 2);
  EXPECT_EQ(rec.count(rec.adds, key("kept")), 1);
  EXPECT_EQ(rec.count(rec.updates, key("kept")), 0) << "unchanged objects are not re-delivered";
  EXPECT_EQ(rec.count(rec.updates, key("changed")), 1);
  EXPECT_EQ(rec.count(rec.adds, key("added")), 1);
  std::lock_guard lock(rec.mu);
  EXPECT_EQ(rec.last_value[key("changed")], "new");
}

TEST_F(InformerTest, BookmarksKeepItsResourceVersionFreshSoResumingNeedsNoRelist) {
  Informer informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  const std::string synced_at = informer.resource_version();
  // Changes elsewhere move the server's resourceVersion; only bookmarks tell this informer.
  const std::string other = ns() + "-elsewhere";
  ASSERT_EQ(api().post("/api/v1/namespaces", {{"metadata", {{"name", other}}}}).code, 201);
  ASSERT_EQ(api().post("/api/v1/namespaces/" + other + "/configmaps", config_map("x")).code, 201);
  const std::string server_rv =
      api().get("/api/v1/namespaces/" + other + "/configmaps").body["metadata"]["resourceVersion"];
  ASSERT_TRUE(eventually([&] { return informer.resource_version() == server_rv; })) << "no bookmark arrived";
  EXPECT_NE(informer.resource_version(), synced_at);

  // History before the bookmark is gone; resuming from the bookmark still works.
  server_->api().store().compact();
  server_->api().store().close_all_watches();
  create("after-compaction");
  EXPECT_TRUE(converged(informer));
  EXPECT_EQ(informer.lists(), 1);
}

TEST_F(InformerTest, RetriesAFailingListWithBackoffUntilSynced) {
  create("a");
  server_->faults().fail_next("list", "configmaps", 3, 500);
  Informer informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  EXPECT_GE(informer.lists(), 4);
  EXPECT_TRUE(converged(informer));
}

TEST_F(InformerTest, ConvergesAfterAServerRestart) {
  create("a");
  Informer informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  ASSERT_THAT(server_->restart(), IsOk());
  create("b");
  remove("a");
  EXPECT_TRUE(converged(informer));
}

TEST_F(InformerTest, ReWatchesWhenTheServerEndsTheStream) {
  auto o = options();
  o.min_watch_timeout_seconds = 1;
  Informer informer(*client_, o);
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  // Outlast at least one server-side watch timeout (1-2 s), changing things throughout.
  for (int i = 0; i < 5; ++i) {
    create("cm" + std::to_string(i));
    ASSERT_TRUE(converged(informer));
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    eventually([&] { return std::chrono::steady_clock::now() >= until; });
  }
  EXPECT_EQ(informer.lists(), 1);
}

TEST_F(InformerTest, ListsInPages) {
  for (int i = 0; i < 7; ++i) create("cm" + std::to_string(i));
  auto o = options();
  o.page_size = 2;
  Informer informer(*client_, o);
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  EXPECT_EQ(informer.cache().size(), 7u);
}

TEST_F(InformerTest, ResyncRedeliversCachedObjects) {
  create("a");
  Recorder rec;
  auto o = options();
  o.resync = std::chrono::milliseconds(100);
  Informer informer(*client_, o);
  informer.add_handlers(rec.handlers());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  EXPECT_TRUE(eventually([&] { return rec.count(rec.updates, key("a")) >= 2; }));
}

TEST_F(InformerTest, ServesCustomIndexes) {
  create("x", "v", {{"team", "blue"}});
  create("y", "v", {{"team", "blue"}});
  create("z", "v", {{"team", "red"}});
  Informer informer(*client_, options());
  informer.add_index("team", [](const json& o) -> std::vector<std::string> {
    const auto& labels = o["metadata"].value("labels", json::object());
    if (!labels.contains("team")) return {};
    return {labels["team"].get<std::string>()};
  });
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  EXPECT_EQ(informer.cache().by_index("team", "blue").size(), 2u);
  EXPECT_EQ(informer.cache().list_namespace(ns()).size(), 3u);
  ASSERT_THAT(
      client_->merge_patch(resources::config_maps(), ns(), "y", {{"metadata", {{"labels", {{"team", "red"}}}}}}),
      IsOk());
  EXPECT_TRUE(eventually([&] { return informer.cache().by_index("team", "red").size() == 2u; }));
  EXPECT_EQ(informer.cache().by_index("team", "blue").size(), 1u);
}

TEST_F(InformerTest, StopsPromptlyWhileWatching) {
  Informer informer(*client_, options());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(10)));
  ASSERT_TRUE(eventually([&] { return server_->api().store().open_watches() > 0; }));
  informer.stop();  // would hang on a blocked read if close() did not reach it
  EXPECT_TRUE(informer.has_synced());
}

}  // namespace
}  // namespace sso::kube
