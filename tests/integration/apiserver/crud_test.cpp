// Object semantics checked against kube-apiserver's documented behaviour
// (https://kubernetes.io/docs/reference/using-api/api-concepts/).
#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class Crud : public ApiServerTest {};

json deployment(const std::string& name, int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}}};
}

TEST_F(Crud, CreateSetsServerFields) {
  auto r = api().post(ns_path("configmaps"), config_map("a"));
  ASSERT_EQ(r.code, 201) << r.body.dump();
  const json& meta = r.body["metadata"];
  EXPECT_EQ(meta["namespace"], ns());
  EXPECT_EQ(meta["uid"].get<std::string>().size(), 36u);
  EXPECT_FALSE(meta.value("creationTimestamp", "").empty());
  EXPECT_FALSE(meta.value("resourceVersion", "").empty());
  auto got = api().get(ns_path("configmaps/a"));
  ASSERT_EQ(got.code, 200);
  EXPECT_EQ(got.body["metadata"]["uid"], meta["uid"]);
  EXPECT_EQ(got.body["kind"], "ConfigMap");
  EXPECT_EQ(got.body["apiVersion"], "v1");
}

TEST_F(Crud, ResourceVersionsGrowAcrossResources) {
  auto a = api().post(ns_path("configmaps"), config_map("a"));
  auto b = api().post(ns_path("secrets"), {{"metadata", {{"name", "b"}}}, {"data", {{"x", "eA=="}}}});
  ASSERT_EQ(b.code, 201) << b.body.dump();
  EXPECT_LT(std::stoull(a.body["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(b.body["metadata"]["resourceVersion"].get<std::string>()));
}

TEST_F(Crud, ErrorsAreStatusObjectsWithTheRealReasons) {
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
  auto exists = api().post(ns_path("configmaps"), config_map("a"));
  EXPECT_EQ(exists.code, 409);
  EXPECT_EQ(exists.reason(), "AlreadyExists");
  EXPECT_EQ(exists.body["kind"], "Status");
  EXPECT_EQ(exists.body["message"], "configmaps \"a\" already exists");
  auto missing = api().get(ns_path("configmaps/nope"));
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(missing.reason(), "NotFound");
  EXPECT_EQ(missing.body["details"]["kind"], "configmaps");
  auto group_missing = api().get("/apis/apps/v1/namespaces/" + ns() + "/deployments/nope");
  EXPECT_EQ(group_missing.body["message"], "deployments.apps \"nope\" not found");
  auto bad_name = api().post(ns_path("configmaps"), config_map("Not_Valid"));
  EXPECT_EQ(bad_name.code, 422);
  EXPECT_EQ(bad_name.reason(), "Invalid");
  EXPECT_EQ(bad_name.body["details"]["causes"][0]["field"], "metadata.name");
  auto no_ns = api().post("/api/v1/namespaces/absent/configmaps", config_map("a"));
  EXPECT_EQ(no_ns.code, 404);
  EXPECT_EQ(no_ns.body["message"], "namespaces \"absent\" not found");
  auto unauthenticated = ApiTestClient(server_->url(), server_->ca_pem(), "wrong-token").get(ns_path("configmaps"));
  EXPECT_EQ(unauthenticated.code, 401);
  EXPECT_EQ(unauthenticated.reason(), "Unauthorized");
}

TEST_F(Crud, GenerateNameAddsASuffix) {
  json cm = config_map("");
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "payments-";
  auto r = api().post(ns_path("configmaps"), cm);
  ASSERT_EQ(r.code, 201) << r.body.dump();
  const std::string name = r.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("payments-", 0), 0u);
  EXPECT_EQ(name.size(), std::string("payments-").size() + 5);
}

TEST_F(Crud, UpdateWithAStaleResourceVersionConflicts) {
  auto created = api().post(ns_path("configmaps"), config_map("a"));
  json first = created.body;
  first["data"]["k"] = "v2";
  auto updated = api().put(ns_path("configmaps/a"), first);
  ASSERT_EQ(updated.code, 200) << updated.body.dump();
  json stale = created.body;  // still at the creation's resourceVersion
  stale["data"]["k"] = "v3";
  auto conflict = api().put(ns_path("configmaps/a"), stale);
  EXPECT_EQ(conflict.code, 409);
  EXPECT_EQ(conflict.reason(), "Conflict");
  EXPECT_THAT(conflict.body["message"].get<std::string>(), HasSubstr("the object has been modified"));
  EXPECT_EQ(api().get(ns_path("configmaps/a")).body["data"]["k"], "v2");
}

TEST_F(Crud, AnUpdateThatChangesNothingWritesNothing) {
  auto created = api().post(ns_path("configmaps"), config_map("a"));
  auto same = api().put(ns_path("configmaps/a"), created.body);
  ASSERT_EQ(same.code, 200);
  EXPECT_EQ(same.body["metadata"]["resourceVersion"], created.body["metadata"]["resourceVersion"]);
}

TEST_F(Crud, GenerationCountsSpecChangesOnly) {
  const std::string path = "/apis/apps/v1/namespaces/" + ns() + "/deployments";
  auto created = api().post(path, deployment("web", 1));
  ASSERT_EQ(created.code, 201) << created.body.dump();
  EXPECT_EQ(created.body["metadata"]["generation"], 1);
  auto labelled = api().patch(path + "/web", R"({"metadata":{"labels":{"team":"a"}}})");
  EXPECT_EQ(labelled.body["metadata"]["generation"], 1);
  auto scaled = api().patch(path + "/web", R"({"spec":{"replicas":3}})");
  EXPECT_EQ(scaled.body["metadata"]["generation"], 2);
}

TEST_F(Crud, TheStatusSubresourceOwnsStatus) {
  const std::string path = "/apis/apps/v1/namespaces/" + ns() + "/deployments";
  json d = deployment("web", 1);
  d["status"] = {{"replicas", 9}};
  auto created = api().post(path, d);
  EXPECT_FALSE(created.body.contains("status")) << "status on create is dropped";
  auto status = api().patch(path + "/web/status", R"({"status":{"readyReplicas":1},"spec":{"replicas":5}})");
  ASSERT_EQ(status.code, 200) << status.body.dump();
  EXPECT_EQ(status.body["status"]["readyReplicas"], 1);
  EXPECT_EQ(status.body["spec"]["replicas"], 1) << "a status write changes only status";
  auto main = api().patch(path + "/web", R"({"status":{"readyReplicas":7},"spec":{"replicas":2}})");
  EXPECT_EQ(main.body["status"]["readyReplicas"], 1) << "a main-resource write keeps status";
  EXPECT_EQ(main.body["spec"]["replicas"], 2);
}

TEST_F(Crud, MergeAndJsonPatches) {
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a", {{"k", "v"}, {"drop", "x"}})).code, 201);
  auto merged = api().patch(ns_path("configmaps/a"), R"({"data":{"new":"n","drop":null}})");
  ASSERT_EQ(merged.code, 200);
  EXPECT_EQ(merged.body["data"], json({{"k", "v"}, {"new", "n"}}));
  auto patched = api().patch(ns_path("configmaps/a"), R"([{"op":"replace","path":"/data/k","value":"w"}])",
                             "application/json-patch+json");
  EXPECT_EQ(patched.body["data"]["k"], "w");
  auto failed_test = api().patch(ns_path("configmaps/a"), R"([{"op":"test","path":"/data/k","value":"zzz"}])",
                                 "application/json-patch+json");
  EXPECT_EQ(failed_test.code, 422);
  auto stale = api().patch(ns_path("configmaps/a"), R"({"metadata":{"resourceVersion":"1"},"data":{"k":"x"}})");
  EXPECT_EQ(stale.code, 409);
  auto unknown = api().patch(ns_path("configmaps/a"), "{}", "text/plain");
  EXPECT_EQ(unknown.code, 415);
  EXPECT_EQ(api().patch(ns_path("configmaps/nope"), "{}").code, 404);
}

TEST_F(Crud, DryRunPersistsNothing) {
  auto r = api().post(ns_path("configmaps") + "?dryRun=All", config_map("ghost"));
  EXPECT_EQ(r.code, 201);
  EXPECT_EQ(api().get(ns_path("configmaps/ghost")).code, 404);
}

TEST_F(Crud, SecretsAreCheckedAsTheApiServerChecksThem) {
  auto bad_base64 = api().post(ns_path("secrets"), {{"metadata", {{"name", "s"}}}, {"data", {{"k", "!!"}}}});
  EXPECT_EQ(bad_base64.code, 400);
  auto tls_without_key =
      api().post(ns_path("secrets"),
                 {{"metadata", {{"name", "s"}}}, {"type", "kubernetes.io/tls"}, {"data", {{"tls.crt", "eA=="}}}});
  EXPECT_EQ(tls_without_key.code, 422);
  EXPECT_EQ(tls_without_key.body["details"]["causes"][0]["field"], "data[tls.key]");
}

TEST_F(Crud, SecretsAreDefaultedAndStringDataFolded) {
  auto r = api().post(ns_path("secrets"), {{"metadata", {{"name", "s"}}}, {"stringData", {{"user", "admin"}}}});
  ASSERT_EQ(r.code, 201) << r.body.dump();
  EXPECT_EQ(r.body["type"], "Opaque");
  EXPECT_EQ(r.body["data"]["user"], "YWRtaW4=");
  EXPECT_FALSE(r.body.contains("stringData"));
}

TEST_F(Crud, CustomResourceUpdatesNeedAResourceVersion) {
  auto r = api().post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      crd("example.com", "widgets", "Widget", "Namespaced"));
  ASSERT_TRUE(r.code == 201 || r.code == 409) << r.body.dump();
  const std::string path = "/apis/example.com/v1/namespaces/" + ns() + "/widgets";
  auto created = api().post(
      path,
      {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w"}}}, {"spec", {{"size", 1}}}});
  ASSERT_EQ(created.code, 201) << created.body.dump();
  json no_rv = created.body;
  no_rv["metadata"].erase("resourceVersion");
  EXPECT_EQ(api().put(path + "/w", no_rv).code, 422);
  auto status = api().patch(path + "/w/status", R"({"status":{"ready":true}})");
  EXPECT_EQ(status.code, 200);
  EXPECT_EQ(status.body["status"]["ready"], true);
}

}  // namespace
}  // namespace sso::testing
