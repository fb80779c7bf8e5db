#include "pki/openssl_ptr.hpp"

#include <openssl/err.h>

namespace sso::pki {

Error openssl_error(std::string step, ErrorCode code) {
  std::string detail;
  unsigned long err = 0;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  if (detail.empty()) detail = "no detail from OpenSSL";
  return Error(code, detail).add_context(std::move(step));
}

void clear_openssl_errors() { ERR_clear_error(); }

std::string bio_contents(BIO& bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(&bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

}  // namespace sso::pki
