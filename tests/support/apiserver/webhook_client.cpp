#include "apiserver/webhook_client.hpp"

#include "tls_http_connection.hpp"

namespace sso::apiserver {

Result<std::string> post_to_webhook(const WebhookRequest& r) {
  const std::string host = r.server_name + ":" + std::to_string(r.port);
  // kube-apiserver quotes the transport's own words ("dial tcp ...", "x509: ...") after the URL.
  auto failure = [&](const std::string& why) {
    return Error(ErrorCode::kUnavailable, "failed to call webhook: Post \"https://" + host + r.path + "\": " + why);
  };
  auto connection = testing::TlsHttpConnection::open({.host = r.host,
                                                      .port = r.port,
                                                      .server_name = r.server_name,
                                                      .ca_bundle_pem = r.ca_bundle_pem,
                                                      .timeout = r.timeout});
  if (!connection.ok()) return failure(connection.error().message());
  const std::string target = r.path + "?timeout=" + std::to_string(r.timeout.count() / 1000) + "s";
  const Status sent = (*connection)->send(testing::json_post(host, target, r.body, /*close_after=*/true));
  if (!sent.ok()) return failure(sent.error().message());
  auto response = (*connection)->read_response(r.timeout);
  if (!response.ok()) return failure(response.error().message());
  if (response->code != 200) return failure("the server responded with status " + std::to_string(response->code));
  return std::move(response->body);
}

}  // namespace sso::apiserver
