#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "kube/rest_client.hpp"

namespace sso::kube {

enum class EventType { kNormal, kWarning };

// "Normal" or "Warning", as core/v1 Event.type spells them.
std::string_view to_string(EventType type);

// client-go's tools/record in one small class: the EventRecorder that makes core/v1 Events,
// the EventBroadcaster's bounded queue with one writer, and the EventCorrelator's
// EventLogger, which folds a repeat of an identical event into the Event already written
// (count+1, lastTimestamp) with a patch. Thread-safe.
//
// Unlike client-go there is no EventAggregator (similar events folded into one "combined
// from similar events" message) and no spam filter (a token bucket per source and object):
// we aggregate by identical key only. The operator records few events per reconcile and the
// work queue already rate-limits reconciles, so neither has earned its place yet.
class EventRecorder {
 public:
  struct Options {
    std::string component = "secureservice-operator";  // source.component, reportingComponent
    std::string host;                                  // source.host, reportingInstance ("" omits)
    // Events waiting to be written; more are dropped (client-go's maxQueuedEvents, 1000).
    size_t max_queued = 1000;
    // Attempts per event before it is dropped (client-go's maxTriesPerEvent).
    int max_write_attempts = 12;
    // The pause between attempts; the first is a random fraction of it, so that many
    // recorders do not retry in step after an API server outage (client-go: 10 s).
    std::chrono::milliseconds retry_interval{10000};
    // Events remembered for aggregation, least recently used forgotten first (client-go's
    // maxLruCacheEntries).
    size_t cache_size = 4096;
    // How long the destructor waits for queued events to be written.
    std::chrono::milliseconds shutdown_timeout{2000};
  };

  EventRecorder(RestClient& client, const Clock& clock, Options options);
  EventRecorder(RestClient& client, const Clock& clock) : EventRecorder(client, clock, Options{}) {}
  // Writes what it can within options.shutdown_timeout, drops the rest, and stops the writer.
  // A request already sent is waited for: the client's request timeout, and its own retries
  // of answers carrying Retry-After, bound that.
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Records that something happened to `object` (any Kubernetes object: apiVersion, kind and
  // metadata.{namespace,name,uid,resourceVersion} are used). `reason` is UpperCamelCase and
  // short, for machines to switch on; `message` is for humans and is cut to 1024 bytes.
  // Never waits for the API server: the event is queued for the writer thread, or dropped
  // with a log line when the queue is full, as client-go drops.
  void record(const nlohmann::json& object, EventType type, std::string reason, std::string message);

  // Waits until every queued event has been written or given up on; false on timeout.
  bool flush(std::chrono::milliseconds timeout);

  // Events given up on so far: the queue was full, the object had no kind or name, the server
  // refused the event or kept failing, or the recorder stopped first. For a metric and tests.
  uint64_t dropped() const { return dropped_.load(); }

 private:
  // An event as record() made it: count 1, firstTimestamp = lastTimestamp = when recorded.
  // Its implicit move is noexcept; clang-tidy sees through to nlohmann::json's invariant
  // assertion, which cannot throw.
  // NOLINTNEXTLINE(bugprone-exception-escape)
  struct Pending {
    std::string key;  // what makes two events the same (client-go's getEventKey)
    nlohmann::json event;
    std::string what;  // "Warning IssueFailed on ConfigMap shop/payments": for logs, no message
  };
  // What was last written for a key (client-go's eventLog).
  struct Observation {
    std::string name;
    std::string first_timestamp;
    int64_t count = 0;
  };
  enum class Outcome { kDone, kRetry, kDropped };

  void run();
  void write(Pending pending);
  Outcome try_write(const Pending& pending, const nlohmann::json& event, const std::optional<nlohmann::json>& patch);
  // Waits before attempt `attempt + 1`; false when the recorder is stopping.
  bool pause(int attempt);

  // The writer thread's LRU of observations (only it touches them).
  const Observation* find_observation(const std::string& key);
  void remember(const std::string& key, Observation observation);

  RestClient& client_;
  const Clock& clock_;
  Options options_;

  std::mutex mu_;
  std::condition_variable wake_;  // work queued, or stopping
  std::condition_variable idle_;  // the queue drained and nothing in flight
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  std::atomic<uint64_t> dropped_{0};

  std::list<std::pair<std::string, Observation>> lru_;  // most recent first
  std::unordered_map<std::string, std::list<std::pair<std::string, Observation>>::iterator> by_key_;
  std::mt19937_64 random_;

  std::thread writer_;  // started at the end of the constructor, once everything above exists
};

}  // namespace sso::kube
