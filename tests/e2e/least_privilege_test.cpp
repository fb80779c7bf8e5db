// Least privilege (issue #8): the operator run under the chart's own ServiceAccount and RBAC,
// rendered by `helm template`, against the API test server enforcing RBAC as kube-apiserver
// does, with the OwnerReferencesPermissionEnforcement admission plugin on (as OpenShift and
// hardened clusters run it). It must do everything a user sees it do with no 403; and with
// any one verb of any one resource of any rule taken away, some of that must fail, with a 403
// for that verb and resource in the request log: no rule is in the chart without a reason.
//
// The removals run on the render with operator.watchNamespaces (front, shop): there the
// controller's ClusterRole is bound only in those namespaces, so the Role's rules in the
// release namespace are the operator's only access to its Lease, CA and webhook Secrets and
// their Events. (With the default cluster-wide binding the ClusterRole's secrets and events
// rules cover those too: RBAC.md says so.)
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "kube/manifest_yaml.hpp"
#include "operator_process.hpp"
#include "workload_fixtures.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kRelease = "secureservice-operator";
constexpr const char* kNamespace = "secureservice-system";
const std::vector<std::string> kWatchNamespaces = {"--set", "operator.watchNamespaces={front,shop}"};
const std::vector<std::pair<std::string, std::string>> kExampleServices = {
    {"front", "frontend"}, {"shop", "checkout"}, {"shop", "payments"}, {"shop", "catalog"}, {"shop", "inventory"}};
// Every kind the operator writes for a SecureService, each listed by its managed-by label.
const std::vector<std::string> kMeshLists = {"/apis/security.istio.io/v1/namespaces/shop/peerauthentications",
                                             "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies",
                                             "/apis/security.istio.io/v1/namespaces/shop/requestauthentications",
                                             "/apis/networking.istio.io/v1/namespaces/shop/destinationrules",
                                             "/apis/policy.linkerd.io/v1beta3/namespaces/shop/servers",
                                             "/apis/policy.linkerd.io/v1alpha1/namespaces/shop/meshtlsauthentications",
                                             "/apis/policy.linkerd.io/v1alpha1/namespaces/shop/authorizationpolicies",
                                             "/apis/policy.linkerd.io/v1beta3/namespaces/shop/httproutes"};
// What the SecureService "rolling" (spec.tls.restartOnRenewal) selects: kind, resource, name.
struct RollingWorkload {
  std::string kind, resource, name;
};
const std::vector<RollingWorkload> kRollingWorkloads = {{"Deployment", "deployments", "rolling-api"},
                                                        {"StatefulSet", "statefulsets", "rolling-store"},
                                                        {"DaemonSet", "daemonsets", "rolling-agent"}};
constexpr const char* kManaged = "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsecureservice-operator";

std::vector<json> read_yaml(const std::string& text, const std::string& source) {
  auto objects = kube::read_manifests(text, source);
  EXPECT_TRUE(objects.ok()) << objects.error().describe();
  return objects.ok() ? *objects : std::vector<json>{};
}

std::vector<json> read_yaml_file(const std::string& path) {
  std::ifstream in(path);
  return read_yaml(std::string(std::istreambuf_iterator<char>(in), {}), path);
}

