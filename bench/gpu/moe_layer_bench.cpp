//===- moe_layer_bench.cpp - MoE layer forward + backward on the GPU -----===//
//
// moefold-bench-moe-layer: times the cuda backend's MoE layer (router,
// permute, grouped SwiGLU experts, unpermute, and their backward) at the
// issue's shapes and prints one JSON line per shape and dtype; see
// docs/gpu.md for the fields and bench/gpu/run.sh for the comparison with
// PyTorch. Built twice: against the device library (the measurement) and
// against its host emulation (moefold-bench-moe-layer-emulated, which only
// shows the logic runs; its "timing" field says "host-clock").
//
//===----------------------------------------------------------------------===//

#include "BenchOptions.h"
#include "MoeLayer.h"
#include "StreamMarks.h"

#include "moefold_runtime/mfrt_device.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace moefold::bench;

namespace {

const char *kTool = "moefold-bench-moe-layer";

/// One JSON object on one line, fields in insertion order.
class JsonLine {
public:
  void add(const char *key, const std::string &v) {
    std::string quoted;
    for (char c : v) {
      if (c == '"' || c == '\\')
        quoted += '\\';
      quoted += c;
    }
    field(key, "\"" + quoted + "\"");
  }
  void add(const char *key, const char *v) { add(key, std::string(v)); }
  void add(const char *key, int64_t v) { field(key, std::to_string(v)); }
  void add(const char *key, bool v) { field(key, v ? "true" : "false"); }
  void add(const char *key, double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.6g", v);
    field(key, std::isfinite(v) ? buf : "null");
  }
  std::string str() const { return "{" + body_ + "}"; }

private:
  void field(const char *key, const std::string &v) {
    body_ += (body_.empty() ? "\"" : ", \"") + std::string(key) + "\": " + v;
  }
  std::string body_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool failed(mfrt_status st, const LayerShape &s, mfrt_dtype d,
            const char *what) {
  if (st == MFRT_OK)
    return false;
  std::fprintf(stderr, "%s: %s %s: %s failed: %s (%s)\n", kTool,
               s.name.c_str(), mfrt_dtype_name(d), what, mfrt_last_error(),
               mfrt_status_string(st));
  return true;
}

// Timestamps of one iteration: start, after router, permute, experts,
// unpermute, and the end of the backward.
enum Mark { kStart, kRouter, kPermute, kExperts, kUnpermute, kEnd, kMarks };

/// Times one shape and dtype; prints its JSON line. Returns false on error.
bool runOne(const BenchOptions &o, const LayerShape &s, mfrt_dtype d) {
  std::unique_ptr<MoeLayer> layer;
  if (failed(MoeLayer::create(s, d, layer), s, d, "setting up the layer"))
    return false;
  auto forwardBackward = [&](StreamMarks *m) -> mfrt_status {
    auto at = [&](Mark i) { return m ? m->mark(i) : MFRT_OK; };
    mfrt_status st;
    if ((st = at(kStart)) || (st = layer->routerForward()) ||
        (st = at(kRouter)) || (st = layer->permute()) ||
        (st = at(kPermute)) || (st = layer->expertsForward()) ||
        (st = at(kExperts)) || (st = layer->unpermute()) ||
        (st = at(kUnpermute)) || (st = layer->backward()) || (st = at(kEnd)))
      return st;
    return MFRT_OK;
  };
  for (int64_t i = 0; i < o.warmup; ++i)
    if (failed(forwardBackward(nullptr), s, d, "warm-up iteration"))
      return false;

  StreamMarks marks(kMarks);
  std::vector<double> layerMs, fwdMs, bwdMs, permuteMs, unpermuteMs;
  for (int64_t i = 0; i < o.iters; ++i) {
    if (failed(forwardBackward(&marks), s, d, "timed iteration"))
      return false;
    double ms[kMarks] = {};
    for (int m = kRouter; m < kMarks; ++m)
      if (failed(marks.elapsedMs(kStart, m, ms[m]), s, d, "reading timers"))
        return false;
    layerMs.push_back(ms[kEnd]);
    fwdMs.push_back(ms[kUnpermute]);
    bwdMs.push_back(ms[kEnd] - ms[kUnpermute]);
    permuteMs.push_back(ms[kPermute] - ms[kRouter]);
    unpermuteMs.push_back(ms[kUnpermute] - ms[kExperts]);
  }
  double imbalance = 0;
  bool finite = false;
  if (failed(layer->groupImbalance(imbalance), s, d, "reading group sizes") ||
      failed(layer->outputsFinite(finite), s, d, "reading the outputs"))
    return false;

  // The reference: a device-to-device copy of the permuted tensor's bytes,
  // on the same stream, in the same process.
  std::vector<double> copyMs;
  StreamMarks copyMarks(2);
  for (int64_t i = 0; i < o.iters + 1; ++i) {
    double ms = 0;
    if (failed(copyMarks.mark(0), s, d, "timer") ||
        failed(layer->copyPermuted(), s, d, "device-to-device copy") ||
        failed(copyMarks.mark(1), s, d, "timer") ||
        failed(copyMarks.elapsedMs(0, 1, ms), s, d, "timer"))
      return false;
    if (i > 0) // the first copy is a warm-up
      copyMs.push_back(ms);
  }

  const int64_t b = int64_t(mfrt_dtype_size(d));
  const double layerMed = median(layerMs), perm = median(permuteMs),
               unperm = median(unpermuteMs), copy = median(copyMs);
  const double gb = 1e-9;
  const double permGbps = double(permuteBytes(s, b)) * gb / (perm * 1e-3);
  const double unpermGbps = double(unpermuteBytes(s, b)) * gb / (unperm * 1e-3);
  const double copyGbps =
      2.0 * double(permutedTensorBytes(s, b)) * gb / (copy * 1e-3);
  const int64_t flops = layerFlops(s);

  JsonLine j;
  j.add("bench", "moe_layer");
  j.add("impl", "moefold");
  j.add("device", mfrt_device_description());
  j.add("emulated", mfrt_device_is_emulated() != 0);
  j.add("timing", StreamMarks::method());
  j.add("shape", s.name);
  j.add("T", s.T);
  j.add("H", s.H);
  j.add("F", s.F);
  j.add("E", s.E);
  j.add("k", s.k);
  j.add("scoring", s.scoring == MFRT_SCORING_SIGMOID ? "sigmoid" : "softmax");
  j.add("dtype", mfrt_dtype_name(d));
  j.add("warmup", o.warmup);
  j.add("iters", o.iters);
  j.add("layer_ms", layerMed);
  j.add("layer_ms_min", *std::min_element(layerMs.begin(), layerMs.end()));
  j.add("fwd_ms", median(fwdMs));
  j.add("bwd_ms", median(bwdMs));
  j.add("tokens_per_s", double(s.T) / (layerMed * 1e-3));
  j.add("flops_per_iter", flops);
  j.add("tflops", double(flops) * 1e-12 / (layerMed * 1e-3));
  j.add("permute_ms", perm);
  j.add("permute_gbps", permGbps);
  j.add("unpermute_ms", unperm);
  j.add("unpermute_gbps", unpermGbps);
  j.add("memcpy_gbps", copyGbps);
  j.add("permute_frac_memcpy", permGbps / copyGbps);
  j.add("unpermute_frac_memcpy", unpermGbps / copyGbps);
  j.add("max_group_over_mean", imbalance);
  j.add("finite", finite);
  std::printf("%s\n", j.str().c_str());
  std::fflush(stdout);
  if (!finite)
    std::fprintf(stderr, "%s: %s %s: the layer output or dx is not finite\n",
                 kTool, s.name.c_str(), mfrt_dtype_name(d));
  return finite;
}

} // namespace

int main(int argc, char **argv) {
  BenchOptions o;
  std::string error;
  if (!parseBenchOptions(argc, argv, o, error)) {
    std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
    return 2;
  }
  if (o.help) {
    std::fputs(benchUsage(), stdout);
    return 0;
  }
  if (mfrt_status st = mfrt_device_init(o.device)) {
    std::fprintf(stderr, "%s: %s (%s); nothing measured\n", kTool,
                 mfrt_last_error(), mfrt_status_string(st));
    return st == MFRT_ERROR_UNSUPPORTED ? 3 : 1;
  }
  bool ok = true;
  for (const LayerShape &s : o.shapes)
    for (mfrt_dtype d : o.dtypes)
      ok = runOne(o, s, d) && ok;
  return ok ? 0 : 1;
}
