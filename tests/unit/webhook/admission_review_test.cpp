#include "webhook/admission_review.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "status_matchers.hpp"

namespace sso::webhook {
namespace {

using ::nlohmann::json;
using ::sso::testing::HasCode;
using ::sso::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A recorded AdmissionReview from tests/support/admission (see its README for the sources).
std::string fixture(const std::string& name) {
  std::ifstream f(std::string(SSO_WEBHOOK_FIXTURES_DIR) + "/" + name);
  EXPECT_TRUE(f.good()) << name;
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The smallest review the decoder accepts; rows of the refusal table break one field of it.
json minimal_review() {
  return json::parse(R"({
    "apiVersion": "admission.k8s.io/v1",
    "kind": "AdmissionReview",
    "request": {
      "uid": "3f0e7d4c-0001-4c61-9b1e-5d0b5f1c2a77",
      "kind": {"group": "", "version": "v1", "kind": "Pod"},
      "resource": {"group": "", "version": "v1", "resource": "pods"},
      "operation": "CREATE"
    }
  })");
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

AdmissionRequest request_with_uid(const std::string& uid) {
  AdmissionRequest request;
  request.uid = uid;
  return request;
}

TEST(AdmissionReviewDecode, DecodesPodCreateRecordedFromGke) {
  auto request = decode_admission_review(fixture("pod-create.json"));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->uid, "0c9a8d74-9cb7-44dd-b98e-09fd62def2f4");
  EXPECT_EQ(request->kind, (GroupVersionKind{"", "v1", "Pod"}));
  EXPECT_EQ(request->resource, (GroupVersionResource{"", "v1", "pods"}));
  EXPECT_EQ(request->sub_resource, "");
  EXPECT_EQ(request->operation, "CREATE");
  EXPECT_EQ(request->name, "echo-pod");
  EXPECT_EQ(request->ns, "colin-coder");
  EXPECT_EQ(request->user_info.username, "colin@coder.com");
  EXPECT_EQ(request->user_info.uid, "");
  EXPECT_THAT(request->user_info.groups, ElementsAre("system:authenticated"));
  EXPECT_FALSE(request->dry_run);
  EXPECT_TRUE(request->old_object.is_null());

  const json& pod = request->object;
  EXPECT_EQ(pod["metadata"]["name"], "echo-pod");
  EXPECT_EQ(pod["metadata"]["labels"], (json{{"app", "echo-server"}}));
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "default");
  ASSERT_EQ(pod["spec"]["containers"].size(), 1u);
  EXPECT_EQ(pod["spec"]["containers"][0]["name"], "echo-server");
  EXPECT_EQ(pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"],
            "/var/run/secrets/kubernetes.io/serviceaccount");
  ASSERT_EQ(pod["spec"]["volumes"].size(), 1u);
  EXPECT_EQ(pod["spec"]["volumes"][0]["secret"]["secretName"], "default-token-rxbqq");
}

TEST(AdmissionReviewDecode, DecodesPodUpdateWithOldObject) {
  auto request = decode_admission_review(fixture("pod-update.json"));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->uid, "11d46f83-a31b-444e-8209-c43b24f1af8a");
  EXPECT_EQ(request->kind, (GroupVersionKind{"", "v1", "Pod"}));
  EXPECT_EQ(request->resource, (GroupVersionResource{"", "v1", "pods"}));
  EXPECT_EQ(request->operation, "UPDATE");
  EXPECT_EQ(request->name, "hello-world");
  EXPECT_EQ(request->ns, "default");
  EXPECT_EQ(request->user_info.username, "kubernetes-admin");
  EXPECT_THAT(request->user_info.groups, ElementsAre("system:masters", "system:authenticated"));
  EXPECT_FALSE(request->dry_run);

  EXPECT_EQ(request->object["metadata"]["name"], "hello-world");
  EXPECT_EQ(request->object["metadata"]["labels"]["something"], "existes");
  EXPECT_EQ(request->old_object["metadata"]["name"], "hello-world");
  EXPECT_EQ(request->old_object["metadata"]["labels"]["something"], "exists");
  EXPECT_EQ(request->object["spec"]["serviceAccountName"], "default");
  EXPECT_EQ(request->object["spec"]["volumes"][0]["secret"]["secretName"], "default-token-4q2mj");
  EXPECT_EQ(request->object["spec"]["containers"][0]["image"], "hello-world:latest");
}

