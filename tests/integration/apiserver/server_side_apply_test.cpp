// Server-side apply: field ownership in metadata.managedFields, conflicts, force, removal
// of fields a manager stops applying.
#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

class ServerSideApply : public ApiServerTest {
 protected:
  ApiTestClient::Response apply(const json& object, const std::string& manager, bool force = false) {
    return api().patch(ns_path("configmaps/") + object["metadata"]["name"].get<std::string>() +
                           "?fieldManager=" + manager + (force ? "&force=true" : ""),
                       object.dump(), "application/apply-patch+yaml");
  }
  static json managers(const json& object) {
    json out = json::object();
    for (const auto& e : object["metadata"].value("managedFields", json::array()))
      out[e["manager"].get<std::string>()] = e["fieldsV1"];
    return out;
  }
};

TEST_F(ServerSideApply, CreatesAndRecordsOwnership) {
  auto r = apply(config_map("a", {{"mode", "strict"}}), "operator");
  ASSERT_EQ(r.code, 201) << r.body.dump();
  const json owners = managers(r.body);
  EXPECT_EQ(owners["operator"], json({{"f:data", {{"f:mode", json::object()}}}}));
  EXPECT_EQ(r.body["metadata"]["managedFields"][0]["operation"], "Apply");
}

TEST_F(ServerSideApply, NeedsAFieldManager) {
  auto r = api().patch(ns_path("configmaps/a"), config_map("a").dump(), "application/apply-patch+yaml");
  EXPECT_EQ(r.code, 400);
}

TEST_F(ServerSideApply, ConflictsWithAnotherManagerUnlessForced) {
  ASSERT_EQ(apply(config_map("a", {{"mode", "strict"}}), "operator").code, 201);
  auto conflict = apply(config_map("a", {{"mode", "audit"}}), "someone-else");
  ASSERT_EQ(conflict.code, 409);
  EXPECT_EQ(conflict.reason(), "Conflict");
  EXPECT_EQ(conflict.body["details"]["causes"][0]["reason"], "FieldManagerConflict");
  EXPECT_EQ(conflict.body["details"]["causes"][0]["field"], ".data.mode");
  EXPECT_EQ(api().get(ns_path("configmaps/a")).body["data"]["mode"], "strict") << "nothing applied";

  auto forced = apply(config_map("a", {{"mode", "audit"}}), "someone-else", true);
  ASSERT_EQ(forced.code, 200) << forced.body.dump();
  EXPECT_EQ(forced.body["data"]["mode"], "audit");
  const json owners = managers(forced.body);
  EXPECT_TRUE(owners.contains("someone-else"));
  EXPECT_FALSE(owners.contains("operator")) << "forcing takes the field over";
}

TEST_F(ServerSideApply, TheSameValueIsSharedWithoutConflict) {
  ASSERT_EQ(apply(config_map("a", {{"mode", "strict"}}), "operator").code, 201);
  auto same = apply(config_map("a", {{"mode", "strict"}}), "auditor");
  ASSERT_EQ(same.code, 200) << same.body.dump();
  const json owners = managers(same.body);
  EXPECT_TRUE(owners.contains("operator"));
  EXPECT_TRUE(owners.contains("auditor"));
}

TEST_F(ServerSideApply, FieldsAManagerStopsApplyingAreRemoved) {
  ASSERT_EQ(apply(config_map("a", {{"keep", "1"}, {"drop", "2"}}), "operator").code, 201);
  auto r = apply(config_map("a", {{"keep", "1"}}), "operator");
  ASSERT_EQ(r.code, 200);
  EXPECT_EQ(r.body["data"], json({{"keep", "1"}}));
}

TEST_F(ServerSideApply, UpdatesTakeFieldsWithoutConflict) {
  ASSERT_EQ(apply(config_map("a", {{"mode", "strict"}}), "operator").code, 201);
  auto patched = api().patch(ns_path("configmaps/a?fieldManager=editor"), R"({"data":{"mode":"audit"}})");
  ASSERT_EQ(patched.code, 200);
  const json owners = managers(patched.body);
  EXPECT_EQ(owners["editor"], json({{"f:data", {{"f:mode", json::object()}}}}));
  EXPECT_FALSE(owners.contains("operator"));
  // Re-applying the old value now conflicts with the editor.
  EXPECT_EQ(apply(config_map("a", {{"mode", "strict"}}), "operator").code, 409);
}

TEST_F(ServerSideApply, ReapplyingTheSameConfigWritesNothing) {
  auto first = apply(config_map("a", {{"mode", "strict"}}), "operator");
  auto again = apply(config_map("a", {{"mode", "strict"}}), "operator");
  ASSERT_EQ(again.code, 200);
  EXPECT_EQ(again.body["metadata"]["resourceVersion"], first.body["metadata"]["resourceVersion"]);
}

}  // namespace
}  // namespace sso::testing
