#include "apiserver/admission.hpp"

#include <algorithm>
#include <random>

#include "apiserver/patch.hpp"
#include "apiserver/webhook_client.hpp"
#include "base/base64.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

bool contains(const json& list, const std::string& value) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const json& v) { return v.is_string() && (v == value || v == "*"); });
}

bool resource_matches(const json& resources, const std::string& resource, const std::string& subresource) {
  if (!resources.is_array()) return false;
  const std::string wanted = subresource.empty() ? resource : resource + "/" + subresource;
  for (const auto& r : resources) {
    if (!r.is_string()) continue;
    const std::string s = r;
    if (s == wanted || s == "*/*") return true;
    if (s == "*" && subresource.empty()) return true;
    if (s == resource + "/*" && !subresource.empty()) return true;
    if (s == "*/" + subresource && !subresource.empty()) return true;
  }
  return false;
}

bool rules_match(const json& webhook, const AdmissionAttributes& a) {
  for (const auto& rule : webhook.value("rules", json::array())) {
    const std::string scope = rule.value("scope", "*");
    if (scope == "Namespaced" && !a.type.namespaced) continue;
    if (scope == "Cluster" && a.type.namespaced) continue;
    if (contains(rule.value("operations", json::array()), a.operation) &&
        contains(rule.value("apiGroups", json::array()), a.type.group) &&
        contains(rule.value("apiVersions", json::array()), a.version) &&
        resource_matches(rule.value("resources", json::array()), a.type.resource, a.subresource))
      return true;
  }
  return false;
}

json labels_of(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) return json::object();
  return object["metadata"].value("labels", json::object());
}

std::string new_uid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) s += kHex[rng() % 16];
  return s.substr(0, 8) + "-" + s.substr(8, 4) + "-" + s.substr(12, 4) + "-" + s.substr(16, 4) + "-" + s.substr(20);
}

std::string options_kind(const std::string& operation) {
  if (operation == "CREATE") return "CreateOptions";
  if (operation == "UPDATE") return "UpdateOptions";
  return "DeleteOptions";
}

}  // namespace

bool selector_object_matches(const json& selector, const json& labels) {
  if (!selector.is_object()) return true;
  const json match_labels = selector.value("matchLabels", json::object());  // .items() needs it alive
  for (const auto& [key, value] : match_labels.items())
    if (!labels.contains(key) || labels[key] != value) return false;
  for (const auto& expr : selector.value("matchExpressions", json::array())) {
    const std::string key = expr.value("key", "");
    const std::string op = expr.value("operator", "");
    const json values = expr.value("values", json::array());
    const bool has = labels.contains(key);
    const bool in = has && std::find(values.begin(), values.end(), labels[key]) != values.end();
    if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !has) || (op == "DoesNotExist" && has))
      return false;
  }
  return true;
}

void Admission::map_service(const std::string& ns, const std::string& name, uint16_t local_port) {
  std::lock_guard lock(mu_);
  services_[{ns, name}] = local_port;
}

std::optional<uint16_t> Admission::local_port(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = services_.find({ns, name});
  if (it == services_.end()) return std::nullopt;
  return it->second;
}