// `helm template` of the chart, as `helm install` would create it.
std::vector<json> render_chart(const std::vector<std::string>& values) {
  std::vector<std::string> argv = {SSO_HELM_BIN, "template", kRelease, SSO_CHART_DIR, "--namespace", kNamespace};
  argv.insert(argv.end(), values.begin(), values.end());
  const ProcessResult r = run_process(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? read_yaml(r.out, "helm template") : std::vector<json>{};
}

bool is_rbac(const json& o) {
  const std::string kind = o.value("kind", "");
  return kind == "ServiceAccount" || kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" ||
         kind == "ClusterRoleBinding";
}

// One verb on one resource of one rule of one Role or ClusterRole the chart renders.
struct RuleEntry {
  std::string role_kind;
  std::string role_name;
  size_t rule = 0;
  std::string group;
  std::string resource;  // "secureservices/status"
  std::string verb;
  std::vector<std::string> names;  // the rule's resourceNames

  std::string describe() const {
    std::string names_text;
    for (const auto& n : names) names_text += (names_text.empty() ? " named " : ",") + n;
    return role_kind + " " + role_name + " rule " + std::to_string(rule) + ": " + verb + " " + resource +
           (group.empty() ? "" : "." + group) + names_text;
  }
  // A test name: ClusterRole_controller_r2_secureservices_status_secureservice_io_update.
  std::string test_name() const {
    std::string role = role_name == kRelease ? "controller" : role_name.substr(std::string(kRelease).size() + 1);
    if (role_kind == "Role") role = "own";
    std::string out = role_kind + "_" + role + "_r" + std::to_string(rule) + "_" + resource + "_" +
                      (group.empty() ? "core" : group) + "_" + verb;
    for (auto& c : out)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return out;
  }
};

std::vector<std::string> strings(const json& rule, const char* field) {
  std::vector<std::string> out;
  for (const auto& s : rule.value(field, json::array())) out.push_back(s.get<std::string>());
  return out;
}

std::vector<RuleEntry> rule_entries(const std::vector<json>& objects) {
  std::vector<RuleEntry> out;
  for (const auto& o : objects) {
    const std::string kind = o.value("kind", "");
    if (kind != "Role" && kind != "ClusterRole") continue;
    const json rules = o.value("rules", json::array());
    for (size_t i = 0; i < rules.size(); ++i)
      for (const auto& group : strings(rules[i], "apiGroups"))
        for (const auto& resource : strings(rules[i], "resources"))
          for (const auto& verb : strings(rules[i], "verbs"))
            out.push_back(
                {kind, o["metadata"].value("name", ""), i, group, resource, verb, strings(rules[i], "resourceNames")});
  }
  return out;
}

// The chart's objects with one entry taken away: its rule split into the same rule for the
// other resources, and the rest of the verbs for this one.
std::vector<json> without(std::vector<json> objects, const RuleEntry& entry) {
  for (auto& o : objects) {
    if (o.value("kind", "") != entry.role_kind || o["metadata"].value("name", "") != entry.role_name) continue;
    json rules = json::array();
    for (size_t i = 0; i < o["rules"].size(); ++i) {
      const json& rule = o["rules"][i];
      if (i != entry.rule) {
        rules.push_back(rule);
        continue;
      }
      json others = rule;
      others["resources"] = json::array();
      for (const auto& r : rule["resources"])
        if (r != entry.resource) others["resources"].push_back(r);
      if (!others["resources"].empty()) rules.push_back(others);
      json fewer = rule;
      fewer["resources"] = {entry.resource};
      fewer["verbs"] = json::array();
      for (const auto& v : rule["verbs"])
        if (v != entry.verb) fewer["verbs"].push_back(v);
      if (!fewer["verbs"].empty()) rules.push_back(fewer);
    }
    o["rules"] = rules;
  }
  return objects;
}

// A fresh API test server with RBAC, the CRDs (SecureService and the mesh stand-ins), the
// examples' namespaces, and the chart's ServiceAccount, RBAC, webhook Service and
// configuration applied; then the operator on the chart Deployment's args, with the
// ServiceAccount's token.
class ChartCluster {
 public:
  explicit ChartCluster(std::vector<json> chart) : chart_(std::move(chart)) {}
  ~ChartCluster() {
    if (operator_) {
      operator_->signal(SIGTERM);
      (void)operator_->wait(std::chrono::seconds(5));
      operator_.reset();  // killed if it has not stopped: no connection of its outlives the server
    }
  }

  void start() {
    auto server = KubeTestServer::start();
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(*server);
    server_->api().set_owner_references_permission_enforcement(true);
    api_ = std::make_unique<ApiTestClient>(server_->url(), server_->ca_pem(), server_->admin_token());
    for (const auto& file : {std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml",
                             std::string(SSO_MESH_CRDS), std::string(SSO_EXAMPLES_DIR) + "/00-namespaces.yaml"})
      for (const auto& o : read_yaml_file(file)) create(o);
    create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}});
    json deployment;
    for (const auto& o : chart_) {
      const std::string kind = o.value("kind", "");
      if (is_rbac(o) || kind == "ValidatingWebhookConfiguration" || kind == "Service") create(o);
      if (kind == "ServiceAccount")
        user_ = "system:serviceaccount:" + std::string(kNamespace) + ":" + o["metadata"].value("name", "");
      if (kind == "Deployment") deployment = o;
      if (kind == "ValidatingWebhookConfiguration") config_name_ = o["metadata"].value("name", "");
    }
    ASSERT_FALSE(user_.empty()) << "the chart renders its ServiceAccount";
    ASSERT_TRUE(deployment.is_object());
    auto webhook_port = kube::find_free_port("127.0.0.1");
    ASSERT_TRUE(webhook_port.ok());
    server_->api().admission().map_service(kNamespace, "secureservice-operator-webhook", *webhook_port);
    port_ = free_port_pair({*webhook_port});
    const std::string kubeconfig = dir_.file("operator-kubeconfig");
    server_->service_account_kubeconfig(kNamespace, user_.substr(user_.rfind(':') + 1), kubeconfig);
    operator_ = std::make_unique<BackgroundProcess>(argv(deployment, *webhook_port, kubeconfig), dir_.file("op.log"));
  }

  // The Deployment's container args and env, listen addresses moved to local ports; the
  // leader election and CA rotation timings shortened (later flags win) so that renewals and
  // a rotation happen within the test.
  std::vector<std::string> argv(const json& deployment, uint16_t webhook_port, const std::string& kubeconfig) const {
    const json& container = deployment["spec"]["template"]["spec"]["containers"][0];
    std::vector<std::string> out = {"/usr/bin/env", "POD_NAMESPACE=" + std::string(kNamespace), SSO_OPERATOR_BIN};
    const std::map<std::string, std::string> local = {
        {"--health-probe-bind-address", "127.0.0.1:" + std::to_string(port_)},
        {"--metrics-bind-address", "127.0.0.1:" + std::to_string(port_ + 1)},
        {"--webhook-bind-address", "127.0.0.1:" + std::to_string(webhook_port)}};
    for (const auto& arg : container.value("args", json::array())) {
      std::string a = arg.get<std::string>();
      if (auto it = local.find(a.substr(0, a.find('='))); it != local.end()) a = it->first + "=" + it->second;
      out.push_back(a);
    }
    for (const char* a : {"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s",
                          "--leader-elect-retry-period=300ms", "--ca-rotation-propagation=1s"})
      out.push_back(a);
    out.push_back("--kubeconfig=" + kubeconfig);
    return out;
  }

  void create(const json& o) {
    const auto r = api_->post(collection_path(o), o);
    EXPECT_TRUE(r.code == 201 || r.code == 409) << o.value("kind", "") << " " << r.body.dump();
  }
  std::string collection_path(const json& o) const {
    const std::string api_version = o.value("apiVersion", "");
    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const auto type = server_->api().registry().find_kind(group, o.value("kind", ""));
    EXPECT_TRUE(type.has_value()) << o.value("kind", "");
    if (!type) return "/";
    const std::string base = group.empty() ? "/api/" + api_version : "/apis/" + api_version;
    if (!type->namespaced) return base + "/" + type->resource;
    return base + "/namespaces/" + o["metadata"].value("namespace", "default") + "/" + type->resource;
  }

  json get(const std::string& path) {
    const auto r = api_->get(path);
    return r.code == 200 ? r.body : json(nullptr);
  }
  int patch(const std::string& path, const json& body) { return api_->patch(path, body.dump()).code; }

  // The operator's requests answered 403.
  std::vector<apiserver::RequestRecord> forbidden() const {
    std::vector<apiserver::RequestRecord> out;
    for (auto& r : server_->api().request_log().snapshot())
      if (r.user == user_ && r.code == 403) out.push_back(std::move(r));
    return out;
  }
  static std::string describe(const apiserver::RequestRecord& r) {
    return r.verb + " " + r.resource + (r.subresource.empty() ? "" : "/" + r.subresource) +
           (r.group.empty() ? "" : "." + r.group) + (r.ns.empty() ? "" : " in " + r.ns) +
           (r.name.empty() ? "" : " name " + r.name);
  }
  std::string output() const { return operator_ ? operator_->output() : ""; }

  std::vector<json> chart_;
  TempDir dir_;
  std::unique_ptr<KubeTestServer> server_;
  std::unique_ptr<ApiTestClient> api_;
  std::unique_ptr<BackgroundProcess> operator_;
  std::string user_;
  std::string config_name_;
  uint16_t port_ = 0;
};

