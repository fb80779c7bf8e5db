#include "webhook/secure_service_policy.hpp"

#include <gmock/gmock.h>

#include <functional>

namespace sso::webhook {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// A selector from its JSON form, as the CRD holds it.
kube::LabelSelector selector(const std::string& text) {
  auto parsed = kube::parse_label_selector(json::parse(text), "selector");
  if (!parsed.ok()) ADD_FAILURE() << parsed.error().describe();
  return *parsed;
}

struct OverlapCase {
  std::string name;
  std::string a;
  std::string b;
  bool overlap;
};

class SelectorsOverlap : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(SelectorsOverlap, IsExactAndSymmetric) {
  const OverlapCase& c = GetParam();
  EXPECT_EQ(selectors_overlap(selector(c.a), selector(c.b)), c.overlap);
  EXPECT_EQ(selectors_overlap(selector(c.b), selector(c.a)), c.overlap);
}

// Brute force over every label set of keys app and tier with values a, b, c, d or absent (a
// value the selectors never name stands for all such): overlap iff one set matches both.
TEST_P(SelectorsOverlap, AgreesWithEnumeratingLabelSets) {
  const kube::LabelSelector a = selector(GetParam().a);
  const kube::LabelSelector b = selector(GetParam().b);
  const std::vector<std::string> values = {"", "a", "b", "c", "d"};  // "" = absent
  bool found = false;
  for (const auto& app : values)
    for (const auto& tier : values) {
      kube::Labels labels;
      if (!app.empty()) labels["app"] = app;
      if (!tier.empty()) labels["tier"] = tier;
      found = found || (a.matches(labels) && b.matches(labels));
    }
  EXPECT_EQ(found, GetParam().overlap);
}

INSTANTIATE_TEST_SUITE_P(
    SecureServicePolicy, SelectorsOverlap,
    ::testing::Values(
        OverlapCase{"SameMatchLabels", R"({"matchLabels": {"app": "a"}})", R"({"matchLabels": {"app": "a"}})", true},
        OverlapCase{"DifferentValuesOfOneKey", R"({"matchLabels": {"app": "a"}})", R"({"matchLabels": {"app": "b"}})",
                    false},
        OverlapCase{"DifferentKeys", R"({"matchLabels": {"app": "a"}})", R"({"matchLabels": {"tier": "b"}})", true},
        OverlapCase{"MoreSpecificSelector", R"({"matchLabels": {"app": "a"}})",
                    R"({"matchLabels": {"app": "a", "tier": "b"}})", true},
        OverlapCase{"EmptySelectorMatchesEverything", R"({})", R"({"matchLabels": {"app": "a"}})", true},
        OverlapCase{"InContainingTheMatchLabel", R"({"matchExpressions": [{"key": "app", "operator": "In",
                    "values": ["a", "b"]}]})",
                    R"({"matchLabels": {"app": "b"}})", true},
        OverlapCase{"DisjointInSets",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["c"]}]})", false},
        OverlapCase{"InSetsSharingOneValue",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["b", "c"]}]})", true},
        OverlapCase{"InFullyExcludedByNotIn",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a", "b"]}]})", false},
        OverlapCase{"InPartlyExcludedByNotIn",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]})", true},
        OverlapCase{"MatchLabelExcludedByNotIn", R"({"matchLabels": {"app": "a"}})",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a", "c"]}]})", false},
        OverlapCase{"ExistsAndDoesNotExist", R"({"matchExpressions": [{"key": "app", "operator": "Exists"}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})", false},
        OverlapCase{"MatchLabelAndDoesNotExist", R"({"matchLabels": {"app": "a"}})",
                    R"({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})", false},
        OverlapCase{"InAndDoesNotExist", R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})", false},
        OverlapCase{"NotInAndDoesNotExistMeetWhereTheLabelIsAbsent",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})", true},
        OverlapCase{"ExistsAndNotInLeaveOtherValues", R"({"matchExpressions": [{"key": "app", "operator": "Exists"}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a", "b", "c"]}]})", true},
        OverlapCase{"ExistsAndIn", R"({"matchExpressions": [{"key": "app", "operator": "Exists"}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]})", true},
        OverlapCase{
            "DoesNotExistOnAnotherKey", R"({"matchLabels": {"app": "a"}})",
            R"({"matchLabels": {"app": "a"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})",
            true},
        OverlapCase{"RequirementsCombineWithinOneSelector",
                    R"({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]},
                                             {"key": "app", "operator": "NotIn", "values": ["b"]}]})",
                    R"({"matchLabels": {"app": "b"}})", false},
        OverlapCase{"DisjointOnOneKeyOfTwo", R"({"matchLabels": {"app": "a", "tier": "b"}})",
                    R"({"matchLabels": {"app": "a", "tier": "c"}})", false},
        OverlapCase{"NotInOnBothSides",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]})",
                    R"({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["b"]}]})", true}),
    [](const ::testing::TestParamInfo<OverlapCase>& info) { return info.param.name; });

