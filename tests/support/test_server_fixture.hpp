#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "api_test_client.hpp"
#include "kube/cluster_config.hpp"
#include "kube_test_server.hpp"

namespace sso::testing {

// One API test server per suite, a fresh namespace per test.
class ApiServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    KubeTestServer::Options options;
    options.bookmark_interval = std::chrono::milliseconds(200);
    auto started = KubeTestServer::start(options);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    server_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    server_->faults().clear();
    client_ = std::make_unique<ApiTestClient>(server_->url(), server_->ca_pem(), server_->admin_token());
    ns_ = "t" + std::to_string(++counter_);
    auto r = client_->post("/api/v1/namespaces", {{"metadata", {{"name", ns_}}}});
    ASSERT_EQ(r.code, 201) << r.body.dump();
  }

  ApiTestClient& api() { return *client_; }
  // The admin's configuration for the operator's own client (src/kube).
  static kube::ClusterConfig admin_config() {
    kube::ClusterConfig config;
    config.server = server_->url();
    config.ca_pem = server_->ca_pem();
    config.bearer_token = server_->admin_token();
    config.source = "test server";
    return config;
  }
  const std::string& ns() const { return ns_; }
  std::string ns_path(const std::string& resource) const { return "/api/v1/namespaces/" + ns_ + "/" + resource; }

  static nlohmann::json config_map(const std::string& name, nlohmann::json data = {{"k", "v"}},
                                   nlohmann::json labels = nlohmann::json::object()) {
    nlohmann::json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", data}};
    if (!labels.empty()) cm["metadata"]["labels"] = std::move(labels);
    return cm;
  }

  // A CustomResourceDefinition serving GROUP/v1 PLURAL of KIND, with a status subresource.
  static nlohmann::json crd(const std::string& group, const std::string& plural, const std::string& kind,
                            const std::string& scope) {
    std::string singular = kind;
    for (auto& c : singular) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {{"apiVersion", "apiextensions.k8s.io/v1"},
            {"kind", "CustomResourceDefinition"},
            {"metadata", {{"name", plural + "." + group}}},
            {"spec",
             {{"group", group},
              {"scope", scope},
              {"names", {{"plural", plural}, {"singular", singular}, {"kind", kind}}},
              {"versions",
               {{{"name", "v1"},
                 {"served", true},
                 {"storage", true},
                 {"subresources", {{"status", nlohmann::json::object()}}},
                 {"schema",
                  {{"openAPIV3Schema", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
  }

  static inline KubeTestServer* server_ = nullptr;
  static inline int counter_ = 0;
  std::unique_ptr<ApiTestClient> client_;
  std::string ns_;
};

}  // namespace sso::testing
