#include "kube/event_recorder.hpp"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>

#include "base/log.hpp"
#include "kube/api_error.hpp"

namespace sso::kube {
namespace {

constexpr std::string_view kLogger = "events";

// kube-apiserver refuses an events.k8s.io/v1 note longer than NoteLengthLimit (1024 bytes,
// pkg/apis/core/validation/events.go); core/v1 has no such check, but kube-scheduler's
// truncateMessage cuts its event messages to that limit with " ..." all the same, and so do
// we: a message stays readable in `kubectl describe`, and valid for either API.
constexpr size_t kMaxMessageBytes = 1024;
constexpr std::string_view kTruncatedSuffix = " ...";

// Event names must be DNS subdomains, at most 253 characters.
constexpr size_t kMaxNameLength = 253;

// Replaces bytes that are not UTF-8 with U+FFFD. A string that is not UTF-8 cannot be sent
// at all (the JSON encoder refuses it), and one bad message must not stop the writer.
std::string valid_utf8(const std::string& text) {
  const std::string quoted = nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

// Cuts `text` (valid UTF-8) to kMaxMessageBytes at a character boundary, marking the cut.
std::string truncate_message(std::string text) {
  if (text.size() <= kMaxMessageBytes) return text;
  size_t cut = kMaxMessageBytes - kTruncatedSuffix.size();
  // Back off continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += kTruncatedSuffix;
  return text;
}

// client-go names an event "<involved name>.<UnixNano in hex>". Two events recorded in the
// same nanosecond (or under a fake clock that stands still) would share a name and the
// second would be lost as AlreadyExists, so the number is made unique within the process.
std::string unique_suffix(TimePoint now) {
  static std::atomic<uint64_t> last{0};
  const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const uint64_t wanted = since_epoch > 0 ? static_cast<uint64_t>(since_epoch) : 0;
  uint64_t previous = last.load();
  uint64_t chosen = 0;
  do {
    chosen = std::max(wanted, previous + 1);
  } while (!last.compare_exchange_weak(previous, chosen));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, chosen);
  return hex;
}

std::string event_name(std::string involved_name, TimePoint now) {
  const std::string suffix = "." + unique_suffix(now);
  if (involved_name.size() + suffix.size() > kMaxNameLength) {
    involved_name.resize(kMaxNameLength - suffix.size());
    // A DNS label ends with an alphanumeric character.
    while (!involved_name.empty() && !std::isalnum(static_cast<unsigned char>(involved_name.back()))) {
      involved_name.pop_back();
    }
  }
  return involved_name + suffix;
}

// Transport failures, 429 and 5xx: the server did not take the event, and may later.
// client-go's recordEvent retries transport errors only and drops any Status error; we
// retry an overloaded or failing server too, since an event lost to a 500 during an API
// server roll-out is one an operator's user would have wanted.
bool is_retryable(const Error& e) {
  if (e.http_status() == 0) return e.code() == ErrorCode::kUnavailable || e.code() == ErrorCode::kDeadlineExceeded;
  return e.http_status() == 429 || e.http_status() >= 500;
}

// What to log about a failed write: the code and the API's reason, not the server's message,
// which may quote the event's message back.
std::string describe_failure(const Error& e) {
  if (e.http_status() == 0) return e.describe();  // a transport error: no event content in it
  return std::string(to_string(e.code())) + " " + std::to_string(e.http_status()) + " " + e.reason();
}

}  // namespace

std::string_view to_string(EventType type) { return type == EventType::kWarning ? "Warning" : "Normal"; }

EventRecorder::EventRecorder(RestClient& client, const Clock& clock, Options options)
    : client_(client), clock_(clock), options_(std::move(options)), random_(std::random_device{}()) {
  options_.component = valid_utf8(options_.component);
  options_.host = valid_utf8(options_.host);
  writer_ = std::thread([this] { run(); });
}

EventRecorder::~EventRecorder() {
  if (!flush(options_.shutdown_timeout)) {
    log::warn(kLogger, "stopping before every event was written; the rest are dropped");
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void EventRecorder::record(const nlohmann::json& object, EventType type, std::string reason, std::string message) {
  const std::string kind = valid_utf8(string_field(object, "kind"));
  const std::string name = valid_utf8(name_of(object));
  const std::string ns = valid_utf8(namespace_of(object));
  reason = valid_utf8(reason);
  const std::string what = std::string(to_string(type)) + " " + reason + " on " + kind + " " + object_key(ns, name);
  if (kind.empty() || name.empty()) {
    // client-go's generateEvent: "Could not construct reference, will not report event".
    ++dropped_;
    log::warn(kLogger, "cannot record an event for an object without kind and name", {{"event", what}});
    return;
  }

  const TimePoint now = clock_.now();
  const std::string timestamp = format_rfc3339(now);
  nlohmann::json involved = {{"kind", kind}, {"name", name}};
  // ObjectReference's fields are omitempty in client-go; keep absent what the object lacks.
  if (!ns.empty()) involved["namespace"] = ns;
  if (const auto uid = valid_utf8(uid_of(object)); !uid.empty()) involved["uid"] = uid;
  if (const auto api_version = valid_utf8(string_field(object, "apiVersion")); !api_version.empty()) {
    involved["apiVersion"] = api_version;
  }
  if (const auto rv = valid_utf8(resource_version_of(object)); !rv.empty()) involved["resourceVersion"] = rv;
  nlohmann::json source = {{"component", options_.component}};
  if (!options_.host.empty()) source["host"] = options_.host;

  Pending pending;
  pending.what = what;
  pending.event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      // client-go's makeEvent: the Event lives with its object; a cluster-scoped object's
      // events go to "default".
      {"metadata", {{"name", event_name(name, now)}, {"namespace", ns.empty() ? "default" : ns}}},
      {"involvedObject", involved},
      {"reason", reason},
      {"message", truncate_message(valid_utf8(message))},
      {"type", std::string(to_string(type))},
      {"source", source},
      {"firstTimestamp", timestamp},
      {"lastTimestamp", timestamp},
      {"count", 1},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host},
  };
  // client-go's getEventKey: the source, the involved object (without its resourceVersion,
  // which changes under every event), type, reason and message. A JSON array keeps the parts
  // apart where client-go's plain concatenation would not.
  pending.key = nlohmann::json::array({options_.component, options_.host, kind, ns, name, involved.value("uid", ""),
                                       involved.value("apiVersion", ""), std::string(to_string(type)), reason,
                                       pending.event["message"]})
                    .dump();

  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back(std::move(pending));
      wake_.notify_one();
      return;
    }
  }
  // client-go's generateEvent drops rather than block the caller (ActionOrDrop).
  ++dropped_;
  log::warn(kLogger, "too many queued events, dropped event", {{"event", what}});
}