TEST(AdmissionReviewDecode, DecodesPodDeleteWithNullObject) {
  auto request = decode_admission_review(fixture("pod-delete.json"));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->uid, "b553344a-172a-4257-8ec4-a8f379f8b844");
  EXPECT_EQ(request->operation, "DELETE");
  EXPECT_EQ(request->name, "hello-world");
  EXPECT_EQ(request->ns, "default");
  EXPECT_TRUE(request->object.is_null());
  ASSERT_TRUE(request->old_object.is_object());
  EXPECT_EQ(request->old_object["metadata"]["labels"]["allow-deletes"], "false");
}

TEST(AdmissionReviewDecode, DecodesDocsScaleSubresourceExample) {
  auto request = decode_admission_review(fixture("docs-example-scale-update.json"));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(request->kind, (GroupVersionKind{"autoscaling", "v1", "Scale"}));
  EXPECT_EQ(request->resource, (GroupVersionResource{"apps", "v1", "deployments"}));
  EXPECT_EQ(request->sub_resource, "scale");
  EXPECT_EQ(request->name, "my-deployment");
  EXPECT_EQ(request->ns, "my-namespace");
  EXPECT_EQ(request->operation, "UPDATE");
  EXPECT_EQ(request->user_info.username, "admin");
  EXPECT_EQ(request->user_info.uid, "014fbff9a07c");
  EXPECT_THAT(request->user_info.groups, ElementsAre("system:authenticated", "my-admin-group"));
  EXPECT_EQ(request->object["kind"], "Scale");
  EXPECT_EQ(request->old_object["kind"], "Scale");
  EXPECT_FALSE(request->dry_run);
}

TEST(AdmissionReviewDecode, ReadsDryRun) {
  json review = json::parse(fixture("pod-create.json"));
  review["request"]["dryRun"] = true;
  auto request = decode_admission_review(review.dump());
  ASSERT_THAT(request, IsOk());
  EXPECT_TRUE(request->dry_run);
}

TEST(AdmissionReviewDecode, TreatsAbsentOptionalFieldsAsEmpty) {
  auto request = decode_admission_review(minimal_review().dump());
  ASSERT_THAT(request, IsOk());
  EXPECT_TRUE(request->object.is_null());
  EXPECT_TRUE(request->old_object.is_null());
  EXPECT_EQ(request->name, "");  // CREATE with generateName: no name yet
  EXPECT_EQ(request->ns, "");
  EXPECT_EQ(request->sub_resource, "");
  EXPECT_EQ(request->user_info.username, "");
  EXPECT_TRUE(request->user_info.groups.empty());
  EXPECT_FALSE(request->dry_run);
}

TEST(AdmissionReviewDecode, AcceptsEachAdmissionOperation) {
  for (const char* operation : {"CREATE", "UPDATE", "DELETE", "CONNECT"}) {
    json review = minimal_review();
    review["request"]["operation"] = operation;
    auto request = decode_admission_review(review.dump());
    ASSERT_THAT(request, IsOk()) << operation;
    EXPECT_EQ(request->operation, operation);
  }
}

TEST(AdmissionReviewDecode, RefusesV1beta1NamingApiVersion) {
  json review = minimal_review();
  review["apiVersion"] = "admission.k8s.io/v1beta1";
  auto request = decode_admission_review(review.dump());
  ASSERT_THAT(request, HasCode(ErrorCode::kInvalidArgument));
  EXPECT_THAT(request.error().message(), HasSubstr("apiVersion"));
  EXPECT_THAT(request.error().message(), HasSubstr("v1beta1"));
  EXPECT_THAT(request.error().message(), HasSubstr("admissionReviewVersions"));
}

struct BadInput {
  std::string name;
  std::string body;
  std::string field;  // what the message must name
};

std::string with(const std::string& pointer, const json& value) {
  json review = minimal_review();
  review[json::json_pointer(pointer)] = value;
  return review.dump();
}

std::string without(const std::string& pointer) {
  json review = minimal_review();
  const json::json_pointer at(pointer);
  review[at.parent_pointer()].erase(at.back());
  return review.dump();
}

