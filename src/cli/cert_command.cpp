#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/tls_material.hpp"
#include "cli/usage.hpp"
#include "pki/inspection.hpp"

namespace sso::cli {
namespace {

Result<std::string> read_input(const std::string& path, std::istream& in) {
  std::string data;
  if (path == "-") {
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) return not_found(path + ": cannot open the file");
    data.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return data;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out.empty() ? "-" : out;
}

void print_text(const pki::Inspection& i, const std::string& source, std::ostream& out) {
  auto row = [&](const std::string& label, const std::string& value) {
    std::string l = label + ":";
    l.resize(22, ' ');
    out << l << value << "\n";
  };
  row("Source", source);
  row("Subject", i.subject.empty() ? "-" : i.subject);
  row("DNS names", join(i.dns_names));
  row("SPIFFE ID", i.spiffe_id.empty() ? "-" : i.spiffe_id);
  std::vector<std::string> other_uris;
  for (const auto& u : i.uris)
    if (u != i.spiffe_id) other_uris.push_back(u);
  if (!other_uris.empty()) row("URIs", join(other_uris));
  row("Issuer", i.issuer);
  row("Serial", i.serial_hex);
  row("Not before", format_rfc3339(i.not_before));
  row("Not after", format_rfc3339(i.not_after));
  row("Renewal time", format_rfc3339(i.renewal_time));
  row("SHA-256 fingerprint", i.fingerprint_sha256);
  row("Public key", i.public_key);
  row("Key usage", join(i.key_usages));
  row("Extended key usage", join(i.extended_key_usages));
  row("CA", i.is_ca ? "yes" : "no");
  row("Chain length", std::to_string(i.chain_length));
  row("Key matches",
      !i.key_matches ? "no key given" : (*i.key_matches ? "yes" : "NO: the key is not this certificate's"));
}

nlohmann::json to_json(const pki::Inspection& i, const std::string& source) {
  nlohmann::json j = {
      {"source", source},
      {"subject", i.subject},
      {"commonName", i.common_name},
      {"dnsNames", i.dns_names},
      {"uris", i.uris},
      {"spiffeID", i.spiffe_id},
      {"issuer", i.issuer},
      {"serialNumber", i.serial_hex},
      {"notBefore", format_rfc3339(i.not_before)},
      {"notAfter", format_rfc3339(i.not_after)},
      {"renewalTime", format_rfc3339(i.renewal_time)},
      {"fingerprintSHA256", i.fingerprint_sha256},
      {"publicKey", i.public_key},
      {"keyUsages", i.key_usages},
      {"extendedKeyUsages", i.extended_key_usages},
      {"isCA", i.is_ca},
      {"chainLength", i.chain_length},
  };
  j["keyMatches"] = i.key_matches ? nlohmann::json(*i.key_matches) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

int run_cert_inspect(const std::vector<std::string>& args, CommandContext& ctx) {
  const std::string command = "cert inspect";
  std::string output = "text";
  std::string key_path;
  FlagSet flags(command, "FILE|-",
                "Shows what a certificate says: subject, DNS names, SPIFFE ID, issuer, serial, validity, renewal\n"
                "time, SHA-256 fingerprint, and whether the private key matches. FILE is PEM (certificates and\n"
                "optionally a key) or a kubernetes.io/tls Secret manifest in YAML or JSON; - reads stdin.\n"
                "Exits 1 when the input cannot be read or the key does not match the certificate.");
  flags.add_string("output", 'o', &output, "output format: text or json");
  flags.add_string("key", 0, &key_path, "a PEM private key file to check against the certificate");
  std::vector<std::string> files;
  if (auto code = parse_or_exit_code(flags, args, ctx, &files, {1, "expects one FILE (or - for stdin)"})) return *code;
  if (output != "text" && output != "json") return usage_error(ctx, command, "--output must be text or json");

  auto input = read_input(files.front(), ctx.in);
  if (!input.ok()) return command_error(ctx, command, input.error().describe());
  auto material = read_tls_material(*input);
  if (!material.ok())
    return command_error(ctx, command, std::move(material).error().add_context(files.front()).describe());
  std::string key_pem(material->key_pem.reveal());
  if (!key_path.empty()) {
    auto key = read_input(key_path, ctx.in);
    if (!key.ok()) return command_error(ctx, command, key.error().describe());
    key_pem = std::move(*key);
  }
  auto inspection = pki::inspect_pem(material->certificates_pem, key_pem);
  if (!key_pem.empty()) OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!inspection.ok())
    return command_error(ctx, command, std::move(inspection).error().add_context(files.front()).describe());

  if (output == "json") {
    ctx.out << to_json(*inspection, material->source).dump(2) << "\n";
  } else {
    print_text(*inspection, material->source, ctx.out);
  }
  return inspection->key_matches.value_or(true) ? kExitOk : kExitFailure;
}

}  // namespace sso::cli
