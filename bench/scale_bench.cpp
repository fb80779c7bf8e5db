// Issue #8 "Scale": the whole operator against the API test server with thousands of
// SecureServices (ECDSA P-256, Mutual, NetworkPolicy on, Istio on) created at once.
//
// For each N (SSO_SCALE_COUNTS, default 5000,10000; a fresh server and operator each): the
// wall time from the first create until every SecureService is Ready=True, the operator's
// peak RSS (VmHWM), the API requests it made per SecureService by verb (the server's request
// log, told apart by the operator's own bearer token), and the ratio of the largest N's time
// to the smallest's. Then, with the services of the first N Ready, the quiet phase: the
// operator is watched for SSO_SCALE_QUIET_SECONDS (default 30) without any change in the
// cluster, and must make no write and use under 2% of one core.
//
// Issue #10 "A crowded cluster": after the first N, once more with SSO_SCALE_CROWDED
// (default 30000) unrelated Secrets of 1 KiB created first, spread over the same namespaces:
// the operator caches only its own labelled Secrets, so its peak RSS must stay under 150 MiB
// and its time within 1.2 times that of the run without them.
//
// A plain main(), not Google Benchmark: it measures one whole system once. It prints MET or
// MISSED for each target and exits non-zero only on a real error (no server, no operator, a
// create refused).
//
// Environment:
//   SSO_SCALE_COUNTS=500,1000        the Ns to run, in order (the ratio is last / first)
//   SSO_SCALE_PER_NAMESPACE=100      SecureServices per namespace
//   SSO_SCALE_QUIET_SECONDS=30       0 skips the quiet phase
//   SSO_SCALE_TIMEOUT_SECONDS=300    how long to wait for all Ready before giving up on an N
//   SSO_SCALE_CREATORS=8             client threads creating SecureServices
//   SSO_SCALE_CROWDED=30000          unrelated Secrets for the crowded run; 0 skips it
//   SSO_SCALE_OPERATOR_FLAGS="--kube-api-qps 50 --workers 4"   extra `run` flags (the last of
//                                    a flag wins). Unset, the operator runs with its shipped
//                                    defaults (no client-side rate limit, 2 workers).
//   SSO_OPERATOR_BIN                 the operator binary (default: the one built with this)
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "api_test_client.hpp"
#include "http_get.hpp"
#include "kube/free_port.hpp"
#include "kube/manifest_yaml.hpp"
#include "kube_test_server.hpp"
#include "process.hpp"

namespace {

using nlohmann::json;
using sso::testing::ApiTestClient;
using sso::testing::http_get;
using sso::testing::KubeTestServer;
using Clock = std::chrono::steady_clock;

constexpr double kReadyTargetSeconds = 60;  // for 5,000
constexpr double kRssTargetMiB = 150;
constexpr double kRatioTarget = 2.2;
constexpr double kQuietCpuTargetPercent = 2.0;
constexpr double kCrowdedRatioTarget = 1.2;
constexpr const char* kOperatorUser = "system:serviceaccount:secureservice-system:secureservice-operator";

struct Config {
  std::vector<int> counts = {5000, 10000};
  int per_namespace = 100;
  int quiet_seconds = 30;
  int timeout_seconds = 300;
  int creators = 8;
  int crowded = 30000;
  std::vector<std::string> operator_flags;
  std::string operator_bin = SSO_OPERATOR_BIN;
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) out.push_back(part);
  return out;
}

