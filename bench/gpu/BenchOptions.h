//===- BenchOptions.h - command line of moefold-bench-moe-layer ----------===//

#ifndef MOEFOLD_BENCH_GPU_BENCHOPTIONS_H
#define MOEFOLD_BENCH_GPU_BENCHOPTIONS_H

#include "LayerShape.h"

#include <string>
#include <vector>

namespace moefold::bench {

struct BenchOptions {
  std::vector<LayerShape> shapes;
  std::vector<mfrt_dtype> dtypes;
  int64_t iters = 20;
  int64_t warmup = 3;
  int64_t device = 0;
  bool help = false;
};

/// Parses argv. Returns false with `error` set (naming the flag) on an
/// unknown flag, a missing or malformed value.
bool parseBenchOptions(int argc, char **argv, BenchOptions &out,
                       std::string &error);

/// The --help text.
const char *benchUsage();

} // namespace moefold::bench

#endif
