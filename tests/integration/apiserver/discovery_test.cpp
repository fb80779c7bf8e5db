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

// kube-apiserver publishes each CRD version's schema in OpenAPI v3 under its REST-friendly name,
// listed in the /openapi/v3 index with a hash that changes with the document. v2 stays empty
// (clients then skip client-side validation), as do the built-in group-versions in v3.
TEST_F(Discovery, OpenApiV3PublishesCustomResourcesWhileTheyExist) {
  auto v2 = api().get("/openapi/v2");
  EXPECT_EQ(v2.code, 200);
  EXPECT_EQ(v2.body["swagger"], "2.0");
  EXPECT_TRUE(v2.body["definitions"].empty());

  ASSERT_EQ(api()
                .post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      crd("openapi.example.net", "sprockets", "Sprocket", "Namespaced"))
                .code,
            201);
  auto index = api().get("/openapi/v3");
  ASSERT_EQ(index.code, 200);
  EXPECT_FALSE(index.body["paths"].contains("api/v1"));
  const std::string url = index.body["paths"]["apis/openapi.example.net/v1"].value("serverRelativeURL", "");
  EXPECT_THAT(url, ::testing::StartsWith("/openapi/v3/apis/openapi.example.net/v1?hash="));
  auto document = api().get(url);
  ASSERT_EQ(document.code, 200);
  const json& kind = document.body["components"]["schemas"]["net.example.openapi.v1.Sprocket"];
  EXPECT_EQ(kind["x-kubernetes-group-version-kind"],
            json::array({{{"group", "openapi.example.net"}, {"version", "v1"}, {"kind", "Sprocket"}}}));
  EXPECT_EQ(kind["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_TRUE(document.body["components"]["schemas"].contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  // kubectl leaves validation to the server when the PATCH operation lists fieldValidation.
  const json& patch =
      document.body["paths"]["/apis/openapi.example.net/v1/namespaces/{namespace}/sprockets/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"]["kind"], "Sprocket");
  EXPECT_FALSE(patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));

  ASSERT_EQ(api().del("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sprockets.openapi.example.net").code,
            200);
  EXPECT_FALSE(api().get("/openapi/v3").body["paths"].contains("apis/openapi.example.net/v1"));
  EXPECT_EQ(api().get("/openapi/v3/apis/openapi.example.net/v1").code, 404);
}

}  // namespace
}  // namespace sso::testing
