#include "webhook/secure_service_policy.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace sso::webhook {
namespace {

// What a label set must satisfy for one key to match both selectors.
struct KeyConstraint {
  bool must_exist = false;                       // matchLabels, In, Exists
  bool must_not_exist = false;                   // DoesNotExist
  std::optional<std::set<std::string>> allowed;  // matchLabels and In sets, intersected
  std::set<std::string> excluded;                // NotIn values
};

void add_allowed(KeyConstraint& c, const std::set<std::string>& values) {
  c.must_exist = true;
  if (!c.allowed) {
    c.allowed = values;
    return;
  }
  std::set<std::string> both;
  std::set_intersection(c.allowed->begin(), c.allowed->end(), values.begin(), values.end(),
                        std::inserter(both, both.end()));
  c.allowed = std::move(both);
}

void add_selector(std::map<std::string, KeyConstraint>& constraints, const kube::LabelSelector& selector) {
  for (const auto& [key, value] : selector.match_labels) add_allowed(constraints[key], {value});
  for (const auto& r : selector.match_expressions) {
    KeyConstraint& c = constraints[r.key];
    const std::set<std::string> values(r.values.begin(), r.values.end());
    if (r.op == "In") {
      add_allowed(c, values);
    } else if (r.op == "NotIn") {
      c.excluded.insert(values.begin(), values.end());
    } else if (r.op == "Exists") {
      c.must_exist = true;
    } else if (r.op == "DoesNotExist") {
      c.must_not_exist = true;
    }
  }
}

// A value for a key that must exist, or nullopt when none satisfies the constraint.
std::optional<std::string> pick_value(const KeyConstraint& c) {
  if (c.allowed) {
    for (const auto& v : *c.allowed)
      if (!c.excluded.contains(v)) return v;
    return std::nullopt;
  }
  // Exists with finitely many NotIn values: some label value is always left.
  for (int i = 0;; ++i) {
    std::string v = i == 0 ? "x" : "x" + std::to_string(i);
    if (!c.excluded.contains(v)) return v;
  }
}

// A label set both selectors match, or nullopt when none exists. A key the selectors only
// constrain with NotIn or DoesNotExist is left out: absent satisfies both.
std::optional<kube::Labels> common_labels(const kube::LabelSelector& a, const kube::LabelSelector& b) {
  std::map<std::string, KeyConstraint> constraints;
  add_selector(constraints, a);
  add_selector(constraints, b);
  kube::Labels labels;
  for (const auto& [key, c] : constraints) {
    if (c.must_exist && c.must_not_exist) return std::nullopt;
    if (!c.must_exist) continue;
    auto value = pick_value(c);
    if (!value) return std::nullopt;
    labels[key] = *value;
  }
  return labels;
}

std::string labels_yaml(const kube::Labels& labels) {
  std::string out;
  for (const auto& [key, value] : labels) out.append(out.empty() ? "" : ", ").append(key).append(": ").append(value);
  return "{" + out + "}";
}

Verdict deny(std::string_view reason, std::string message) {
  Verdict v;
  v.allowed = false;
  v.reason = reason;
  v.message = std::move(message);
  return v;
}

std::optional<Verdict> check_ca_namespace(const api::SecureService& candidate) {
  if (auto problem = api::foreign_ca_problem(candidate)) return deny(kReasonCrossNamespaceCa, std::move(*problem));
  return std::nullopt;
}

// The operator writes spec.tls.secretName whole: it must not be a Secret the service reads.
std::optional<Verdict> check_own_secret_names(const api::SecureService& candidate) {
  const std::string& secret = candidate.tls.secret_name;
  if (candidate.ca_secret_ref && candidate.ca_secret_ref->ns == candidate.ns && candidate.ca_secret_ref->name == secret)
    return deny(kReasonSecretNameConflict, "spec.tls.secretName \"" + secret +
                                               "\" is also spec.issuer.caSecretRef: the operator would overwrite the "
                                               "CA with the service's identity: choose another spec.tls.secretName");
  if (candidate.tls.pkcs12_password && candidate.tls.pkcs12_password->name == secret)
    return deny(kReasonSecretNameConflict, "spec.tls.secretName \"" + secret +
                                               "\" is also spec.tls.keystores.pkcs12.passwordSecretRef: the operator "
                                               "would overwrite the password with the "
                                               "service's identity: choose another spec.tls.secretName");
  return std::nullopt;
}

// A pod both select would need two identities, and could carry only one.
std::optional<Verdict> check_selector_overlap(const api::SecureService& candidate, const api::SecureService& other) {
  auto labels = common_labels(candidate.selector, other.selector);
  if (!labels) return std::nullopt;
  return deny(kReasonSelectorOverlap,
              "spec.selector overlaps that of SecureService " + other.name + ": a pod labelled " +
                  labels_yaml(*labels) +
                  " would be selected by both and need two identities: make the selectors disjoint (e.g. add a "
                  "label the other excludes)");
}

// One Secret, one writer; and no SecureService's identity may land on another's CA or password.
std::optional<Verdict> check_secret_conflicts(const api::SecureService& candidate, const api::SecureService& other) {
  const std::string& secret = candidate.tls.secret_name;
  if (other.tls.secret_name == secret)
    return deny(kReasonSecretNameConflict, "spec.tls.secretName \"" + secret +
                                               "\" is also the Secret of SecureService " + other.name +
                                               ": each SecureService needs its own Secret");
  if (other.ca_secret_ref && other.ca_secret_ref->ns == candidate.ns && other.ca_secret_ref->name == secret)
    return deny(kReasonSecretNameConflict, "spec.tls.secretName \"" + secret + "\" is the CA of SecureService " +
                                               other.name + ": the operator would overwrite that CA");
  if (other.tls.pkcs12_password && other.tls.pkcs12_password->name == secret)
    return deny(kReasonSecretNameConflict, "spec.tls.secretName \"" + secret +
                                               "\" is the PKCS#12 password Secret of SecureService " + other.name +
                                               ": the operator would overwrite that password");
  if (candidate.ca_secret_ref && candidate.ca_secret_ref->ns == candidate.ns &&
      candidate.ca_secret_ref->name == other.tls.secret_name)
    return deny(kReasonSecretNameConflict, "spec.issuer.caSecretRef \"" + other.tls.secret_name +
                                               "\" is the identity Secret of SecureService " + other.name +
                                               ", which the operator writes: it is no CA");
  if (candidate.tls.pkcs12_password && candidate.tls.pkcs12_password->name == other.tls.secret_name)
    return deny(kReasonSecretNameConflict, "spec.tls.keystores.pkcs12.passwordSecretRef \"" + other.tls.secret_name +
                                               "\" is the identity Secret of SecureService " + other.name +
                                               ", which the operator writes");
  return std::nullopt;
}

std::optional<std::string> check_namespace_watched(const api::SecureService& candidate,
                                                   const SecureServiceRules& rules) {
  const auto& watched = rules.watched_namespaces;
  if (watched.empty() || std::find(watched.begin(), watched.end(), candidate.ns) != watched.end()) return std::nullopt;
  std::string list;
  for (const auto& ns : watched) list += (list.empty() ? "" : ", ") + ns;
  return "SecureService " + candidate.name + ": the operator watches only namespaces " + list + ", not " +
         candidate.ns + ": nothing will be issued for it until " + candidate.ns +
         " is added to the operator's --namespace";
}

}  // namespace

