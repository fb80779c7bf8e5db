#include "apiserver/request_log.hpp"

#include <utility>

namespace sso::apiserver {

void RequestLog::record(RequestRecord record) {
  std::lock_guard lock(mu_);
  records_.push_back(std::move(record));
}

std::vector<RequestRecord> RequestLog::snapshot() const {
  std::lock_guard lock(mu_);
  return records_;
}

size_t RequestLog::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

void RequestLog::clear() {
  std::lock_guard lock(mu_);
  records_.clear();
}

}  // namespace sso::apiserver
