#include <ostream>

#include "cli/commands.hpp"
#include "cli/usage.hpp"

#ifndef SSO_VERSION
#define SSO_VERSION "0.0.0-dev"
#endif

namespace sso::cli {
namespace {

constexpr const char* kUsage =
    "secureservice-operator makes service-to-service traffic encrypted, authenticated and authorized by\n"
    "default: TLS identities, NetworkPolicies, mesh policy and admission checks for each SecureService.\n"
    "\n"
    "Usage: secureservice-operator COMMAND [flags]\n"
    "\n"
    "Commands:\n"
    "  ca create      create a CA and print it as a kubernetes.io/tls Secret (or PEM files)\n"
    "  cert inspect   show what a certificate, PEM file or TLS Secret manifest holds\n"
    "  check          decide, offline, whether the pod admission webhook admits pods and workloads\n"
    "  explain        show who may call whom, through which layers; or answer one call\n"
    "  render         print what the operator would write for SecureService manifests, offline\n"
    "  revoke         revoke a SecureService's certificate (the operator issues a new one)\n"
    "  run            run the operator against a cluster\n"
    "  version        print the version\n"
    "\n"
    "Run 'secureservice-operator COMMAND --help' for a command's flags.\n";

}  // namespace

int run_command(const std::vector<std::string>& args, CommandContext& ctx) {
  if (args.empty()) {
    ctx.err << kUsage;
    return kExitUsage;
  }
  const std::string& first = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (first == "--help" || first == "-h" || first == "help") {
    ctx.out << kUsage;
    return kExitOk;
  }
  if (first == "version" || first == "--version") {
    ctx.out << "secureservice-operator " << SSO_VERSION << "\n";
    return kExitOk;
  }
  auto subcommand = [&](const std::string& group, const std::string& name, auto run) -> std::optional<int> {
    if (first != group) return std::nullopt;
    if (rest.empty() || rest[0] == "--help" || rest[0] == "-h") {
      (rest.empty() ? ctx.err : ctx.out) << "Usage: secureservice-operator " << group << " " << name
                                         << " [flags]\n(see 'secureservice-operator " << group << " " << name
                                         << " --help')\n";
      return rest.empty() ? kExitUsage : kExitOk;
    }
    if (rest[0] != name) return usage_error(ctx, group, "unknown command \"" + rest[0] + "\" (try \"" + name + "\")");
    return run(std::vector<std::string>(rest.begin() + 1, rest.end()), ctx);
  };
  if (first == "run") return run_operator(rest, ctx);
  if (first == "render") return run_render(rest, ctx);
  if (first == "check") return run_check(rest, ctx);
  if (first == "revoke") return run_revoke(rest, ctx);
  if (first == "explain") return run_explain(rest, ctx);
  if (auto code = subcommand("ca", "create", run_ca_create)) return *code;
  if (auto code = subcommand("cert", "inspect", run_cert_inspect)) return *code;
  ctx.err << "secureservice-operator: unknown command \"" << first << "\" (see 'secureservice-operator --help')\n";
  return kExitUsage;
}

}  // namespace sso::cli