AdmissionResult Admission::call(const json& webhook, bool mutating, const AdmissionAttributes& a, const json& object) {
  AdmissionResult result;
  result.object = object;
  const std::string name = webhook.value("name", "");
  const bool ignore_failures = webhook.value("failurePolicy", "Fail") == "Ignore";
  auto fail = [&](const std::string& why) {
    if (!ignore_failures)
      result.denial = status_error(500, "InternalError",
                                   "Internal error occurred: failed calling webhook \"" + name + "\": " + why);
    return result;
  };

  WebhookRequest request;
  const json client = webhook.value("clientConfig", json::object());
  auto ca = base64_decode(client.value("caBundle", ""));
  request.ca_bundle_pem = ca.ok() ? *ca : "";
  request.timeout = std::chrono::seconds(std::clamp(webhook.value("timeoutSeconds", 10), 1, 30));
  if (client.contains("service")) {
    const json svc = client["service"];
    const std::string ns = svc.value("namespace", ""), svc_name = svc.value("name", "");
    request.server_name = svc_name + "." + ns + ".svc";
    request.path = svc.value("path", "/");
    auto port = local_port(ns, svc_name);
    if (!port)
      return fail("failed to call webhook: service \"" + ns + "/" + svc_name +
                  "\" is not mapped to a local port in the API test server");
    request.port = *port;
  } else {
    // url: https://HOST:PORT/PATH
    const std::string url = client.value("url", "");
    const size_t host_start = url.find("://") == std::string::npos ? 0 : url.find("://") + 3;
    const size_t path_start = url.find('/', host_start);
    const std::string hostport = url.substr(host_start, path_start - host_start);
    const size_t colon = hostport.rfind(':');
    request.server_name = hostport.substr(0, colon);
    request.port = colon == std::string::npos ? 443 : static_cast<uint16_t>(std::stoi(hostport.substr(colon + 1)));
    request.path = path_start == std::string::npos ? "/" : url.substr(path_start);
    request.host = "127.0.0.1";
  }

  const std::string uid = new_uid();
  const json kind = {{"group", a.type.group}, {"version", a.version}, {"kind", a.type.kind}};
  const json resource = {{"group", a.type.group}, {"version", a.version}, {"resource", a.type.resource}};
  json review_request = {{"uid", uid},
                         {"kind", kind},
                         {"resource", resource},
                         {"requestKind", kind},
                         {"requestResource", resource},
                         {"name", a.name},
                         {"operation", a.operation},
                         {"userInfo", {{"username", a.user.name}, {"groups", a.user.groups}}},
                         {"object", object},
                         {"oldObject", a.old_object},
                         {"dryRun", a.dry_run},
                         {"options", {{"apiVersion", "meta.k8s.io/v1"}, {"kind", options_kind(a.operation)}}}};
  if (!a.ns.empty()) review_request["namespace"] = a.ns;
  if (!a.subresource.empty()) review_request["subResource"] = a.subresource;
  request.body =
      json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", review_request}}.dump();

  auto body = post_to_webhook(request);
  if (!body.ok()) return fail(body.error().describe());
  const json review = json::parse(*body, nullptr, false);
  if (!review.is_object() || !review.contains("response") || !review["response"].is_object())
    return fail("received invalid webhook response: no response in the AdmissionReview");
  const json response = review["response"];
  if (response.value("uid", "") != uid)
    return fail("expected response.uid=\"" + uid + "\", got \"" + response.value("uid", "") + "\"");
  for (const auto& w : response.value("warnings", json::array()))
    if (w.is_string()) result.warnings.push_back(w);
  if (!response.value("allowed", false)) {
    const json status = response.value("status", json::object());
    std::string message = "admission webhook \"" + name + "\" denied the request";
    if (!status.value("message", "").empty()) message += ": " + status.value("message", "");
    int code = status.value("code", 0);
    if (code == 0) code = 400;
    result.denial = status_error(code, status.value("reason", ""), message);
    return result;
  }
  if (mutating && response.contains("patch")) {
    auto patch_text = base64_decode(response.value("patch", ""));
    std::string error;
    json patch = patch_text.ok() ? json::parse(*patch_text, nullptr, false) : json();
    auto patched = apply_json_patch(object, patch, &error);
    if (!patched) return fail("the webhook's JSON patch could not be applied: " + error);
    result.object = std::move(*patched);
  }
  return result;
}

AdmissionResult Admission::admit(const AdmissionAttributes& attributes, const AdmissionSnapshot& snapshot) {
  AdmissionResult total;
  total.object = attributes.object;
  // kube-apiserver generates a name from generateName after mutating admission and before
  // validating admission: mutating webhooks see no name, validating ones the generated name.
  const bool generated = attributes.operation == "CREATE" && attributes.object.is_object() &&
                         !attributes.object["metadata"].value("generateName", "").empty();
  for (int phase = 0; phase < 2; ++phase) {
    const bool mutating = phase == 0;
    AdmissionAttributes a = attributes;
    if (generated && mutating) {
      a.name.clear();
      total.object["metadata"].erase("name");
    } else if (generated) {
      total.object["metadata"]["name"] = attributes.name;
    }
    for (const auto& config : mutating ? snapshot.mutating : snapshot.validating) {
      for (const auto& webhook : config.value("webhooks", json::array())) {
        if (!rules_match(webhook, a)) continue;
        // A Namespace is matched by its own labels; cluster-scoped objects skip the selector.
        const json ns_labels = a.type.resource == "namespaces" ? labels_of(a.object.is_null() ? a.old_object : a.object)
                                                               : snapshot.namespace_labels;
        if ((a.type.namespaced || a.type.resource == "namespaces") &&
            !selector_object_matches(webhook.value("namespaceSelector", json::object()), ns_labels))
          continue;
        const json selector = webhook.value("objectSelector", json::object());
        if (!selector_object_matches(selector, labels_of(total.object)) &&
            !selector_object_matches(selector, labels_of(a.old_object)))
          continue;
        AdmissionResult one = call(webhook, mutating, a, total.object);
        total.warnings.insert(total.warnings.end(), one.warnings.begin(), one.warnings.end());
        if (one.denial) {
          total.denial = one.denial;
          return total;
        }
        total.object = std::move(one.object);
      }
    }
  }
  return total;
}

}  // namespace sso::apiserver
