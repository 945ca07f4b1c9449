//===- StreamMarksHost.cpp - host clock for the emulated build ------------===//

#include "StreamMarks.h"

#include "moefold_runtime/mfrt_device.h"

#include <chrono>
#include <vector>

namespace moefold::bench {

struct StreamMarks::Impl {
  std::vector<std::chrono::steady_clock::time_point> times;
};

StreamMarks::StreamMarks(int count) : impl_(new Impl) {
  impl_->times.resize(count);
}

StreamMarks::~StreamMarks() { delete impl_; }

mfrt_status StreamMarks::mark(int i) {
  mfrt_status st = mfrt_device_synchronize();
  impl_->times[i] = std::chrono::steady_clock::now();
  return st;
}

mfrt_status StreamMarks::elapsedMs(int from, int to, double &ms) {
  ms = std::chrono::duration<double, std::milli>(impl_->times[to] -
                                                 impl_->times[from])
           .count();
  return MFRT_OK;
}

const char *StreamMarks::method() { return "host-clock"; }

} // namespace moefold::bench