bool EventRecorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !writing_; });
}

void EventRecorder::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      const size_t left = queue_.size();
      queue_.clear();
      dropped_ += left;
      idle_.notify_all();
      lock.unlock();
      if (left > 0) log::warn(kLogger, "recorder stopped, dropped queued events", {{"count", std::to_string(left)}});
      return;
    }
    Pending pending = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    write(std::move(pending));
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void EventRecorder::write(Pending pending) {
  nlohmann::json& event = pending.event;
  std::optional<nlohmann::json> patch;
  if (const Observation* seen = find_observation(pending.key)) {
    // client-go's eventObserve: a repeat becomes the Event already written, one more time.
    event["metadata"]["name"] = seen->name;
    event["firstTimestamp"] = seen->first_timestamp;
    event["count"] = seen->count + 1;
    // client-go patches count, lastTimestamp and message (a strategic merge patch of the
    // fields that differ); for these plain fields a JSON merge patch is the same change.
    patch = nlohmann::json{
        {"count", event["count"]}, {"lastTimestamp", event["lastTimestamp"]}, {"message", event["message"]}};
  }
  // Remembered before the write, as eventObserve does: a repeat queued behind this one
  // counts on from it, and if this write is lost the repeat's patch finds nothing and creates.
  remember(pending.key,
           Observation{name_of(event), event["firstTimestamp"].get<std::string>(), event["count"].get<int64_t>()});

  const int attempts = std::max(1, options_.max_write_attempts);
  for (int attempt = 1;; ++attempt) {
    switch (try_write(pending, event, patch)) {
      case Outcome::kDone: return;
      case Outcome::kDropped: ++dropped_; return;
      case Outcome::kRetry: break;
    }
    if (attempt >= attempts) {
      ++dropped_;
      log::warn(kLogger, "unable to write event, retry limit exceeded; dropped",
                {{"event", pending.what}, {"attempts", std::to_string(attempt)}});
      return;
    }
    if (!pause(attempt)) {
      ++dropped_;
      log::warn(kLogger, "recorder stopped while retrying; dropped event", {{"event", pending.what}});
      return;
    }
  }
}

