// `secureservice-operator check` as a CI pipeline runs it: SecureServices from -f, pods and
// workloads as arguments, the webhook's verdict on stdout, Audit warnings on stderr, and the exit
// code a pipeline gates on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process.hpp"

namespace {

using ::sso::testing::ProcessResult;
using ::sso::testing::run_process;
using ::sso::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

ProcessResult check(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {SSO_OPERATOR_BIN, "check"});
  return run_process(args, input);
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

std::string secure_service(const std::string& name, const std::string& mode = "Enforce") {
  return "apiVersion: secureservice.io/v1alpha1\n"
         "kind: SecureService\n"
         "metadata: {name: " +
         name +
         ", namespace: shop}\n"
         "spec:\n"
         "  selector: {matchLabels: {app: " +
         name +
         "}}\n"
         "  ports: [{name: https, port: 8443}]\n"
         "  admission: {mode: " +
         mode + "}\n";
}

// The spec of a pod that carries checkout's identity, indented by `indent` spaces.
std::string compliant_spec(int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  return pad + "serviceAccountName: checkout\n" + pad + "volumes: [{name: tls, secret: {secretName: checkout-tls}}]\n" +
         pad + "containers:\n" + pad + "  - name: app\n" + pad + "    image: shop/checkout:1\n" + pad +
         "    volumeMounts: [{name: tls, mountPath: /etc/secureservice/tls, readOnly: true}]\n";
}

std::string pod(const std::string& name, const std::string& spec, const std::string& labels = "{app: checkout}") {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: shop, labels: " + labels + "}\nspec:\n" +
         spec;
}

constexpr const char* kBareSpec = "  containers: [{name: app, image: shop/checkout:1}]\n";

TEST(Check, AdmitsACompliantPodWithExitZero) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout"));
  const auto pods = dir.write("pod.yaml", pod("web", compliant_spec(2)));
  const ProcessResult r = check({"-f", services, pods});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod shop/web: admitted\n");
  EXPECT_EQ(r.err, "");
}

TEST(Check, DeniesWithExitOneAndTheWebhooksMessageOnStdout) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout"));
  const auto pods = dir.write("pods.yaml", pod("web", compliant_spec(2)) + "---\n" + pod("bare", kBareSpec));
  const ProcessResult r = check({"-f", services, pods});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.out), 2u) << r.out;
  EXPECT_THAT(r.out, StartsWith("pod shop/web: admitted\n"));
  EXPECT_THAT(r.out, HasSubstr("pod shop/bare: denied: SecureService checkout selects pod bare, which does not carry "
                               "its identity: add to spec.volumes: {name: checkout-tls, secret: {secretName: "
                               "checkout-tls}}; container \"app\": add to volumeMounts: {name: checkout-tls, "
                               "mountPath: /etc/secureservice/tls, readOnly: true}; the pod runs as ServiceAccount "
                               "\"default\" (no spec.serviceAccountName), wanted \"checkout\": set "
                               "spec.serviceAccountName: checkout\n"));
}

TEST(Check, AuditAdmitsWithKubectlStyleWarningsOnStderr) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout", "Audit"));
  const auto pods = dir.write("pod.yaml", pod("bare", kBareSpec));
  const ProcessResult r = check({"-f", services, pods});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod shop/bare: admitted\n");
  EXPECT_EQ(lines(r.err), 3u) << r.err;  // volume, mount, ServiceAccount
  EXPECT_THAT(r.err, StartsWith("Warning: SecureService checkout (Audit): add to spec.volumes: "));
  EXPECT_THAT(r.err, HasSubstr("\nWarning: SecureService checkout (Audit): container \"app\": add to volumeMounts"));
}

