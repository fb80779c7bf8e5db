#include "kube/reviewed_access.hpp"

#include <openssl/evp.h>

#include <array>

#include "base/log.hpp"
#include "kube/rest_client.hpp"

namespace sso::kube {
namespace {

constexpr std::string_view kLogger = "metrics-auth";

ResourceType token_reviews() { return {"authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false}; }
ResourceType subject_access_reviews() {
  return {"authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false};
}

std::string sha256_hex(const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

template <class Entry>
void ReviewedAccess::remember(std::map<std::string, Entry>& cache, const std::string& key, Entry entry) {
  if (cache.size() >= options_.max_entries) {
    const auto now = Clock::now();
    std::erase_if(cache, [&](const auto& kv) { return kv.second.expires <= now; });
    if (cache.size() >= options_.max_entries) cache.clear();  // many live tokens: start over
  }
  cache[key] = std::move(entry);
}

ReviewedAccess::Decision ReviewedAccess::check(const std::string& authorization, const std::string& verb,
                                               const std::string& path) {
  static constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.compare(0, kBearer.size(), kBearer) != 0)
    return {401, "Unauthorized"};
  const std::string token = authorization.substr(kBearer.size());
  const std::string token_key = sha256_hex(token);

  User user;
  bool cached = false;
  {
    std::lock_guard lock(mu_);
    if (const auto it = users_.find(token_key); it != users_.end() && it->second.expires > Clock::now()) {
      user = it->second;
      cached = true;
    }
  }
  if (!cached) {
    const nlohmann::json review = {
        {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", {{"token", token}}}};
    auto reviewed = client_.create(token_reviews(), review);
    if (!reviewed.ok()) {
      log::error(kLogger, "Authentication failed", {{"step", "TokenReview"}, {"error", reviewed.error().describe()}});
      return {500, "Authentication failed"};
    }
    const nlohmann::json status = reviewed->value("status", nlohmann::json::object());
    user.authenticated = status.value("authenticated", false);
    if (user.authenticated) {
      const nlohmann::json info = status.value("user", nlohmann::json::object());
      user.name = info.value("username", "");
      for (const auto& g : info.value("groups", nlohmann::json::array()))
        if (g.is_string()) user.groups.push_back(g.get<std::string>());
    }
    user.expires = Clock::now() + options_.token_ttl;
    std::lock_guard lock(mu_);
    remember(users_, token_key, user);
  }
  if (!user.authenticated) return {401, "Unauthorized"};

  std::string verdict_key = user.name + "\n" + verb + "\n" + path;
  for (const auto& g : user.groups) verdict_key += "\n" + g;
  {
    std::lock_guard lock(mu_);
    if (const auto it = verdicts_.find(verdict_key); it != verdicts_.end() && it->second.expires > Clock::now()) {
      if (it->second.allowed) return {};
      return {403, "Authorization denied for user " + user.name};
    }
  }
  const nlohmann::json review = {
      {"apiVersion", "authorization.k8s.io/v1"},
      {"kind", "SubjectAccessReview"},
      {"spec",
       {{"user", user.name}, {"groups", user.groups}, {"nonResourceAttributes", {{"path", path}, {"verb", verb}}}}}};
  auto reviewed = client_.create(subject_access_reviews(), review);
  if (!reviewed.ok()) {
    log::error(kLogger, "Authorization failed",
               {{"user", user.name}, {"step", "SubjectAccessReview"}, {"error", reviewed.error().describe()}});
    return {500, "Authorization for user " + user.name + " failed"};
  }
  const bool allowed = reviewed->value("status", nlohmann::json::object()).value("allowed", false);
  {
    std::lock_guard lock(mu_);
    remember(verdicts_, verdict_key,
             Verdict{allowed, Clock::now() + (allowed ? options_.allow_ttl : options_.deny_ttl)});
  }
  if (allowed) return {};
  log::debug(kLogger, "Authorization denied", {{"user", user.name}, {"verb", verb}, {"path", path}});
  return {403, "Authorization denied for user " + user.name};
}

}  // namespace sso::kube
