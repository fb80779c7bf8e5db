#pragma once

#include <string>
#include <vector>

// What an admission policy decides about one request, before it becomes an AdmissionResponse.
namespace sso::webhook {

struct Verdict {
  bool allowed = true;
  // CamelCase, for secureservice_admission_decisions_total{reason}: the first failing check's
  // reason ("MissingMount", "SelectorOverlap"...), or "Compliant", "NotSelected", "Audited"...
  std::string reason;
  std::string message;                // the denial message; empty when allowed
  std::vector<std::string> warnings;  // each one problem, as kubectl prints "Warning: <text>"
};

}  // namespace sso::webhook
