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
  EXPECT_THAT(cache.keys_by_index("team", "blue"), ::testing::UnorderedElementsAre("a/x", "b/y"));
  EXPECT_EQ(cache.list_namespace("a").size(), 1u);
  EXPECT_THAT(cache.keys_by_index(kNamespaceIndex, "a"), ::testing::ElementsAre("a/x"));
  cache.upsert(object("a", "x", "2", "red"));
  EXPECT_EQ(cache.by_index("team", "blue").size(), 1u);
  EXPECT_EQ(cache.by_index("team", "red").size(), 1u);
  EXPECT_THAT(cache.keys_by_index("team", "red"), ::testing::ElementsAre("a/x"));
  cache.remove("b/y");
  EXPECT_TRUE(cache.by_index("team", "blue").empty());
  EXPECT_TRUE(cache.keys_by_index("team", "blue").empty());
  EXPECT_TRUE(cache.by_index("no-such-index", "x").empty());
  EXPECT_TRUE(cache.keys_by_index("no-such-index", "x").empty());
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
  EXPECT_EQ((*cache.get("a/kept"))["metadata"]["resourceVersion"], "1");
  EXPECT_EQ(cache.by_index("team", "red").size(), 1u);
  EXPECT_EQ(cache.by_index("team", "blue").size(), 1u);
}

TEST(ObjectCache, GivesBackExactlyWhatWasStored) {
  // Objects rest encoded: every JSON type comes back with its value and its kind of number.
  const json stored = {{"metadata", {{"namespace", "a"}, {"name", "x"}, {"resourceVersion", "7"}}},
                       {"data", {{"tls.crt", std::string(5000, 'Q')}, {"empty", ""}}},
                       {"numbers", {0, -1, 8443, 18446744073709551615ULL, -9223372036854775807LL - 1, 0.5, 1e300}},
                       {"text", "caf\u00e9 \u2713 \"quoted\"\n"},
                       {"flags", {true, false, nullptr}},
                       {"nested", {{"list", json::array({json::object(), json::array()})}}}};
  ObjectCache cache;
  cache.upsert(std::make_shared<const json>(stored));
  const auto got = cache.get("a/x");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, stored);
  EXPECT_EQ(got->dump(), stored.dump());
  EXPECT_TRUE((*got)["numbers"][2].is_number_unsigned());
  EXPECT_TRUE((*got)["numbers"][1].is_number_integer());
  EXPECT_TRUE((*got)["numbers"][5].is_number_float());
  EXPECT_EQ(*cache.list().at(0), stored);
  EXPECT_EQ(*cache.remove("a/x"), stored);
}

TEST(ObjectCache, ClusterScopedObjectsAreKeyedByName) {
  ObjectCache cache;
  cache.upsert(object("", "node-1", "1"));
  EXPECT_NE(cache.get("node-1"), nullptr);
}

}  // namespace
}  // namespace sso::kube
