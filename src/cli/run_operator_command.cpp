#include <fstream>
#include <iterator>
#include <ostream>

#include "base/log.hpp"
#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/usage.hpp"
#include "controller/secure_service_operator.hpp"
#include "kube/rest_client.hpp"
#include "kube/runtime.hpp"
#include "metrics/registry.hpp"
#include "webhook/admission_webhooks.hpp"

namespace sso::cli {
namespace {

constexpr const char* kCommand = "run";
constexpr const char* kServiceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

Result<std::chrono::milliseconds> duration_flag(const std::string& name, const std::string& value) {
  auto d = parse_duration(value);
  if (!d.ok()) return std::move(d).error().add_context("--" + name);
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

Result<double> number_flag(const std::string& name, const std::string& value, double min) {
  try {
    size_t used = 0;
    const double v = std::stod(value, &used);
    if (used == value.size() && v >= min) return v;
  } catch (...) {
  }
  return invalid_argument("--" + name + ": \"" + value + "\" is not a number of at least " + std::to_string(int(min)));
}

// NAMESPACE/NAME, as --ca-secret and --webhook-service take it.
Result<std::pair<std::string, std::string>> namespaced_name_flag(const std::string& name, const std::string& value) {
  const auto slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size())
    return invalid_argument("--" + name + ": want NAMESPACE/NAME, got \"" + value + "\"");
  return std::pair{value.substr(0, slash), value.substr(slash + 1)};
}

// The pod's own namespace (POD_NAMESPACE from the downward API, else the service account's
// namespace file): where controller-runtime puts its Lease, and where the cluster CA lives.
Result<std::string> pod_namespace(const std::map<std::string, std::string>& env) {
  if (auto it = env.find("POD_NAMESPACE"); it != env.end() && !it->second.empty()) return it->second;
  std::ifstream file(kServiceAccountNamespaceFile);
  std::string ns((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!ns.empty() && std::isspace(static_cast<unsigned char>(ns.back()))) ns.pop_back();
  if (!ns.empty()) return ns;
  return failed_precondition("not running in a cluster, so the pod's namespace is unknown");
}

}  // namespace

int run_operator(const std::vector<std::string>& args, CommandContext& ctx) {
  std::string kubeconfig, health = ":8081", metrics_address = ":8443", lease_id = "secureservice-operator", lease_ns,
                          lease_duration = "15s", renew_deadline = "10s", retry_period = "2s", workers = "2", qps = "0",
                          burst = "30", log_format = "text", log_level = "info", grace = "30s";
  std::string watch_namespaces, cluster_domain = "cluster.local", trust_domain = "cluster.local", ca_secret,
                                ca_propagation = "5m", ca_overlap = "24h", crl_validity = "168h";
  std::string webhook_bind = ":9443", webhook_service, webhook_secret = "secureservice-operator-webhook-tls",
              webhook_config = "secureservice-operator";
  bool leader_elect = false, metrics_secure = true;
  FlagSet flags(kCommand, "",
                "Runs the operator against a cluster: it serves /healthz and /readyz, and /metrics for Prometheus,\n"
                "elects one leader among its replicas with a Lease (--leader-elect), runs the controllers while it\n"
                "leads, and on SIGTERM finishes the reconciles in flight, releases the Lease and exits 0.");
  flags.add_string("kubeconfig", 0, &kubeconfig,
                   "kubeconfig file; default $KUBECONFIG, the in-cluster service account, or ~/.kube/config");
  flags.add_string("health-probe-bind-address", 0, &health, "address of /healthz and /readyz (\"0\" turns them off)");
  flags.add_string("metrics-bind-address", 0, &metrics_address, "address of /metrics (\"0\" turns it off)");
  flags.add_bool("metrics-secure", &metrics_secure,
                 "serve /metrics over HTTPS (self-signed), only to bearer tokens the API server authorizes to get "
                 "/metrics (TokenReview, SubjectAccessReview); --metrics-secure=false serves plain HTTP to anyone");
  flags.add_bool("leader-elect", &leader_elect, "elect a leader so that only one replica writes");
  flags.add_string("leader-election-id", 0, &lease_id, "name of the Lease");
  flags.add_string("leader-election-namespace", 0, &lease_ns, "namespace of the Lease; default: the pod's namespace");
  flags.add_string("leader-elect-lease-duration", 0, &lease_duration, "how long followers wait on a silent leader");
  flags.add_string("leader-elect-renew-deadline", 0, &renew_deadline, "how long the leader tries to renew");
  flags.add_string("leader-elect-retry-period", 0, &retry_period, "how often candidates try");
  flags.add_string("workers", 0, &workers, "concurrent reconciles per controller");
  flags.add_string("kube-api-qps", 0, &qps,
                   "requests per second to the API server; 0: no client-side limit, the server's API Priority and "
                   "Fairness decides (429 and Retry-After are honoured)");
  flags.add_string("kube-api-burst", 0, &burst, "burst of requests to the API server, when --kube-api-qps is set");
  flags.add_string("log-format", 0, &log_format, "text or json");
  flags.add_string("log-level", 0, &log_level, "debug, info, warn or error");
  flags.add_string("graceful-shutdown-timeout", 0, &grace, "how long SIGTERM waits for reconciles in flight");
  flags.add_string("namespace", 0, &watch_namespaces, "watch only these namespaces (comma-separated); default: all");
  flags.add_string("cluster-domain", 0, &cluster_domain, "the cluster's DNS domain, in every certificate's DNS names");
  flags.add_string("trust-domain", 0, &trust_domain, "the SPIFFE trust domain of workload identities");
  flags.add_string("ca-secret", 0, &ca_secret,
                   "NAMESPACE/NAME of the cluster CA Secret, created on first start; default: "
                   "the pod's namespace/secureservice-operator-ca");
  flags.add_string("ca-rotation-propagation", 0, &ca_propagation,
                   "how long a new CA is trusted before it signs (kubelet must refresh mounted Secrets first)");
  flags.add_string("ca-rotation-overlap", 0, &ca_overlap, "how long the previous CA stays trusted after a rotation");
  flags.add_string("ca-crl-validity", 0, &crl_validity,
                   "how long each CRL the cluster CA signs is valid (its nextUpdate); re-signed at half that");
  flags.add_string("webhook-bind-address", 0, &webhook_bind,
                   "address of the HTTPS admission webhooks (\"0\" turns them off)");
  flags.add_string("webhook-service", 0, &webhook_service,
                   "NAMESPACE/NAME of the webhooks' Service, named in their serving certificate; default: "
                   "the pod's namespace/secureservice-operator-webhook");
  flags.add_string("webhook-secret", 0, &webhook_secret,
                   "the Secret (in the webhook Service's namespace) holding the serving certificate");
  flags.add_string("webhook-config-name", 0, &webhook_config,
                   "the ValidatingWebhookConfiguration whose caBundle the operator keeps");
  if (auto code = parse_or_exit_code(flags, args, ctx)) return *code;

  log::Format format;
  log::Level level;
  if (!log::parse_format(log_format, &format)) return usage_error(ctx, kCommand, "--log-format: want text or json");
  if (!log::parse_level(log_level, &level)) {
    return usage_error(ctx, kCommand, "--log-level: want debug, info, warn or error");
  }
  log::configure(format, level, &ctx.err);

  kube::RuntimeOptions options;
  options.health_probe_bind_address = health;
  options.metrics_bind_address = metrics_address;
  options.metrics_secure = metrics_secure;
  kube::RestClient::Options client_options;
  controller::OperatorOptions operator_options;
  Status parsed = [&]() -> Status {
    SSO_ASSIGN_OR_RETURN(options.graceful_shutdown_timeout, duration_flag("graceful-shutdown-timeout", grace));
    SSO_ASSIGN_OR_RETURN(client_options.qps, number_flag("kube-api-qps", qps, 0));
    SSO_ASSIGN_OR_RETURN(double b, number_flag("kube-api-burst", burst, 1));
    client_options.burst = static_cast<int>(b);
    SSO_ASSIGN_OR_RETURN(double w, number_flag("workers", workers, 1));
    options.workers = static_cast<int>(w);
    kube::LeaderElectionConfig le;
    le.lease_name = lease_id;
    le.lease_namespace = lease_ns;
    SSO_ASSIGN_OR_RETURN(le.lease_duration, duration_flag("leader-elect-lease-duration", lease_duration));
    SSO_ASSIGN_OR_RETURN(le.renew_deadline, duration_flag("leader-elect-renew-deadline", renew_deadline));
    SSO_ASSIGN_OR_RETURN(le.retry_period, duration_flag("leader-elect-retry-period", retry_period));
    if (leader_elect) options.leader_election = le;
    SSO_ASSIGN_OR_RETURN(auto propagation, duration_flag("ca-rotation-propagation", ca_propagation));
    SSO_ASSIGN_OR_RETURN(auto overlap, duration_flag("ca-rotation-overlap", ca_overlap));
    operator_options.ca.propagation = std::chrono::duration_cast<std::chrono::seconds>(propagation);
    operator_options.ca.overlap = std::chrono::duration_cast<std::chrono::seconds>(overlap);
    SSO_ASSIGN_OR_RETURN(auto crl, duration_flag("ca-crl-validity", crl_validity));
    if (crl < std::chrono::seconds(2)) return invalid_argument("--ca-crl-validity: must be at least 2s");
    operator_options.ca.crl_validity = std::chrono::duration_cast<std::chrono::seconds>(crl);
    operator_options.settings = {cluster_domain, trust_domain};
    for (size_t start = 0; start < watch_namespaces.size();) {
      size_t comma = watch_namespaces.find(',', start);
      if (comma == std::string::npos) comma = watch_namespaces.size();
      if (comma > start) operator_options.namespaces.push_back(watch_namespaces.substr(start, comma - start));
      start = comma + 1;
    }
    if (!ca_secret.empty()) {
      SSO_ASSIGN_OR_RETURN(std::tie(operator_options.ca_namespace, operator_options.ca_name),
                           namespaced_name_flag("ca-secret", ca_secret));
    }
    if (webhook_bind != "0") {
      controller::WebhookCertificateOptions w;
      w.secret_name = webhook_secret;
      w.config_name = webhook_config;
      w.cluster_domain = cluster_domain;
      w.service_name = "secureservice-operator-webhook";
      if (!webhook_service.empty()) {
        SSO_ASSIGN_OR_RETURN(std::tie(w.service_namespace, w.service_name),
                             namespaced_name_flag("webhook-service", webhook_service));
      }
      operator_options.webhook = w;
    }
    return ok_status();
  }();
  if (!parsed.ok()) return usage_error(ctx, kCommand, parsed.error().describe());

  const auto env = kube::process_environment();
  auto config = kube::resolve_cluster_config(kubeconfig, env);
  if (!config.ok()) return command_error(ctx, kCommand, config.error().describe());
  if (options.leader_election) {
    if (options.leader_election->lease_namespace.empty()) {
      auto ns = pod_namespace(env);
      if (!ns.ok()) return command_error(ctx, kCommand, ns.error().describe() + ": pass --leader-election-namespace");
      options.leader_election->lease_namespace = *ns;
    }
    auto identity = kube::default_leader_identity();
    if (!identity.ok()) return command_error(ctx, kCommand, identity.error().describe());
    options.leader_election->identity = *identity;
  }

  if (operator_options.ca_namespace.empty()) {
    auto ns = pod_namespace(env);
    if (!ns.ok()) return command_error(ctx, kCommand, ns.error().describe() + ": pass --ca-secret");
    operator_options.ca_namespace = *ns;
  }

  if (operator_options.webhook && operator_options.webhook->service_namespace.empty()) {
    auto ns = pod_namespace(env);
    if (!ns.ok()) {
      return command_error(ctx, kCommand,
                           ns.error().describe() + ": pass --webhook-service, or --webhook-bind-address=0");
    }
    operator_options.webhook->service_namespace = *ns;
  }

  metrics::Registry registry;
  client_options.metrics = &registry;
  auto client = kube::RestClient::create(*config, client_options);
  if (!client.ok()) return command_error(ctx, kCommand, client.error().describe());
  log::info("setup", "starting", {{"cluster", config->source}, {"server", config->server}});

  kube::Runtime runtime(**client, registry, options);
  auto secure_services = controller::SecureServiceOperator::create(runtime, **client, registry, operator_options);
  if (!secure_services.ok()) return command_error(ctx, kCommand, secure_services.error().describe());
  std::unique_ptr<webhook::AdmissionWebhooks> webhooks;
  if (operator_options.webhook) {
    webhook::AdmissionWebhooksOptions w;
    w.server.bind_address = webhook_bind;
    w.namespaces = operator_options.namespaces;
    w.admission.watched_namespaces = operator_options.namespaces;
    // Never blocked: the operator's own namespace (it must be able to start to answer) and
    // kube-system, whatever the webhook configuration's namespaceSelector says.
    w.admission.exempt_namespaces = {operator_options.webhook->service_namespace, "kube-system"};
    if (auto ns = pod_namespace(env); ns.ok()) w.admission.exempt_namespaces.push_back(*ns);
    auto created = webhook::AdmissionWebhooks::create(runtime, registry, (*secure_services)->secure_service_informers(),
                                                      *(*secure_services)->serving_secret_informer(), std::move(w));
    if (!created.ok()) return command_error(ctx, kCommand, created.error().describe());
    webhooks = std::move(*created);
    if (Status started = webhooks->start(); !started.ok())
      return command_error(ctx, kCommand, started.error().describe());
  }
  kube::StopSignal never;
  const kube::StopSignal& stop = ctx.stop ? *ctx.stop : never;
  Status ran = runtime.run(stop);
  if (webhooks) webhooks->stop();
  if (!ran.ok()) return command_error(ctx, kCommand, ran.error().describe());
  log::info("setup", "stopped cleanly");
  return kExitOk;
}

}  // namespace sso::cli
