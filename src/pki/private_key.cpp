#include "pki/private_key.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <cctype>

#include "pki/pem.hpp"

namespace sso::pki {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

const char* curve_for_size(int size) {
  switch (size) {
    case 256: return "P-256";
    case 384: return "P-384";
    case 521: return "P-521";
    default: return nullptr;
  }
}

}  // namespace

Result<KeySpec> make_key_spec(std::string_view algorithm, int size) {
  const std::string name = lowercase(algorithm);
  if (size < 0) return invalid_argument("privateKey.size " + std::to_string(size) + " is negative");
  if (name == "ecdsa" || name == "ec" || name.empty()) {
    const int s = size == 0 ? 256 : size;
    if (curve_for_size(s) == nullptr)
      return invalid_argument("privateKey.size " + std::to_string(s) +
                              " is not offered for ECDSA (use 256, 384 or 521)");
    return KeySpec{KeyAlgorithm::kECDSA, s};
  }
  if (name == "rsa") {
    const int s = size == 0 ? 2048 : size;
    if (s != 2048 && s != 3072 && s != 4096)
      return invalid_argument("privateKey.size " + std::to_string(s) +
                              " is not offered for RSA (use 2048, 3072 or 4096)");
    return KeySpec{KeyAlgorithm::kRSA, s};
  }
  if (name == "ed25519") return KeySpec{KeyAlgorithm::kEd25519, 0};  // size is ignored, as cert-manager does
  return invalid_argument("privateKey.algorithm \"" + std::string(algorithm.substr(0, 32)) +
                          "\" is not supported (use ECDSA, RSA or Ed25519)");
}

std::string_view algorithm_name(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kECDSA: return "ECDSA";
    case KeyAlgorithm::kRSA: return "RSA";
    case KeyAlgorithm::kEd25519: return "Ed25519";
  }
  return "unknown";
}

std::string describe(const KeySpec& spec) {
  switch (spec.algorithm) {
    case KeyAlgorithm::kECDSA: return std::string("ECDSA ") + curve_for_size(spec.size);
    case KeyAlgorithm::kRSA: return "RSA " + std::to_string(spec.size);
    case KeyAlgorithm::kEd25519: return "Ed25519";
  }
  return "unknown";
}

Result<KeySpec> key_spec_of(const EVP_PKEY& key) {
  switch (EVP_PKEY_get_base_id(&key)) {
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(&key);
      if (curve_for_size(bits) == nullptr)
        return unimplemented("EC key on a " + std::to_string(bits) + "-bit curve is not supported");
      return KeySpec{KeyAlgorithm::kECDSA, bits};
    }
    case EVP_PKEY_RSA: return KeySpec{KeyAlgorithm::kRSA, EVP_PKEY_get_bits(&key)};
    case EVP_PKEY_ED25519: return KeySpec{KeyAlgorithm::kEd25519, 0};
    default:
      return unimplemented("key type " + std::string(OBJ_nid2sn(EVP_PKEY_get_base_id(&key))) + " is not supported");
  }
}

Result<PrivateKey> PrivateKey::generate(const KeySpec& spec) {
  EVP_PKEY* raw = nullptr;
  switch (spec.algorithm) {
    case KeyAlgorithm::kECDSA: {
      const char* curve = curve_for_size(spec.size);
      if (curve == nullptr) return invalid_argument("ECDSA size " + std::to_string(spec.size) + " is not supported");
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
      break;
    }
    case KeyAlgorithm::kRSA:
      if (spec.size < 2048 || spec.size > 8192)
        return invalid_argument("RSA size " + std::to_string(spec.size) + " is not supported");
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.size));
      break;
    case KeyAlgorithm::kEd25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (raw == nullptr) return openssl_error("generate " + describe(spec) + " key");
  return PrivateKey(PKeyPtr(raw), spec);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  SSO_ASSIGN_OR_RETURN(auto blocks, decode_pem_blocks(pem), "read private key");
  const PemBlock* found = nullptr;
  for (const auto& block : blocks) {
    if (!is_private_key_label(block.label)) continue;
    if (found != nullptr) return invalid_argument("read private key: more than one private key in the input");
    found = &block;
  }
  if (found == nullptr) return invalid_argument("read private key: not a PEM private key");
  if (found->label == "ENCRYPTED PRIVATE KEY")
    return invalid_argument("read private key: encrypted private keys are not supported");
  const auto* p = reinterpret_cast<const unsigned char*>(found->der.data());
  const auto* end = p + found->der.size();
  PKeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(found->der.size())));
  if (!key || p != end) {
    // The decoder's detail may quote bytes of the key; say only what failed.
    clear_openssl_errors();
    return invalid_argument("read private key: " + found->label + " block is not a valid private key");
  }
  auto spec = key_spec_of(*key);
  if (!spec.ok()) return std::move(spec).error().add_context("read private key");
  return PrivateKey(std::move(key), *spec);
}

PrivateKey::PrivateKey(const PrivateKey& other) : key_(nullptr), spec_(other.spec_) {
  EVP_PKEY_up_ref(other.key_.get());
  key_.reset(other.key_.get());
}

PrivateKey& PrivateKey::operator=(const PrivateKey& other) {
  if (this != &other) {
    EVP_PKEY_up_ref(other.key_.get());
    key_.reset(other.key_.get());
    spec_ = other.spec_;
  }
  return *this;
}

SecretBytes PrivateKey::to_pkcs8_pem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    // Encoding a key we hold cannot fail but for lack of memory.
    std::abort();
  }
  SecretBytes out(bio_contents(*bio));
  (void)BIO_reset(bio.get());
  return out;
}

std::string PrivateKey::public_key_der() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) std::abort();
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace sso::pki
