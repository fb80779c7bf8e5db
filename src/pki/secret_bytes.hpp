#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>

namespace sso::pki {

// Holds private key material (PEM, PKCS#12, passwords). It is wiped on destruction and has
// no operator<<, so it cannot be streamed into a log line or an error message by accident.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes& other) = default;
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      wipe();
      bytes_ = other.bytes_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.wipe();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  // The bytes, for writing them where they belong (a Secret, a file with mode 0600).
  std::string_view reveal() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }
  size_t size() const { return bytes_.size(); }

  bool operator==(const SecretBytes& other) const {
    return bytes_.size() == other.bytes_.size() &&
           CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
  }

 private:
  void wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_.clear();
  }
  std::string bytes_;
};

}  // namespace sso::pki
