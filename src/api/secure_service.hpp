#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "kube/label_selector.hpp"
#include "kube/resource.hpp"
#include "pki/identity.hpp"
#include "pki/private_key.hpp"

// The SecureService API, secureservice.io/v1alpha1: plain types, the defaults the CRD also
// declares, and the checks the CRD's schema and CEL rules make (so that `render`, which has
// no API server, refuses what the server would).
namespace sso::api {

inline constexpr std::string_view kGroup = "secureservice.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "secureservice.io/v1alpha1";
inline constexpr std::string_view kKind = "SecureService";

// Labels and annotations the operator puts on what it writes.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "secureservice-operator";
inline constexpr std::string_view kNameLabel = "secureservice.io/name";
inline constexpr std::string_view kFinalizer = "secureservice.io/finalizer";
// A request to revoke the SecureService's current certificate, set by `secureservice-operator
// revoke` or `kubectl annotate`: the value is an RFC 5280 reason ("keyCompromise"), empty for
// unspecified. The operator answers it once, then removes it.
inline constexpr const char* kRevokeAnnotation = "secureservice.io/revoke";

inline constexpr std::string_view kDefaultMountPath = "/etc/secureservice/tls";
inline constexpr std::chrono::hours kDefaultDuration{2160};

kube::ResourceType secure_services();

enum class AdmissionMode { kEnforce, kAudit, kDisabled };
enum class MeshProvider { kNone, kIstio, kLinkerd };
enum class MtlsMode { kStrict, kPermissive };
enum class RotationPolicy { kAlways, kNever };

std::string_view to_string(AdmissionMode mode);     // "Enforce", "Audit", "Disabled"
std::string_view to_string(MeshProvider mesh);      // "None", "Istio", "Linkerd"
std::string_view to_string(MtlsMode mode);          // "STRICT", "PERMISSIVE"
std::string_view to_string(RotationPolicy policy);  // "Always", "Never"

struct ServicePort {
  std::string name;  // optional IANA service name
  int port = 0;
  std::string protocol = "TCP";  // TCP, UDP, SCTP
  bool operator==(const ServicePort&) const = default;
};

struct SecretKeyRef {
  std::string name;
  std::string key;
  bool operator==(const SecretKeyRef&) const = default;
};

struct TlsSpec {
  pki::TlsMode mode = pki::TlsMode::kMutual;
  std::string secret_name;             // default <name>-tls
  std::vector<std::string> dns_names;  // extra; the service names are always added
  std::chrono::seconds duration = kDefaultDuration;
  std::optional<std::chrono::seconds> renew_before;  // default: a third of the lifetime
  pki::KeySpec key;
  RotationPolicy rotation_policy = RotationPolicy::kAlways;
  bool pkcs12 = false;
  std::optional<SecretKeyRef> pkcs12_password;  // required when pkcs12 is enabled
  std::string mount_path = std::string(kDefaultMountPath);
  // Roll the selected Deployments, StatefulSets and DaemonSets after each re-issuance, for
  // programs that read their certificate only at start.
  bool restart_on_renewal = false;
  bool operator==(const TlsSpec&) const = default;
};

// A CA Secret (tls.crt, tls.key) the user brings. Namespace defaults to the SecureService's.
struct CaSecretRef {
  std::string ns;
  std::string name;
  bool operator==(const CaSecretRef&) const = default;
};

// The HTTP requests a client may make: any of `methods` (empty: every method) on any of
// `paths` (empty: every path). A path is exact ("/healthz") or a prefix ending in "/*"
// ("/api/orders/*"), as Istio writes them. The mesh enforces it; NetworkPolicies cannot.
struct RequestRule {
  std::vector<std::string> methods;
  std::vector<std::string> paths;
  bool operator==(const RequestRule&) const = default;
};

// The HTTP methods rules may name: the Gateway API's HTTPMethod enum, which Linkerd's
// HTTPRoute takes (Istio takes any, and these too).
inline constexpr std::string_view kHttpMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                    "CONNECT", "OPTIONS", "TRACE", "PATCH"};
bool is_http_method(std::string_view method);
inline constexpr std::string_view kHttpMethodsText = "GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH";

