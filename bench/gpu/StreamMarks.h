//===- StreamMarks.h - timestamps on the runtime's compute stream --------===//
//
// The device build records CUDA events on the stream every mfrt_cuda_ entry
// point queues its work on, so an interval is GPU time between two points of
// the queue, not host time. The emulated build (no GPU) takes a host clock
// after mfrt_device_synchronize: its figures only show that the logic runs.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_BENCH_GPU_STREAMMARKS_H
#define MOEFOLD_BENCH_GPU_STREAMMARKS_H

#include "moefold_runtime/mfrt.h"

namespace moefold::bench {

class StreamMarks {
public:
  /// `count` timestamps, numbered 0..count-1. Call after mfrt_device_init.
  explicit StreamMarks(int count);
  ~StreamMarks();
  StreamMarks(const StreamMarks &) = delete;
  StreamMarks &operator=(const StreamMarks &) = delete;

  /// Queues timestamp `i` behind the work queued so far.
  mfrt_status mark(int i);
  /// Milliseconds from timestamp `from` to `to`; waits until `to` is reached.
  mfrt_status elapsedMs(int from, int to, double &ms);

  /// "cuda-events" or "host-clock".
  static const char *method();

private:
  struct Impl;
  Impl *impl_;
};

} // namespace moefold::bench

#endif
