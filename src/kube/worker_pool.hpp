#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sso::kube {

// Threads for work that waits (a call to the API server, a fault's latency) and so must not
// run on the HTTP edge's own threads: HttpRoute::serve hands a request here, and answers
// through its exchange when done.
class WorkerPool {
 public:
  explicit WorkerPool(size_t threads) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~WorkerPool() { stop(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // false once stopped: the task is dropped.
  bool submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return false;
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
    return true;
  }

  // Drops the tasks not started and waits for those running. Idempotent.
  void stop() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      dropped.swap(tasks_);
    }
    ready_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    dropped.clear();  // outside the lock: a task's captures may take it back
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return stopped_ || !tasks_.empty(); });
        if (stopped_) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sso::kube