// At most this many method and path combinations over all of a SecureService's rules: what
// the mesh objects cost grows with them (Linkerd's routes with their square), so a spec
// cannot make the operator spin.
inline constexpr size_t kMaxRequestMatches = 256;

// One caller: another SecureService (by name, this namespace unless given), or plain pods
// by selectors (NetworkPolicy only: they carry no mesh identity).
struct AllowedClient {
  std::string secure_service;
  std::string ns;  // resolved: the SecureService's own namespace when not given
  std::optional<kube::LabelSelector> pod_selector;
  std::optional<kube::LabelSelector> namespace_selector;
  std::vector<int> ports;          // empty: every port in spec.ports
  std::vector<RequestRule> rules;  // empty: every request (SecureService clients only)
  bool is_secure_service() const { return !secure_service.empty(); }
  bool operator==(const AllowedClient&) const = default;
};

// Where a request's JWT comes from, as Istio's JWTHeader: the header, and the prefix its
// value carries before the token ("Bearer ").
struct JwtHeader {
  std::string name;
  std::string prefix;
  bool operator==(const JwtHeader&) const = default;
};

// A JWT issuer whose tokens the service accepts, as Istio's JWTRule.
struct JwtIssuer {
  std::string issuer;
  std::string jwks_uri;                 // empty: discovered from the issuer (OpenID Connect)
  std::vector<std::string> audiences;   // empty: the service's own hostname, Istio's default
  std::vector<JwtHeader> from_headers;  // empty: Authorization: Bearer
  bool operator==(const JwtIssuer&) const = default;
};

struct Authentication {
  std::vector<JwtIssuer> jwt;  // a token, when a request carries one, must be valid for one
  bool require_jwt = false;    // and requests without a valid token are refused
  bool operator==(const Authentication&) const = default;
};

struct SecureService {
  // metadata
  std::string name;
  std::string ns;
  std::string uid;
  int64_t generation = 0;
  // spec, defaulted
  kube::LabelSelector selector;
  std::string service_account_name;
  std::vector<ServicePort> ports;
  TlsSpec tls;
  std::optional<CaSecretRef> ca_secret_ref;
  std::vector<AllowedClient> allowed_clients;
  Authentication authentication;
  bool network_policy_enabled = true;
  bool restrict_egress = false;  // networkPolicy.egress: Restricted
  bool allow_dns = true;
  MeshProvider mesh = MeshProvider::kNone;
  MtlsMode mtls_mode = MtlsMode::kStrict;
  AdmissionMode admission_mode = AdmissionMode::kEnforce;

  // The ports a client may call: its own list, or all of spec.ports.
  std::vector<int> ports_for(const AllowedClient& client) const;
};

// Reads a SecureService object (as the API server stores it, or as a user wrote it), applies
// the defaults the CRD declares, and checks what the CRD's schema and CEL rules check. Every
// problem is reported at once, each prefixed with its field path:
//   "spec.tls.renewBefore: must be less than spec.tls.duration (2160h0m0s); spec.ports: Required value"
// The code is kInvalidArgument: the object is wrong, retrying will not help.
Result<SecureService> parse_secure_service(const nlohmann::json& object);

// Like a cert-manager Issuer (not a ClusterIssuer), a SecureService signs with a CA of its own
// namespace only: otherwise whoever may create a SecureService could mint certificates from
// another team's CA. The webhook refuses such a spec and the controller, which must hold
// when the webhook is off or failing open, does not sign with it. The text says what to do;
// nullopt when spec.issuer.caSecretRef is absent or in the service's namespace.
std::optional<std::string> foreign_ca_problem(const SecureService& service);

// The DNS names a leaf carries: <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.<domain>,
// then spec.tls.dnsNames, without repeats.
std::vector<std::string> service_dns_names(const SecureService& service, std::string_view cluster_domain);

// What the PKI engine must mint for the service.
Result<pki::IdentityRequest> identity_request(const SecureService& service, std::string_view cluster_domain,
                                              std::string_view trust_domain);

}  // namespace sso::api