Config read_config() {
  Config c;
  if (const std::string counts = env_or("SSO_SCALE_COUNTS", ""); !counts.empty()) {
    c.counts.clear();
    for (const auto& n : split(counts, ',')) c.counts.push_back(std::stoi(n));
  }
  c.per_namespace = std::stoi(env_or("SSO_SCALE_PER_NAMESPACE", "100"));
  c.quiet_seconds = std::stoi(env_or("SSO_SCALE_QUIET_SECONDS", "30"));
  c.timeout_seconds = std::stoi(env_or("SSO_SCALE_TIMEOUT_SECONDS", "300"));
  c.creators = std::max(1, std::stoi(env_or("SSO_SCALE_CREATORS", "8")));
  c.crowded = std::stoi(env_or("SSO_SCALE_CROWDED", "30000"));
  c.operator_flags = split(env_or("SSO_SCALE_OPERATOR_FLAGS", ""), ' ');
  c.operator_bin = env_or("SSO_OPERATOR_BIN", c.operator_bin);
  return c;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// /proc/PID/status VmHWM (peak resident set), in KiB.
long peak_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// utime + stime of a process from /proc/PID/stat, in seconds.
double cpu_seconds(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');  // the command may contain spaces
  if (close == std::string::npos) return -1;
  std::istringstream in(stat.substr(close + 2));
  std::vector<std::string> fields(std::istream_iterator<std::string>(in), {});
  // After "pid (comm) ": state is field 3, utime 14 and stime 15, so indexes 11 and 12 here.
  if (fields.size() < 13) return -1;
  return static_cast<double>(std::stoll(fields[11]) + std::stoll(fields[12])) / sysconf(_SC_CLK_TCK);
}

// The operator binary as a child process, its output to a file.
class OperatorProcess {
 public:
  OperatorProcess(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      // The operator goes with the bench, however the bench ends.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~OperatorProcess() { stop(); }
  int pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string local_url(uint16_t port, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

// Counts the SecureServices whose Ready condition is True, from a watch on the server's own
// store (in-process: no HTTP, and nothing the operator's requests are counted with). The
// store calls back under its lock; the state is shared so that a late event finds it alive.
class ReadyCounter {
 public:
  ReadyCounter(sso::apiserver::ObjectStore& store, size_t expected) : state_(std::make_shared<State>()) {
    state_->expected = expected;
    stream_ = std::make_shared<sso::apiserver::WatchStream>();
    stream_->filter.group = "secureservice.io";
    stream_->filter.resource = "secureservices";
    stream_->deadline = Clock::now() + std::chrono::hours(24);
    stream_->send = [state = state_](const json& event) {
      state->on_event(event);
      return true;
    };
    stream_->close = [] {};
    uint64_t oldest = 0;
    store.start_watch(stream_, std::nullopt, &oldest);
  }
  size_t ready() const {
    std::lock_guard lock(state_->mu);
    return state_->ready.size();
  }
  // Waits until all are Ready or `timeout` passes; when they all became Ready.
  std::optional<Clock::time_point> wait(std::chrono::seconds timeout) {
    std::unique_lock lock(state_->mu);
    state_->cv.wait_for(lock, timeout, [&] { return state_->all_ready_at.has_value(); });
    return state_->all_ready_at;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::unordered_set<std::string> ready;
    size_t expected = 0;
    std::optional<Clock::time_point> all_ready_at;

    void on_event(const json& event) {
      const json& o = event["object"];
      const std::string key = o["metadata"].value("namespace", "") + "/" + o["metadata"].value("name", "");
      bool is_ready = false;
      if (event.value("type", "") != "DELETED" && o.contains("status"))
        for (const auto& c : o["status"].value("conditions", json::array()))
          if (c.value("type", "") == "Ready") is_ready = c.value("status", "") == "True";
      std::lock_guard lock(mu);
      if (!is_ready) {
        ready.erase(key);
        return;
      }
      ready.insert(key);
      if (ready.size() >= expected && !all_ready_at) {
        all_ready_at = Clock::now();
        cv.notify_all();
      }
    }
  };
  std::shared_ptr<State> state_;
  std::shared_ptr<sso::apiserver::WatchStream> stream_;
};

std::string ns_name(int i) { return "scale-" + std::to_string(i); }

// A realistic SecureService: P-256, Mutual, NetworkPolicy on, Istio, a SecureService client
// (the next service of the namespace, so each is also another's client) and Prometheus.
// `in_namespace` is how many services the namespace holds.
json secure_service(const std::string& ns, int i, int in_namespace) {
  const std::string name = "svc-" + std::to_string(i);
  const std::string client = "svc-" + std::to_string((i + 1) % in_namespace);
  return {{"apiVersion", "secureservice.io/v1alpha1"},
          {"kind", "SecureService"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", name}}}}},
            {"ports", json::array({{{"name", "https"}, {"port", 8443}}, {{"name", "metrics"}, {"port", 9090}}})},
            {"tls", {{"mode", "Mutual"}, {"privateKey", {{"algorithm", "ECDSA"}, {"size", 256}}}}},
            {"allowedClients",
             json::array({{{"secureService", client}, {"ports", json::array({8443})}},
                          {{"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", "monitoring"}}}}},
                           {"podSelector", {{"matchLabels", {{"app", "prometheus"}}}}},
                           {"ports", json::array({9090})}}})},
            {"networkPolicy", {{"enabled", true}}},
            {"mesh", {{"provider", "Istio"}}}}}};
}

