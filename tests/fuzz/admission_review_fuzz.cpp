// Fuzz target: the AdmissionReview body kube-apiserver (or anything that reaches the webhook's
// port) POSTs. Decoding never throws; a refusal is one bounded line of UTF-8; a decoded
// request is answered, both ways, with a review that parses and carries its uid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "webhook/admission_review.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // the strict handler throws on bytes that are not UTF-8
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

void check_answer(const sso::webhook::AdmissionRequest& request, const sso::webhook::AdmissionResponse& response) {
  const auto review = nlohmann::json::parse(sso::webhook::encode_admission_review(response), nullptr, false);
  check(!review.is_discarded() && review.is_object());
  check(review.value("apiVersion", "") == "admission.k8s.io/v1");
  check(review.value("kind", "") == "AdmissionReview");
  const auto answer = review.find("response");
  check(answer != review.end() && answer->is_object());
  const auto uid = answer->find("uid");
  check(uid != answer->end() && uid->is_string() && uid->get<std::string>() == request.uid);
  const auto allowed = answer->find("allowed");
  check(allowed != answer->end() && allowed->is_boolean() && allowed->get<bool>() == response.allowed);
  check(answer->contains("status") == !response.allowed);
  check(!answer->contains("decision_reason") && !answer->contains("decisionReason"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto request = sso::webhook::decode_admission_review(body);
  if (!request.ok()) {
    const std::string& message = request.error().message();
    check(request.error().code() == sso::ErrorCode::kInvalidArgument);
    check(message.find('\n') == std::string::npos && message.size() <= 512);
    check(is_utf8(message));
    return 0;
  }
  check(!request->uid.empty());
  check(request->operation == "CREATE" || request->operation == "UPDATE" || request->operation == "DELETE" ||
        request->operation == "CONNECT");
  check(request->object.is_null() || request->object.is_object());
  check(request->old_object.is_null() || request->old_object.is_object());

  // The answers a handler gives, carrying what it read from the request (names can be any UTF-8).
  const auto allowed = sso::webhook::allow(*request, "Compliant", {request->name, request->ns});
  check(sso::webhook::decision_of(allowed) == "warned");
  check_answer(*request, allowed);
  const auto denied = sso::webhook::deny(*request, "MissingMount", "pod " + request->ns + "/" + request->name);
  check(sso::webhook::decision_of(denied) == "denied");
  check_answer(*request, denied);
  return 0;
}
