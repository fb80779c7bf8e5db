#include "kube/object_cache.hpp"

#include <gmock/gmock.h>

namespace sso::kube {
namespace {

using nlohmann::json;

ObjectPtr object(const std::string& ns, const std::string& name, const std::string& rv, const std::string& team = "") {
  json o = {{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
  if (!team.empty()) o["metadata"]["labels"]["team"] = team;
  return std::make_shared<const json>(std::move(o));
}

std::vector<std::string> team_of(const json& o) {
  const auto& labels = o["metadata"].value("labels", json::object());
  if (!labels.contains("team")) return {};
  return {labels["team"].get<std::string>()};
}

TEST(ObjectCache, KeysObjectsByNamespaceAndName) {
  ObjectCache cache;
  EXPECT_EQ(cache.upsert(object("a", "x", "1")), nullptr);
  const auto old = cache.upsert(object("a", "x", "2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ((*old)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((*cache.get("a/x"))["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.remove("a/x"), nullptr);
  EXPECT_EQ(cache.remove("a/x"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ObjectCache, IndexesFollowUpdatesAndRemovals) {
  ObjectCache cache;
  cache.add_index("team", team_of);
  cache.upsert(object("a", "x", "1", "blue"));
  cache.upsert(object("b", "y", "1", "blue"));
  EXPECT_EQ(cache.by_index("team", "blue").size(), 2u);
  EXPECT_EQ(cache.list_namespace("a").size(), 1u);
  cache.upsert(object("a", "x", "2", "red"));
  EXPECT_EQ(cache.by_index("team", "blue").size(), 1u);
  EXPECT_EQ(cache.by_index("team", "red").size(), 1u);
  cache.remove("b/y");
  EXPECT_TRUE(cache.by_index("team", "blue").empty());
  EXPECT_TRUE(cache.by_index("no-such-index", "x").empty());
}

TEST(ObjectCache, AnIndexAddedLaterCoversWhatIsAlreadyCached) {
  ObjectCache cache;
  cache.upsert(object("a", "x", "1", "blue"));
  cache.add_index("team", team_of);
  EXPECT_EQ(cache.by_index("team", "blue").size(), 1u);
}

TEST(ObjectCache, ReplaceReportsOnlyTheDifferences) {
  ObjectCache cache;
  cache.add_index("team", team_of);
  cache.upsert(object("a", "kept", "1", "blue"));
  cache.upsert(object("a", "changed", "1", "blue"));
  cache.upsert(object("a", "deleted", "1", "blue"));
  const auto kept_before = cache.get("a/kept");

  const auto delta =
      cache.replace({object("a", "kept", "1", "blue"), object("a", "changed", "5", "red"), object("a", "added", "6")});
  ASSERT_EQ(delta.added.size(), 1u);
  EXPECT_EQ((*delta.added[0])["metadata"]["name"], "added");
  ASSERT_EQ(delta.updated.size(), 1u);
  EXPECT_EQ((*delta.updated[0].first)["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((*delta.updated[0].second)["metadata"]["resourceVersion"], "5");
  ASSERT_EQ(delta.deleted.size(), 1u);
  EXPECT_EQ((*delta.deleted[0])["metadata"]["name"], "deleted");

  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.get("a/kept"), kept_before) << "an unchanged object keeps its snapshot";
  EXPECT_EQ(cache.by_index("team", "red").size(), 1u);
  EXPECT_EQ(cache.by_index("team", "blue").size(), 1u);
}

TEST(ObjectCache, ClusterScopedObjectsAreKeyedByName) {
  ObjectCache cache;
  cache.upsert(object("", "node-1", "1"));
  EXPECT_NE(cache.get("node-1"), nullptr);
}

}  // namespace
}  // namespace sso::kube
