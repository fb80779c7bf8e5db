#pragma once

// sslscan, a TLS scanner nobody here wrote, against one of the project's TLS ports: every
// protocol, every cipher, renegotiation, compression and Heartbleed, held to what the project
// promises (TLS 1.2 and 1.3 only, AEAD ciphers of at least 128 bits, forward secrecy).
#include <gmock/gmock.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"

namespace sso::testing {

// The attributes of every element `<tag .../>` of sslscan's XML report.
inline std::vector<std::map<std::string, std::string>> xml_elements(const std::string& xml, const std::string& tag) {
  std::vector<std::map<std::string, std::string>> out;
  const std::regex attribute(R"re((\w+)="([^"]*)")re");
  for (size_t at = xml.find("<" + tag + " "); at != std::string::npos; at = xml.find("<" + tag + " ", at + 1)) {
    const std::string element = xml.substr(at, xml.find('>', at) - at);
    std::map<std::string, std::string> attributes;
    for (std::sregex_iterator it(element.begin(), element.end(), attribute), end; it != end; ++it)
      attributes[(*it)[1]] = (*it)[2];
    out.push_back(std::move(attributes));
  }
  return out;
}

// Scans 127.0.0.1:port (with SNI `server_name` when given) and checks the report.
inline void expect_only_modern_tls(uint16_t port, const std::string& server_name = "") {
  std::vector<std::string> argv = {SSO_SSLSCAN_BIN, "--no-colour", "--xml=-"};
  if (!server_name.empty()) argv.push_back("--sni-name=" + server_name);
  argv.push_back("127.0.0.1:" + std::to_string(port));
  const auto scan = run_process(argv);
  ASSERT_EQ(scan.exit_code, 0) << scan.err;
  const auto protocols = xml_elements(scan.out, "protocol");
  ASSERT_EQ(protocols.size(), 6u) << scan.out;
  for (const auto& protocol : protocols) {
    const std::string name = protocol.at("type") + " " + protocol.at("version");
    const bool wanted = name == "tls 1.2" || name == "tls 1.3";
    EXPECT_EQ(protocol.at("enabled"), wanted ? "1" : "0") << name;
  }
  const auto ciphers = xml_elements(scan.out, "cipher");
  ASSERT_FALSE(ciphers.empty()) << scan.out;
  for (const auto& cipher : ciphers) {
    const std::string& name = cipher.at("cipher");
    EXPECT_THAT(cipher.at("sslversion"), ::testing::AnyOf("TLSv1.2", "TLSv1.3")) << name;
    EXPECT_GE(std::stoi(cipher.at("bits")), 128) << name;
    const bool aead = name.find("GCM") != std::string::npos || name.find("CHACHA20") != std::string::npos;
    EXPECT_TRUE(aead) << name << " is not an AEAD cipher";
    if (cipher.at("sslversion") == "TLSv1.2") {
      EXPECT_EQ(name.rfind("ECDHE-", 0), 0u) << name << " has no forward secrecy";
    }
  }
  for (const auto& renegotiation : xml_elements(scan.out, "renegotiation"))
    EXPECT_EQ(renegotiation.at("supported"), "0");
  for (const auto& compression : xml_elements(scan.out, "compression")) EXPECT_EQ(compression.at("supported"), "0");
  for (const auto& probe : xml_elements(scan.out, "heartbleed"))
    EXPECT_EQ(probe.at("vulnerable"), "0") << probe.at("sslversion");
}

}  // namespace sso::testing
