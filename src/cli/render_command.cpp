#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "api/secure_service.hpp"
#include "base/base64.hpp"
#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/manifest_files.hpp"
#include "cli/usage.hpp"
#include "controller/cluster_ca.hpp"
#include "controller/desired_policies.hpp"
#include "controller/identity_secret.hpp"
#include "controller/peers.hpp"
#include "kube/manifest_yaml.hpp"
#include "kube/resource.hpp"
#include "pki/revocation.hpp"

namespace sso::cli {
namespace {

using nlohmann::json;

constexpr const char* kCommand = "render";
// A CA file is a few certificates at most; refuse anything that is clearly not one.
constexpr std::uintmax_t kMaxCaFileBytes = 1 << 20;

// The SecureServices of every file, in one order whatever the order of the files: by
// namespace, then name.
Result<std::vector<SecureServiceInput>> read_sorted_secure_services(const std::vector<std::string>& paths,
                                                                    std::istream& in) {
  std::optional<std::string> stdin_text;
  SSO_ASSIGN_OR_RETURN(auto objects, read_manifest_files(paths, in, stdin_text));
  SSO_ASSIGN_OR_RETURN(auto inputs, read_secure_services(objects, ""));
  std::sort(inputs.begin(), inputs.end(), [](const SecureServiceInput& a, const SecureServiceInput& b) {
    return std::tie(a.service.ns, a.service.name) < std::tie(b.service.ns, b.service.name);
  });
  return inputs;
}

// The CA `ca create --out-dir DIR` writes: tls.crt, tls.key and, optionally, ca.crt (the roots
// of an intermediate), loaded as the operator loads a CA Secret with those keys.
Result<controller::ClusterCa> load_ca_dir(const std::string& dir, TimePoint now) {
  json secret = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"data", json::object()}};
  for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      if (std::string(name) == "ca.crt") continue;
      return failed_precondition(path.string() + ": does not exist (want the files 'ca create --out-dir' writes)");
    }
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) return failed_precondition(path.string() + ": " + ec.message());
    if (size > kMaxCaFileBytes) return invalid_argument(path.string() + ": larger than 1 MiB: not a CA file");
    SSO_ASSIGN_OR_RETURN(std::string bytes, read_file(path.string()));
    secret["data"][name] = base64_encode(bytes);
  }
  SSO_ASSIGN_OR_RETURN(auto ca, controller::load_ca_secret(secret, now), "--ca-dir " + dir);
  if (ca.crl_pem.empty()) {
    // The operator's cluster CA always publishes a CRL in the trust bundle; so does render's.
    const controller::ClusterCaOptions defaults;
    SSO_ASSIGN_OR_RETURN(ca.crl_pem,
                         pki::sign_crl(ca.issuer, pki::RevocationList(), 1, now, now + defaults.crl_validity),
                         "--ca-dir " + dir + ": sign a CRL");
  }
  return ca;
}

// A CA for this run only, minted as the operator mints its cluster CA on first start.
Result<controller::ClusterCa> mint_ca(TimePoint now) {
  const controller::ClusterCaOptions options;
  SSO_ASSIGN_OR_RETURN(
      auto step,
      controller::next_ca_secret_step(json(nullptr), "secureservice-system", "secureservice-operator-ca", options, now),
      "mint a CA");
  if (!step.secret) return internal_error("mint a CA: no Secret was produced");
  return controller::load_ca_secret(*step.secret, now);
}