TEST(Check, ChecksThePodTemplateOfEveryWorkloadKind) {
  const std::string tmpl =
      "    metadata: {labels: {app: checkout}}\n    spec:\n" + std::string(kBareSpec).insert(0, 4, ' ');
  const std::string workloads =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
      "spec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n" +
      tmpl +
      "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\n"
      "spec:\n  serviceName: db\n  selector: {matchLabels: {app: checkout}}\n  template:\n" +
      tmpl +
      "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\n"
      "spec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n" +
      tmpl +
      "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs, namespace: shop}\n"
      "spec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n" +
      tmpl + "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: shop}\nspec:\n  template:\n" +
      tmpl +
      "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: shop}\n"
      "spec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n" +
      [&] {
        std::string deeper;
        for (size_t start = 0; start < tmpl.size();) {
          const size_t end = tmpl.find('\n', start);
          deeper += "    " + tmpl.substr(start, end - start + 1);
          start = end + 1;
        }
        return deeper;
      }() +
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {a: b}\n";
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout"));
  const auto file = dir.write("workloads.yaml", workloads);
  const ProcessResult r = check({"-f", services, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.out), 6u) << r.out;  // the ConfigMap is skipped
  for (const auto& [kind, name] : std::vector<std::pair<std::string, std::string>>{{"deployment", "web"},
                                                                                   {"statefulset", "db"},
                                                                                   {"daemonset", "agent"},
                                                                                   {"replicaset", "rs"},
                                                                                   {"job", "migrate"},
                                                                                   {"cronjob", "nightly"}})
    EXPECT_THAT(r.out, HasSubstr(std::string(kind)
                                     .append(" shop/")
                                     .append(name)
                                     .append(": denied: SecureService checkout selects pod ")
                                     .append(name)
                                     .append("-<generated>, which does not carry its identity")))
        << kind;
}

TEST(Check, ACompliantDeploymentTemplateIsAdmitted) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout"));
  const auto file = dir.write("deployment.yaml",
                              "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: checkout, namespace: shop}\n"
                              "spec:\n  selector: {matchLabels: {app: checkout}}\n  template:\n"
                              "    metadata: {labels: {app: checkout}}\n    spec:\n" +
                                  compliant_spec(6));
  const ProcessResult r = check({"-f", services, file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment shop/checkout: admitted\n");
}

TEST(Check, TheExamplePodsPassAgainstTheExamples) {
  const ProcessResult r = check({"-f", SSO_EXAMPLES_DIR, SSO_EXAMPLES_DIR "/pods"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("deployment shop/checkout: admitted\n"),
                           HasSubstr("deployment shop/payments: admitted\n")));
}

TEST(Check, APodWithTheExamplesLabelsButNoIdentityIsDenied) {
  TempDir dir;
  const auto file = dir.write("frontend.yaml",
                              "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: frontend-\n  namespace: front\n"
                              "  labels: {app: frontend}\nspec:\n  serviceAccountName: frontend\n" +
                                  std::string(kBareSpec));
  const ProcessResult r = check({"-f", SSO_EXAMPLES_DIR, file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, StartsWith("pod front/frontend-<generated>: denied: SecureService frontend selects pod "
                                "frontend-<generated>, which does not carry its identity: add to spec.volumes: "
                                "{name: frontend-tls, secret: {secretName: frontend-tls}}"));
}

TEST(Check, AStrictNamespaceDeniesAPodNoSecureServiceSelects) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout") +
                                                       "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
                                                       "  labels: {secureservice.io/enforcement: strict}\n");
  const auto pods = dir.write("pod.yaml", pod("stray", kBareSpec, "{app: stray}"));
  const ProcessResult r = check({"-f", services, pods});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pod shop/stray: denied: namespace shop is labelled secureservice.io/enforcement: "
                               "strict and no SecureService in it selects pod stray (labels {app: stray})"));

  // Without the label the pod is admitted; --strict makes every namespace strict.
  const auto plain = dir.write("plain.yaml", secure_service("checkout"));
  EXPECT_EQ(check({"-f", plain, pods}).exit_code, 0);
  EXPECT_EQ(check({"-f", plain, "--strict", pods}).exit_code, 1);
}

