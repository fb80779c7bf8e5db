// `secureservice-operator explain` (issue #10): the access map of the examples from the
// cluster (applied with kubectl) and from the files, which must agree; single calls answered
// with the layer that decides; the map drawn by Graphviz's dot, nobody's code here.
#include <fstream>
#include <iterator>

#include "operator_process.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class ExplainE2E : public OperatorClusterTest {
 protected:
  void SetUp() override {
    OperatorClusterTest::SetUp();
    if (HasFatalFailure()) return;
    kubectl_ok({"apply", "-f", SSO_EXAMPLES_DIR});
  }

  ProcessResult explain_cluster(std::vector<std::string> args) {
    args.insert(args.begin(), {SSO_OPERATOR_BIN, "explain", "--kubeconfig", kubeconfig_});
    return run_process(args);
  }
  static ProcessResult explain_files(std::vector<std::string> args) {
    args.insert(args.begin(), {SSO_OPERATOR_BIN, "explain", "-f", SSO_EXAMPLES_DIR});
    return run_process(args);
  }
};

TEST_F(ExplainE2E, TheClusterAndTheFilesGiveTheSameMap) {
  const ProcessResult cluster = explain_cluster({"-o", "json"});
  const ProcessResult files = explain_files({"-o", "json"});
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  ASSERT_EQ(files.exit_code, 0) << files.err;
  const json map = json::parse(cluster.out);
  EXPECT_EQ(map, json::parse(files.out));
  EXPECT_EQ(map["services"].size(), 5u);
  std::map<std::string, bool> calls;
  for (const auto& c : map["calls"])
    calls[c.value("from", "") + " -> " + c.value("to", "") + ":" + std::to_string(c.value("port", 0))] =
        c.value("allowed", false);
  EXPECT_TRUE(calls.at("front/frontend -> shop/checkout:8443"));
  EXPECT_TRUE(calls.at("shop/checkout -> shop/payments:8443"));
  EXPECT_TRUE(calls.at("shop/checkout -> shop/inventory:50051"));
  // The text map says the same, service by service.
  const ProcessResult text = explain_cluster({});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("shop/payments (ports 8443/TCP; NetworkPolicy; Istio STRICT)\n"
                                  "  <- shop/checkout on 8443: allowed\n"));
}

TEST_F(ExplainE2E, OneCallIsAnsweredWithTheLayerThatDecidesAndTheSameFromFiles) {
  for (bool from_files : {false, true}) {
    auto explain = [&](std::vector<std::string> args) {
      return from_files ? explain_files(std::move(args)) : explain_cluster(std::move(args));
    };
    const ProcessResult allowed = explain({"--from", "front/frontend", "--to", "shop/checkout", "--port", "8443"});
    EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
    EXPECT_THAT(allowed.out, HasSubstr("allowed: front/frontend may call shop/checkout on port 8443\n"));
    EXPECT_THAT(allowed.out, HasSubstr("Istio: allowed: AuthorizationPolicy shop/checkout allows front/frontend "
                                       "(cluster.local/ns/front/sa/frontend) on 8443"));

    const ProcessResult denied = explain({"--from", "front/frontend", "--to", "shop/payments", "--port", "8443"});
    EXPECT_EQ(denied.exit_code, 1) << denied.out << denied.err;
    EXPECT_THAT(denied.out, HasSubstr("denied: front/frontend may not call shop/payments on port 8443 "
                                      "(NetworkPolicy ingress: NetworkPolicy shop/payments admits no rule for "
                                      "front/frontend"));

    const ProcessResult egress =
        explain({"--from", "shop/payments", "--to", "shop/catalog", "--port", "443", "-o", "json"});
    EXPECT_EQ(egress.exit_code, 1) << egress.err;
    const json answer = json::parse(egress.out);
    EXPECT_EQ(answer["deniedBy"], "NetworkPolicy egress");
    EXPECT_EQ(answer["allowed"], false);
  }
}

