// Pure pieces of the API test server: selectors, patches, the protobuf body decoder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apiserver/patch.hpp"
#include "apiserver/protobuf_body.hpp"
#include "apiserver/selectors.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

bool label_match(const std::string& selector, const json& labels) {
  std::string error;
  auto parsed = LabelSelector::parse(selector, &error);
  EXPECT_TRUE(parsed.has_value()) << selector << ": " << error;
  return parsed && parsed->matches(labels);
}

TEST(LabelSelector, MatchesAsApimachineryDoes) {
  const json labels = {{"app", "web"}, {"tier", "front"}};
  EXPECT_TRUE(label_match("app=web", labels));
  EXPECT_TRUE(label_match("app==web,tier", labels));
  EXPECT_FALSE(label_match("app!=web", labels));
  EXPECT_TRUE(label_match("missing!=x", labels)) << "a missing label satisfies !=";
  EXPECT_TRUE(label_match("app in (db, web)", labels));
  EXPECT_FALSE(label_match("app notin (web)", labels));
  EXPECT_TRUE(label_match("!missing", labels));
  EXPECT_FALSE(label_match("!app", labels));
  EXPECT_TRUE(label_match("example.com/team notin (a)", labels));
}

TEST(LabelSelector, RefusesMalformedSelectors) {
  for (const char* bad : {"app in web", "app in (web", "=web", "app,,tier", "bad key=x"}) {
    std::string error;
    EXPECT_FALSE(LabelSelector::parse(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty());
  }
}

TEST(FieldSelector, SupportsNameAndNamespaceForEveryResource) {
  std::string error;
  auto s = FieldSelector::parse("metadata.name=a,metadata.namespace!=b", "configmaps", &error);
  ASSERT_TRUE(s.has_value()) << error;
  EXPECT_TRUE(s->matches({{"metadata", {{"name", "a"}, {"namespace", "c"}}}}));
  EXPECT_FALSE(s->matches({{"metadata", {{"name", "a"}, {"namespace", "b"}}}}));
  EXPECT_FALSE(FieldSelector::parse("spec.nodeName=x", "configmaps", &error).has_value());
  EXPECT_EQ(error, "field label not supported: spec.nodeName");
}

// kubectl get events --field-selector involvedObject.name=x, as kube-apiserver's event strategy allows.
TEST(FieldSelector, SupportsEachResourcesOwnFieldLabels) {
  std::string error;
  auto events = FieldSelector::parse("involvedObject.name=payments,type!=Normal", "events", &error);
  ASSERT_TRUE(events.has_value()) << error;
  EXPECT_TRUE(events->matches({{"involvedObject", {{"name", "payments"}}}, {"type", "Warning"}}));
  EXPECT_FALSE(events->matches({{"involvedObject", {{"name", "payments"}}}, {"type", "Normal"}}));
  EXPECT_FALSE(events->matches({{"involvedObject", {{"name", "checkout"}}}, {"type", "Warning"}}));
  auto secrets = FieldSelector::parse("type=kubernetes.io/tls", "secrets", &error);
  ASSERT_TRUE(secrets.has_value()) << error;
  EXPECT_TRUE(secrets->matches({{"type", "kubernetes.io/tls"}}));
  EXPECT_FALSE(secrets->matches({{"type", "Opaque"}}));
  EXPECT_FALSE(FieldSelector::parse("involvedObject.name=x", "secrets", &error).has_value());
}

TEST(MergePatch, FollowsRfc7386) {
  const json target = {{"a", "b"}, {"c", {{"d", "e"}, {"f", "g"}}}, {"list", {1, 2}}};
  const json patch = {{"a", "z"}, {"c", {{"f", nullptr}}}, {"list", {3}}};
  EXPECT_EQ(apply_merge_patch(target, patch), json({{"a", "z"}, {"c", {{"d", "e"}}}, {"list", {3}}}));
}

TEST(JsonPatch, AppliesOrFailsWhole) {
  std::string error;
  const json target = {{"a", 1}};
  auto ok = apply_json_patch(
      target, json::parse(R"([{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":1}])"), &error);
  ASSERT_TRUE(ok.has_value()) << error;
  EXPECT_EQ(*ok, json({{"a", 1}, {"b", 2}}));
  EXPECT_FALSE(apply_json_patch(target, json::parse(R"([{"op":"remove","path":"/nope"}])"), &error).has_value());
  EXPECT_FALSE(apply_json_patch(target, json::object(), &error).has_value());
}

// A Secret as client-go's protobuf serializer writes it: "k8s\0" + runtime.Unknown.
std::string field(int number, const std::string& bytes) {
  std::string out(1, static_cast<char>((number << 3) | 2));
  out += static_cast<char>(bytes.size());  // all test fields are shorter than 128 bytes
  return out + bytes;
}

TEST(ProtobufBody, DecodesASecret) {
  const std::string meta = field(1, "creds") + field(3, "shop") + field(11, field(1, "app") + field(2, "web"));
  const std::string secret = field(1, meta) + field(2, field(1, "user") + field(2, "admin")) + field(3, "Opaque");
  const std::string body = std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Secret")) + field(2, secret);
  std::string error;
  auto decoded = decode_protobuf_object(body, &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ((*decoded)["kind"], "Secret");
  EXPECT_EQ((*decoded)["metadata"]["name"], "creds");
  EXPECT_EQ((*decoded)["metadata"]["namespace"], "shop");
  EXPECT_EQ((*decoded)["metadata"]["labels"]["app"], "web");
  EXPECT_EQ((*decoded)["data"]["user"], "YWRtaW4=");
  EXPECT_EQ((*decoded)["type"], "Opaque");
}

TEST(ProtobufBody, RefusesTruncatedForeignOrUnknownBodies) {
  std::string error;
  EXPECT_FALSE(decode_protobuf_object("{}", &error).has_value());
  const std::string truncated = std::string("k8s\0", 4) + "\x0a\x40" + "short";
  EXPECT_FALSE(decode_protobuf_object(truncated, &error).has_value());
  const std::string pod = std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Pod")) + field(2, "");
  EXPECT_FALSE(decode_protobuf_object(pod, &error).has_value());
  EXPECT_THAT(error, ::testing::HasSubstr("Pod"));
}

}  // namespace
}  // namespace sso::apiserver