TEST(Check, NamespaceFlagAppliesToObjectsThatNameNone) {
  TempDir dir;
  const auto services = dir.write("services.yaml",
                                  "apiVersion: secureservice.io/v1alpha1\nkind: SecureService\n"
                                  "metadata: {name: checkout}\nspec:\n  selector: {matchLabels: {app: checkout}}\n"
                                  "  ports: [{port: 8443}]\n");
  const auto pods = dir.write("pod.yaml",
                              "apiVersion: v1\nkind: Pod\nmetadata: {name: bare, labels: {app: checkout}}\n"
                              "spec:\n" +
                                  std::string(kBareSpec));
  const ProcessResult scoped = check({"-n", "shop", "-f", services, pods});
  EXPECT_EQ(scoped.exit_code, 1) << scoped.err;
  EXPECT_THAT(scoped.out, StartsWith("pod shop/bare: denied: SecureService checkout"));
  const ProcessResult defaulted = check({"-f", services, pods});
  EXPECT_EQ(defaulted.exit_code, 1);
  EXPECT_THAT(defaulted.out, StartsWith("pod default/bare: denied"));
}

TEST(Check, ReadsTheSecureServicesFromStdin) {
  TempDir dir;
  const auto pods = dir.write("pod.yaml", pod("web", compliant_spec(2)));
  const ProcessResult r = check({"-f", "-", pods}, secure_service("checkout"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod shop/web: admitted\n");
}

TEST(Check, AnInvalidSecureServiceIsExitTwoNamingFileAndDocument) {
  TempDir dir;
  const auto services = dir.write(
      "services.yaml", secure_service("checkout") +
                           "---\napiVersion: secureservice.io/v1alpha1\nkind: SecureService\n"
                           "metadata: {name: broken, namespace: shop}\nspec:\n  selector: {matchLabels: {app: x}}\n");
  const auto pods = dir.write("pod.yaml", pod("web", compliant_spec(2)));
  const ProcessResult r = check({"-f", services, pods});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, AllOf(StartsWith("secureservice-operator check: "), HasSubstr(services + ": document 2: "),
                           HasSubstr("spec.ports")));
}

TEST(Check, BadInputIsExitTwoWithOneLine) {
  TempDir dir;
  const auto services = dir.write("services.yaml", secure_service("checkout"));
  const auto pods = dir.write("pod.yaml", pod("web", compliant_spec(2)));
  const auto unparsable = dir.write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n");
  const auto no_pods = dir.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  const auto wrong_type = dir.write("typed.yaml",
                                    "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
                                    "spec:\n  containers: [{name: app, volumeMounts: [{readOnly: yes-ish}]}]\n");
  const auto no_template = dir.write("deploy.yaml",
                                     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
                                     "spec: {replicas: 1}\n");
  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{pods}, "-f FILE"},
           {{"-f", services}, "POD_FILE is required"},
           {{"-f", dir.file("missing.yaml"), pods}, "missing.yaml: cannot open the file"},
           {{"-f", services, dir.file("missing.yaml")}, "missing.yaml: cannot open the file"},
           {{"-f", unparsable, pods}, "bad.yaml"},
           {{"-f", services, unparsable}, "bad.yaml"},
           {{"-f", pods, pods}, "no SecureService or Namespace in the -f input"},
           {{"-f", services, no_pods}, "no Pod or workload"},
           {{"-f", services, wrong_type}, "spec.containers[0].volumeMounts[0].readOnly: must be a boolean"},
           {{"-f", services, no_template}, "deployment default/web: spec.template: Required value"},
           {{"-f", services, "--bogus", pods}, "unknown flag --bogus"},
       }) {
    const ProcessResult r = check(args);
    EXPECT_EQ(r.exit_code, 2) << says << "\n" << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_THAT(r.err, AllOf(StartsWith("secureservice-operator check: "), HasSubstr(says)));
    EXPECT_THAT(r.out, Not(HasSubstr("admitted")));
  }
}

TEST(Check, IsListedInTheUsageAndHasHelp) {
  const ProcessResult usage = run_process({SSO_OPERATOR_BIN, "--help"});
  EXPECT_THAT(usage.out, HasSubstr("  check "));
  const ProcessResult help = check({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: secureservice-operator check [flags] POD_FILE..."));
}

}  // namespace