// Everything the controller writes for `inputs`, in order: per SecureService its identity
// Secret, the trust bundle of its namespace (once, with the namespace's first service), then
// its NetworkPolicy and mesh objects. Warnings go to `err`; key material never does.
Result<std::vector<json>> render(const std::vector<SecureServiceInput>& inputs, const controller::ClusterCa& ca,
                                 const controller::ClusterSettings& settings, TimePoint now, std::ostream& err) {
  std::map<std::string, const api::SecureService*> by_key;
  std::vector<api::SecureService> services;
  services.reserve(inputs.size());
  for (const auto& input : inputs) services.push_back(input.service);
  for (const auto& s : services) by_key[kube::object_key(s.ns, s.name)] = &s;
  auto lookup = [&](const std::string& ns, const std::string& name) -> const api::SecureService* {
    auto it = by_key.find(kube::object_key(ns, name));
    return it == by_key.end() ? nullptr : it->second;
  };

  std::vector<json> objects;
  std::set<std::string> bundles;
  std::map<std::string, std::string> secret_writers;  // ns/secretName -> the SecureService writing it
  for (const auto& input : inputs) {
    const api::SecureService& service = input.service;
    const std::string key = kube::object_key(service.ns, service.name);
    const std::string secret_key = kube::object_key(service.ns, service.tls.secret_name);
    // The controller would refuse the second (SecretConflict): the Secret is owned by the first.
    if (auto [it, inserted] = secret_writers.emplace(secret_key, key); !inserted)
      return invalid_argument(std::string(input.where)
                                  .append(": spec.tls.secretName: SecureServices ")
                                  .append(it->second)
                                  .append(" and ")
                                  .append(key)
                                  .append(" would both write the Secret ")
                                  .append(secret_key));
    if (service.ca_secret_ref)
      err << "warning: SecureService " << key << ": spec.issuer.caSecretRef " << service.ca_secret_ref->ns << "/"
          << service.ca_secret_ref->name << " is not read offline; signed by the render CA instead\n";
    if (service.tls.pkcs12)
      err << "warning: SecureService " << key
          << ": spec.tls.keystores.pkcs12: the password Secret is not read offline; keystore.p12 is left out\n";

    SSO_ASSIGN_OR_RETURN(auto request, api::identity_request(service, settings.cluster_domain, settings.trust_domain),
                         input.where);
    SSO_ASSIGN_OR_RETURN(auto plan,
                         controller::plan_identity_secret({service, request, ca, json(nullptr), std::nullopt, now}),
                         input.where + ": plan the identity Secret " + secret_key);
    objects.push_back(std::move(plan.secret));
    if (bundles.insert(service.ns).second) objects.push_back(controller::build_trust_bundle(service.ns, ca));

    const auto clients = controller::resolve_clients(service, lookup);
    for (const auto& peer : clients)
      if (peer.is_secure_service() && !peer.found)
        err << "warning: SecureService " << key << ": spec.allowedClients: no SecureService " << peer.ns << "/"
            << peer.secure_service << " in the input; nothing is allowed for it (as the operator does until it "
            << "exists)\n";
    std::vector<controller::Peer> servers;
    if (service.restrict_egress) servers = controller::servers_of(service, services);
    auto policies = controller::desired_policy_objects(service, clients, servers, settings);
    objects.insert(objects.end(), std::make_move_iterator(policies.begin()), std::make_move_iterator(policies.end()));
  }
  return objects;
}

}  // namespace

int run_render(const std::vector<std::string>& args, CommandContext& ctx) {
  std::vector<std::string> files;
  std::string ca_dir;
  controller::ClusterSettings settings;
  FlagSet flags(kCommand, "",
                "Prints every object the operator would write for the SecureServices in FILE (the identity\n"
                "Secret with a real key and certificate, the namespace's trust-bundle ConfigMap, the\n"
                "NetworkPolicy and the Istio or Linkerd objects) as one YAML stream, without a cluster: for\n"
                "review and GitOps. Other kinds in FILE are skipped; allowedClients are resolved against the\n"
                "SecureServices given. The output holds private keys: treat it as a Secret.");
  flags.add_string_list("filename", 'f', &files, "a manifest file, a directory of them, or - for stdin (repeatable)");
  flags.add_string("ca-dir", 0, &ca_dir,
                   "sign with the CA in this directory (tls.crt, tls.key, as 'ca create --out-dir' writes); "
                   "default: a CA minted for this run");
  flags.add_string("cluster-domain", 0, &settings.cluster_domain,
                   "the cluster's DNS domain, in certificates' DNS names");
  flags.add_string("trust-domain", 0, &settings.trust_domain, "the SPIFFE trust domain of workload identities");
  if (auto code = parse_or_exit_code(flags, args, ctx)) return *code;
  if (files.empty()) return usage_error(ctx, kCommand, "-f FILE is required");
  const TimePoint now = ctx.clock.now();

  auto inputs = read_sorted_secure_services(files, ctx.in);
  if (!inputs.ok()) return command_error(ctx, kCommand, inputs.error().describe());
  if (inputs->empty()) return command_error(ctx, kCommand, "no SecureService in the input");

  auto ca = ca_dir.empty() ? mint_ca(now) : load_ca_dir(ca_dir, now);
  if (!ca.ok()) return command_error(ctx, kCommand, ca.error().describe());
  if (ca_dir.empty())
    ctx.err << "note: no --ca-dir: signed by a CA minted for this run (\"" << ca->issuer.certificate().subject()
            << "\"), whose key is not kept; pass --ca-dir with the files of 'ca create --out-dir' to sign with "
            << "your CA\n";

  auto objects = render(*inputs, *ca, settings, now, ctx.err);
  if (!objects.ok()) return command_error(ctx, kCommand, objects.error().describe());
  ctx.out << kube::write_manifests(*objects);
  return kExitOk;
}

}  // namespace sso::cli
