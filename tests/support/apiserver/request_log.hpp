#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace sso::apiserver {

// One resource request as kube-apiserver's audit log would show it: who asked, the verb and
// the object, and the HTTP code it was answered with.
struct RequestRecord {
  std::chrono::steady_clock::time_point at;
  std::string user;
  std::string user_agent;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  int code = 0;

  bool is_write() const {
    return verb == "create" || verb == "update" || verb == "patch" || verb == "delete" || verb == "deletecollection";
  }
};

// Every resource request the server answered, in order of their answers (a watch is recorded
// when it is established). Tests read it to count a client's requests, and to see who wrote.
class RequestLog {
 public:
  void record(RequestRecord record);
  std::vector<RequestRecord> snapshot() const;
  size_t size() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::vector<RequestRecord> records_;
};

}  // namespace sso::apiserver