json secure_service(const std::string& name, json tls = json::object()) {
  json s = {
      {"apiVersion", "secureservice.io/v1alpha1"},
      {"kind", "SecureService"},
      {"metadata", {{"name", name}, {"namespace", "shop"}}},
      {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"ports", {{{"name", "https"}, {"port", 8443}}}}}}};
  if (!tls.empty()) s["spec"]["tls"] = std::move(tls);
  return s;
}

std::string service_path(const std::string& ns, const std::string& name) {
  return "/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices/" + name;
}

// What a user sees the operator do, step by step. Each step may act (as the admin), then
// waits for its outcome.
struct Step {
  std::string name;
  std::function<void(ChartCluster&)> act;
  std::function<bool(ChartCluster&)> reached;
  // How long the outcome may still take once the operator has been refused: a few times
  // what the step takes with every permission (0.0 to 2.3 s on a 2-core machine).
  std::chrono::milliseconds grace{2500};
};

bool events_with(ChartCluster& c, const std::string& ns, const std::function<bool(const json&)>& match) {
  const json list = c.get("/api/v1/namespaces/" + ns + "/events");
  if (!list.is_object()) return false;
  for (const auto& e : list.value("items", json::array()))
    if (match(e)) return true;
  return false;
}

std::string secret_data(ChartCluster& c, const std::string& ns, const std::string& name, const std::string& key) {
  const json s = c.get("/api/v1/namespaces/" + ns + "/secrets/" + name);
  return s.is_object() ? s.value("data", json::object()).value(key, "") : "";
}