TEST_F(ExplainE2E, ARequestIsAnsweredByTheRulesAndTheJwtOfItsServiceTheSameFromFiles) {
  for (bool from_files : {false, true}) {
    auto explain = [&](std::vector<std::string> args) {
      return from_files ? explain_files(std::move(args)) : explain_cluster(std::move(args));
    };
    const std::vector<std::string> payments = {"--from", "shop/checkout", "--to", "shop/payments", "--port", "8443"};
    auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
      args.insert(args.end(), more.begin(), more.end());
      return args;
    };
    const ProcessResult charge = explain(with(payments, {"--method", "POST", "--path", "/v1/charges"}));
    EXPECT_EQ(charge.exit_code, 0) << charge.out << charge.err;
    EXPECT_THAT(charge.out,
                HasSubstr("allowed: shop/checkout may call shop/payments on port 8443 for POST /v1/charges"));
    const ProcessResult refund = explain(with(payments, {"--method", "POST", "--path", "/v1/refunds", "-o", "json"}));
    EXPECT_EQ(refund.exit_code, 1) << refund.out << refund.err;
    const json answer = json::parse(refund.out);
    EXPECT_EQ(answer["deniedBy"], "Istio");
    EXPECT_EQ(answer["path"], "/v1/refunds");
    const ProcessResult foreign = explain(with(payments, {"--jwt-issuer", "https://evil.example.com"}));
    EXPECT_EQ(foreign.exit_code, 1);
    EXPECT_THAT(foreign.out, HasSubstr("(JWT: RequestAuthentication shop/payments accepts tokens of "
                                       "https://auth.shop.example.com only"));
    const std::vector<std::string> inventory = {"--from", "shop/checkout", "--to", "shop/inventory", "--port", "50051"};
    EXPECT_EQ(explain(with(inventory, {"--method", "POST", "--path", "/inventory.v1.Inventory/Reserve"})).exit_code, 0);
    const ProcessResult unrouted = explain(with(inventory, {"--path", "/inventory.v1.Inventory/Reserve"}));
    EXPECT_EQ(unrouted.exit_code, 1);
    EXPECT_THAT(unrouted.out, HasSubstr("no HTTPRoute of Server shop/inventory-50051 matches GET "
                                        "/inventory.v1.Inventory/Reserve: Linkerd answers 404"));
  }
  const ProcessResult bad_method =
      explain_files({"--from", "shop/checkout", "--to", "shop/payments", "--port", "8443", "--method", "FETCH"});
  EXPECT_EQ(bad_method.exit_code, 2);
  EXPECT_THAT(bad_method.err, HasSubstr("--method FETCH: want GET, HEAD"));
  EXPECT_EQ(explain_files({"--path", "/x"}).exit_code, 2);
}

TEST_F(ExplainE2E, TheMapIsAGraphvizPictureDotRenders) {
  const ProcessResult dot_source = explain_cluster({"-o", "dot"});
  ASSERT_EQ(dot_source.exit_code, 0) << dot_source.err;
  EXPECT_THAT(dot_source.out, HasSubstr("\"front/frontend\" -> \"shop/checkout\" [label=\"8443\", color=darkgreen]"));
  const std::string png = dir_.file("access.png");
  const ProcessResult rendered = run_process({SSO_DOT_BIN, "-Tpng", "-o", png}, dot_source.out);
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  std::ifstream in(png, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_TRUE(rendered.err.empty()) << "dot warned: " << rendered.err;
}

TEST_F(ExplainE2E, BadUsageIsRefusedNamingTheFlag) {
  const ProcessResult half = explain_files({"--from", "front/frontend", "--port", "8443"});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.err, HasSubstr("--from, --to and --port go together"));
  const ProcessResult bad_ref = explain_files({"--from", "frontend", "--to", "shop/payments", "--port", "8443"});
  EXPECT_EQ(bad_ref.exit_code, 2);
  EXPECT_THAT(bad_ref.err, HasSubstr("--from frontend: want NAMESPACE/NAME"));
  const ProcessResult unknown = explain_files({"--from", "front/nobody", "--to", "shop/payments", "--port", "8443"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no SecureService front/nobody"));
  EXPECT_EQ(explain_files({"-o", "yaml"}).exit_code, 2);
}

}  // namespace
}  // namespace sso::testing
