#include <ostream>
#include <thread>

#include "api/secure_service.hpp"
#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/usage.hpp"
#include "kube/api_error.hpp"
#include "kube/cluster_config.hpp"
#include "kube/rest_client.hpp"
#include "pki/revocation.hpp"

namespace sso::cli {
namespace {

using nlohmann::json;

constexpr const char* kCommand = "revoke";

std::string serial_of(const json& secure_service) {
  const json status = secure_service.value("status", json::object());
  if (!status.is_object()) return "";
  const json certificate = status.value("certificate", json::object());
  return certificate.is_object() ? kube::string_field(certificate, "serialNumber") : "";
}

}  // namespace

// Asks the operator, through the annotation it answers (api::kRevokeAnnotation), to revoke a
// SecureService's certificate; then waits for the new one. The operator does the revoking, so
// that the CA key never leaves it and `kubectl annotate` does the same thing.
int run_revoke(const std::vector<std::string>& args, CommandContext& ctx) {
  std::string ns = "default", reason_name = "unspecified", kubeconfig, wait = "60s";
  FlagSet flags(kCommand, "NAME",
                "Revokes the certificate the SecureService NAME holds now: the operator lists its serial in the\n"
                "cluster CA's CRL (ca.crl of every trust bundle), then issues a new key and certificate. The\n"
                "request is the annotation secureservice.io/revoke=REASON, which `kubectl annotate` can set\n"
                "too. Waits for the new certificate and prints both serials.\n"
                "Exit code: 0 revoked and replaced, 1 failed or not replaced in time, 2 bad usage.");
  flags.add_string("namespace", 'n', &ns, "the SecureService's namespace");
  flags.add_string("reason", 0, &reason_name,
                   "RFC 5280 reason: unspecified, keyCompromise, caCompromise, affiliationChanged, superseded, "
                   "cessationOfOperation, certificateHold, privilegeWithdrawn");
  flags.add_string("kubeconfig", 0, &kubeconfig, "kubeconfig file; default $KUBECONFIG or ~/.kube/config");
  flags.add_string("wait", 0, &wait, "how long to wait for the new certificate (0: do not wait)");
  std::vector<std::string> positional;
  if (auto code = parse_or_exit_code(flags, args, ctx, &positional, {1, "one SecureService NAME"})) return *code;
  const std::string& name = positional[0];
  const auto reason = pki::parse_revocation_reason(reason_name);
  if (!reason.ok()) return usage_error(ctx, kCommand, "--reason: " + reason.error().message());
  const auto timeout = parse_duration(wait);
  if (!timeout.ok()) return usage_error(ctx, kCommand, "--wait: " + timeout.error().message());

  auto config = kube::resolve_cluster_config(kubeconfig, kube::process_environment());
  if (!config.ok()) return command_error(ctx, kCommand, config.error().describe());
  auto client = kube::RestClient::create(*config, {});
  if (!client.ok()) return command_error(ctx, kCommand, client.error().describe());
  const std::string what = "secureservice " + ns + "/" + name;
  auto current = (*client)->get(api::secure_services(), ns, name);
  if (!current.ok()) {
    if (kube::is_not_found(current.error())) return command_error(ctx, kCommand, what + " not found");
    return command_error(ctx, kCommand, "read " + what + ": " + current.error().describe());
  }
  const std::string serial = serial_of(*current);
  if (serial.empty()) return command_error(ctx, kCommand, what + " has no certificate yet (status.certificate)");

  // Conditional on what was read: the serial printed is the one the operator revokes.
  const json patch = {{"metadata",
                       {{"annotations", {{api::kRevokeAnnotation, std::string(pki::to_string(*reason))}}},
                        {"resourceVersion", kube::resource_version_of(*current)}}}};
  auto requested = (*client)->merge_patch(api::secure_services(), ns, name, patch);
  if (!requested.ok())
    return command_error(ctx, kCommand,
                         "annotate " + what + ": " + requested.error().describe() +
                             (kube::is_conflict(requested.error()) ? " (it changed meanwhile: retry)" : ""));
  ctx.out << what << ": revocation of certificate " << serial << " (" << pki::to_string(*reason) << ") requested\n";
  if (*timeout <= std::chrono::nanoseconds::zero()) return kExitOk;

  const TimePoint deadline = ctx.clock.now() + *timeout;
  while (ctx.clock.now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto now = (*client)->get(api::secure_services(), ns, name);
    if (!now.ok()) continue;  // the operator keeps going; so do we, until the deadline
    const std::string replacement = serial_of(*now);
    if (!replacement.empty() && replacement != serial) {
      ctx.out << what << ": certificate " << serial << " is revoked; the new certificate is " << replacement << "\n";
      return kExitOk;
    }
  }
  return command_error(ctx, kCommand,
                       "certificate " + serial + " was not replaced within " + wait +
                           "; see the Events of `kubectl describe secureservice -n " + ns + " " + name + "`");
}

}  // namespace sso::cli
