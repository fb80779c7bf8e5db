#include "kube/informer.hpp"

#include <random>

#include "base/log.hpp"
#include "kube/api_error.hpp"
#include "kube/backoff.hpp"
#include "kube/rest_client.hpp"

namespace sso::kube {

Informer::Informer(RestClient& client, InformerOptions options) : client_(client), options_(std::move(options)) {}

Informer::~Informer() { stop(); }

void Informer::add_handlers(EventHandlers handlers) { handlers_.push_back(std::move(handlers)); }

std::string Informer::what() const {
  std::string out = options_.type.plural;
  if (!options_.ns.empty()) out += " in " + options_.ns;
  if (!options_.label_selector.empty()) out += " (" + options_.label_selector + ")";
  return out;
}

void Informer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  if (options_.resync.count() > 0) resync_thread_ = std::thread([this] { run_resync(); });
}

void Informer::stop() {
  std::shared_ptr<WatchStream> stream;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stream = stream_;
  }
  cv_.notify_all();
  if (stream) stream->close();
  if (thread_.joinable()) thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
}

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return synced_.load() || stopping_; }) && synced_.load();
}

std::string Informer::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

void Informer::deliver_add(const ObjectPtr& object) {
  for (const auto& h : handlers_) {
    if (h.on_add) h.on_add(object);
  }
}
void Informer::deliver_update(const ObjectPtr& old_object, const ObjectPtr& new_object) {
  for (const auto& h : handlers_) {
    if (h.on_update) h.on_update(old_object, new_object);
  }
}
void Informer::deliver_delete(const ObjectPtr& object) {
  for (const auto& h : handlers_) {
    if (h.on_delete) h.on_delete(object);
  }
}

void Informer::transform(nlohmann::json& object) const {
  if (options_.keep_managed_fields || !object.is_object()) return;
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) meta->erase("managedFields");
}

bool Informer::list_and_replace() {
  ListOptions options;
  options.label_selector = options_.label_selector;
  options.field_selector = options_.field_selector;
  options.limit = options_.page_size;
  // resourceVersion "" asks for a quorum read: after a 410 the cache must catch up with the
  // present, not with a stale watch cache (client-go relists from "" after expiry).
  auto list = client_.list_all(options_.type, options_.ns, options);
  ++lists_;
  if (!list.ok()) {
    log::warn("informer", "list failed", {{"resource", what()}, {"error", list.error().describe()}});
    return false;
  }
  std::vector<ObjectPtr> objects;
  objects.reserve(list->items.size());
  for (auto& item : list->items) {
    transform(item);
    objects.push_back(std::make_shared<const nlohmann::json>(std::move(item)));
  }
  const auto delta = cache_.replace(std::move(objects));
  for (const auto& object : delta.deleted) deliver_delete(object);
  for (const auto& [old_object, new_object] : delta.updated) deliver_update(old_object, new_object);
  for (const auto& object : delta.added) deliver_add(object);
  {
    std::lock_guard lock(mu_);
    resource_version_ = list->resource_version;
  }
  if (!synced_.exchange(true)) {
    log::debug("informer", "cache synced", {{"resource", what()}, {"objects", std::to_string(cache_.size())}});
  }
  cv_.notify_all();
  return true;
}

Informer::WatchOutcome Informer::watch_once() {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  ListOptions options;
  options.label_selector = options_.label_selector;
  options.field_selector = options_.field_selector;
  options.allow_watch_bookmarks = true;
  // client-go spreads watch lifetimes over [minWatchTimeout, 2*minWatchTimeout) so that
  // many clients do not all reconnect at once.
  options.timeout_seconds =
      options_.min_watch_timeout_seconds + static_cast<int>(rng() % std::max(1, options_.min_watch_timeout_seconds));
  {
    std::lock_guard lock(mu_);
    options.resource_version = resource_version_;
  }
  auto opened = client_.watch(options_.type, options_.ns, options);
  if (!opened.ok()) {
    if (is_gone(opened.error())) return {State::kListing, std::nullopt};
    return {State::kWatching, std::move(opened).error()};
  }
  std::shared_ptr<WatchStream> stream(std::move(*opened));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return {State::kWatching, std::nullopt};
    stream_ = stream;
  }
  struct Clear {
    Informer* self;
    ~Clear() {
      std::lock_guard lock(self->mu_);
      self->stream_.reset();
    }
  } clear{this};

  while (true) {
    auto event = stream->next();
    if (!event.ok()) {
      if (is_gone(event.error())) return {State::kListing, std::nullopt};
      {
        std::lock_guard lock(mu_);
        if (stopping_) return {State::kWatching, std::nullopt};
      }
      return {State::kWatching, std::move(event).error()};
    }
    // The server ended it (its timeout): re-watch from here.
    if (!event->has_value()) return {State::kWatching, std::nullopt};
    WatchEvent& e = **event;
    const std::string rv = resource_version_of(e.object);
    if (e.type == "BOOKMARK") {
      std::lock_guard lock(mu_);
      if (!rv.empty()) resource_version_ = rv;
      continue;
    }
    transform(e.object);
    auto object = std::make_shared<const nlohmann::json>(std::move(e.object));
    if (e.type == "ADDED" || e.type == "MODIFIED") {
      const auto old = cache_.upsert(object);
      if (!old) {
        deliver_add(object);
      } else if (resource_version_of(*old) != rv) {
        deliver_update(old, object);
      }
    } else if (e.type == "DELETED") {
      if (cache_.remove(object_key(*object))) deliver_delete(object);
    }
    std::lock_guard lock(mu_);
    if (!rv.empty()) resource_version_ = rv;
  }
}

void Informer::run() {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  State state = State::kListing;
  auto wait = [&](std::chrono::milliseconds delay) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, delay, [this] { return stopping_; });
  };
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (state == State::kListing) {
      if (list_and_replace()) {
        backoff.reset();
        state = State::kWatching;
      } else if (!wait(backoff.next())) {
        return;
      }
      continue;
    }
    auto outcome = watch_once();
    state = outcome.next;
    if (outcome.error) {
      // Stays in Watching: the next attempt resumes from the last resourceVersion seen.
      const auto delay = backoff.next();
      log::warn(
          "informer", "watch failed, retrying",
          {{"resource", what()}, {"error", outcome.error->describe()}, {"retry_in_ms", std::to_string(delay.count())}});
      if (!wait(delay)) return;
    } else if (state == State::kListing) {
      log::info("informer", "watch expired (410), relisting", {{"resource", what()}});
    } else {
      backoff.reset();
    }
  }
}

void Informer::run_resync() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.resync, [this] { return stopping_; })) return;
    }
    if (!synced_.load()) continue;
    // client-go's resync re-delivers every cached object as an update of itself, so that
    // controllers re-check the world against objects that did not change.
    for (const auto& object : cache_.list()) deliver_update(object, object);
  }
}

}  // namespace sso::kube
