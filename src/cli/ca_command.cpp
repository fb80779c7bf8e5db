#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/secret_manifest.hpp"
#include "cli/usage.hpp"
#include "pki/certificate_authority.hpp"

namespace sso::cli {
namespace {

// Writes a new file with `mode`; never replaces one, so that an existing CA key is not lost.
Status write_new_file(const std::filesystem::path& path, std::string_view bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    const int e = errno;
    return Error(e == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kFailedPrecondition,
                 std::string(e == EEXIST ? "already exists; remove it first to replace it" : std::strerror(e)))
        .add_context(path.string());
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Error(ErrorCode::kFailedPrecondition, std::strerror(e)).add_context(path.string());
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return Error(ErrorCode::kFailedPrecondition, std::strerror(errno)).add_context(path.string());
  return ok_status();
}

}  // namespace

int run_ca_create(const std::vector<std::string>& args, CommandContext& ctx) {
  const std::string command = "ca create";
  std::string algorithm = "ECDSA";
  std::string size = "0";
  std::string validity = "87600h";
  std::string name = "secureservice-ca";
  std::string ns = "secureservice-system";
  std::string common_name = "secureservice-operator CA";
  std::string out_dir;
  FlagSet flags(command, "",
                "Creates a self-signed root CA and prints it as a kubernetes.io/tls Secret manifest, so that\n"
                "'secureservice-operator ca create | kubectl apply -f -' brings your own CA. With --out-dir,\n"
                "writes tls.crt, tls.key (mode 0600) and ca.crt there instead; existing files are never replaced.");
  flags.add_string("algorithm", 'a', &algorithm, "key algorithm: ECDSA, RSA or Ed25519");
  flags.add_string("size", 0, &size,
                   "key size: 256, 384 or 521 for ECDSA; 2048, 3072 or 4096 for RSA; 0 for the default");
  flags.add_string("validity", 0, &validity, "how long the CA is valid, as a Go duration");
  flags.add_string("name", 0, &name, "the Secret's name");
  flags.add_string("namespace", 'n', &ns, "the Secret's namespace");
  flags.add_string("common-name", 0, &common_name, "the CA's subject common name");
  flags.add_string("out-dir", 0, &out_dir, "write PEM files to this directory instead of printing a Secret");
  if (auto code = parse_or_exit_code(flags, args, ctx)) return *code;

  int key_size = 0;
  try {
    size_t used = 0;
    key_size = std::stoi(size, &used);
    if (used != size.size()) throw std::invalid_argument(size);
  } catch (const std::exception&) {
    return usage_error(ctx, command, "--size \"" + size + "\" is not a number");
  }
  auto spec = pki::make_key_spec(algorithm, key_size);
  if (!spec.ok()) return usage_error(ctx, command, spec.error().describe());
  auto lifetime = parse_duration(validity);
  if (!lifetime.ok()) return usage_error(ctx, command, "--validity: " + lifetime.error().describe());

  pki::CaOptions options;
  options.common_name = common_name;
  options.key = *spec;
  options.validity = std::chrono::duration_cast<std::chrono::seconds>(*lifetime);
  auto ca = pki::CertificateAuthority::create(options, ctx.clock.now());
  if (!ca.ok()) return command_error(ctx, command, ca.error().describe());
  const std::string cert_pem = ca->certificate().to_pem();
  const pki::SecretBytes key_pem = ca->key_pem();

  if (!out_dir.empty()) {
    const std::filesystem::path dir(out_dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return command_error(ctx, command, out_dir + ": " + ec.message());
    // Refuse before writing anything, so that no half-written set replaces part of an old one.
    for (const char* file : {"tls.key", "tls.crt", "ca.crt"})
      if (std::filesystem::exists(dir / file, ec))
        return command_error(ctx, command, (dir / file).string() + ": already exists; remove it first to replace it");
    // The key first: if it cannot be written, no certificate is left without its key.
    for (const auto& [file, bytes, mode] : {std::tuple{"tls.key", key_pem.reveal(), mode_t{0600}},
                                            std::tuple{"tls.crt", std::string_view(cert_pem), mode_t{0644}},
                                            std::tuple{"ca.crt", std::string_view(cert_pem), mode_t{0644}}}) {
      if (auto st = write_new_file(dir / file, bytes, mode); !st.ok())
        return command_error(ctx, command, st.error().describe());
    }
    ctx.err << "wrote " << (dir / "tls.crt").string() << ", " << (dir / "tls.key").string() << " and "
            << (dir / "ca.crt").string() << " (CA \"" << ca->certificate().subject() << "\", " << pki::describe(*spec)
            << ", valid until " << format_rfc3339(ca->certificate().not_after()) << ")\n";
    return kExitOk;
  }

  SecretManifest secret;
  secret.name = name;
  secret.ns = ns;
  secret.labels = {{"app.kubernetes.io/name", "secureservice-operator"}, {"app.kubernetes.io/component", "ca"}};
  secret.data = {{"tls.crt", cert_pem}, {"tls.key", std::string(key_pem.reveal())}, {"ca.crt", cert_pem}};
  ctx.out << to_yaml(secret);
  return kExitOk;
}

}  // namespace sso::cli
