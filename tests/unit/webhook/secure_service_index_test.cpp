#include "webhook/secure_service_index.hpp"

#include <gmock/gmock.h>

namespace sso::webhook {
namespace {

using nlohmann::json;

json service(const std::string& ns, const std::string& name, const std::string& app) {
  return {{"apiVersion", "secureservice.io/v1alpha1"},
          {"kind", "SecureService"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"uid", "u-" + name}, {"generation", 1}}},
          {"spec", {{"selector", {{"matchLabels", {{"app", app}}}}}, {"ports", {{{"port", 8443}}}}}}};
}

std::vector<std::string> names(const ServiceList& list) {
  std::vector<std::string> out;
  for (const auto& s : list) out.push_back(s->name);
  return out;
}

TEST(SecureServiceIndex, GroupsParsedServicesByNamespaceInNameOrder) {
  SecureServiceIndex index;
  index.upsert(service("shop", "payments", "payments"));
  index.upsert(service("shop", "checkout", "checkout"));
  index.upsert(service("front", "frontend", "frontend"));
  EXPECT_THAT(names(*index.in_namespace("shop")), ::testing::ElementsAre("checkout", "payments"));
  EXPECT_THAT(names(*index.in_namespace("front")), ::testing::ElementsAre("frontend"));
  EXPECT_TRUE(index.in_namespace("nowhere")->empty());
  EXPECT_EQ(index.size(), 3u);
}

TEST(SecureServiceIndex, AReaderKeepsItsSnapshotWhileTheIndexChanges) {
  SecureServiceIndex index;
  index.upsert(service("shop", "checkout", "checkout"));
  const auto before = index.in_namespace("shop");
  index.upsert(service("shop", "checkout", "cart"));
  index.remove(service("shop", "checkout", "cart"));
  ASSERT_EQ(before->size(), 1u);
  EXPECT_EQ(before->front()->selector.match_labels.at("app"), "checkout");
  EXPECT_TRUE(index.in_namespace("shop")->empty());
}

TEST(SecureServiceIndex, AnUpdateReplacesAndAnUnparsableUpdateRemoves) {
  SecureServiceIndex index;
  index.upsert(service("shop", "checkout", "checkout"));
  index.upsert(service("shop", "checkout", "cart"));
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index.in_namespace("shop")->front()->selector.match_labels.at("app"), "cart");
  json broken = service("shop", "checkout", "cart");
  broken["spec"].erase("ports");
  index.upsert(broken);
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace sso::webhook
