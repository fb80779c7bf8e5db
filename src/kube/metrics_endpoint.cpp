#include "kube/metrics_endpoint.hpp"

#include "base/log.hpp"
#include "pki/certificate_authority.hpp"

namespace sso::kube {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
// controller-runtime's self-signed metrics certificate lasts a year; so does this one.
constexpr std::chrono::hours kSelfSignedValidity{24 * 365};

// A serving identity nobody else trusts, for a port whose clients skip verification and
// prove who they are with a token instead.
Status load_self_signed(pki::ServingCredentials& credentials) {
  const auto now = std::chrono::system_clock::now();
  pki::CaOptions ca_options;
  ca_options.common_name = "secureservice-operator metrics (self-signed)";
  ca_options.validity = kSelfSignedValidity;
  SSO_ASSIGN_OR_RETURN(auto ca, pki::CertificateAuthority::create(ca_options, now), "self-signed metrics certificate");
  pki::IdentityRequest request;
  request.common_name = "localhost";
  request.dns_names = {"localhost"};
  request.ip_addresses = {"127.0.0.1"};
  request.mode = pki::TlsMode::kServer;
  request.duration = kSelfSignedValidity;
  SSO_ASSIGN_OR_RETURN(auto identity, ca.issue(request, now), "self-signed metrics certificate");
  return credentials.load(identity.chain_pem(), identity.key.to_pkcs8_pem().reveal());
}

}  // namespace

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const std::string& bind_address, bool secure,
                                                                RestClient& client,
                                                                std::function<std::string()> scrape) {
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint(client, std::move(scrape)));
  HttpServerOptions options;
  options.bind_address = bind_address;
  options.threads = 1;
  HttpRoute route;
  if (secure) {
    SSO_RETURN_IF_ERROR(load_self_signed(endpoint->credentials_), "serve metrics");
    options.tls = &endpoint->credentials_;
    route.serve = [raw = endpoint.get()](ServerRequest request, std::shared_ptr<HttpExchange> exchange) {
      raw->serve(std::move(request), std::move(exchange));
    };
  } else {
    route.handle = [raw = endpoint.get()](const ServerRequest&) {
      return HttpReply{200, kContentType, raw->scrape_()};
    };
  }
  SSO_ASSIGN_OR_RETURN(endpoint->server_, HttpServer::start(std::move(options), {{"/metrics", std::move(route)}}),
                       "serve metrics");
  return endpoint;
}

void MetricsEndpoint::serve(ServerRequest request, std::shared_ptr<HttpExchange> exchange) {
  const bool taken = reviews_.submit([this, request = std::move(request), exchange] {
    const auto decision = access_.check(request.header("authorization"), "get", request.path);
    if (decision.status != 0) {
      exchange->reply({decision.status, "text/plain; charset=utf-8", decision.message + "\n"});
      return;
    }
    exchange->reply({200, kContentType, scrape_()});
  });
  if (!taken) exchange->reply({503, "text/plain; charset=utf-8", "stopping\n"});
}

void MetricsEndpoint::stop() {
  if (!server_) return;
  server_->stop();
  reviews_.stop();  // a review in flight answers a closed connection
  server_.reset();  // after every exchange is released
}

}  // namespace sso::kube