api::SecureService service(const std::string& name, const std::function<void(json&)>& edit = {}) {
  json object = {{"apiVersion", "secureservice.io/v1alpha1"},
                 {"kind", "SecureService"},
                 {"metadata", {{"name", name}, {"namespace", "shop"}}},
                 {"spec",
                  {{"selector", {{"matchLabels", {{"app", name}}}}},
                   {"ports", json::array({{{"name", "https"}, {"port", 8443}}})}}}};
  if (edit) edit(object);
  auto parsed = api::parse_secure_service(object);
  if (!parsed.ok()) ADD_FAILURE() << parsed.error().describe();
  return *parsed;
}

Verdict decide(const api::SecureService& candidate, const std::vector<api::SecureService>& others,
               const SecureServiceRules& rules = {}) {
  std::vector<const api::SecureService*> pointers;
  pointers.reserve(others.size());
  for (const auto& s : others) pointers.push_back(&s);
  return decide_secure_service(candidate, pointers, rules);
}

void set_ca(json& s, const std::string& name, const std::string& ns = "") {
  s["spec"]["issuer"]["caSecretRef"] = {{"name", name}};
  if (!ns.empty()) s["spec"]["issuer"]["caSecretRef"]["namespace"] = ns;
}

void set_pkcs12_password(json& s, const std::string& name) {
  s["spec"]["tls"]["keystores"]["pkcs12"] = {{"enabled", true},
                                             {"passwordSecretRef", {{"name", name}, {"key", "password"}}}};
}

struct DecideCase {
  std::string name;
  std::function<void(json&)> candidate;
  std::vector<std::pair<std::string, std::function<void(json&)>>> others;
  std::string reason;
  std::vector<std::string> message_has;
};

class DecideSecureService : public ::testing::TestWithParam<DecideCase> {};

TEST_P(DecideSecureService, DeniesWhatTheSchemaCannotSee) {
  const DecideCase& c = GetParam();
  std::vector<api::SecureService> others;
  for (const auto& [name, edit] : c.others) others.push_back(service(name, edit));
  const Verdict v = decide(service("checkout", c.candidate), others);
  EXPECT_EQ(v.reason, c.reason) << v.message;
  EXPECT_EQ(v.allowed, c.reason == "Valid") << v.message;
  for (const auto& fragment : c.message_has) EXPECT_THAT(v.message, HasSubstr(fragment));
  EXPECT_THAT(v.warnings, SizeIs(0));
}

auto nothing = [](json&) {};
auto select_checkout = [](json& s) { s["spec"]["selector"] = {{"matchLabels", {{"app", "checkout"}}}}; };

