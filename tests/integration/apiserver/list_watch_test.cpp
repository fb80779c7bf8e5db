#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class ListWatch : public ApiServerTest {
 protected:
  std::vector<std::string> names(const std::string& path) {
    auto r = api().get(path);
    EXPECT_EQ(r.code, 200) << r.body.dump();
    std::vector<std::string> out;
    for (const auto& item : r.body["items"]) out.push_back(item["metadata"]["name"]);
    return out;
  }
  void make(const std::string& name, json labels) {
    ASSERT_EQ(api().post(ns_path("configmaps"), config_map(name, {{"k", "v"}}, std::move(labels))).code, 201);
  }
  static std::vector<std::string> types(const std::vector<json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.value("type", ""));
    return out;
  }
};

TEST_F(ListWatch, LabelSelectorsFollowApimachinery) {
  make("a", {{"app", "web"}, {"tier", "front"}});
  make("b", {{"app", "db"}});
  make("c", json::object());
  const std::string base = ns_path("configmaps") + "?labelSelector=";
  EXPECT_THAT(names(base + "app%3Dweb"), ElementsAre("a"));
  EXPECT_THAT(names(base + "app%3D%3Dweb"), ElementsAre("a"));
  EXPECT_THAT(names(base + "app!%3Dweb"), ElementsAre("b", "c"));
  EXPECT_THAT(names(base + "app%20in%20(web,db)"), ElementsAre("a", "b"));
  EXPECT_THAT(names(base + "app%20notin%20(web)"), ElementsAre("b", "c"));
  EXPECT_THAT(names(base + "app"), ElementsAre("a", "b"));
  EXPECT_THAT(names(base + "!app"), ElementsAre("c"));
  EXPECT_THAT(names(base + "app,tier%3Dfront"), ElementsAre("a"));
  EXPECT_EQ(api().get(base + "app%20in%20web").code, 400);
}

TEST_F(ListWatch, FieldSelectorsAndAllNamespaces) {
  make("a", json::object());
  EXPECT_THAT(names(ns_path("configmaps") + "?fieldSelector=metadata.name%3Da"), ElementsAre("a"));
  EXPECT_TRUE(names(ns_path("configmaps") + "?fieldSelector=metadata.name!%3Da").empty());
  auto all = api().get("/api/v1/configmaps?fieldSelector=metadata.namespace%3D" + ns());
  ASSERT_EQ(all.code, 200);
  ASSERT_EQ(all.body["items"].size(), 1u);
  EXPECT_EQ(all.body["kind"], "ConfigMapList");
  EXPECT_FALSE(all.body["items"][0].contains("kind")) << "built-in list items carry no kind, as typed Go lists";
  EXPECT_EQ(api().get(ns_path("configmaps") + "?fieldSelector=data.k%3Dv").code, 400);
}

TEST_F(ListWatch, PaginationWithLimitAndContinue) {
  for (const char* n : {"a", "b", "c", "d", "e"}) make(n, json::object());
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto r = api().get(ns_path("configmaps") + "?limit=2" + (token.empty() ? "" : "&continue=" + token));
    ASSERT_EQ(r.code, 200);
    for (const auto& item : r.body["items"]) seen.push_back(item["metadata"]["name"]);
    token = r.body["metadata"].value("continue", "");
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre("a", "b", "c", "d", "e"));
}

