#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace sso::testing {

// A file from tests/support/certs (made by its certs.sh).
inline std::string cert_fixture(const std::string& name) {
  std::ifstream f(std::string(SSO_TEST_CERTS_DIR) + "/" + name);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace sso::testing