TEST(AdmissionReviewDecode, RefusesMalformedReviewsNamingTheField) {
  const std::vector<BadInput> rows = {
      {"EmptyBody", "", "JSON"},
      {"NotJson", "<html>502 Bad Gateway</html>", "JSON"},
      {"TruncatedJson", R"({"apiVersion":"admission.k8s.io/v1","kind":)", "JSON"},
      {"ArrayBody", "[]", "object"},
      {"StringBody", R"("AdmissionReview")", "object"},
      {"MissingApiVersion", without("/apiVersion"), "apiVersion"},
      {"ApiVersionNotString", with("/apiVersion", 1), "apiVersion"},
      {"OtherApiVersion", with("/apiVersion", "v1"), "apiVersion"},
      {"MissingKind", without("/kind"), "kind"},
      {"OtherKind", with("/kind", "ConversionReview"), "kind"},
      {"KindNotString", with("/kind", json::object()), "kind"},
      {"MissingRequest", without("/request"), "request"},
      {"NullRequest", with("/request", nullptr), "request"},
      {"RequestNotObject", with("/request", json::array()), "request"},
      {"MissingUid", without("/request/uid"), "request.uid"},
      {"EmptyUid", with("/request/uid", ""), "request.uid"},
      {"UidNotString", with("/request/uid", 42), "request.uid"},
      {"MissingRequestKind", without("/request/kind"), "request.kind"},
      {"RequestKindNotObject", with("/request/kind", "Pod"), "request.kind"},
      {"RequestKindWithoutKind", without("/request/kind/kind"), "request.kind.kind"},
      {"RequestKindGroupNotString", with("/request/kind/group", false), "request.kind.group"},
      {"RequestKindWithoutVersion", without("/request/kind/version"), "request.kind.version"},
      {"MissingResource", without("/request/resource"), "request.resource"},
      {"ResourceNotObject", with("/request/resource", 7), "request.resource"},
      {"ResourceWithoutResource", with("/request/resource/resource", ""), "request.resource.resource"},
      {"MissingOperation", without("/request/operation"), "request.operation"},
      {"OperationNotString", with("/request/operation", json::array({"CREATE"})), "request.operation"},
      {"UnknownOperation", with("/request/operation", "PATCH"), "request.operation"},
      {"LowercaseOperation", with("/request/operation", "create"), "request.operation"},
      {"ObjectNotObject", with("/request/object", "a pod"), "request.object"},
      {"ObjectArray", with("/request/object", json::array()), "request.object"},
      {"OldObjectNotObject", with("/request/oldObject", 3.5), "request.oldObject"},
      {"NameNotString", with("/request/name", 1), "request.name"},
      {"NamespaceNotString", with("/request/namespace", json::object()), "request.namespace"},
      {"SubResourceNotString", with("/request/subResource", true), "request.subResource"},
      {"UserInfoNotObject", with("/request/userInfo", "admin"), "request.userInfo"},
      {"UsernameNotString", with("/request/userInfo", {{"username", 5}}), "request.userInfo.username"},
      {"UserUidNotString", with("/request/userInfo", {{"uid", 5}}), "request.userInfo.uid"},
      {"GroupsNotArray", with("/request/userInfo", {{"groups", "system:masters"}}), "request.userInfo.groups"},
      {"GroupNotString", with("/request/userInfo", {{"groups", {"ok", 1}}}), "request.userInfo.groups[1]"},
      {"DryRunNotBoolean", with("/request/dryRun", "true"), "request.dryRun"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto request = decode_admission_review(row.body);
    ASSERT_THAT(request, HasCode(ErrorCode::kInvalidArgument));
    EXPECT_THAT(request.error().message(), HasSubstr(row.field));
    EXPECT_THAT(request.error().message(), Not(HasSubstr("\n")));
  }
}

TEST(AdmissionReviewDecode, AcceptsNullForOptionalFields) {
  json review = minimal_review();
  for (const char* key : {"object", "oldObject", "name", "namespace", "subResource", "userInfo", "dryRun"}) {
    review["request"][key] = nullptr;
  }
  EXPECT_THAT(decode_admission_review(review.dump()), IsOk());
}

TEST(AdmissionReviewDecode, QuotesOnlyTheStartOfAHugeValue) {
  const std::string huge(1 << 20, 'x');
  for (const char* pointer : {"/apiVersion", "/kind", "/request/operation"}) {
    SCOPED_TRACE(pointer);
    auto request = decode_admission_review(with(pointer, huge));
    ASSERT_THAT(request, HasCode(ErrorCode::kInvalidArgument));
    EXPECT_LT(request.error().message().size(), 300u);
    EXPECT_THAT(request.error().message(), HasSubstr(std::string(64, 'x') + "..."));
    EXPECT_THAT(request.error().message(), Not(HasSubstr(std::string(65, 'x'))));
  }
}

TEST(AdmissionReviewDecode, QuotedValuesStayOneLineOfUtf8) {
  // Two-byte characters: after "x" the 64-byte cut falls inside one. The message must still
  // encode as JSON (a denial or a log line may carry it).
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa9";
  for (const std::string& value : std::vector<std::string>{"x" + accented, "CRE\nATE", accented}) {
    auto request = decode_admission_review(with("/request/operation", value));
    ASSERT_THAT(request, HasCode(ErrorCode::kInvalidArgument));
    EXPECT_THAT(request.error().message(), Not(HasSubstr("\n")));
    EXPECT_NO_THROW((void)json(request.error().message()).dump());
  }
}

TEST(AdmissionReviewDecode, NeverThrowsOnAnyPrefixOfARecordedReview) {
  std::string body = fixture("pod-update.json");
  while (!body.empty() && body.back() == '\n') body.pop_back();
  for (size_t size = 0; size < body.size(); ++size) {
    EXPECT_NO_THROW({
      auto request = decode_admission_review(std::string_view(body).substr(0, size));
      EXPECT_FALSE(request.ok()) << size;
    });
  }
}

TEST(AdmissionReviewEncode, AllowCarriesUidAndAllowedOnly) {
  const json review = json::parse(encode_admission_review(allow(request_with_uid("uid-1"), "Compliant")));
  EXPECT_EQ(keys_of(review), (std::set<std::string>{"apiVersion", "kind", "response"}));
  EXPECT_EQ(review["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(review["kind"], "AdmissionReview");
  EXPECT_EQ(keys_of(review["response"]), (std::set<std::string>{"uid", "allowed"}));
  EXPECT_EQ(review["response"]["uid"], "uid-1");
  EXPECT_EQ(review["response"]["allowed"], true);
}

TEST(AdmissionReviewEncode, DenyCarriesForbiddenStatusWithMessage) {
  const json review = json::parse(
      encode_admission_review(deny(request_with_uid("uid-2"), "MissingMount", "pod shop/web does not mount tls")));
  const json& response = review["response"];
  EXPECT_EQ(keys_of(response), (std::set<std::string>{"uid", "allowed", "status"}));
  EXPECT_EQ(response["uid"], "uid-2");
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(keys_of(response["status"]), (std::set<std::string>{"code", "reason", "message"}));
  EXPECT_EQ(response["status"]["code"], 403);
  EXPECT_EQ(response["status"]["reason"], "Forbidden");
  EXPECT_EQ(response["status"]["message"], "pod shop/web does not mount tls");
}

TEST(AdmissionReviewEncode, DefaultsDeniedCodeAndReason) {
  AdmissionResponse response;
  response.uid = "uid-3";
  response.allowed = false;
  response.message = "no";
  const json status = json::parse(encode_admission_review(response))["response"]["status"];
  EXPECT_EQ(status["code"], 403);
  EXPECT_EQ(status["reason"], "Forbidden");
}

TEST(AdmissionReviewEncode, KeepsAnExplicitCodeAndReason) {
  AdmissionResponse response;
  response.uid = "uid-4";
  response.allowed = false;
  response.code = 422;
  response.status_reason = "Invalid";
  response.message = "spec.port: must be 1..65535";
  const json status = json::parse(encode_admission_review(response))["response"]["status"];
  EXPECT_EQ(status["code"], 422);
  EXPECT_EQ(status["reason"], "Invalid");
}

TEST(AdmissionReviewEncode, OmitsStatusWhenAllowedEvenIfSet) {
  AdmissionResponse response;
  response.uid = "uid-5";
  response.allowed = true;
  response.code = 500;
  response.message = "ignored";
  const json review = json::parse(encode_admission_review(response));
  EXPECT_FALSE(review["response"].contains("status"));
}

TEST(AdmissionReviewEncode, CarriesWarningsOnlyWhenThereAreSome) {
  const AdmissionRequest request = request_with_uid("uid-6");
  const json warned =
      json::parse(encode_admission_review(allow(request, "AuditMissingMount", {"pod would be denied: no tls mount"})));
  EXPECT_EQ(warned["response"]["warnings"], json::array({"pod would be denied: no tls mount"}));
  EXPECT_EQ(warned["response"]["allowed"], true);

  const json plain = json::parse(encode_admission_review(allow(request, "Compliant")));
  EXPECT_FALSE(plain["response"].contains("warnings"));
  const json denied = json::parse(encode_admission_review(deny(request, "MissingMount", "no")));
  EXPECT_FALSE(denied["response"].contains("warnings"));
}

TEST(AdmissionReviewEncode, NeverSendsTheDecisionReason) {
  const AdmissionRequest request = request_with_uid("uid-7");
  for (const auto& response :
       {allow(request, "DecisionReasonAllowSentinel", {"w"}), deny(request, "DecisionReasonDenySentinel", "message")}) {
    const std::string body = encode_admission_review(response);
    EXPECT_THAT(body, Not(HasSubstr("DecisionReason")));
    EXPECT_THAT(body, Not(HasSubstr("decision")));
  }
}

TEST(AdmissionReviewEncode, EncodesBytesThatAreNotUtf8WithoutThrowing) {
  std::string body;
  EXPECT_NO_THROW(body = encode_admission_review(deny(request_with_uid("uid-8"), "X", "bad \xff\xfe bytes")));
  const json review = json::parse(body, nullptr, false);
  ASSERT_FALSE(review.is_discarded());
  EXPECT_THAT(review["response"]["status"]["message"].get<std::string>(), HasSubstr("bad "));
}

TEST(AdmissionReviewEncode, AnswersEachRecordedReviewWithItsUid) {
  for (const char* name : {"pod-create.json", "pod-update.json", "pod-delete.json", "docs-example-scale-update.json"}) {
    SCOPED_TRACE(name);
    auto request = decode_admission_review(fixture(name));
    ASSERT_THAT(request, IsOk());
    for (const auto& response : {allow(*request, "Compliant"), deny(*request, "MissingMount", "no")}) {
      const json review = json::parse(encode_admission_review(response));
      EXPECT_EQ(review["response"]["uid"], request->uid);
    }
  }
}

TEST(AdmissionAnswers, AllowCopiesUidWarningsAndReason) {
  const AdmissionResponse response = allow(request_with_uid("uid-9"), "AuditMissingMount", {"w1", "w2"});
  EXPECT_EQ(response.uid, "uid-9");
  EXPECT_TRUE(response.allowed);
  EXPECT_THAT(response.warnings, ElementsAre("w1", "w2"));
  EXPECT_EQ(response.decision_reason, "AuditMissingMount");
}

TEST(AdmissionAnswers, DenyCopiesUidAndMessageWith403) {
  const AdmissionResponse response = deny(request_with_uid("uid-10"), "MissingMount", "mount tls");
  EXPECT_EQ(response.uid, "uid-10");
  EXPECT_FALSE(response.allowed);
  EXPECT_EQ(response.code, 403);
  EXPECT_EQ(response.status_reason, "Forbidden");
  EXPECT_EQ(response.message, "mount tls");
  EXPECT_EQ(response.decision_reason, "MissingMount");
}

TEST(AdmissionAnswers, DecisionOfSaysAllowedDeniedOrWarned) {
  const AdmissionRequest request = request_with_uid("uid-11");
  EXPECT_EQ(decision_of(allow(request, "Compliant")), "allowed");
  EXPECT_EQ(decision_of(allow(request, "AuditMissingMount", {"w"})), "warned");
  EXPECT_EQ(decision_of(deny(request, "MissingMount", "no")), "denied");
  AdmissionResponse denied_with_warning = deny(request, "MissingMount", "no");
  denied_with_warning.warnings = {"w"};
  EXPECT_EQ(decision_of(denied_with_warning), "denied");
}

}  // namespace
}  // namespace sso::webhook
