// Custom resources as kube-apiserver treats them: the CRD's structural schema validates,
// defaults and prunes them, its x-kubernetes-validations rules (CEL) judge them, and
// `kubectl get` gets a Table of its printer columns.
#include <gmock/gmock.h>

#include <set>

#include "test_server_fixture.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

json widget_schema() {
  return json::parse(R"js({
    "type": "object",
    "properties": {
      "spec": {
        "type": "object",
        "required": ["ports"],
        "properties": {
          "mode": {"type": "string", "enum": ["Strict", "Permissive"], "default": "Strict"},
          "replicas": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10},
          "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
          "ports": {"type": "array", "minItems": 1, "items": {"type": "integer"}, "x-kubernetes-list-type": "set"},
          "port": {"x-kubernetes-int-or-string": true},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 2},
          "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "issuedAt": {"type": "string", "format": "date-time", "nullable": true},
          "clients": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-validations": [
              {"rule": "self.all(c, has(c.secureService) != has(c.podSelector))",
               "message": "each client names a secureService or a podSelector"}],
            "items": {
              "type": "object",
              "required": ["name"],
              "properties": {
                "name": {"type": "string"},
                "secureService": {"type": "string"},
                "podSelector": {"type": "object", "additionalProperties": {"type": "string"}}
              }
            }
          },
          "tls": {
            "type": "object",
            "properties": {
              "duration": {"type": "string", "default": "2160h"},
              "renewBefore": {"type": "string"}
            },
            "x-kubernetes-validations": [
              {"rule": "duration(self.duration) >= duration('1h')", "message": "duration must be at least 1h"},
              {"rule": "!has(self.renewBefore) || duration(self.renewBefore) < duration(self.duration)",
               "message": "renewBefore must be less than duration", "fieldPath": ".renewBefore"}]
          },
          "trustDomain": {
            "type": "string",
            "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "trustDomain is immutable"}]
          },
          "algorithm": {"type": "string"},
          "size": {"type": "integer"}
        },
        "x-kubernetes-validations": [
          {"rule": "self.algorithm != 'Ed25519' || !has(self.size)", "reason": "FieldValueForbidden",
           "message": "size does not apply to Ed25519", "fieldPath": ".size"},
          {"rule": "!has(self.replicas) || self.replicas != 7"}]
      },
      "status": {
        "type": "object",
        "properties": {
          "phase": {"type": "string", "enum": ["Ready", "Pending"]},
          "conditions": {"type": "array", "items": {"type": "object", "properties": {
            "type": {"type": "string"}, "status": {"type": "string"}}}}
        }
      }
    }
  })js");
}

