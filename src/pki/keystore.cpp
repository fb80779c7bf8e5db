#include "pki/keystore.hpp"

namespace sso::pki {
namespace {

// PBKDF2 iterations, as OpenSSL 3's PKCS12_DEFAULT_ITER.
constexpr int kIterations = 2048;

}  // namespace

Result<SecretBytes> encode_pkcs12(const Identity& identity, const std::vector<Certificate>& ca_certificates,
                                  const SecretBytes& password, std::string_view alias) {
  if (password.empty()) return invalid_argument("encode PKCS#12 keystore: the password is empty");
  if (password.reveal().find('\0') != std::string_view::npos)
    return invalid_argument("encode PKCS#12 keystore: the password holds a NUL byte");
  X509StackPtr extra(sk_X509_new_null());
  auto push = [&](const Certificate& c) {
    X509_up_ref(&c.native());
    sk_X509_push(extra.get(), &c.native());
  };
  for (size_t i = 1; i < identity.chain.size(); ++i) push(identity.chain[i]);
  for (const auto& ca : ca_certificates) push(ca);
  const std::string pass(password.reveal());
  const std::string name(alias);
  Pkcs12Ptr p12(PKCS12_create_ex(pass.c_str(), name.c_str(), &identity.key.native(), &identity.leaf().native(),
                                 extra.get(), NID_aes_256_cbc, NID_aes_256_cbc, kIterations, kIterations, 0, nullptr,
                                 nullptr));
  OPENSSL_cleanse(const_cast<char*>(pass.data()), pass.size());
  if (!p12) return openssl_error("encode PKCS#12 keystore");
  if (PKCS12_set_mac(p12.get(), password.reveal().data(), static_cast<int>(password.size()), nullptr, 0, kIterations,
                     EVP_sha256()) != 1)
    return openssl_error("encode PKCS#12 keystore: MAC");
  unsigned char* der = nullptr;
  const int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) return openssl_error("encode PKCS#12 keystore");
  SecretBytes out(std::string(reinterpret_cast<char*>(der), static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

}  // namespace sso::pki