// State carried between steps.
struct Seen {
  std::string renew_time;
  std::map<std::string, json> originals;  // path -> spec or data the operator wrote
  std::string webhook_crt;
  std::string scraper_token;   // bound to the chart's metrics-reader ClusterRole
  std::string intruder_token;  // bound to nothing
  int poke = 0;
  int polls = 0;
  bool reissue_requested = false;
  std::string revoked_serial;
};

// Annotates the SecureServices: an update event for each, which the operator reconciles.
void poke_services(ChartCluster& c, Seen& seen, const std::vector<std::pair<std::string, std::string>>& services) {
  ++seen.poke;
  for (const auto& [ns, name] : services)
    c.patch(service_path(ns, name),
            {{"metadata", {{"annotations", {{"test.secureservice.io/poke", std::to_string(seen.poke)}}}}}});
}

constexpr const char* kTampered = "dGFtcGVyZWQ=";

// Waits (at most 5 s) until the operator has written nothing but its Lease for a second: then no
// reconcile its own writes set off is still in flight, and one that follows a change of ours
// was set off by that change, through the watch the step is about.
void wait_until_quiet(ChartCluster& c) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    Clock::time_point last{};
    for (const auto& r : c.server_->api().request_log().snapshot())
      if (r.user == c.user_ && r.is_write() && r.resource != "leases") last = std::max(last, r.at);
    if (Clock::now() - last > std::chrono::seconds(1)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Changes what the operator wrote at `path` with a merge patch, remembering `field` as it was.
void tamper(ChartCluster& c, Seen& seen, const std::string& path, const char* field, const json& patch) {
  const json o = c.get(path);
  if (!o.is_object()) return;
  seen.originals[path] = o.value(field, json::object());
  c.patch(path, patch);
}

bool restored(ChartCluster& c, const Seen& seen) {
  for (const auto& [path, original] : seen.originals) {
    const json o = c.get(path);
    const char* field = path.find("/configmaps/") != std::string::npos ? "data" : "spec";
    if (!o.is_object() || o.value(field, json::object()) != original) return false;
  }
  return true;
}

std::vector<Step> scenario(std::shared_ptr<Seen> seen) {
  const std::string lease =
      "/apis/coordination.k8s.io/v1/namespaces/" + std::string(kNamespace) + "/leases/" + kRelease;
  const std::string ca = "/api/v1/namespaces/" + std::string(kNamespace) + "/secrets/secureservice-operator-ca";
  const std::string webhook_secret =
      "/api/v1/namespaces/" + std::string(kNamespace) + "/secrets/secureservice-operator-webhook-tls";
  return {
      {"leads (its Lease)",
       {},
       [=](ChartCluster& c) {
         const json l = c.get(lease);
         if (!l.is_object() || l["spec"].value("holderIdentity", "").empty()) return false;
         seen->renew_time = l["spec"].value("renewTime", "");
         return true;
       }},
      {"creates the cluster CA Secret", {}, [=](ChartCluster& c) { return c.get(ca).is_object(); }},
      {"issues the webhook certificate and fills the configuration's caBundle",
       {},
       [=](ChartCluster& c) {
         const json config =
             c.get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + c.config_name_);
         if (!c.get(webhook_secret).is_object() || !config.is_object()) return false;
         for (const auto& w : config.value("webhooks", json::array()))
           if (w["clientConfig"].value("caBundle", "").empty()) return false;
         return true;
       }},
      {"is ready (/readyz)", {}, [](ChartCluster& c) { return http_code(c.port_, "/readyz") == 200; }},
      {"serves /metrics over HTTPS to a scraper bound to the metrics-reader ClusterRole, and 403 to others",
       [=](ChartCluster& c) {
         c.create({{"apiVersion", "rbac.authorization.k8s.io/v1"},
                   {"kind", "ClusterRoleBinding"},
                   {"metadata", {{"name", "prometheus-scrapes-secureservice-operator"}}},
                   {"roleRef",
                    {{"apiGroup", "rbac.authorization.k8s.io"},
                     {"kind", "ClusterRole"},
                     {"name", std::string(kRelease) + "-metrics-reader"}}},
                   {"subjects", {{{"kind", "ServiceAccount"}, {"name", "prometheus"}, {"namespace", "monitoring"}}}}});
         seen->scraper_token = c.server_->service_account_token("monitoring", "prometheus");
         seen->intruder_token = c.server_->service_account_token("monitoring", "intruder");
       },
       [=](ChartCluster& c) {
         const std::string url = "https://127.0.0.1:" + std::to_string(c.port_ + 1) + "/metrics";
         const auto scraped = http_get(url, seen->scraper_token);
         return scraped.code == 200 && scraped.body.find("controller_runtime_") != std::string::npos &&
                http_get(url, seen->intruder_token).code == 403;
       }},
      {"makes the examples Ready with their Secrets, NetworkPolicies, trust bundles and mesh objects",
       [](ChartCluster& c) {
         for (const char* file : {"shop.yaml", "catalog-server-only.yaml", "inventory-linkerd.yaml"})
           for (const auto& o : read_yaml_file(std::string(SSO_EXAMPLES_DIR) + "/" + file)) c.create(o);
       },
       [](ChartCluster& c) {
         for (const auto& [ns, name] : kExampleServices) {
           if (condition(c.get(service_path(ns, name)), "Ready") != "True") return false;
           if (!c.get("/api/v1/namespaces/" + ns + "/secrets/" + name + "-tls").is_object()) return false;
           if (!c.get("/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies/" + name).is_object())
             return false;
           if (!c.get("/api/v1/namespaces/" + ns + "/configmaps/secureservice-trust-bundle").is_object()) return false;
         }
         for (const auto& path : kMeshLists) {
           const json list = c.get(path + kManaged);
           if (!list.is_object() || list["items"].empty()) return false;
         }
         return true;
       },
       std::chrono::milliseconds(4000)},
      {"restarts the Deployments, StatefulSets and DaemonSets a SecureService selects when it re-issues",
       [](ChartCluster& c) {
         c.create(secure_service("rolling", {{"restartOnRenewal", true}}));
         for (const auto& w : kRollingWorkloads) c.create(workload(w.kind, "shop", w.name, {{"app", "rolling"}}));
       },
       [=](ChartCluster& c) {
         const json s = c.get(service_path("shop", "rolling"));
         const json status = s.is_object() ? s.value("status", json::object()) : json::object();
         const json certificate = status.value("certificate", json::object());
         if (!seen->reissue_requested && certificate.value("restartedForRevision", 0) == 1) {
           c.patch(service_path("shop", "rolling"), {{"spec", {{"tls", {{"dnsNames", {"rolling.example.com"}}}}}}});
           seen->reissue_requested = true;
         }
         if (!seen->reissue_requested) return false;
         for (const auto& w : kRollingWorkloads)
           if (certificate_revision_of(c.get("/apis/apps/v1/namespaces/shop/" + w.resource + "/" + w.name)) != "2")
             return false;
         return true;
       },
       std::chrono::milliseconds(3000)},
      {"records Events on its Secrets and on the SecureServices",
       {},
       [](ChartCluster& c) {
         return events_with(c, kNamespace,
                            [](const json& e) { return e["involvedObject"].value("kind", "") == "Secret"; }) &&
                events_with(c, "shop", [](const json& e) { return e.value("reason", "") == "Issued"; });
       }},
      {"renews its Lease",
       {},
       [=](ChartCluster& c) {
         const json l = c.get(lease);
         return l.is_object() && l["spec"].value("renewTime", "") != seen->renew_time;
       }},
      // Each alone: a change to one kind must not make the operator look at another.
      {"puts back an identity Secret someone else changed",
       [](ChartCluster& c) {
         wait_until_quiet(c);
         c.patch("/api/v1/namespaces/shop/secrets/payments-tls", {{"data", {{"tls.crt", kTampered}}}});
       },
       [](ChartCluster& c) {
         const std::string crt = secret_data(c, "shop", "payments-tls", "tls.crt");
         return !crt.empty() && crt != kTampered;
       }},
      {"puts back a NetworkPolicy someone else changed",
       [=](ChartCluster& c) {
         wait_until_quiet(c);
         seen->originals.clear();
         tamper(c, *seen, "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/checkout", "spec",
                {{"spec", {{"ingress", json::array()}}}});
       },
       [=](ChartCluster& c) { return restored(c, *seen); }},
      {"puts back a trust bundle someone else changed",
       [=](ChartCluster& c) {
         wait_until_quiet(c);
         seen->originals.clear();
         tamper(c, *seen, "/api/v1/namespaces/shop/configmaps/secureservice-trust-bundle", "data",
                {{"data", {{"tampered", "yes"}}}});
       },
       [=](ChartCluster& c) { return restored(c, *seen); }},
      {"namespaces labelled enforcement: strict make its pods webhook deny pods no SecureService selects",
       [](ChartCluster& c) {
         c.patch("/api/v1/namespaces/shop", {{"metadata", {{"labels", {{"secureservice.io/enforcement", "strict"}}}}}});
       },
       [](ChartCluster& c) {
         const json pod = {{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata", {{"name", "stray"}, {"namespace", "shop"}, {"labels", {{"app", "stray"}}}}},
                           {"spec", {{"containers", {{{"name", "app"}, {"image", "registry.example/stray:1"}}}}}}};
         const auto r = c.api_->post("/api/v1/namespaces/shop/pods", pod);
         if (r.code == 201) c.api_->del("/api/v1/namespaces/shop/pods/stray");
         return r.code >= 400 && r.body.value("message", "").find("enforcement: strict") != std::string::npos;
       }},
      {"puts back the caBundle when the webhook configuration is applied again without it (helm upgrade)",
       [](ChartCluster& c) {
         const std::string path =
             "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + c.config_name_;
         json config = c.get(path);
         if (!config.is_object()) return;
         for (auto& w : config["webhooks"]) w["clientConfig"].erase("caBundle");
         c.api_->put(path, config);
       },
       [](ChartCluster& c) {
         const json config =
             c.get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + c.config_name_);
         if (!config.is_object()) return false;
         for (const auto& w : config.value("webhooks", json::array()))
           if (w["clientConfig"].value("caBundle", "").empty()) return false;
         return true;
       }},
      {"puts back its mesh objects when someone else changed them, on its next look at their SecureService",
       [=](ChartCluster& c) {
         seen->originals.clear();
         for (const auto& list : kMeshLists) {
           const json items = c.get(list + kManaged);
           if (!items.is_object() || items["items"].empty()) continue;
           tamper(c, *seen, list + "/" + items["items"][0]["metadata"].value("name", ""), "spec",
                  {{"spec", {{"tampered", true}}}});
         }
         // Mesh objects are not watched (their CRDs may be absent): a change to the
         // SecureService makes the operator look at them again.
         poke_services(c, *seen, kExampleServices);
       },
       [=](ChartCluster& c) {
         if (restored(c, *seen)) return true;
         // Once a second, in case a poke met the webhook's configuration mid-change.
         if (++seen->polls % 20 == 0) poke_services(c, *seen, kExampleServices);
         return false;
       },
       std::chrono::milliseconds(3000)},
      {"counts a repeated Event",
       [=](ChartCluster& c) {
         json lonely = secure_service("lonely");
         lonely["spec"]["allowedClients"] = {{{"secureService", "ghost"}}};
         c.create(lonely);
       },
       [=](ChartCluster& c) {
         const bool repeated = events_with(c, "shop", [](const json& e) {
           return e.value("reason", "") == "ClientNotFound" && e.value("count", 0) >= 2;
         });
         if (!repeated) poke_services(c, *seen, {{"shop", "lonely"}});
         return repeated;
       },
       std::chrono::milliseconds(3000)},
      {"reads the Secrets a user names or that stand in its way: a PKCS#12 password, a Secret it does not own",
       [](ChartCluster& c) {
         c.create({{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", "vault-p12"}, {"namespace", "shop"}}},
                   {"stringData", {{"password", "changeit"}}}});
         c.create(secure_service(
             "vault",
             {{"keystores",
               {{"pkcs12",
                 {{"enabled", true}, {"passwordSecretRef", {{"name", "vault-p12"}, {"key", "password"}}}}}}}}));
         c.create({{"apiVersion", "v1"},
                   {"kind", "Secret"},
                   {"metadata", {{"name", "squatter-tls"}, {"namespace", "shop"}}},
                   {"stringData", {{"note", "not the operator's"}}}});
         c.create(secure_service("squatter"));
       },
       [](ChartCluster& c) {
         return condition(c.get(service_path("shop", "vault")), "CertificateReady") == "True" &&
                condition(c.get(service_path("shop", "squatter")), "CertificateReady", "reason") == "SecretConflict";
       },
       std::chrono::milliseconds(3000)},
      {"deletes what a spec no longer asks for",
       [](ChartCluster& c) {
         for (const auto& name : {"checkout", "payments"})
           c.patch(service_path("shop", name), {{"spec", {{"mesh", {{"provider", "None"}}}}}});
         c.patch(service_path("shop", "inventory"), {{"spec", {{"mesh", {{"provider", "None"}}}}}});
         c.patch(service_path("shop", "catalog"), {{"spec", {{"networkPolicy", {{"enabled", false}}}}}});
       },
       [](ChartCluster& c) {
         for (const auto& path : kMeshLists) {
           const json list = c.get(path + kManaged);
           if (!list.is_object() || !list["items"].empty()) return false;
         }
         return !c.get("/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/catalog").is_object();
       },
       std::chrono::milliseconds(3000)},
      {"finalizes a deleted SecureService and its namespace's trust bundle",
       [](ChartCluster& c) { c.api_->del(service_path("front", "frontend")); },
       [](ChartCluster& c) {
         return !c.get(service_path("front", "frontend")).is_object() &&
                !c.get("/api/v1/namespaces/front/configmaps/secureservice-trust-bundle").is_object();
       }},
      {"revokes a certificate on request: lists it on the CA Secret's CRL and issues a new one",
       [=](ChartCluster& c) {
         const json s = c.get(service_path("shop", "checkout"));
         seen->revoked_serial = s["status"]["certificate"].value("serialNumber", "");
         c.patch(service_path("shop", "checkout"),
                 {{"metadata", {{"annotations", {{"secureservice.io/revoke", "keyCompromise"}}}}}});
       },
       [=](ChartCluster& c) {
         const json s = c.get(service_path("shop", "checkout"));
         const std::string now = s.is_object() ? s["status"]["certificate"].value("serialNumber", "") : "";
         return !now.empty() && now != seen->revoked_serial && events_with(c, kNamespace, [](const json& e) {
           return e.value("reason", "") == "CertificateRevoked";
         }) && events_with(c, "shop", [](const json& e) { return e.value("reason", "") == "Revoked"; });
       }},
      {"rotates the cluster CA and the webhook certificate follows",
       [=](ChartCluster& c) {
         seen->webhook_crt = secret_data(c, kNamespace, "secureservice-operator-webhook-tls", "tls.crt");
         c.patch(ca, {{"metadata", {{"annotations", {{"secureservice.io/rotate", "now"}}}}}});
       },
       [=](ChartCluster& c) {
         const std::string now = secret_data(c, kNamespace, "secureservice-operator-webhook-tls", "tls.crt");
         return events_with(c, kNamespace, [](const json& e) { return e.value("reason", "") == "RotationPromoted"; }) &&
                !now.empty() && now != seen->webhook_crt;
       },
       std::chrono::milliseconds(3000)},
      {"reports a broken CA and counts the repeats",
       [=](ChartCluster& c) {
         c.patch(ca, {{"data", {{"tls.crt", "bm90IGEgY2VydGlmaWNhdGU="}}}});
       },
       [=](ChartCluster& c) {
         const bool repeated = events_with(c, kNamespace, [](const json& e) {
           return e.value("reason", "") == "CAInvalid" && e.value("count", 0) >= 2;
         });
         if (!repeated) {
           ++seen->poke;
           c.patch(ca, {{"metadata", {{"annotations", {{"test.secureservice.io/poke", std::to_string(seen->poke)}}}}}});
         }
         return repeated;
       },
       std::chrono::milliseconds(3000)},
  };
}

std::string seconds(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0).substr(0, 4) + " s";
}

