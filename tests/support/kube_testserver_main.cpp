// kube-testserver: the project's Kubernetes API test server as a program, for `make demo`
// and for trying kubectl against it. Writes an admin kubeconfig and serves until SIGINT or
// SIGTERM.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "kube_test_server.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig_path = "kubeconfig";
  sso::testing::KubeTestServer::Options options;
  // kube-apiserver reaches a webhook's Service through the cluster network; here each
  // --webhook-service NS/NAME=PORT says which local port stands for the Service.
  struct ServicePort {
    std::string ns, name;
    uint16_t port;
  };
  std::vector<ServicePort> webhook_services;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "kube-testserver: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--kubeconfig")
      kubeconfig_path = value();
    else if (arg == "--port")
      options.port = static_cast<uint16_t>(std::stoi(value()));
    else if (arg == "--webhook-service") {
      const std::string v = value();
      const auto slash = v.find('/'), equals = v.find('=');
      if (slash == std::string::npos || equals == std::string::npos || equals < slash) {
        std::cerr << "kube-testserver: --webhook-service: want NAMESPACE/NAME=PORT, got \"" << v << "\"\n";
        return 2;
      }
      webhook_services.push_back({v.substr(0, slash), v.substr(slash + 1, equals - slash - 1),
                                  static_cast<uint16_t>(std::stoi(v.substr(equals + 1)))});
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "Usage: kube-testserver [--kubeconfig PATH] [--port N] [--webhook-service NS/NAME=PORT]...\n"
                   "Serves the Kubernetes API test server on https://127.0.0.1:PORT (a free port unless given)\n"
                   "and writes an admin kubeconfig to PATH (default ./kubeconfig). Admission webhooks whose\n"
                   "clientConfig names Service NS/NAME are called on 127.0.0.1:PORT.\n";
      return 0;
    } else {
      std::cerr << "kube-testserver: unknown flag " << arg << " (see --help)\n";
      return 2;
    }
  }
  auto server = sso::testing::KubeTestServer::start(options);
  if (!server.ok()) {
    std::cerr << "kube-testserver: " << server.error().describe() << "\n";
    return 1;
  }
  for (const auto& s : webhook_services) (*server)->api().admission().map_service(s.ns, s.name, s.port);
  (*server)->admin_kubeconfig(kubeconfig_path);
  std::cout << "kube-testserver listening on " << (*server)->url() << "; kubeconfig written to " << kubeconfig_path
            << std::endl;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!g_stop) pause();
  (*server)->stop();
  return 0;
}