EventRecorder::Outcome EventRecorder::try_write(const Pending& pending, const nlohmann::json& event,
                                                const std::optional<nlohmann::json>& patch) {
  const ResourceType events = resources::events();
  const std::string ns = namespace_of(event);
  const std::string name = name_of(event);
  Result<nlohmann::json> written =
      patch ? client_.merge_patch(events, ns, name, *patch) : client_.create(events, event);
  if (patch && !written.ok() && is_not_found(written.error())) {
    // client-go's recordEvent: the Event went away (deleted, or expired by kube-apiserver's
    // --event-ttl), so create it again, under the same name and with the count carried on.
    written = client_.create(events, event);
  }
  if (written.ok()) {
    // client-go's UpdateState: what the server holds is what the next repeat builds on.
    const nlohmann::json& stored = *written;
    Observation observation{name_of(stored), string_field(stored, "firstTimestamp"), event["count"].get<int64_t>()};
    if (auto count = stored.find("count"); count != stored.end() && count->is_number_integer()) {
      observation.count = count->get<int64_t>();
    }
    if (observation.name.empty()) observation.name = name;
    if (observation.first_timestamp.empty()) observation.first_timestamp = event["firstTimestamp"].get<std::string>();
    remember(pending.key, std::move(observation));
    return Outcome::kDone;
  }
  const Error& error = written.error();
  if (is_already_exists(error)) {
    // client-go: "Server rejected event (will not retry!)", at debug level: it is there.
    log::debug(kLogger, "event already exists", {{"event", pending.what}});
    return Outcome::kDone;
  }
  if (is_retryable(error)) {
    log::warn(kLogger, "unable to write event (may retry after sleeping)",
              {{"event", pending.what}, {"error", describe_failure(error)}});
    return Outcome::kRetry;
  }
  log::warn(kLogger, "server rejected event (will not retry)",
            {{"event", pending.what}, {"error", describe_failure(error)}});
  return Outcome::kDropped;
}

bool EventRecorder::pause(int attempt) {
  auto delay = options_.retry_interval;
  if (attempt == 1) {
    // client-go randomises the first sleep so recorders do not retry in step.
    std::uniform_real_distribution<double> fraction(0.0, 1.0);
    delay = std::chrono::duration_cast<std::chrono::milliseconds>(delay * fraction(random_));
  }
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, delay, [this] { return stopping_; });
}

const EventRecorder::Observation* EventRecorder::find_observation(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->second;
}

void EventRecorder::remember(const std::string& key, Observation observation) {
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    it->second->second = std::move(observation);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.emplace_front(key, std::move(observation));
  by_key_[key] = lru_.begin();
  while (lru_.size() > std::max<size_t>(1, options_.cache_size)) {
    by_key_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

}  // namespace sso::kube
