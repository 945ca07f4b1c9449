//===- StreamMarksCuda.cpp - CUDA events on the compute stream ------------===//

#include "StreamMarks.h"

#include "DeviceContext.h" // mfrt::gpu::computeStream, the runtime's stream

#include <cstdio>
#include <vector>

namespace moefold::bench {

struct StreamMarks::Impl {
  std::vector<cudaEvent_t> events;
};

static mfrt_status check(cudaError_t err, const char *what) {
  if (err == cudaSuccess)
    return MFRT_OK;
  std::fprintf(stderr, "moefold-bench-moe-layer: %s: %s\n", what,
               cudaGetErrorString(err));
  return MFRT_ERROR_INVALID_ARGUMENT;
}

StreamMarks::StreamMarks(int count) : impl_(new Impl) {
  impl_->events.resize(count, nullptr);
  for (cudaEvent_t &e : impl_->events)
    if (cudaEventCreate(&e) != cudaSuccess)
      e = nullptr; // reported by mark()
}

StreamMarks::~StreamMarks() {
  for (cudaEvent_t e : impl_->events)
    if (e)
      cudaEventDestroy(e);
  delete impl_;
}

mfrt_status StreamMarks::mark(int i) {
  if (!impl_->events[i])
    return check(cudaErrorInvalidResourceHandle, "cudaEventCreate");
  return check(cudaEventRecord(impl_->events[i], mfrt::gpu::computeStream()),
               "cudaEventRecord");
}

mfrt_status StreamMarks::elapsedMs(int from, int to, double &ms) {
  if (mfrt_status st =
          check(cudaEventSynchronize(impl_->events[to]), "cudaEventSynchronize"))
    return st;
  float f = 0;
  mfrt_status st = check(
      cudaEventElapsedTime(&f, impl_->events[from], impl_->events[to]),
      "cudaEventElapsedTime");
  ms = f;
  return st;
}

const char *StreamMarks::method() { return "cuda-events"; }

} // namespace moefold::bench
