#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace sso::apiserver {

// One HTTPS POST to an admission webhook, as kube-apiserver makes it: TLS to the address
// the service maps to, the server certificate verified against the webhook's caBundle for
// the service's DNS name (NAME.NAMESPACE.svc), the whole call bounded by the timeout.
struct WebhookRequest {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string server_name;  // what the certificate must name
  std::string path;
  std::string ca_bundle_pem;
  std::chrono::milliseconds timeout{10000};
  std::string body;
};

// The response body of a 200; any failure (connect, TLS, timeout, other status) is an error
// whose message reads like kube-apiserver's "failed to call webhook: ...".
Result<std::string> post_to_webhook(const WebhookRequest& request);

}  // namespace sso::apiserver
