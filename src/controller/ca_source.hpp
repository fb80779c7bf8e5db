#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "controller/cluster_ca.hpp"

namespace sso::controller {

// The cluster CA as last loaded by the CA controller, shared with the SecureService
// reconcilers (which only read it). `error` says why there is none yet.
class CaSource {
 public:
  std::shared_ptr<const ClusterCa> get() const {
    std::lock_guard lock(mu_);
    return ca_;
  }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  // Returns whether the CA or its bundle changed (another resourceVersion).
  bool set(std::shared_ptr<const ClusterCa> ca) {
    std::lock_guard lock(mu_);
    const bool changed = !ca_ || ca_->resource_version != ca->resource_version;
    ca_ = std::move(ca);
    error_.clear();
    return changed;
  }
  void set_error(std::string error) {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ClusterCa> ca_;
  std::string error_ = "the cluster CA has not been loaded yet";
};

}  // namespace sso::controller