// A Secret of about 1 KiB that no SecureService owns: another application's.
json unrelated_secret(const std::string& ns, int i) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "other-" + std::to_string(i)}, {"namespace", ns}, {"labels", {{"app", "other"}}}}},
          {"type", "Opaque"},
          {"stringData", {{"config", std::string(1024, 'x')}}}};
}

// Creates objects 0..n-1 from `threads` client threads: `make(i)` gives the collection path
// and the object. False, with the first refusal printed, when any create failed.
bool create_all(const KubeTestServer& server, int n, int threads,
                const std::function<std::pair<std::string, json>(int)>& make) {
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> creators;
  for (int t = 0; t < threads; ++t) {
    creators.emplace_back([&] {
      ApiTestClient api(server.url(), server.ca_pem(), server.admin_token());
      for (int i = next++; i < n; i = next++) {
        const auto [path, object] = make(i);
        auto r = api.post(path, object);
        if (r.code != 201 && failed++ == 0)
          std::cerr << "create " << path << ": HTTP " << r.code << " " << r.body.dump() << "\n";
      }
    });
  }
  for (auto& t : creators) t.join();
  if (failed > 0) std::cerr << failed << " creates failed\n";
  return failed == 0;
}

bool install_manifests(ApiTestClient& api, const std::string& file) {
  auto docs = sso::kube::read_manifests(read_file(file), file);
  if (!docs.ok()) {
    std::cerr << "read " << file << ": " << docs.error().describe() << "\n";
    return false;
  }
  for (const auto& doc : *docs) {
    auto r = api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc);
    if (r.code != 201 && r.code != 409) {
      std::cerr << "install " << file << ": HTTP " << r.code << " " << r.body.dump() << "\n";
      return false;
    }
  }
  return true;
}

struct Figures {
  int n = 0;
  int unrelated_secrets = 0;
  bool all_ready = false;
  size_t ready = 0;
  double ready_seconds = 0;   // first create to all Ready (or to the timeout)
  double create_seconds = 0;  // first create to last create answered
  double operator_cpu_seconds = 0;
  double bench_cpu_seconds = 0;  // this process: the API test server and the creators
  long peak_rss_kib = 0;
  std::map<std::string, size_t> requests_by_verb;
  std::map<std::string, size_t> requests_by_verb_resource;
  size_t requests = 0;
  size_t errors = 0;
  struct ObjectSize {
    std::string kind;
    size_t bytes;
    size_t managed_fields_bytes;
  };
  std::vector<ObjectSize> object_sizes;
  // Quiet phase.
  bool quiet_measured = false;
  double settle_seconds = 0;  // from all Ready until the operator is idle
  double quiet_seconds = 0;
  double quiet_cpu_percent = 0;
  size_t quiet_requests = 0;
  size_t quiet_writes = 0;
  std::map<std::string, size_t> quiet_by_verb_resource;
};

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string describe_record(const sso::apiserver::RequestRecord& r) {
  std::string what = r.verb + " " + (r.group.empty() ? "" : r.group + "/") + r.resource;
  if (!r.subresource.empty()) what += "/" + r.subresource;
  return what;
}

