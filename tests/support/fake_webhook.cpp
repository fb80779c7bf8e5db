#include "fake_webhook.hpp"

#include "base/base64.hpp"
#include "kube/http_server.hpp"
#include "pki/certificate_authority.hpp"
#include "pki/tls_credentials.hpp"

namespace sso::testing {

struct FakeWebhook::Impl {
  Decide decide;
  std::mutex mu;
  std::vector<nlohmann::json> requests;
  pki::ServingCredentials credentials;
  std::unique_ptr<kube::HttpServer> server;  // last: stopped before what it serves goes

  kube::HttpReply review(const kube::ServerRequest& http) {
    const auto review = nlohmann::json::parse(http.body, nullptr, false);
    const nlohmann::json request =
        review.is_object() ? review.value("request", nlohmann::json::object()) : nlohmann::json::object();
    {
      std::lock_guard lock(mu);
      requests.push_back(request);
    }
    nlohmann::json response = decide(request);
    if (!response.contains("uid")) response["uid"] = request.value("uid", "");
    const nlohmann::json answer = {
        {"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", response}};
    return {200, "application/json", answer.dump()};
  }
};

Result<std::unique_ptr<FakeWebhook>> FakeWebhook::start(const std::string& ns, const std::string& name, Decide decide) {
  const auto now = std::chrono::system_clock::now();
  pki::CaOptions ca_options;
  ca_options.common_name = "fake webhook CA";
  SSO_ASSIGN_OR_RETURN(auto ca, pki::CertificateAuthority::create(ca_options, now));
  pki::IdentityRequest serving;
  serving.dns_names = {name + "." + ns + ".svc"};
  serving.mode = pki::TlsMode::kServer;
  SSO_ASSIGN_OR_RETURN(auto identity, ca.issue(serving, now));
  std::unique_ptr<FakeWebhook> hook(new FakeWebhook());
  hook->impl_ = std::make_unique<Impl>();
  Impl* impl = hook->impl_.get();
  impl->decide = std::move(decide);
  hook->ca_pem_ = ca.certificate().to_pem();
  hook->ns_ = ns;
  hook->name_ = name;
  SSO_RETURN_IF_ERROR(impl->credentials.load(identity.chain_pem(), identity.key.to_pkcs8_pem().reveal()),
                      "start fake webhook");
  kube::HttpServerOptions options;
  options.bind_address = "127.0.0.1:0";
  options.tls = &impl->credentials;
  options.threads = 4;  // a slow `decide` holds one
  kube::HttpRoute validate{"POST", [impl](const kube::ServerRequest& r) { return impl->review(r); }};
  SSO_ASSIGN_OR_RETURN(impl->server, kube::HttpServer::start(std::move(options), {{"/validate", std::move(validate)}}),
                       "start fake webhook");
  hook->port_ = impl->server->port();
  return hook;
}

FakeWebhook::~FakeWebhook() = default;

std::vector<nlohmann::json> FakeWebhook::requests() {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

nlohmann::json FakeWebhook::webhook_entry(const std::string& webhook_name, const nlohmann::json& rules) const {
  return {{"name", webhook_name},
          {"clientConfig",
           {{"service", {{"namespace", ns_}, {"name", name_}, {"path", "/validate"}, {"port", 443}}},
            {"caBundle", base64_encode(ca_pem_)}}},
          {"rules", rules},
          {"sideEffects", "None"},
          {"admissionReviewVersions", {"v1"}},
          {"failurePolicy", "Fail"},
          {"timeoutSeconds", 5}};
}

}  // namespace sso::testing