bool selectors_overlap(const kube::LabelSelector& a, const kube::LabelSelector& b) {
  return common_labels(a, b).has_value();
}

Verdict decide_secure_service(const api::SecureService& candidate,
                              const std::vector<const api::SecureService*>& others_in_namespace,
                              const SecureServiceRules& rules) {
  std::vector<const api::SecureService*> others;
  for (const auto* other : others_in_namespace)
    if (other && other->name != candidate.name) others.push_back(other);
  std::sort(others.begin(), others.end(),
            [](const api::SecureService* a, const api::SecureService* b) { return a->name < b->name; });

  std::optional<Verdict> denied = check_ca_namespace(candidate);
  if (!denied) denied = check_own_secret_names(candidate);
  for (const auto* other : others) {
    if (denied) break;
    denied = check_selector_overlap(candidate, *other);
  }
  for (const auto* other : others) {
    if (denied) break;
    denied = check_secret_conflicts(candidate, *other);
  }

  Verdict verdict = denied ? std::move(*denied) : Verdict{};
  if (auto warning = check_namespace_watched(candidate, rules)) {
    verdict.warnings.push_back(std::move(*warning));
    if (verdict.allowed) verdict.reason = kReasonNamespaceNotWatched;
  }
  if (verdict.reason.empty()) verdict.reason = kReasonValid;
  return verdict;
}

}  // namespace sso::webhook
