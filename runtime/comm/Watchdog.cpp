//===- Watchdog.cpp - collective timeout of the MPI backend ---------------===//
//
// If a peer dies or hangs, the survivors would wait in MPI forever (MPI has
// no timeouts). Every blocking MPI call runs inside a WatchdogScope, which
// stamps the start time; a background thread polls the stamp and, past the
// timeout (MOEFOLD_COMM_TIMEOUT_S), prints which collective on which group
// stalled and brings the whole job down with MPI_Abort, so mpirun exits
// non-zero in bounded time.
//
//===----------------------------------------------------------------------===//

#include "CommInternal.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <unistd.h>

using namespace mfrt::comm;

namespace {

std::atomic<int64_t> armedAtNs{0};
std::atomic<const char *> armedWhat{nullptr};
std::atomic<const mfrt_comm_group *> armedGroup{nullptr};

std::mutex mu;
std::condition_variable cv;
bool stopRequested = false;
std::thread *thread = nullptr;

int64_t nowNs() {
  // Never 0, which means "not armed".
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
             .count() |
         1;
}

int64_t timeoutNs() {
  double s = state().timeoutS.load();
  return s > 0 ? static_cast<int64_t>(s * 1e9) : 0;
}

[[noreturn]] void fire(int64_t elapsedNs) {
  const char *what = armedWhat.load();
  const mfrt_comm_group *g = armedGroup.load();
  std::fprintf(stderr,
               "moefold: rank %lld: %s on group '%s' (%lld ranks) did not "
               "complete within %g s (MOEFOLD_COMM_TIMEOUT_S=%g): a peer rank "
               "probably died or is stuck; aborting the job\n",
               static_cast<long long>(state().rank), what ? what : "?",
               g ? g->name.c_str() : "?",
               static_cast<long long>(g ? g->size : -1), elapsedNs / 1e9,
               state().timeoutS.load());
  std::fflush(stderr);
  // Backstop in case MPI_Abort itself gets stuck: SIGALRM's default action
  // terminates the process, which mpirun also treats as a failed job.
  alarm(10);
  if (state().threadMultiple)
    MPI_Abort(MPI_COMM_WORLD, MFRT_COMM_EXIT_TIMEOUT);
  // Without MPI_THREAD_MULTIPLE this thread may not call MPI; exiting
  // without MPI_Finalize makes mpirun terminate the other ranks.
  _exit(MFRT_COMM_EXIT_TIMEOUT);
}

void loop() {
  std::unique_lock<std::mutex> lock(mu);
  while (!stopRequested) {
    int64_t limit = timeoutNs();
    int64_t pollNs = limit > 0 ? limit / 10 : 500000000;
    if (pollNs < 10000000)
      pollNs = 10000000;
    if (pollNs > 500000000)
      pollNs = 500000000;
    cv.wait_for(lock, std::chrono::nanoseconds(pollNs));
    if (stopRequested)
      break;
    int64_t since = armedAtNs.load();
    if (since == 0 || limit <= 0)
      continue;
    int64_t elapsed = nowNs() - since;
    if (elapsed > limit)
      fire(elapsed);
  }
}

} // namespace

namespace mfrt::comm {

void startWatchdog() {
  std::lock_guard<std::mutex> lock(mu);
  if (thread)
    return;
  stopRequested = false;
  thread = new std::thread(loop);
}

void stopWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!thread)
      return;
    stopRequested = true;
  }
  cv.notify_all();
  thread->join();
  delete thread;
  thread = nullptr;
}

// Scopes nest (a collective's validation exchange runs inside it): only the
// outermost one arms and disarms.
WatchdogScope::WatchdogScope(const char *what, const mfrt_comm_group *g) {
  if (armedAtNs.load() != 0) {
    outermost_ = false;
    return;
  }
  armedWhat.store(what);
  armedGroup.store(g);
  armedAtNs.store(nowNs());
}

WatchdogScope::~WatchdogScope() {
  if (outermost_)
    armedAtNs.store(0);
}

} // namespace mfrt::comm
