#include "kube/manifest_yaml.hpp"

#include <gmock/gmock.h>

#include <string>

#include "status_matchers.hpp"

namespace sso::kube {
namespace {

using nlohmann::json;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;

constexpr const char* kHeader = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";

json read_one(const std::string& yaml) {
  auto objects = read_manifests(yaml, "test.yaml");
  if (!objects.ok() || objects->size() != 1) {
    ADD_FAILURE() << "read_manifests: " << (objects.ok() ? "not one object" : objects.error().describe());
    return nullptr;
  }
  return objects->front();
}

TEST(ReadManifests, ReadsPlainScalarsAsTheYamlCoreSchema) {
  const json data = read_one(std::string(kHeader) +
                             "data: {a: 8443, b: -7, c: 1.5, d: .5, e: 1., f: -.5e-3, g: 1e3, h: +1,"
                             " i: 1.2.3, j: 1e, k: e5, l: 0x1F, m: '-', n: true, o: ~}")["data"];
  EXPECT_EQ(data["a"], 8443);
  EXPECT_EQ(data["b"], -7);
  EXPECT_EQ(data["c"], 1.5);
  EXPECT_EQ(data["d"], 0.5);
  EXPECT_EQ(data["e"], 1.0);
  EXPECT_EQ(data["f"], -0.0005);
  EXPECT_EQ(data["g"], 1000.0);
  EXPECT_EQ(data["h"], 1);
  for (const char* text : {"i", "j", "k", "l", "m"}) EXPECT_TRUE(data[text].is_string()) << text;
  EXPECT_EQ(data["n"], true);
  EXPECT_TRUE(data["o"].is_null());
}

// std::regex recursed once per character and overflowed the stack on these.
TEST(ReadManifests, ReadsVeryLongNumbersWithoutOverflowingTheStack) {
  const std::string digits(200000, '1');
  const json data = read_one(std::string(kHeader) + "data: {big: " + digits + ", fraction: 0." + digits + "}")["data"];
  EXPECT_EQ(data["big"], digits);  // out of int64 range: kept as text
  EXPECT_TRUE(data["fraction"].is_number_float());
}

TEST(ReadManifests, ReadsAnchorsAndAliases) {
  const json spec = read_one(std::string(kHeader) + "spec: {a: &s {app: web}, b: *s, c: [*s, *s]}")["spec"];
  EXPECT_EQ(spec["b"], spec["a"]);
  EXPECT_EQ(spec["c"][1], spec["a"]);
}

// yaml-cpp 0.7's LoadAll looped forever, allocating, on a ',' where a document starts.
TEST(ReadManifests, RefusesAStrayCommaWhereADocumentStarts) {
  for (const char* yaml : {",", "{apiVersion: v1, kind: ConfigMap, metadata: {name: x}},", "a: 1\n---\n,"})
    EXPECT_THAT(read_manifests(yaml, "test.yaml"), HasCode(ErrorCode::kInvalidArgument)) << yaml;
}

// A namespace of invalid UTF-8 made the Istio builder throw from nlohmann::json::dump (found
// by the secure_service_yaml fuzz target); such text is not YAML.
TEST(ReadManifests, RefusesInvalidUtf8NamingTheLine) {
  const auto r =
      read_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: s\xff\xfehop}\n", "cm.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cm.yaml: not valid YAML: line 3: invalid UTF-8");
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"})
    EXPECT_FALSE(read_manifests(std::string("a: \"") + bad + "\"\n", "x").ok()) << bad;
  const auto fine = read_manifests(
      "apiVersion: v1\nkind: ConfigMap\ndata: {k: \"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x94\x92\"}\n", "x");
  ASSERT_TRUE(fine.ok()) << fine.error().describe();
  EXPECT_EQ((*fine)[0]["data"]["k"], "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x94\x92");
}

TEST(ReadManifests, SkipsEmptyDocuments) {
  auto objects = read_manifests("---\n---\n" + std::string(kHeader) + "---\n...\n---\n", "test.yaml");
  ASSERT_THAT(objects, IsOk());
  EXPECT_EQ(objects->size(), 1u);
}

// yaml-cpp makes `&a [*a, *a]` a cycle: expanding it is 2^depth nodes.
TEST(ReadManifests, RefusesAnAliasCycle) {
  EXPECT_THAT(read_manifests(std::string(kHeader) + "data: &a [*a, *a]\n", "test.yaml"),
              HasCode(ErrorCode::kInvalidArgument));
}

TEST(ReadManifests, RefusesABillionLaughs) {
  std::string yaml = std::string(kHeader) + "data:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    yaml += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += (j ? ", " : "") + prev;
    yaml += "]\n";
  }
  EXPECT_THAT(read_manifests(yaml, "test.yaml"), HasCode(ErrorCode::kInvalidArgument));
}

TEST(ReadManifests, RefusesInputNestedTooDeeply) {
  EXPECT_THAT(read_manifests(std::string(kHeader) + "data: " + std::string(101, '[') + std::string(101, ']'), "t"),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(read_manifests(std::string(kHeader) + "data: " + std::string(100000, '['), "t"),
              HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(read_manifests(std::string(kHeader) + "data: " + std::string(99, '[') + std::string(99, ']'), "t"),
              IsOk());
}

}  // namespace
}  // namespace sso::kube

namespace sso::kube {
namespace {

// What write_manifests writes, read_manifests (and kubectl, PyYAML) reads back unchanged:
// strings that look like other types are quoted.
TEST(WriteManifests, RoundTripsStringsThatLookLikeOtherTypes) {
  const nlohmann::json object = {{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"data",
                                  {{"port", "8443"},
                                   {"flag", "true"},
                                   {"yes", "yes"},
                                   {"none", "null"},
                                   {"empty", ""},
                                   {"when", "2027-02-24T01:51:53Z"},
                                   {"pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
                                   {"plain", "payments"}}}};
  const std::string text = write_manifests({object, object});
  EXPECT_NE(text.find("\"2027-02-24T01:51:53Z\""), std::string::npos);
  EXPECT_NE(text.find("\"yes\""), std::string::npos);
  EXPECT_NE(text.find("plain: payments"), std::string::npos);
  auto read = read_manifests(text, "written");
  ASSERT_TRUE(read.ok()) << read.error().describe();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0], object);
  EXPECT_EQ((*read)[1], object);
}

TEST(WriteManifests, WritesVeryLongStringsWithoutOverflowingTheStack) {
  const nlohmann::json object = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"data", {{"digits", "2027-" + std::string(200000, '1')}, {"text", std::string(200000, 'y')}}}};
  auto read = read_manifests(write_manifests({object}), "written");
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ((*read)[0], object);
}

}  // namespace
}  // namespace sso::kube
