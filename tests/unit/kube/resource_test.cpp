#include "kube/resource.hpp"

#include <gmock/gmock.h>

#include "kube/backoff.hpp"

namespace sso::kube {
namespace {

TEST(ResourceType, BuildsCoreAndGroupPaths) {
  EXPECT_EQ(resources::config_maps().object_path("shop", "a"), "/api/v1/namespaces/shop/configmaps/a");
  EXPECT_EQ(resources::config_maps().collection_path(""), "/api/v1/configmaps");
  EXPECT_EQ(resources::leases().collection_path("kube-system"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
  EXPECT_EQ(resources::namespaces().object_path("ignored", "shop"), "/api/v1/namespaces/shop");
  EXPECT_EQ(resources::network_policies().api_version(), "networking.k8s.io/v1");
}

TEST(ObjectKey, IsNamespaceSlashNameOrJustTheName) {
  EXPECT_EQ(object_key(nlohmann::json{{"metadata", {{"namespace", "shop"}, {"name", "a"}}}}), "shop/a");
  EXPECT_EQ(object_key(nlohmann::json{{"metadata", {{"name", "node"}}}}), "node");
  EXPECT_EQ(split_object_key("shop/a"), std::make_pair(std::string("shop"), std::string("a")));
  EXPECT_EQ(split_object_key("node"), std::make_pair(std::string(""), std::string("node")));
  EXPECT_EQ(name_of(nlohmann::json("not an object")), "");
}

TEST(AnnotationOf, IsEmptyWithoutMetadataOrAnnotations) {
  EXPECT_EQ(annotation_of(nlohmann::json{{"kind", "Secret"}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", "not an object"}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", {{"name", "x"}}}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", {{"annotations", {{"b", "1"}}}}}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json(nullptr), "a"), "");
}

TEST(AnnotationOf, IsEmptyForAValueThatIsNotAString) {
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", {{"annotations", {{"a", 1}}}}}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", {{"annotations", {{"a", nullptr}}}}}}, "a"), "");
  EXPECT_EQ(annotation_of(nlohmann::json{{"metadata", {{"annotations", "a"}}}}, "a"), "");
}

TEST(AnnotationOf, ReadsAPresentAnnotation) {
  const nlohmann::json object = {{"metadata", {{"annotations", {{"a", "1"}, {"secureservice.io/rotate", ""}}}}}};
  EXPECT_EQ(annotation_of(object, "a"), "1");
  EXPECT_EQ(annotation_of(object, "secureservice.io/rotate"), "");
}

TEST(Backoff, DoublesWithJitterUpToTheMaximumAndResets) {
  Backoff backoff(std::chrono::milliseconds(800), std::chrono::milliseconds(30000));
  std::chrono::milliseconds previous_base{400};
  for (int i = 0; i < 12; ++i) {
    const auto base = std::min(std::chrono::milliseconds(30000), previous_base * 2);
    const auto d = backoff.next();
    EXPECT_GE(d, base) << "attempt " << i;
    EXPECT_LE(d, std::min(std::chrono::milliseconds(30000), base * 2)) << "attempt " << i;
    previous_base = base;
  }
  backoff.reset();
  EXPECT_LE(backoff.next(), std::chrono::milliseconds(1600));
}

}  // namespace
}  // namespace sso::kube

#include "kube/rest_client.hpp"
#include "status_matchers.hpp"

namespace sso::kube {
namespace {

TEST(ParseObjectList, GivesItemsTheirKindAndReadsThePagingFields) {
  auto list = parse_object_list(
      nlohmann::json::parse(
          R"({"metadata":{"resourceVersion":"7","continue":"abc"},"items":[{"metadata":{"name":"a"}}]})"),
      resources::secrets());
  ASSERT_THAT(list, sso::testing::IsOk());
  EXPECT_EQ(list->resource_version, "7");
  EXPECT_EQ(list->continue_token, "abc");
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]["kind"], "Secret");
  EXPECT_EQ(list->items[0]["apiVersion"], "v1");
}

TEST(ParseObjectList, RefusesWhatIsNotAListOfObjects) {
  EXPECT_FALSE(parse_object_list(nlohmann::json::parse("[1,2]"), resources::secrets()).ok());
  EXPECT_FALSE(parse_object_list(nlohmann::json::parse(R"({"items":{}})"), resources::secrets()).ok());
  EXPECT_FALSE(parse_object_list(nlohmann::json::parse(R"({"items":[{},3]})"), resources::secrets()).ok());
  auto odd_meta = parse_object_list(nlohmann::json::parse(R"({"metadata":{"resourceVersion":7},"items":[]})"),
                                    resources::secrets());
  ASSERT_TRUE(odd_meta.ok());
  EXPECT_EQ(odd_meta->resource_version, "");
}

}  // namespace
}  // namespace sso::kube