INSTANTIATE_TEST_SUITE_P(
    SecureServicePolicy, DecideSecureService,
    ::testing::Values(
        DecideCase{"AloneIsValid", nothing, {}, "Valid", {}},
        DecideCase{"DisjointNeighboursAreValid", nothing, {{"payments", nothing}, {"frontend", nothing}}, "Valid", {}},
        DecideCase{"ItsOwnStoredSelfIsSkipped", nothing, {{"checkout", nothing}}, "Valid", {}},
        DecideCase{"OverlappingSelectorNamesTheOther",
                   nothing,
                   {{"payments", nothing}, {"legacy", select_checkout}},
                   "SelectorOverlap",
                   {"spec.selector overlaps that of SecureService legacy",
                    "a pod labelled {app: checkout} would be selected by both and need two identities"}},
        DecideCase{"SameSecretNameAsAnother",
                   [](json& s) { s["spec"]["tls"]["secretName"] = "shared-tls"; },
                   {{"payments", [](json& s) { s["spec"]["tls"]["secretName"] = "shared-tls"; }}},
                   "SecretNameConflict",
                   {"spec.tls.secretName \"shared-tls\" is also the Secret of SecureService payments"}},
        DecideCase{"SecretNameIsItsOwnCa",
                   [](json& s) {
                     s["spec"]["tls"]["secretName"] = "shop-ca";
                     set_ca(s, "shop-ca");
                   },
                   {},
                   "SecretNameConflict",
                   {"is also spec.issuer.caSecretRef: the operator would overwrite the CA"}},
        DecideCase{"SecretNameIsItsPkcs12Password",
                   [](json& s) {
                     s["spec"]["tls"]["secretName"] = "checkout-p12";
                     set_pkcs12_password(s, "checkout-p12");
                   },
                   {},
                   "SecretNameConflict",
                   {"spec.tls.secretName \"checkout-p12\" is also spec.tls.keystores.pkcs12.passwordSecretRef"}},
        DecideCase{"SecretNameIsAnothersCa",
                   [](json& s) { s["spec"]["tls"]["secretName"] = "shop-ca"; },
                   {{"payments", [](json& s) { set_ca(s, "shop-ca"); }}},
                   "SecretNameConflict",
                   {"is the CA of SecureService payments"}},
        DecideCase{"CaIsAnothersIdentitySecret",
                   [](json& s) { set_ca(s, "payments-tls"); },
                   {{"payments", nothing}},
                   "SecretNameConflict",
                   {"spec.issuer.caSecretRef \"payments-tls\" is the identity Secret of SecureService payments"}},
        DecideCase{"CaInItsOwnNamespaceIsValid", [](json& s) { set_ca(s, "shop-ca", "shop"); }, {}, "Valid", {}},
        DecideCase{"CaInAnotherNamespace",
                   [](json& s) { set_ca(s, "root-ca", "ops"); },
                   {},
                   "CrossNamespaceCA",
                   {"the CA Secret ops/root-ca is in another namespace",
                    "copy the CA Secret into namespace shop and set caSecretRef: {name: root-ca}"}},
        DecideCase{"FirstFailingCheckWins",
                   [](json& s) { set_ca(s, "root-ca", "ops"); },
                   {{"legacy", select_checkout}},
                   "CrossNamespaceCA",
                   {}}),
    [](const ::testing::TestParamInfo<DecideCase>& info) { return info.param.name; });

TEST(SecureServicePolicy, AnUnwatchedNamespaceIsAdmittedWithAWarning) {
  const Verdict v = decide(service("checkout"), {}, SecureServiceRules{.watched_namespaces = {"front", "ops"}});
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.reason, "NamespaceNotWatched");
  ASSERT_THAT(v.warnings, SizeIs(1));
  EXPECT_THAT(v.warnings[0], HasSubstr("the operator watches only namespaces front, ops, not shop"));
}

TEST(SecureServicePolicy, AWatchedNamespaceOrWatchingAllGivesNoWarning) {
  EXPECT_THAT(decide(service("checkout"), {}, SecureServiceRules{.watched_namespaces = {"shop"}}).warnings, SizeIs(0));
  EXPECT_THAT(decide(service("checkout"), {}, SecureServiceRules{}).warnings, SizeIs(0));
}

TEST(SecureServicePolicy, ADenialInAnUnwatchedNamespaceKeepsTheDenialsReasonAndTheWarning) {
  const auto candidate = service("checkout", [](json& s) { set_ca(s, "root-ca", "ops"); });
  const Verdict v = decide(candidate, {}, SecureServiceRules{.watched_namespaces = {"front"}});
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, "CrossNamespaceCA");
  EXPECT_THAT(v.warnings, SizeIs(1));
}

TEST(SecureServicePolicy, OverlapIsReportedWhateverTheOrderOfTheOthers) {
  const auto candidate = service("checkout");
  const auto a = service("alpha", select_checkout);
  const auto b = service("beta", select_checkout);
  EXPECT_EQ(decide(candidate, {a, b}).message, decide(candidate, {b, a}).message);
  EXPECT_THAT(decide(candidate, {b, a}).message, HasSubstr("SecureService alpha"));
}

}  // namespace
}  // namespace sso::webhook
