#include "fake_webhook.hpp"

#include <cpprest/http_listener.h>

#include "base/base64.hpp"
#include "kube/free_port.hpp"
#include "pki/certificate_authority.hpp"

namespace sso::testing {

using web::http::http_request;
using web::http::experimental::listener::http_listener;
using web::http::experimental::listener::http_listener_config;

struct FakeWebhook::Impl {
  Decide decide;
  std::mutex mu;
  std::vector<nlohmann::json> requests;
  std::unique_ptr<http_listener> listener;
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
  hook->impl_->decide = std::move(decide);
  hook->ca_pem_ = ca.certificate().to_pem();
  hook->ns_ = ns;
  hook->name_ = name;
  SSO_ASSIGN_OR_RETURN(hook->port_, kube::find_free_port("127.0.0.1"));
  const std::string cert = identity.chain_pem();
  const std::string key(identity.key.to_pkcs8_pem().reveal());
  http_listener_config config;
  config.set_ssl_context_callback([cert, key](boost::asio::ssl::context& ctx) {
    ctx.use_certificate_chain(boost::asio::buffer(cert));
    ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
  });
  hook->impl_->listener = std::make_unique<http_listener>("https://127.0.0.1:" + std::to_string(hook->port_), config);
  Impl* impl = hook->impl_.get();
  impl->listener->support([impl](http_request req) {
    const auto bytes = req.extract_vector().get();
    const auto review = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()), nullptr, false);
    const nlohmann::json request =
        review.is_object() ? review.value("request", nlohmann::json::object()) : nlohmann::json::object();
    {
      std::lock_guard lock(impl->mu);
      impl->requests.push_back(request);
    }
    nlohmann::json response = impl->decide(request);
    if (!response.contains("uid")) response["uid"] = request.value("uid", "");
    const nlohmann::json answer = {
        {"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", response}};
    req.reply(web::http::status_codes::OK, answer.dump(), "application/json");
  });
  try {
    hook->impl_->listener->open().wait();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kUnavailable, std::string("start fake webhook: ") + e.what());
  }
  return hook;
}

FakeWebhook::~FakeWebhook() {
  if (impl_ && impl_->listener) impl_->listener->close().wait();
}

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