TEST_F(ListWatch, WatchStreamsChangesFromTheListsVersion) {
  make("before", json::object());
  const std::string rv = api().get(ns_path("configmaps")).body["metadata"]["resourceVersion"];
  auto events = api().watch(
      ns_path("configmaps") + "?resourceVersion=" + rv, [](const std::vector<json>& e) { return e.size() >= 3; },
      std::chrono::seconds(10),
      [&] {
        make("w", json::object());
        api().patch(ns_path("configmaps/w"), R"({"data":{"k":"v2"}})");
        api().del(ns_path("configmaps/w"));
      });
  EXPECT_THAT(types(events), ElementsAre("ADDED", "MODIFIED", "DELETED"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["object"]["kind"], "ConfigMap");
  EXPECT_EQ(events[1]["object"]["data"]["k"], "v2");
  EXPECT_LT(std::stoull(events[1]["object"]["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(events[2]["object"]["metadata"]["resourceVersion"].get<std::string>()));
}

TEST_F(ListWatch, WatchWithoutVersionStartsWithTheCurrentObjects) {
  make("a", json::object());
  make("b", json::object());
  auto events = api().watch(
      ns_path("configmaps"), [](const auto& e) { return e.size() >= 2; }, std::chrono::seconds(10));
  EXPECT_THAT(types(events), ElementsAre("ADDED", "ADDED"));
}

TEST_F(ListWatch, ResumingFromAVersionReplaysWhatWasMissed) {
  const std::string rv = api().post(ns_path("configmaps"), config_map("a")).body["metadata"]["resourceVersion"];
  api().patch(ns_path("configmaps/a"), R"({"data":{"k":"v2"}})");
  make("b", json::object());
  auto events = api().watch(
      ns_path("configmaps") + "?resourceVersion=" + rv, [](const auto& e) { return e.size() >= 2; },
      std::chrono::seconds(10));
  EXPECT_THAT(types(events), ElementsAre("MODIFIED", "ADDED"));
}

TEST_F(ListWatch, ACompactedVersionGetsA410ErrorEvent) {
  const std::string rv = api().post(ns_path("configmaps"), config_map("a")).body["metadata"]["resourceVersion"];
  make("b", json::object());
  server_->api().store().compact();
  bool ended = false;
  auto events = api().watch(ns_path("configmaps") + "?resourceVersion=" + rv, {}, std::chrono::seconds(10), {}, &ended);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
  EXPECT_TRUE(ended) << "the server ends the stream after the 410";
}

TEST_F(ListWatch, BookmarksWhenAsked) {
  auto events = api().watch(
      ns_path("configmaps") + "?allowWatchBookmarks=true&resourceVersion=" +
          api().get(ns_path("configmaps")).body["metadata"]["resourceVersion"].get<std::string>(),
      [](const auto& e) { return !e.empty(); }, std::chrono::seconds(5));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["type"], "BOOKMARK");
  EXPECT_EQ(events[0]["object"]["kind"], "ConfigMap");
  EXPECT_FALSE(events[0]["object"]["metadata"].value("resourceVersion", "").empty());
}

TEST_F(ListWatch, TimeoutSecondsEndsTheWatch) {
  bool ended = false;
  const auto start = std::chrono::steady_clock::now();
  api().watch(ns_path("configmaps") + "?timeoutSeconds=1", {}, std::chrono::seconds(10), {}, &ended);
  EXPECT_TRUE(ended);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ListWatch, ASelectorWatchSeesObjectsEnterAndLeave) {
  make("a", {{"app", "web"}});
  const std::string rv = api().get(ns_path("configmaps")).body["metadata"]["resourceVersion"];
  auto events = api().watch(
      ns_path("configmaps") + "?labelSelector=app%3Dweb&resourceVersion=" + rv,
      [](const auto& e) { return e.size() >= 2; }, std::chrono::seconds(10),
      [&] {
        api().patch(ns_path("configmaps/a"), R"({"metadata":{"labels":{"app":"db"}}})");
        api().patch(ns_path("configmaps/a"), R"({"metadata":{"labels":{"app":"web"}}})");
      });
  EXPECT_THAT(types(events), ElementsAre("DELETED", "ADDED"));
}

TEST_F(ListWatch, AWatchWhoseClientLeftIsDropped) {
  server_->api().store().close_all_watches();
  make("a", json::object());
  api().watch(
      ns_path("configmaps"), [](const auto& e) { return !e.empty(); }, std::chrono::seconds(10));
  // The client has gone; the next event finds the stream closed and the watch is let go.
  EXPECT_TRUE(eventually([&] {
    api().patch(ns_path("configmaps/a"), R"({"data":{"tick":")" + std::to_string(std::rand()) + R"("}})");
    return server_->api().store().open_watches() == 0;
  }));
}

TEST_F(ListWatch, ClosingAllWatchesEndsOpenStreams) {
  bool ended = false;
  api().watch(
      ns_path("configmaps"), {}, std::chrono::seconds(10),
      [&] {
        ASSERT_TRUE(eventually([&] { return server_->api().store().open_watches() > 0; }));
        server_->api().store().close_all_watches();
      },
      &ended);
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace sso::testing
