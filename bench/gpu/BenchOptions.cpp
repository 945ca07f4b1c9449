//===- BenchOptions.cpp - command line of moefold-bench-moe-layer --------===//

#include "BenchOptions.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace moefold::bench {

const char *benchUsage() {
  return "usage: moefold-bench-moe-layer [--shape S] [--dtype D] [--iters N]\n"
         "                               [--warmup N] [--device N]\n"
         "Times one MoE layer forward + backward on the cuda backend and\n"
         "prints one JSON line per shape and dtype (docs/gpu.md).\n"
         "  --shape S   all (default: mixtral, qwen3-30b-a3b, deepseek-v3-ep8),\n"
         "              one of those, tiny, or T=..,H=..,F=..,E=..,k=..\n"
         "              [,scoring=softmax|sigmoid]\n"
         "  --dtype D   all (default: bf16 then f32), bf16 or f32\n"
         "  --iters N   timed iterations (default 20)\n"
         "  --warmup N  untimed iterations first (default 3)\n"
         "  --device N  CUDA device ordinal (default 0)\n"
         "  --help      this text\n";
}

static bool parseCount(const char *flag, const char *text, int64_t lo,
                       int64_t &out, std::string &error) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || errno || v < lo || v > 1000000) {
    error = std::string(flag) + ": '" + text + "' is not an integer in [" +
            std::to_string(lo) + ", 1000000]";
    return false;
  }
  out = v;
  return true;
}

bool parseBenchOptions(int argc, char **argv, BenchOptions &o,
                       std::string &error) {
  std::string shape = "all", dtype = "all";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool inlineValue = false;
    if (size_t eq = flag.find('='); flag.rfind("--", 0) == 0 &&
                                    eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inlineValue = true;
    }
    if (flag == "--help" || flag == "-h") {
      o.help = true;
      return true;
    }
    bool known = flag == "--shape" || flag == "--dtype" ||
                 flag == "--iters" || flag == "--warmup" || flag == "--device";
    if (!known) {
      error = "unknown flag '" + flag + "' (see --help)";
      return false;
    }
    if (!inlineValue) {
      if (i + 1 >= argc) {
        error = flag + " needs a value (see --help)";
        return false;
      }
      value = argv[++i];
    }
    if (flag == "--shape")
      shape = value;
    else if (flag == "--dtype")
      dtype = value;
    else if (!parseCount(flag.c_str(), value.c_str(),
                         flag == "--iters" ? 1 : 0,
                         flag == "--iters"    ? o.iters
                         : flag == "--warmup" ? o.warmup
                                              : o.device,
                         error))
      return false;
  }
  if (!parseShapes(shape, o.shapes, error)) {
    error = "--shape: " + error;
    return false;
  }
  if (dtype == "all")
    o.dtypes = {MFRT_BF16, MFRT_F32};
  else if (dtype == "bf16")
    o.dtypes = {MFRT_BF16};
  else if (dtype == "f32")
    o.dtypes = {MFRT_F32};
  else {
    error = "--dtype: '" + dtype + "' is not all, bf16 or f32";
    return false;
  }
  return true;
}

} // namespace moefold::bench
