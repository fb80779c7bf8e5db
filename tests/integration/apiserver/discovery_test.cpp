#include <gmock/gmock.h>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;

class Discovery : public ApiServerTest {};

bool lists_resource(const json& list, const std::string& name) {
  for (const auto& r : list["resources"])
    if (r["name"] == name) return true;
  return false;
}

TEST_F(Discovery, ServesVersionGroupsAndResources) {
  EXPECT_EQ(api().get("/version").body["major"], "1");
  auto core = api().get("/api");
  EXPECT_EQ(core.body["versions"], json({"v1"}));
  auto v1 = api().get("/api/v1");
  EXPECT_TRUE(lists_resource(v1.body, "secrets"));
  EXPECT_TRUE(lists_resource(v1.body, "namespaces/status"));
  auto groups = api().get("/apis");
  std::vector<std::string> names;
  for (const auto& g : groups.body["groups"]) names.push_back(g["name"]);
  EXPECT_THAT(names,
              ::testing::IsSupersetOf({"apps", "networking.k8s.io", "coordination.k8s.io", "rbac.authorization.k8s.io",
                                       "admissionregistration.k8s.io", "apiextensions.k8s.io", "events.k8s.io"}));
  EXPECT_TRUE(lists_resource(api().get("/apis/networking.k8s.io/v1").body, "networkpolicies"));
  EXPECT_EQ(api().get("/apis/nope.example.com/v1").code, 404);
}

TEST_F(Discovery, ACrdMakesItsGroupServableAndDeletingItRemovesIt) {
  json gadgets = crd("example.org", "gadgets", "Gadget", "Cluster");
  gadgets["spec"]["names"]["shortNames"] = {"gd"};
  auto created = api().post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", gadgets);
  ASSERT_EQ(created.code, 201) << created.body.dump();
  EXPECT_EQ(created.body["status"]["conditions"][1]["type"], "Established");
  auto resources = api().get("/apis/example.org/v1");
  ASSERT_EQ(resources.code, 200);
  EXPECT_EQ(resources.body["resources"][0]["shortNames"], json({"gd"}));
  EXPECT_EQ(resources.body["resources"][0]["namespaced"], false);
  auto gadget = api().post("/apis/example.org/v1/gadgets",
                           {{"apiVersion", "example.org/v1"}, {"kind", "Gadget"}, {"metadata", {{"name", "g"}}}});
  ASSERT_EQ(gadget.code, 201) << gadget.body.dump();

  ASSERT_EQ(api().del("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org").code, 200);
  EXPECT_EQ(api().get("/apis/example.org/v1").code, 404);
  EXPECT_EQ(api().get("/apis/example.org/v1/gadgets/g").code, 404);
}

TEST_F(Discovery, OpenApiIsEmptyButValid) {
  auto v2 = api().get("/openapi/v2");
  EXPECT_EQ(v2.code, 200);
  EXPECT_EQ(v2.body["swagger"], "2.0");
  auto v3 = api().get("/openapi/v3");
  EXPECT_EQ(v3.code, 200);
  EXPECT_TRUE(v3.body["paths"].empty());
}

}  // namespace
}  // namespace sso::testing
