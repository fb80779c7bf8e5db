#include "controller/status.hpp"

namespace sso::controller {

using nlohmann::json;

namespace {

json previous_condition(const json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (const auto& c : status["conditions"])
    if (c.is_object() && c.value("type", "") == type) return c;
  return nullptr;
}

json condition_json(const json& current_status, int64_t generation, const Condition& c, TimePoint now) {
  const std::string status = c.status ? "True" : "False";
  const json previous = previous_condition(current_status, c.type);
  std::string transitioned = format_rfc3339(now);
  if (previous.is_object() && previous.value("status", "") == status && previous.contains("lastTransitionTime") &&
      previous["lastTransitionTime"].is_string())
    transitioned = previous["lastTransitionTime"].get<std::string>();
  return {{"type", c.type},
          {"status", status},
          {"observedGeneration", generation},
          {"lastTransitionTime", transitioned},
          {"reason", c.reason},
          {"message", c.message}};
}

}  // namespace

json build_status(const json& current_status, int64_t generation, const std::vector<Condition>& conditions,
                  const std::optional<CertificateStatus>& certificate, TimePoint now) {
  Condition ready{kReady, true, "Ready", "the identity, network policy and mesh policy are in place"};
  for (const auto& c : conditions) {
    if (!c.status) {
      ready = {kReady, false, c.reason, c.message};
      break;
    }
  }
  json out = json::object();
  out["observedGeneration"] = generation;
  json list = json::array({condition_json(current_status, generation, ready, now)});
  for (const auto& c : conditions) list.push_back(condition_json(current_status, generation, c, now));
  out["conditions"] = std::move(list);
  if (certificate) {
    out["certificate"] = {{"serialNumber", certificate->serial_number},
                          {"notBefore", format_rfc3339(certificate->not_before)},
                          {"notAfter", format_rfc3339(certificate->not_after)},
                          {"renewalTime", format_rfc3339(certificate->renewal_time)},
                          {"fingerprintSHA256", certificate->fingerprint_sha256},
                          {"issuer", certificate->issuer},
                          {"revision", certificate->revision}};
    if (certificate->restarted_for_revision)
      out["certificate"]["restartedForRevision"] = *certificate->restarted_for_revision;
  } else if (current_status.is_object() && current_status.contains("certificate")) {
    out["certificate"] = current_status["certificate"];  // keep what is known when issuing failed
  }
  return out;
}

}  // namespace sso::controller
