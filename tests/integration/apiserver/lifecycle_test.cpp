// Deletion as kube-apiserver and its controllers do it: finalizers, ownerReference garbage
// collection, namespace termination.
#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

class Lifecycle : public ApiServerTest {};

TEST_F(Lifecycle, FinalizersHoldAnObjectUntilRemoved) {
  json cm = config_map("held");
  cm["metadata"]["finalizers"] = {"example.com/cleanup"};
  ASSERT_EQ(api().post(ns_path("configmaps"), cm).code, 201);
  auto deleting = api().del(ns_path("configmaps/held"));
  ASSERT_EQ(deleting.code, 200);
  auto still = api().get(ns_path("configmaps/held"));
  ASSERT_EQ(still.code, 200);
  EXPECT_TRUE(still.body["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(api().patch(ns_path("configmaps/held"), R"({"metadata":{"finalizers":["a","b"]}})").code, 403)
      << "no new finalizers once deletion has started";
  ASSERT_EQ(api().patch(ns_path("configmaps/held"), R"({"metadata":{"finalizers":null}})").code, 200);
  EXPECT_EQ(api().get(ns_path("configmaps/held")).code, 404);
}

TEST_F(Lifecycle, DeletingAnOwnerCollectsItsDependents) {
  auto owner = api().post(ns_path("configmaps"), config_map("owner"));
  const json ref = {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"name", "owner"},
                    {"uid", owner.body["metadata"]["uid"]},
                    {"controller", true}};
  json dependent = config_map("dependent");
  dependent["metadata"]["ownerReferences"] = {ref};
  ASSERT_EQ(api().post(ns_path("secrets"), {{"metadata", {{"name", "dep"}, {"ownerReferences", {ref}}}}}).code, 201);
  ASSERT_EQ(api().post(ns_path("configmaps"), dependent).code, 201);
  auto other = api().post(ns_path("configmaps"), config_map("other"));
  json shared = config_map("shared");
  shared["metadata"]["ownerReferences"] = {
      ref, {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "other"}, {"uid", other.body["metadata"]["uid"]}}};
  ASSERT_EQ(api().post(ns_path("configmaps"), shared).code, 201);

  ASSERT_EQ(api().del(ns_path("configmaps/owner")).code, 200);
  EXPECT_EQ(api().get(ns_path("configmaps/dependent")).code, 404);
  EXPECT_EQ(api().get(ns_path("secrets/dep")).code, 404);
  auto kept = api().get(ns_path("configmaps/shared"));
  ASSERT_EQ(kept.code, 200) << "a dependent with a living owner stays";
  EXPECT_EQ(kept.body["metadata"]["ownerReferences"].size(), 1u);
}

TEST_F(Lifecycle, OrphanPropagationKeepsDependents) {
  auto owner = api().post(ns_path("configmaps"), config_map("owner"));
  json dependent = config_map("dependent");
  dependent["metadata"]["ownerReferences"] = {
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", owner.body["metadata"]["uid"]}}};
  ASSERT_EQ(api().post(ns_path("configmaps"), dependent).code, 201);
  ASSERT_EQ(api().del(ns_path("configmaps/owner"), {{"propagationPolicy", "Orphan"}}).code, 200);
  auto kept = api().get(ns_path("configmaps/dependent"));
  ASSERT_EQ(kept.code, 200);
  EXPECT_TRUE(kept.body["metadata"]["ownerReferences"].empty());
}

TEST_F(Lifecycle, DeletePreconditions) {
  auto created = api().post(ns_path("configmaps"), config_map("a"));
  auto wrong = api().del(ns_path("configmaps/a"), {{"preconditions", {{"uid", "not-the-uid"}}}});
  EXPECT_EQ(wrong.code, 409);
  EXPECT_EQ(wrong.reason(), "Conflict");
  EXPECT_EQ(api().del(ns_path("configmaps/a"), {{"preconditions", {{"uid", created.body["metadata"]["uid"]}}}}).code,
            200);
}

TEST_F(Lifecycle, DeletingANamespaceRemovesItsContents) {
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a")).code, 201);
  json held = config_map("held");
  held["metadata"]["finalizers"] = {"example.com/cleanup"};
  ASSERT_EQ(api().post(ns_path("configmaps"), held).code, 201);

  ASSERT_EQ(api().del("/api/v1/namespaces/" + ns()).code, 200);
  EXPECT_EQ(api().get(ns_path("configmaps/a")).code, 404);
  auto terminating = api().get("/api/v1/namespaces/" + ns());
  ASSERT_EQ(terminating.code, 200) << "a finalizer inside holds the namespace";
  EXPECT_EQ(terminating.body["status"]["phase"], "Terminating");
  auto refused = api().post(ns_path("configmaps"), config_map("late"));
  EXPECT_EQ(refused.code, 403);
  EXPECT_EQ(refused.body["details"]["causes"][0]["reason"], "NamespaceTerminating");

  ASSERT_EQ(api().patch(ns_path("configmaps/held"), R"({"metadata":{"finalizers":null}})").code, 200);
  EXPECT_EQ(api().get("/api/v1/namespaces/" + ns()).code, 404);
}

TEST_F(Lifecycle, DeleteCollectionBySelector) {
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("a", {{"k", "v"}}, {{"app", "x"}})).code, 201);
  ASSERT_EQ(api().post(ns_path("configmaps"), config_map("b", {{"k", "v"}}, {{"app", "y"}})).code, 201);
  ASSERT_EQ(api().del(ns_path("configmaps") + "?labelSelector=app%3Dx").code, 200);
  EXPECT_EQ(api().get(ns_path("configmaps/a")).code, 404);
  EXPECT_EQ(api().get(ns_path("configmaps/b")).code, 200);
}

}  // namespace
}  // namespace sso::testing
