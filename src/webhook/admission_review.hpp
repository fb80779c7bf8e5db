#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

// admission.k8s.io/v1 AdmissionReview, as kube-apiserver sends it to a webhook and reads
// the answer back (k8s.io/api/admission/v1/types.go). Plain types: the HTTP edge decodes the
// body into an AdmissionRequest, a pure handler answers with an AdmissionResponse, the edge
// encodes it (controller-runtime pkg/webhook/admission/http.go).
namespace sso::webhook {

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;
  bool operator==(const GroupVersionKind&) const = default;
};

struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;
  bool operator==(const GroupVersionResource&) const = default;
};

struct UserInfo {
  std::string username;
  std::string uid;
  std::vector<std::string> groups;
};

// Its implicit move is noexcept; clang-tidy sees through to nlohmann::json's invariant
// assertion, which cannot throw.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct AdmissionRequest {
  std::string uid;
  GroupVersionKind kind;
  GroupVersionResource resource;
  std::string sub_resource;
  std::string name;       // empty on CREATE with generateName before a name is generated
  std::string ns;         // empty for cluster-scoped objects
  std::string operation;  // CREATE, UPDATE, DELETE or CONNECT
  UserInfo user_info;
  nlohmann::json object;      // null when absent (DELETE)
  nlohmann::json old_object;  // null when absent (CREATE)
  bool dry_run = false;
};

struct AdmissionResponse {
  std::string uid;
  bool allowed = true;
  // When denied: status.code (403 unless set), status.reason ("Forbidden") and status.message.
  int code = 0;
  std::string status_reason;
  std::string message;
  std::vector<std::string> warnings;
  // For secureservice_admission_decisions_total{reason}: why (e.g. "MissingMount",
  // "Compliant"). Never sent to the API server.
  std::string decision_reason;
};

// Decodes an AdmissionReview request body. Refuses (kInvalidArgument, one line naming the
// field, e.g. "request.uid: missing") anything that is not an admission.k8s.io/v1
// AdmissionReview with a request carrying a uid, kind, resource and operation; a message quotes
// at most the first 64 bytes of an offending value. Never throws.
Result<AdmissionRequest> decode_admission_review(std::string_view body);

// The AdmissionReview kube-apiserver expects back: apiVersion admission.k8s.io/v1, kind
// AdmissionReview, response {uid, allowed, status (when denied), warnings (when any)}.
std::string encode_admission_review(const AdmissionResponse& response);

// The answers a handler gives, with the request's uid filled in.
AdmissionResponse allow(const AdmissionRequest& request, std::string decision_reason,
                        std::vector<std::string> warnings = {});
AdmissionResponse deny(const AdmissionRequest& request, std::string decision_reason, std::string message);

// What secureservice_admission_decisions_total calls the outcome: "allowed", "denied", or
// "warned" (allowed with warnings: Audit mode).
std::string_view decision_of(const AdmissionResponse& response);

}  // namespace sso::webhook
