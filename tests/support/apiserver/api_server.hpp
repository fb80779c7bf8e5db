#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "apiserver/admission.hpp"
#include "apiserver/faults.hpp"
#include "apiserver/object_store.hpp"
#include "apiserver/rbac_authorizer.hpp"
#include "apiserver/request_log.hpp"
#include "apiserver/resource_types.hpp"
#include "apiserver/status_errors.hpp"

namespace sso::apiserver {

// A request as the transport edge hands it over: plain types only.
struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

// How a handler answers: once, or with a stream of newline-delimited JSON (watches).
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void respond(const ApiResponse& response) = 0;
  struct Stream {
    std::function<bool(const std::string& line)> write;  // false once the client is gone
    std::function<void()> close;
  };
  virtual Stream open_stream(const std::string& content_type) = 0;
};

// kube-apiserver's REST semantics over an ObjectStore: discovery, CRUD with
// resourceVersion preconditions, the status subresource, patches, lists with selectors and
// pagination, watches, finalizers, garbage collection and namespace deletion.
class ApiServer {
 public:
  struct Options {
    size_t history_limit = 10000;
    std::chrono::milliseconds bookmark_interval{60000};
    std::chrono::seconds max_watch_timeout{1800};
    std::string server_address = "127.0.0.1:0";  // for /api's serverAddressByClientCIDRs
  };

  explicit ApiServer(Options options);

  void handle(const HttpRequest& request, Responder& responder);

  void add_token(const std::string& token, UserInfo user);
  ObjectStore& store() { return store_; }
  ResourceRegistry& registry() { return registry_; }
  Faults& faults() { return faults_; }
  RequestLog& request_log() { return request_log_; }
  Admission& admission() { return admission_; }
  const RbacAuthorizer& authorizer() const { return authorizer_; }
  // kube-apiserver's OwnerReferencesPermissionEnforcement admission plugin (off by default,
  // as in kube-apiserver; on in OpenShift and hardened clusters): changing an object's
  // ownerReferences needs delete on it, and blockOwnerDeletion needs update on the owner's
  // finalizers subresource.
  void set_owner_references_permission_enforcement(bool on) { enforce_owner_references_ = on; }
  void set_server_address(const std::string& address) { options_.server_address = address; }
  // Periodic work: bookmarks and watch deadlines.
  void tick();

 private:
  struct Route;
  ApiResponse discovery(const std::vector<std::string>& segments);
  void serve_resource(const HttpRequest& request, const Route& route, Responder& responder);
  void serve_verb(const HttpRequest& request, const Route& route, const std::string& verb, Responder& responder);
  // A SelfSubjectAccessReview (the requester's own access) or a SubjectAccessReview (the
  // spec's user's), decided by the authorizer; a TokenReview, by the token authenticator.
  ApiResponse review_access(const HttpRequest& request, const Route& route);
  ApiResponse review_token(const HttpRequest& request, const Route& route);

  ApiResponse get_object(const Route& route);
  ApiResponse list_objects(const HttpRequest& request, const Route& route);
  void watch_objects(const HttpRequest& request, const Route& route, Responder& responder);
  // `manager` records the fields as its own (operation Update); empty when an apply already did.
  ApiResponse create_object(const HttpRequest& request, const Route& route, const std::string& manager);
  ApiResponse update_object(const HttpRequest& request, const Route& route);
  ApiResponse patch_object(const HttpRequest& request, const Route& route);
  ApiResponse delete_object(const HttpRequest& request, const Route& route);
  ApiResponse delete_collection(const HttpRequest& request, const Route& route);

  // Writes `updated` over `existing` as an update would, or does nothing when they are the
  // same; finalizes the object when its last finalizer goes while it is being deleted.
  // `warnings` (from decoding the body) go out with the answer.
  ApiResponse commit_update(ObjectStore::Transaction& txn, const Route& route, const nlohmann::json& existing,
                            nlohmann::json updated, bool dry_run, const std::string& manager,
                            std::vector<std::string> warnings = {});
  // Deletes, honouring finalizers; then collects dependents and finishes namespaces.
  nlohmann::json delete_with_finalizers(ObjectStore::Transaction& txn, const ResourceType& type, const ObjectKey& key,
                                        const std::string& propagation);
  void remove_and_collect(ObjectStore::Transaction& txn, const ResourceType& type, const ObjectKey& key);
  void collect_dependents(ObjectStore::Transaction& txn, const std::string& owner_uid);
  void finish_namespace_if_empty(ObjectStore::Transaction& txn, const std::string& ns);
  std::optional<ResourceType> type_of(const ObjectKey& key) const;
  // Runs the admission webhooks for a write, without the store's lock while they are called
  // (a webhook may call back into the API). May change `object` (mutating webhooks).
  std::optional<ApiResponse> admit(ObjectStore::Transaction& txn, const Route& route, const std::string& operation,
                                   const std::string& name, nlohmann::json& object, const nlohmann::json& old_object,
                                   bool dry_run, std::vector<std::string>& warnings);
  void after_write(const ResourceType& type, const nlohmann::json& object, bool deleted);
  std::optional<ApiResponse> check_owner_references(const ObjectStore::Transaction& txn, const Route& route,
                                                    const std::string& operation, const std::string& name,
                                                    const nlohmann::json& object, const nlohmann::json& old_object);

  Options options_;
  ResourceRegistry registry_;
  ObjectStore store_;
  Faults faults_;
  RequestLog request_log_;
  Admission admission_;
  RbacAuthorizer authorizer_{store_};
  std::atomic<bool> enforce_owner_references_{false};
  std::mutex tokens_mu_;
  std::map<std::string, UserInfo> tokens_;
};

}  // namespace sso::apiserver
