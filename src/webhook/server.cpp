#include "webhook/server.hpp"

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "kube/http_server.hpp"

namespace sso::webhook {
namespace {

constexpr std::string_view kLogger = "webhook";

// controller-runtime's admission.Errored: allowed=false with status {code, message}; the
// uid when one could be read (kube-apiserver refuses an answer whose uid differs).
AdmissionResponse errored(int code, std::string reason, std::string message, std::string uid = {}) {
  AdmissionResponse r;
  r.uid = std::move(uid);
  r.allowed = false;
  r.code = code;
  r.status_reason = std::move(reason);
  r.message = std::move(message);
  return r;
}

// request.uid of a review the decoder refused, so that the error can still be matched to
// the call; empty when the body is not JSON or has none.
std::string uid_of(const std::string& body) {
  const auto review = nlohmann::json::parse(body, nullptr, false);
  if (!review.is_object()) return {};
  const auto request = review.find("request");
  if (request == review.end() || !request->is_object()) return {};
  const auto uid = request->find("uid");
  return uid != request->end() && uid->is_string() ? uid->get<std::string>() : std::string();
}

kube::HttpReply refused(int code, std::string reason, const std::string& message, std::string uid = {}) {
  // The message stays out of the log: a decoder's may quote the body.
  log::debug(kLogger, "admission request refused", {{"code", std::to_string(code)}});
  try {
    return {code, "application/json",
            encode_admission_review(errored(code, std::move(reason), message, std::move(uid)))};
  } catch (...) {
    // Not valid UTF-8 to put in JSON (a decoder message may quote the body): say it plainly.
    return {code, "text/plain; charset=utf-8", "admission request refused\n"};
  }
}

// One admission request, its body in: Content-Type, decode, the handler, encode
// (controller-runtime's order in admission.Webhook.ServeHTTP).
kube::HttpReply review(const std::string& path, const AdmissionHandler& handler, metrics::WebhookMetrics* metrics,
                       const kube::ServerRequest& http) {
  if (http.body.empty()) return refused(400, "BadRequest", "request body is empty");
  const std::string content_type = http.header("content-type");
  if (content_type != "application/json")
    return refused(400, "BadRequest", "contentType=" + content_type + ", expected application/json");
  auto request = decode_admission_review(http.body);
  if (!request.ok()) return refused(400, "BadRequest", request.error().describe(), uid_of(http.body));
  try {
    AdmissionResponse response = handler(*request);
    response.uid = request->uid;  // kube-apiserver matches the answer to its call by uid
    std::string encoded = encode_admission_review(response);
    if (metrics) metrics->count_decision(path, decision_of(response), response.decision_reason);
    return {200, "application/json", std::move(encoded)};
  } catch (const std::exception& e) {
    // An exception is a programming error; it costs this request, not the process.
    log::error(kLogger, "admission handler failed", {{"webhook", path}, {"uid", request->uid}, {"error", e.what()}});
  } catch (...) {
    log::error(kLogger, "admission handler failed", {{"webhook", path}, {"uid", request->uid}});
  }
  return refused(500, "InternalError", "internal error while handling the admission request", request->uid);
}

}  // namespace

struct WebhookServer::Impl {
  std::unique_ptr<kube::HttpServer> http;
};

WebhookServer::WebhookServer(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}
WebhookServer::~WebhookServer() { stop(); }

Result<std::unique_ptr<WebhookServer>> WebhookServer::start(WebhookServerOptions options,
                                                            const pki::ServingCredentials& credentials,
                                                            std::map<std::string, AdmissionHandler> routes,
                                                            metrics::WebhookMetrics* metrics) {
  if (options.max_body_bytes == 0) return invalid_argument("start webhook server: max_body_bytes must be positive");
  if (options.request_timeout <= std::chrono::milliseconds::zero())
    return invalid_argument("start webhook server: request_timeout must be positive");
  std::map<std::string, kube::HttpRoute> http_routes;
  for (auto& [path, handler] : routes) {
    if (path.empty() || path.front() != '/' || !handler)
      return invalid_argument("start webhook server: route \"" + path + "\" needs a path from / and a handler");
    if (metrics) metrics->add_webhook(path);
    http_routes[path] = {"POST", [path = path, handler = std::move(handler), metrics](const kube::ServerRequest& r) {
                           return review(path, handler, metrics, r);
                         }};
  }

  kube::HttpServerOptions http;
  http.bind_address = options.bind_address;
  http.tls = &credentials;
  http.limits.max_body_bytes = options.max_body_bytes;
  http.limits.body_timeout = options.request_timeout;
  http.refusal = [](int code, const std::string& reason, const std::string& message) {
    return refused(code, reason, message);
  };
  if (metrics) {
    http.on_started = [metrics](const std::string& path) { metrics->request_started(path); };
    http.on_answered = [metrics](const std::string& path, int code, double seconds) {
      metrics->request_finished(path, code, seconds);
    };
  }
  auto impl = std::make_unique<Impl>();
  SSO_ASSIGN_OR_RETURN(impl->http, kube::HttpServer::start(std::move(http), std::move(http_routes)),
                       "start webhook server");
  const uint16_t port = impl->http->port();
  log::info(kLogger, "serving admission webhooks", {{"address", options.bind_address}, {"port", std::to_string(port)}});
  return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl), port));
}

void WebhookServer::stop() {
  if (impl_ && impl_->http) impl_->http->stop();
}

}  // namespace sso::webhook
