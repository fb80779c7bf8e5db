#include "kube/stop_signal.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace sso::kube {

void notify_on_termination_signals(StopSignal& stop) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  // Threads inherit the mask, so every thread started later leaves these to sigwait below.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, &stop] {
    int received = 0;
    sigwait(&set, &received);
    stop.notify();
    sigwait(&set, &received);
    _exit(1);
  }).detach();
}

}  // namespace sso::kube