std::optional<Figures> run_scale(const Config& config, int n, bool quiet, int unrelated_secrets) {
  Figures f;
  f.n = n;
  f.unrelated_secrets = unrelated_secrets;
  auto started = KubeTestServer::start();
  if (!started.ok()) {
    std::cerr << "start the API test server: " << started.error().describe() << "\n";
    return std::nullopt;
  }
  auto server = std::move(*started);
  ApiTestClient admin(server->url(), server->ca_pem(), server->admin_token());
  if (!install_manifests(admin, std::string(SSO_CRDS_DIR) + "/secureservice.io_secureservices.yaml") ||
      !install_manifests(admin, SSO_MESH_CRDS))
    return std::nullopt;

  const int namespaces = (n + config.per_namespace - 1) / config.per_namespace;
  for (const std::string& ns : {std::string("secureservice-system"), std::string("monitoring")})
    admin.post("/api/v1/namespaces", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
  for (int i = 0; i < namespaces; ++i) {
    auto r = admin.post("/api/v1/namespaces",
                        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_name(i)}}}});
    if (r.code != 201) {
      std::cerr << "create namespace: HTTP " << r.code << "\n";
      return std::nullopt;
    }
  }

  // Other applications' Secrets, there before the operator starts (its lists would see them).
  if (unrelated_secrets > 0 && !create_all(*server, unrelated_secrets, config.creators, [&](int i) {
        const std::string ns = ns_name(i % namespaces);
        return std::make_pair("/api/v1/namespaces/" + ns + "/secrets", unrelated_secret(ns, i));
      }))
    return std::nullopt;

  // The operator's own identity, so that its requests can be told from ours in the log.
  const std::string token = "scale-bench-operator-token";
  server->api().add_token(token, {kOperatorUser, {"system:masters", "system:authenticated"}});
  std::string kubeconfig = server->admin_kubeconfig();
  for (auto at = kubeconfig.find(server->admin_token()); at != std::string::npos;
       at = kubeconfig.find(server->admin_token()))
    kubeconfig.replace(at, server->admin_token().size(), token);
  sso::testing::TempDir dir;
  const std::string kubeconfig_path = dir.write("kubeconfig", kubeconfig);

  auto port = sso::kube::find_free_port("127.0.0.1");
  if (!port.ok()) return std::nullopt;
  auto metrics_port = sso::kube::find_free_port("127.0.0.1");
  std::vector<std::string> argv = {config.operator_bin,
                                   "run",
                                   "--kubeconfig",
                                   kubeconfig_path,
                                   "--health-probe-bind-address",
                                   "127.0.0.1:" + std::to_string(*port),
                                   "--metrics-bind-address",
                                   metrics_port.ok() ? "127.0.0.1:" + std::to_string(*metrics_port) : "0",
                                   "--metrics-secure=false",
                                   "--log-format",
                                   "json",
                                   "--log-level",
                                   "warn",
                                   "--ca-secret",
                                   "secureservice-system/secureservice-operator-ca",
                                   "--webhook-bind-address",
                                   "0"};
  argv.insert(argv.end(), config.operator_flags.begin(), config.operator_flags.end());
  const std::string log = "/tmp/scale-bench-operator-" + std::to_string(n) + ".log";
  OperatorProcess op(argv, log);
  if (op.pid() <= 0) {
    std::cerr << "could not start " << config.operator_bin << "\n";
    return std::nullopt;
  }
  // Ready: caches synced and the cluster CA minted, so that the clock measures the services.
  const auto ready_deadline = Clock::now() + std::chrono::seconds(60);
  while (http_get(local_url(*port, "/readyz")).code != 200) {
    if (!op.running() || Clock::now() > ready_deadline) {
      std::cerr << "the operator did not become ready; its log: " << log << "\n";
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto ca_exists = [&] {
    return admin.get("/api/v1/namespaces/secureservice-system/secrets/secureservice-operator-ca").code == 200;
  };
  while (!ca_exists()) {
    if (Clock::now() > ready_deadline) {
      std::cerr << "the operator did not create its CA; its log: " << log << "\n";
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server->api().request_log().clear();

  ReadyCounter counter(server->api().store(), static_cast<size_t>(n));
  const double op_cpu_before = cpu_seconds(op.pid());
  const double self_cpu_before = self_cpu_seconds();

  // Create them all at once, from several client threads.
  const auto t0 = Clock::now();
  const bool created = create_all(*server, n, config.creators, [&](int i) {
    const std::string ns = ns_name(i / config.per_namespace);
    return std::make_pair(
        "/apis/secureservice.io/v1alpha1/namespaces/" + ns + "/secureservices",
        secure_service(ns, i % config.per_namespace,
                       std::min(config.per_namespace, n - i / config.per_namespace * config.per_namespace)));
  });
  f.create_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!created) return std::nullopt;

  // Progress every 10 s, so that a slow run shows its rate.
  const auto deadline = t0 + std::chrono::seconds(config.timeout_seconds);
  std::optional<Clock::time_point> all_ready_at;
  while (!all_ready_at && Clock::now() < deadline && op.running()) {
    const auto step = std::min<Clock::duration>(std::chrono::seconds(10), deadline - Clock::now());
    all_ready_at = counter.wait(std::chrono::duration_cast<std::chrono::seconds>(step) + std::chrono::seconds(1));
    if (!all_ready_at)
      std::cout << "  N=" << n << ": " << counter.ready() << " Ready after "
                << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count() << " s" << std::endl;
  }
  if (!op.running()) {
    std::cerr << "the operator exited; its log: " << log << "\n";
    return std::nullopt;
  }
  f.all_ready = all_ready_at.has_value();
  f.ready = counter.ready();
  f.ready_seconds = std::chrono::duration<double>((all_ready_at ? *all_ready_at : Clock::now()) - t0).count();
  f.operator_cpu_seconds = cpu_seconds(op.pid()) - op_cpu_before;
  f.bench_cpu_seconds = self_cpu_seconds() - self_cpu_before;

  for (const auto& r : server->api().request_log().snapshot()) {
    if (r.user != kOperatorUser) continue;
    ++f.requests;
    if (r.code >= 400) ++f.errors;
    ++f.requests_by_verb[r.verb];
    ++f.requests_by_verb_resource[describe_record(r)];
  }

  // What the operator caches per SecureService, as JSON text, and how much of it is
  // metadata.managedFields: the informers' memory grows with it.
  for (const std::string path : {"/apis/secureservice.io/v1alpha1/namespaces/scale-0/secureservices/svc-0",
                                 "/api/v1/namespaces/scale-0/secrets/svc-0-tls",
                                 "/apis/networking.k8s.io/v1/namespaces/scale-0/networkpolicies/svc-0"}) {
    auto r = admin.get(path);
    if (r.code != 200) continue;
    const size_t managed =
        r.body["metadata"].contains("managedFields") ? r.body["metadata"]["managedFields"].dump().size() : 0;
    f.object_sizes.push_back({r.body.value("kind", ""), r.body.dump().size(), managed});
  }

  if (quiet && f.all_ready && config.quiet_seconds > 0) {
    // Let the tail of the work settle (Ready is written before the reconciles that the
    // status writes bring back have run), for at most 5 minutes; then measure.
    const auto settle_start = Clock::now();
    auto last_operator_request = [&] {
      const auto records = server->api().request_log().snapshot();
      for (auto it = records.rbegin(); it != records.rend(); ++it)
        if (it->user == kOperatorUser) return it->at;
      return settle_start;
    };
    // Reconciles that the operator's own writes bring back make no request when nothing is
    // left to do, but they still take CPU: idle also means empty queues and no worker busy.
    auto idle = [&] {
      if (!metrics_port.ok()) return true;
      const auto scrape = http_get(local_url(*metrics_port, "/metrics"));
      if (scrape.code != 200) return false;
      const std::string& text = scrape.body;
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) {
        if (line.rfind("workqueue_depth{", 0) != 0 && line.rfind("controller_runtime_active_workers{", 0) != 0)
          continue;
        if (std::stod(line.substr(line.rfind(' ') + 1)) != 0) return false;
      }
      return true;
    };
    int idle_checks = 0;
    while (Clock::now() - settle_start < std::chrono::minutes(5)) {
      const bool quiet_now =
          Clock::now() - std::max(last_operator_request(), settle_start) >= std::chrono::seconds(5) && idle();
      idle_checks = quiet_now ? idle_checks + 1 : 0;
      if (idle_checks >= 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    f.settle_seconds = std::chrono::duration<double>(Clock::now() - settle_start).count();
    const size_t log_before = server->api().request_log().size();
    const double cpu_before = cpu_seconds(op.pid());
    const auto q0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(config.quiet_seconds));
    const double cpu_after = cpu_seconds(op.pid());
    f.quiet_seconds = std::chrono::duration<double>(Clock::now() - q0).count();
    f.quiet_cpu_percent = 100.0 * (cpu_after - cpu_before) / f.quiet_seconds;
    const auto records = server->api().request_log().snapshot();
    for (size_t i = log_before; i < records.size(); ++i) {
      if (records[i].user != kOperatorUser) continue;
      ++f.quiet_requests;
      if (records[i].is_write()) ++f.quiet_writes;
      ++f.quiet_by_verb_resource[describe_record(records[i])];
    }
    f.quiet_measured = true;
  }
  f.peak_rss_kib = peak_rss_kib(op.pid());
  op.stop();
  return f;
}

std::string load_average() {
  std::string s = read_file("/proc/loadavg");
  return s.substr(0, s.find(' ', s.find(' ', s.find(' ') + 1) + 1));
}

const char* verdict(bool met) { return met ? "MET" : "MISSED"; }

void print_run(const Figures& f) {
  const int n = f.n;
  std::printf("N=%d%s: %s in %.1f s (%zu/%d Ready; creates took %.1f s; load average then %s)\n", n,
              f.unrelated_secrets > 0 ? " crowded" : "", f.all_ready ? "all Ready" : "NOT all Ready", f.ready_seconds,
              f.ready, n, f.create_seconds, load_average().c_str());
  std::printf(
      "  operator: peak RSS %.1f MiB, CPU %.1f s (%.0f%% of one core); this process (API test server, "
      "creators): CPU %.1f s\n",
      f.peak_rss_kib / 1024.0, f.operator_cpu_seconds, 100 * f.operator_cpu_seconds / f.ready_seconds,
      f.bench_cpu_seconds);
  std::printf("  operator requests: %zu (%.2f per SecureService, %zu answered >= 400); by verb per SecureService:",
              f.requests, static_cast<double>(f.requests) / n, f.errors);
  for (const auto& [verb, count] : f.requests_by_verb) std::printf(" %s %.2f", verb.c_str(), double(count) / n);
  std::printf("\n");
  std::printf("  cached objects per SecureService (JSON bytes, of which managedFields):");
  for (const auto& o : f.object_sizes) std::printf(" %s %zu (%zu)", o.kind.c_str(), o.bytes, o.managed_fields_bytes);
  std::printf("\n");
  for (const auto& [what, count] : f.requests_by_verb_resource)
    std::printf("    %-50s %8zu  %.3f per SecureService\n", what.c_str(), count, double(count) / n);
  if (f.quiet_measured) {
    std::printf("  settled %.1f s after all Ready (no request for 5 s, queues empty, no worker busy)\n",
                f.settle_seconds);
    std::printf("  quiet (%d Ready, no changes, %.0f s): %zu requests, %zu writes, CPU %.2f%% of one core\n", n,
                f.quiet_seconds, f.quiet_requests, f.quiet_writes, f.quiet_cpu_percent);
    for (const auto& [what, count] : f.quiet_by_verb_resource) std::printf("    %-50s %8zu\n", what.c_str(), count);
  }
  std::fflush(stdout);
}

}  // namespace

int main() {
  const Config config = read_config();
  std::cout << "bench_scale: SecureServices (ECDSA P-256, Mutual, NetworkPolicy, Istio) created at once against "
               "the API test server; operator "
            << config.operator_bin << "\n";
  if (!config.operator_flags.empty()) {
    std::cout << "  operator flags:";
    for (const auto& f : config.operator_flags) std::cout << " " << f;
    std::cout << "\n";
  }
  std::vector<Figures> runs;
  bool quiet_done = false;
  // The counts, with the crowded run right after the plain run of the first, so that the two
  // it compares meet the machine in the same state.
  std::vector<std::pair<int, int>> plan;  // {N, unrelated Secrets}
  for (int n : config.counts) {
    plan.emplace_back(n, 0);
    if (config.crowded > 0 && plan.size() == 1) plan.emplace_back(n, config.crowded);
  }
  const bool has_5000 = std::find(config.counts.begin(), config.counts.end(), 5000) != config.counts.end();
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto [n, unrelated] = plan[i];
    // The quiet phase runs once: on N=5000 when it is among the counts, else on the first N.
    const bool quiet = !quiet_done && unrelated == 0 && (has_5000 ? n == 5000 : i == 0);
    // The machines are shared: the load says how much of the 2 cores the run really had.
    std::cout << "N=" << n << ": creating " << n << " SecureServices in "
              << (n + config.per_namespace - 1) / config.per_namespace << " namespaces";
    if (unrelated > 0) std::cout << ", with " << unrelated << " unrelated Secrets of 1 KiB there first";
    std::cout << " (load average " << load_average() << ")" << std::endl;
    auto f = run_scale(config, n, quiet, unrelated);
    if (!f) return 1;
    quiet_done = quiet_done || f->quiet_measured;
    print_run(*f);
    runs.push_back(*f);
  }

  std::printf("\nTargets:\n");
  std::vector<Figures> plain;
  for (const auto& f : runs) {
    if (f.unrelated_secrets == 0) plain.push_back(f);
    if (f.n == 5000 && f.unrelated_secrets == 0)
      std::printf("  %-6s all 5,000 Ready within %.0f s: %.1f s%s\n", verdict(f.all_ready && f.ready_seconds <= 60),
                  kReadyTargetSeconds, f.ready_seconds, f.all_ready ? "" : " (timed out)");
    std::printf("  %-6s N=%d%s operator peak RSS under %.0f MiB: %.1f MiB\n", verdict(f.peak_rss_kib / 1024.0 < 150),
                f.n, f.unrelated_secrets > 0 ? " crowded" : "", kRssTargetMiB, f.peak_rss_kib / 1024.0);
  }
  for (const auto& c : runs) {
    if (c.unrelated_secrets == 0 || plain.empty()) continue;
    const auto& base = plain.front();
    const double ratio = c.ready_seconds / base.ready_seconds;
    const bool valid = c.all_ready && base.all_ready;
    std::printf("  %-6s N=%d with %d unrelated Secrets within %.1f times the time without: %.2f (%.1f s, %.1f s)%s\n",
                verdict(valid && ratio <= kCrowdedRatioTarget), c.n, c.unrelated_secrets, kCrowdedRatioTarget, ratio,
                c.ready_seconds, base.ready_seconds, valid ? "" : " (a run timed out)");
  }
  if (plain.size() >= 2) {
    const auto& a = plain.front();
    const auto& b = plain.back();
    const double ratio = b.ready_seconds / a.ready_seconds;
    const bool valid = a.all_ready && b.all_ready;
    std::printf("  %-6s time ratio N=%d / N=%d under %.1f: %.2f%s\n", verdict(valid && ratio < kRatioTarget), b.n, a.n,
                kRatioTarget, ratio, valid ? "" : " (a run timed out)");
  }
  for (const auto& f : runs) {
    if (!f.quiet_measured) continue;
    std::printf("  %-6s quiet with %d Ready: no writes: %zu\n", verdict(f.quiet_writes == 0), f.n, f.quiet_writes);
    std::printf("  %-6s quiet with %d Ready: under %.0f%% of one core: %.2f%%\n",
                verdict(f.quiet_cpu_percent < kQuietCpuTargetPercent), f.n, kQuietCpuTargetPercent,
                f.quiet_cpu_percent);
  }
  if (!quiet_done && config.quiet_seconds > 0) std::printf("  quiet phase not measured: no run was all Ready\n");
  return 0;
}