struct RunResult {
  std::string failed_step;  // empty: every step's outcome was reached
  std::vector<std::string> reached;
  Clock::duration took{};
};

// Runs the steps in order. A step fails when its outcome is not reached within `timeout`,
// or, once `evidence` holds (the expected 403 was seen), within the step's grace after that: the
// operator has been refused, and a refused request does not succeed by waiting.
RunResult run(ChartCluster& c, std::chrono::milliseconds timeout, const std::function<bool()>& evidence = {}) {
  RunResult result;
  const auto began = Clock::now();
  auto seen = std::make_shared<Seen>();
  for (auto& step : scenario(seen)) {
    if (step.act) step.act(c);
    const auto start = Clock::now();
    std::optional<Clock::time_point> refused;
    bool reached = false;
    while (true) {
      if (step.reached(c)) {
        reached = true;
        break;
      }
      const auto now = Clock::now();
      if (!refused && evidence && evidence()) refused = now;
      if (now - start > timeout || (refused && now - std::max(*refused, start) > step.grace)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!reached) {
      result.failed_step = step.name;
      break;
    }
    result.reached.push_back(step.name + " (" + seconds(Clock::now() - start) + ")");
  }
  result.took = Clock::now() - began;
  return result;
}

void expect_everything_without_a_403(const std::vector<std::string>& values) {
  ChartCluster c(render_chart(values));
  c.start();
  if (::testing::Test::HasFatalFailure()) return;
  const RunResult r = run(c, std::chrono::seconds(30));
  EXPECT_EQ(r.failed_step, "") << "the operator under the chart's RBAC did not reach: " << r.failed_step << "\n"
                               << c.output().substr(0, 6000);
  std::string refused;
  for (const auto& f : c.forbidden()) refused += "  " + ChartCluster::describe(f) + "\n";
  EXPECT_EQ(refused, "") << "requests of " << c.user_ << " answered 403";
  ::testing::Test::RecordProperty("scenario_seconds", seconds(r.took));
  for (const auto& step : r.reached) std::cout << "  " << step << "\n";
}

TEST(LeastPrivilege, TheOperatorDoesEverythingUnderTheChartsRbacWithNo403) { expect_everything_without_a_403({}); }

TEST(LeastPrivilege, TheOperatorDoesEverythingWithWatchNamespacesWithNo403) {
  expect_everything_without_a_403(kWatchNamespaces);
}

// With the default values the ClusterRoleBinding grants the ClusterRole's secrets and events
// rules in the release namespace as well: there the Role's own secrets and events rules add
// nothing (they are for operator.watchNamespaces, where the RuleRemoval cases need them).
TEST(LeastPrivilege, WithTheDefaultClusterWideBindingTheRolesSecretsAndEventsRulesAddNothing) {
  std::vector<json> chart = render_chart({});
  size_t removed = 0;
  for (auto& o : chart) {
    if (o.value("kind", "") != "Role") continue;
    json rules = json::array();
    for (const auto& rule : o["rules"])
      if (rule["resources"] == json{"secrets"} || rule["resources"] == json{"events"})
        ++removed;
      else
        rules.push_back(rule);
    o["rules"] = rules;
  }
  ASSERT_EQ(removed, 3u) << "the Role's secrets (create; the CA's and webhook's by name) and events rules";
  ChartCluster c(chart);
  c.start();
  if (HasFatalFailure()) return;
  const RunResult r = run(c, std::chrono::seconds(30));
  EXPECT_EQ(r.failed_step, "") << c.output().substr(0, 6000);
  EXPECT_TRUE(c.forbidden().empty());
}

const std::vector<json>& watch_namespaces_chart() {
  static const std::vector<json> chart = render_chart(kWatchNamespaces);
  return chart;
}

class RuleRemoval : public ::testing::TestWithParam<RuleEntry> {};

// gtest prints a parameter in test names and failures: the entry, not its bytes.
void PrintTo(const RuleEntry& entry, std::ostream* os) { *os << entry.describe(); }

// The 403 that shows the operator needed this entry: its verb on its resource. Update on a
// kind's finalizers is never requested itself: the OwnerReferencesPermissionEnforcement
// plugin asks for it when an object sets blockOwnerDeletion on an owner of that kind, and
// refuses that write (a 403 on the write, whose message the operator logs).
bool shows_need(const ChartCluster& c, const RuleEntry& e) {
  const auto slash = e.resource.find('/');
  const std::string resource = e.resource.substr(0, slash);
  const std::string subresource = slash == std::string::npos ? "" : e.resource.substr(slash + 1);
  if (subresource == "finalizers")
    return c.output().find("refers to a resource you can't set finalizers on") != std::string::npos;
  const auto refused = c.forbidden();
  return std::any_of(refused.begin(), refused.end(), [&](const apiserver::RequestRecord& r) {
    return r.verb == e.verb && r.group == e.group && r.resource == resource && r.subresource == subresource;
  });
}

TEST_P(RuleRemoval, SomeBehaviourFailsWithA403ForIt) {
  const RuleEntry& entry = GetParam();
  ChartCluster c(without(watch_namespaces_chart(), entry));
  c.start();
  if (HasFatalFailure()) return;
  auto needed = [&] { return shows_need(c, entry); };
  const RunResult r = run(c, std::chrono::seconds(20), needed);
  std::string refused;
  for (const auto& f : c.forbidden()) refused += "  " + ChartCluster::describe(f) + "\n";
  EXPECT_NE(r.failed_step, "") << "without " << entry.describe() << " the operator still did everything: "
                               << "no behaviour needs it. Requests refused:\n"
                               << refused;
  EXPECT_TRUE(needed()) << "without " << entry.describe() << " the operator failed to " << r.failed_step
                        << " but was refused nothing for it. Requests refused:\n"
                        << refused << "Its output:\n"
                        << c.output().substr(0, 6000);
  RecordProperty("fails_at", r.failed_step);
  RecordProperty("seconds", seconds(r.took));
  std::cout << "without " << entry.describe() << ": fails to " << r.failed_step << " (" << seconds(r.took) << ")\n";
}

INSTANTIATE_TEST_SUITE_P(EveryRuleEntry, RuleRemoval, ::testing::ValuesIn(rule_entries(watch_namespaces_chart())),
                         [](const ::testing::TestParamInfo<RuleEntry>& info) { return info.param.test_name(); });

}  // namespace
}  // namespace sso::testing