class CustomResources : public ApiServerTest {
 protected:
  static void SetUpTestSuite() {
    ApiServerTest::SetUpTestSuite();
    ApiTestClient admin(server_->url(), server_->ca_pem(), server_->admin_token());
    json c = crd("example.com", "widgets", "Widget", "Namespaced");
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = widget_schema();
    c["spec"]["versions"][0]["additionalPrinterColumns"] = json::parse(R"js([
      {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"},
      {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
      {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
      {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
      {"name": "Name", "type": "string", "jsonPath": ".spec.name", "priority": 1}])js");
    auto created = admin.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", c);
    ASSERT_EQ(created.code, 201) << created.body.dump();
  }

  std::string widgets() const { return "/apis/example.com/v1/namespaces/" + ns() + "/widgets"; }
  static json widget(const std::string& name, json spec) {
    return {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", name}}}, {"spec", spec}};
  }
  // The causes of a 422, as "field reason".
  static std::set<std::string> causes(const ApiTestClient::Response& r) {
    std::set<std::string> out;
    for (const auto& c : r.body["details"].value("causes", json::array()))
      out.insert(c.value("field", "") + " " + c.value("reason", ""));
    return out;
  }
  static std::string cause_message(const ApiTestClient::Response& r, const std::string& field) {
    for (const auto& c : r.body["details"].value("causes", json::array()))
      if (c.value("field", "") == field) return c.value("message", "");
    return "";
  }
};

TEST_F(CustomResources, CreateReportsEveryProblemAtItsField) {
  auto r = api().post(widgets(), widget("bad", {{"mode", "Loose"},
                                                {"replicas", 11},
                                                {"name", "Toolong"},
                                                {"port", true},
                                                {"labels", {{"a", "1"}, {"b", "2"}, {"c", "3"}}},
                                                {"issuedAt", "yesterday"}}));
  ASSERT_EQ(r.code, 422) << r.body.dump();
  EXPECT_EQ(r.reason(), "Invalid");
  EXPECT_EQ(r.body["details"]["group"], "example.com");
  EXPECT_THAT(causes(r), IsSupersetOf({"spec.ports FieldValueRequired", "spec.mode FieldValueNotSupported",
                                       "spec.replicas FieldValueInvalid", "spec.name FieldValueTooLong",
                                       "spec.name FieldValueInvalid", "spec.port FieldValueTypeInvalid",
                                       "spec.labels FieldValueTooMany", "spec.issuedAt FieldValueInvalid"}));
  EXPECT_EQ(cause_message(r, "spec.mode"),
            "Unsupported value: \"Loose\": supported values: \"Strict\", \"Permissive\"");
  EXPECT_EQ(cause_message(r, "spec.ports"), "Required value");
  EXPECT_EQ(cause_message(r, "spec.replicas"),
            "Invalid value: 11: spec.replicas in body should be less than or equal to 10");
  EXPECT_EQ(cause_message(r, "spec.labels"), "Too many: 3: must have at most 2 items");
  const std::string message = r.body.value("message", "");
  EXPECT_THAT(message, HasSubstr("Widget.example.com \"bad\" is invalid: ["));
  EXPECT_THAT(message, HasSubstr("spec.ports: Required value"));
  EXPECT_EQ(api().get(widgets() + "/bad").code, 404);
}

TEST_F(CustomResources, TypesAndListsAreChecked) {
  auto r = api().post(widgets(), widget("types", {{"replicas", "three"}, {"ports", {80, 443, 80}}}));
  ASSERT_EQ(r.code, 422);
  EXPECT_EQ(cause_message(r, "spec.replicas"),
            "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"");
  EXPECT_EQ(cause_message(r, "spec.ports[2]"), "Duplicate value: 80");
  auto map_dup = api().post(
      widgets(),
      widget("dups",
             {{"ports", {80}},
              {"clients", {{{"name", "a"}, {"secureService", "x"}}, {{"name", "a"}, {"secureService", "y"}}}}}));
  ASSERT_EQ(map_dup.code, 422);
  EXPECT_THAT(causes(map_dup), Contains("spec.clients[1] FieldValueDuplicate"));
  auto empty = api().post(widgets(), widget("empty", {{"ports", json::array()}}));
  EXPECT_EQ(cause_message(empty, "spec.ports"), "Invalid value: 0: spec.ports in body should have at least 1 items");
  auto null_ok = api().post(widgets(), widget("nullable", {{"ports", {1}}, {"issuedAt", nullptr}, {"port", "https"}}));
  EXPECT_EQ(null_ok.code, 201) << null_ok.body.dump();
}

TEST_F(CustomResources, DefaultsFillMissingFields) {
  auto r = api().post(widgets(), widget("defaults", {{"ports", {80}}, {"tls", json::object()}}));
  ASSERT_EQ(r.code, 201) << r.body.dump();
  EXPECT_EQ(r.body["spec"]["mode"], "Strict");
  EXPECT_EQ(r.body["spec"]["tls"]["duration"], "2160h");
  EXPECT_FALSE(r.body["spec"].contains("replicas"));
  EXPECT_EQ(api().get(widgets() + "/defaults").body["spec"]["mode"], "Strict");
}

TEST_F(CustomResources, UnknownFieldsFollowFieldValidation) {
  const json body = widget("unknown", {{"ports", {80}}, {"foo", 1}, {"extra", {{"anything", {{"goes", true}}}}}});
  auto strict = api().post(widgets() + "?fieldValidation=Strict", body);
  ASSERT_EQ(strict.code, 400) << strict.body.dump();
  EXPECT_EQ(strict.reason(), "BadRequest");
  EXPECT_EQ(strict.body["message"], "strict decoding error: unknown field \"spec.foo\"");

  auto warned = api().post(widgets(), body);  // Warn is the default
  ASSERT_EQ(warned.code, 201) << warned.body.dump();
  EXPECT_THAT(warned.headers["Warning"], HasSubstr("unknown field \\\"spec.foo\\\""));
  EXPECT_FALSE(warned.body["spec"].contains("foo"));
  EXPECT_EQ(warned.body["spec"]["extra"]["anything"]["goes"], true)
      << "preserved by x-kubernetes-preserve-unknown-fields";

  auto ignored = api().patch(widgets() + "/unknown?fieldValidation=Ignore", R"js({"spec": {"bar": 2}})js");
  ASSERT_EQ(ignored.code, 200) << ignored.body.dump();
  EXPECT_EQ(ignored.headers.count("Warning"), 0u);
  EXPECT_FALSE(ignored.body["spec"].contains("bar"));

  auto applied = api().request("PATCH", widgets() + "/unknown?fieldManager=test&fieldValidation=Strict",
                               widget("unknown", {{"ports", {80}}, {"baz", 1}}).dump(), "application/apply-patch+yaml");
  EXPECT_EQ(applied.code, 400);
  EXPECT_THAT(applied.body.value("message", ""), HasSubstr(".spec.baz: field not declared in schema"));
}

TEST_F(CustomResources, ValidationRulesJudgeTheirNode) {
  auto r = api().post(
      widgets(),
      widget("rules", {{"ports", {80}},
                       {"tls", {{"duration", "30m"}, {"renewBefore", "1h"}}},
                       {"algorithm", "Ed25519"},
                       {"size", 256},
                       {"replicas", 7},
                       {"clients", {{{"name", "a"}, {"secureService", "x"}, {"podSelector", {{"app", "y"}}}}}}}));
  ASSERT_EQ(r.code, 422) << r.body.dump();
  EXPECT_THAT(causes(r), IsSupersetOf({"spec.tls FieldValueInvalid", "spec.tls.renewBefore FieldValueInvalid",
                                       "spec.size FieldValueForbidden", "spec.clients FieldValueInvalid",
                                       "spec FieldValueInvalid"}));
  EXPECT_EQ(cause_message(r, "spec.tls"), "Invalid value: \"object\": duration must be at least 1h");
  EXPECT_EQ(cause_message(r, "spec.size"), "Forbidden: size does not apply to Ed25519");
  EXPECT_EQ(cause_message(r, "spec"),
            "Invalid value: \"object\": failed rule: !has(self.replicas) || self.replicas != 7");
  auto good = api().post(widgets(), widget("rules", {{"ports", {80}},
                                                     {"tls", {{"duration", "2h"}, {"renewBefore", "30m"}}},
                                                     {"algorithm", "Ed25519"},
                                                     {"clients", {{{"name", "a"}, {"secureService", "x"}}}}}));
  EXPECT_EQ(good.code, 201) << good.body.dump();
}

TEST_F(CustomResources, TransitionRulesSeeTheOldObject) {
  auto created = api().post(widgets(), widget("immutable", {{"ports", {80}}, {"trustDomain", "cluster.local"}}));
  ASSERT_EQ(created.code, 201) << created.body.dump() << " (transition rules do not run on create)";
  auto changed = api().patch(widgets() + "/immutable", R"js({"spec": {"trustDomain": "other"}})js");
  ASSERT_EQ(changed.code, 422) << changed.body.dump();
  EXPECT_EQ(cause_message(changed, "spec.trustDomain"), "Invalid value: \"string\": trustDomain is immutable");
  auto other = api().patch(widgets() + "/immutable", R"js({"spec": {"replicas": 2}})js");
  EXPECT_EQ(other.code, 200) << other.body.dump();
  json replaced = other.body;
  replaced["spec"]["mode"] = "Sloppy";
  auto put = api().put(widgets() + "/immutable", replaced);
  EXPECT_EQ(put.code, 422);
  EXPECT_THAT(causes(put), Contains("spec.mode FieldValueNotSupported"));
}

TEST_F(CustomResources, StatusIsValidatedToo) {
  ASSERT_EQ(api().post(widgets(), widget("status", {{"ports", {80}}})).code, 201);
  auto bad = api().patch(widgets() + "/status/status", R"js({"status": {"phase": "Bogus"}})js");
  ASSERT_EQ(bad.code, 422) << bad.body.dump();
  EXPECT_THAT(causes(bad), Contains("status.phase FieldValueNotSupported"));
  auto good = api().patch(widgets() + "/status/status", R"js({"status": {"phase": "Ready"}})js");
  EXPECT_EQ(good.code, 200) << good.body.dump();
}

TEST_F(CustomResources, CrdWithRuleThatDoesNotCompileIsRefused) {
  json c = crd("example.com", "gadgets", "Gadget", "Namespaced");
  c["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = json::parse(R"js({
    "type": "object",
    "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}},
      "x-kubernetes-validations": [{"rule": "self.size >"}, {"rule": "self.sise > 1"}]}}})js");
  auto r = api().post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", c);
  ASSERT_EQ(r.code, 422) << r.body.dump();
  const std::string at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations";
  EXPECT_THAT(causes(r), IsSupersetOf({at + "[0].rule FieldValueInvalid", at + "[1].rule FieldValueInvalid"}));
  EXPECT_THAT(cause_message(r, at + "[0].rule"), HasSubstr("compilation failed: ERROR: <input>:1:12: Syntax error"));
  EXPECT_THAT(cause_message(r, at + "[1].rule"), HasSubstr("undefined field 'sise'"));
  EXPECT_EQ(api().get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com").code, 404);
}

TEST_F(CustomResources, TablesUsePrinterColumns) {
  ASSERT_EQ(api().post(widgets(), widget("tabled", {{"ports", {80}}, {"replicas", 3}})).code, 201);
  ASSERT_EQ(
      api()
          .patch(
              widgets() + "/tabled/status",
              R"js({"status": {"conditions": [{"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}})js")
          .code,
      200);
  EXPECT_EQ(api().get(widgets()).body["kind"], "WidgetList") << "no Table unless asked";
  api().set_accept(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/"
      "json");
  auto table = api().get(widgets());
  ASSERT_EQ(table.code, 200) << table.body.dump();
  EXPECT_EQ(table.body["kind"], "Table");
  EXPECT_EQ(table.body["apiVersion"], "meta.k8s.io/v1");
  std::vector<std::string> names;
  for (const auto& c : table.body["columnDefinitions"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("Name", "Mode", "Replicas", "Ready", "Age", "Name"));
  EXPECT_EQ(table.body["columnDefinitions"][5]["priority"], 1);
  ASSERT_EQ(table.body["rows"].size(), 1u);
  const json row = table.body["rows"][0];
  EXPECT_EQ(row["cells"][0], "tabled");
  EXPECT_EQ(row["cells"][1], "Strict");
  EXPECT_EQ(row["cells"][2], 3);
  EXPECT_EQ(row["cells"][3], "True");
  EXPECT_THAT(row["cells"][4].get<std::string>(), ::testing::MatchesRegex("[0-9]+s"));
  EXPECT_TRUE(row["cells"][5].is_null()) << "a missing field is an empty cell";
  EXPECT_EQ(row["object"]["kind"], "PartialObjectMetadata") << "includeObject defaults to Metadata";
  EXPECT_EQ(row["object"]["metadata"]["name"], "tabled");

  auto with_object = api().get(widgets() + "/tabled?includeObject=Object");
  EXPECT_EQ(with_object.body["rows"][0]["object"]["spec"]["replicas"], 3);
  auto without = api().get(widgets() + "/tabled?includeObject=None");
  EXPECT_FALSE(without.body["rows"][0].contains("object"));
  EXPECT_EQ(api().get(widgets() + "?includeObject=Everything").code, 400);

  auto config_maps = api().get(ns_path("configmaps"));
  ASSERT_EQ(config_maps.body["kind"], "Table");
  names.clear();
  for (const auto& c : config_maps.body["columnDefinitions"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("Name", "Data", "Age"));
}

}  // namespace
}  // namespace sso::testing
