//===- Driver.cpp - train, evaluate or gradient-check a compiled model ----===//
//
// Model-agnostic: everything about the model comes from the registry the
// generated moefold_register() fills (buffers with names, families and init
// specs; batch geometry; metadata) and from the entry functions declared in
// Entry.h. See docs/executable.md.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include "Checkpoint.h"
#include "CommReport.h"
#include "Dist.h"
#include "Entry.h"
#include "Options.h"

#include "moefold_runtime/mfrt_data.h"
#include "moefold_runtime/mfrt_io.h"
#include "moefold_runtime/mfrt_registry.h"
#include "moefold_runtime/mfrt_rng.h"

// Weak: only cuda programs define the device hooks (docs/gpu-programs.md).
#define MFRT_DEVICE_HOOK __attribute__((weak))
#include "../mlir_abi/DeviceTwins.h"

#include <malloc.h>

#include <algorithm>
#include <cerrno>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" void openblas_set_num_threads(int) __attribute__((weak));

#ifndef MOEFOLD_DEFAULT_DATA
#define MOEFOLD_DEFAULT_DATA ""
#endif

namespace moefold::driver {
namespace {

const char *gProgram = "moefold";

/// Prints "EXE: error: <msg>" to stderr; returns 1.
int failure(const std::string &msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", gProgram, msg.c_str());
  return 1;
}

/// Whether this rank prints the step lines and progress (rank 0).
bool isRoot() { return dist::rank() == 0; }

/// Collective: true when every rank succeeded. Otherwise the first failing
/// rank prints its `error` (the others stay quiet: they usually failed the
/// same way) and every rank gets false, so all of them stop at the same
/// point and nobody waits for a peer that left.
bool agree(bool ok, const std::string &error) {
  int64_t first = -1;
  if (!dist::anyFailed(!ok, &first))
    return true;
  if (dist::rank() == first)
    failure(error);
  return false;
}

/// Shortest "%.Ng" that reads back as the same double; "null" when not
/// finite (JSON has no NaN).
std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

int64_t numBytes(const mfrt_tensor &t) {
  return mfrt_tensor_numel(&t) * int64_t(mfrt_dtype_size(t.dtype));
}

/// What --plot draws: per step of this run, and the eval points.
struct History {
  std::vector<int64_t> steps;
  std::vector<double> loss, gradNorm;
  std::vector<int64_t> evalSteps;
  std::vector<double> evalLoss;
};

/// h:mm:ss.
std::string clockText(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    seconds = 0;
  long long t = (long long)std::llround(seconds);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", t / 3600, (t / 60) % 60,
                t % 60);
  return buf;
}

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

/// Ticks 1-2-5 x 10^k covering [lo, hi], about `n` of them.
std::vector<double> niceTicks(double lo, double hi, int n) {
  double span = hi - lo, raw = span / n,
         mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

/// One panel: series of (x, y) polylines/points at vertical offset `top`.
void svgPanel(
    std::string &out, double top, const std::string &title,
    const std::vector<int64_t> &xs, double xlo, double xhi,
    const std::vector<
        std::pair<std::string, std::pair<const std::vector<int64_t> *,
                                         const std::vector<double> *>>> &series,
    bool dotsForLast) {
  const double left = 70, width = 620, height = 200;
  double ylo = INFINITY, yhi = -INFINITY;
  for (auto &s : series)
    for (double v : *s.second.second)
      if (std::isfinite(v)) {
        ylo = std::fmin(ylo, v);
        yhi = std::fmax(yhi, v);
      }
  if (!std::isfinite(ylo)) {
    ylo = 0;
    yhi = 1;
  }
  if (yhi - ylo < 1e-12 * std::fmax(1.0, std::fabs(yhi))) {
    double pad = std::fmax(std::fabs(yhi) * 0.05, 1e-3);
    ylo -= pad;
    yhi += pad;
  }
  double pad = (yhi - ylo) * 0.05;
  ylo -= pad;
  yhi += pad;
  auto X = [&](double x) { return left + (x - xlo) / (xhi - xlo) * width; };
  auto Y = [&](double y) {
    return top + height - (y - ylo) / (yhi - ylo) * height;
  };
  out += "<g class=\"panel\">\n<text x=\"" + fmt("%.1f", left + width / 2) +
         "\" y=\"" + fmt("%.1f", top - 8) +
         "\" text-anchor=\"middle\" font-size=\"13\">" + title + "</text>\n";
  out += "<rect x=\"" + fmt("%.1f", left) + "\" y=\"" + fmt("%.1f", top) +
         "\" width=\"" + fmt("%.1f", width) + "\" height=\"" +
         fmt("%.1f", height) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double t : niceTicks(ylo, yhi, 5)) {
    out += "<line x1=\"" + fmt("%.1f", left - 4) + "\" x2=\"" +
           fmt("%.1f", left) + "\" y1=\"" + fmt("%.2f", Y(t)) + "\" y2=\"" +
           fmt("%.2f", Y(t)) + "\" stroke=\"#444\"/><text x=\"" +
           fmt("%.1f", left - 6) + "\" y=\"" + fmt("%.2f", Y(t) + 4) +
           "\" text-anchor=\"end\" font-size=\"10\">" + fmt("%g", t) +
           "</text>\n";
  }
  for (double t : niceTicks(xlo, xhi, 8)) {
    if (t != std::floor(t))
      continue;
    out += "<line x1=\"" + fmt("%.2f", X(t)) + "\" x2=\"" + fmt("%.2f", X(t)) +
           "\" y1=\"" + fmt("%.1f", top + height) + "\" y2=\"" +
           fmt("%.1f", top + height + 4) + "\" stroke=\"#444\"/><text x=\"" +
           fmt("%.2f", X(t)) + "\" y=\"" + fmt("%.1f", top + height + 16) +
           "\" text-anchor=\"middle\" font-size=\"10\">" + fmt("%.0f", t) +
           "</text>\n";
  }
  out += "<text x=\"" + fmt("%.1f", left + width / 2) + "\" y=\"" +
         fmt("%.1f", top + height + 32) +
         "\" text-anchor=\"middle\" font-size=\"11\">step</text>\n";
  static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c"};
  for (size_t i = 0; i < series.size(); ++i) {
    const auto &name = series[i].first;
    const auto &sx = *series[i].second.first;
    const auto &sy = *series[i].second.second;
    bool dots = dotsForLast && i + 1 == series.size();
    if (dots) {
      out += "<g class=\"" + name + "\" fill=\"" + colours[i % 3] + "\">\n";
      for (size_t k = 0; k < sx.size(); ++k)
        if (std::isfinite(sy[k]))
          out += "<circle cx=\"" + fmt("%.2f", X(double(sx[k]))) + "\" cy=\"" +
                 fmt("%.2f", Y(sy[k])) + "\" r=\"3\"/>\n";
      out += "</g>\n";
    } else {
      out += "<polyline class=\"" + name + "\" fill=\"none\" stroke=\"" +
             colours[i % 3] + "\" stroke-width=\"1.2\" points=\"";
      bool first = true;
      for (size_t k = 0; k < sx.size(); ++k) {
        if (!std::isfinite(sy[k]))
          continue;
        out += (first ? "" : " ") + fmt("%.2f", X(double(sx[k]))) + "," +
               fmt("%.2f", Y(sy[k]));
        first = false;
      }
      out += "\"/>\n";
    }
    out += "<text x=\"" + fmt("%.1f", left + width - 8) + "\" y=\"" +
           fmt("%.1f", top + 16 + 14 * double(i)) +
           "\" text-anchor=\"end\" font-size=\"11\" fill=\"" + colours[i % 3] +
           "\">" + name + "</text>\n";
  }
  (void)xs;
  out += "</g>\n";
}

std::string xmlEscape(const std::string &text) {
  std::string out;
  for (char c : text)
    out += c == '&'   ? "&amp;"
           : c == '<' ? "&lt;"
           : c == '>' ? "&gt;"
                      : std::string(1, c);
  return out;
}

/// --plot FILE: a self-contained SVG of loss (and eval loss) and gradient
/// norm per step, written to FILE.tmp.<pid> and renamed over FILE.
bool writePlot(const std::string &path, const std::string &program,
               const History &h, bool haveGradNorm, std::string &error) {
  double xlo = h.steps.empty() ? 0 : double(h.steps.front());
  double xhi = h.steps.empty() ? 1 : double(h.steps.back());
  if (xhi <= xlo)
    xhi = xlo + 1;
  int panels = haveGradNorm ? 2 : 1;
  double height = 60 + 270 * panels;
  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" "
      "height=\"" +
      fmt("%.0f", height) + "\" viewBox=\"0 0 720 " + fmt("%.0f", height) +
      "\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"360\" y=\"24\" text-anchor=\"middle\" "
      "font-size=\"16\">" +
      xmlEscape(program) + ": training, steps " + fmt("%.0f", xlo) + ".." +
      fmt("%.0f", h.steps.empty() ? xlo : xhi) + "</text>\n";
  std::vector<std::pair<std::string, std::pair<const std::vector<int64_t> *,
                                               const std::vector<double> *>>>
      lossSeries = {{"loss", {&h.steps, &h.loss}}};
  if (!h.evalSteps.empty())
    lossSeries.push_back({"eval_loss", {&h.evalSteps, &h.evalLoss}});
  svgPanel(svg, 60, "loss", h.steps, xlo, xhi, lossSeries,
           !h.evalSteps.empty());
  if (haveGradNorm)
    svgPanel(svg, 330, "gradient norm", h.steps, xlo, xhi,
             {{"grad_norm", {&h.steps, &h.gradNorm}}}, false);
  svg += "</svg>\n";

  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    error = "--plot: cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
  ok = std::fflush(f) == 0 && ok;
  int savedErrno = errno;
  ok = std::fclose(f) == 0 && ok;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    savedErrno = errno;
    ok = false;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    error = "--plot: cannot write " + path + ": " + std::strerror(savedErrno);
  }
  return ok;
}

//===--- Device-resident programs (--backend cuda, cuda-emulated) ---------===//
// The registry's buffers are host mirrors of the device twins the program
// uses: upload after initialisation or --load, download before anything
// reads them on the host (--dump-grads, --save). A cpu program has no twins
// and these do nothing.

bool deviceProgram() { return mfrt_mlir_device_upload_buffers != nullptr; }

bool uploadBuffers(std::string &error) {
  if (!deviceProgram() || mfrt_mlir_device_upload_buffers() == MFRT_OK)
    return true;
  error = std::string("uploading the parameters to the device: ") +
          mfrt_last_error();
  return false;
}

bool downloadBuffers(std::string &error) {
  if (!deviceProgram() || mfrt_mlir_device_download_buffers() == MFRT_OK)
    return true;
  error = std::string("downloading the parameters from the device: ") +
          mfrt_last_error();
  return false;
}

/// The device of this process: the node-local rank's (mpirun sets
/// OMPI_COMM_WORLD_LOCAL_RANK; else the world rank), modulo the devices.
bool initDevice(std::string &error) {
  if (!deviceProgram())
    return true;
  const char *local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  int64_t ordinal = local && *local ? std::strtoll(local, nullptr, 10)
                                    : int64_t(dist::rank());
  if (mfrt_mlir_device_init(ordinal) == MFRT_OK)
    return true;
  error = mfrt_last_error();
  return false;
}

/// Copies of every registered buffer (for --dump-grads and --grad-check).
struct Snapshot {
  std::vector<std::vector<char>> data;
  void take() {
    data.assign(mfrt_registry_count(), {});
    for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
      const mfrt_tensor &t = mfrt_registry_buffer(i)->tensor;
      const char *p = static_cast<const char *>(t.data);
      data[i].assign(p, p + numBytes(t));
    }
  }
  void restore() const {
    for (int64_t i = 0; i < mfrt_registry_count(); ++i)
      if (!data[i].empty())
        std::memcpy(mfrt_registry_buffer(i)->tensor.data, data[i].data(),
                    data[i].size());
  }
};

/// Initialises every parameter from its spec (Philox stream (seed, id)) and
/// every state to zero. A buffer that is a slice of a global tensor draws
/// exactly the elements of its slice (counter = global element index), so
/// every rank holds the slice of the single-rank initialisation.
bool initialiseBuffers(uint64_t seed, std::string &error) {
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    const mfrt_tensor *t = &b->tensor;
    int64_t offsetStorage[MFRT_MAX_RANK] = {};
    mfrt_buffer_slice_offsets(b, dist::rank(), offsetStorage);
    bool whole = mfrt_buffer_is_whole(b);
    const int64_t *globalShape = whole ? nullptr : b->global_shape;
    const int64_t *offsets = whole ? nullptr : offsetStorage;
    mfrt_status st;
    switch (b->init_kind) {
    case MFRT_INIT_ZEROS:
      st = mfrt_init_zeros(t);
      break;
    case MFRT_INIT_ONES:
      st = mfrt_init_ones(t);
      break;
    case MFRT_INIT_CONSTANT:
      st = mfrt_init_constant(t, b->init_value);
      break;
    case MFRT_INIT_NORMAL:
      st = mfrt_init_normal(t, globalShape, offsets, seed, b->param_id, 0.0,
                            b->init_value);
      break;
    case MFRT_INIT_TRUNCATED_NORMAL:
      st = mfrt_init_truncated_normal(t, globalShape, offsets, seed,
                                      b->param_id, 0.0, b->init_value);
      break;
    case MFRT_INIT_UNIFORM:
      st = mfrt_init_uniform(t, globalShape, offsets, seed, b->param_id,
                             -b->init_value, b->init_value);
      break;
    default:
      error = std::string("buffer '") + b->name + "' has unknown init kind " +
              std::to_string(b->init_kind);
      return false;
    }
    if (st != MFRT_OK) {
      error =
          std::string("initialising '") + b->name + "': " + mfrt_last_error();
      return false;
    }
  }
  return true;
}

/// The batch buffers and their descriptors.
struct Batch {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> tokens, targets;
  mfrt_tensor tokensT{}, targetsT{};
  TokenMemRef tokensM{}, targetsM{};
  /// Device copies the entry functions read (device programs only).
  void *deviceTokens = nullptr, *deviceTargets = nullptr;

  void init(int64_t b, int64_t s) {
    rows = b;
    cols = s;
    tokens.assign(b * s, 0);
    targets.assign(b * s, 0);
    describe(tokens, tokensT, tokensM);
    describe(targets, targetsT, targetsM);
  }
  void describe(std::vector<int32_t> &v, mfrt_tensor &t, TokenMemRef &m) {
    t.data = v.data();
    t.dtype = MFRT_I32;
    t.rank = 2;
    t.shape[0] = rows;
    t.shape[1] = cols;
    m.allocated = m.aligned = v.data();
    m.offset = 0;
    m.sizes[0] = rows;
    m.sizes[1] = cols;
    m.strides[0] = cols;
    m.strides[1] = 1;
  }
  /// Before an entry call: a device program reads the batch from device
  /// memory.
  bool stage(std::string &error) {
    if (!deviceProgram())
      return true;
    size_t bytes = tokens.size() * sizeof(int32_t);
    if (mfrt_mlir_device_upload(&deviceTokens, tokens.data(), bytes) !=
            MFRT_OK ||
        mfrt_mlir_device_upload(&deviceTargets, targets.data(), bytes) !=
            MFRT_OK) {
      error = std::string("copying the batch to the device: ") +
              mfrt_last_error();
      return false;
    }
    tokensM.allocated = tokensM.aligned = static_cast<int32_t *>(deviceTokens);
    targetsM.allocated = targetsM.aligned =
        static_cast<int32_t *>(deviceTargets);
    return true;
  }
};

/// Where the batches come from.
struct Data {
  mfrt_token_data *file = nullptr;
  std::string path;
  ~Data() { mfrt_token_data_close(file); }

  bool open(const std::string &p, int64_t vocab, std::string &error) {
    path = p;
    if (mfrt_token_data_open(p.c_str(), MFRT_TOKENS_AUTO, vocab, &file) !=
            MFRT_OK ||
        mfrt_token_data_validate(file) != MFRT_OK) {
      error = std::string("data: ") + mfrt_last_error();
      return false;
    }
    return true;
  }
  /// With a held-out split (--eval-every): the whole file in memory, the
  /// first `trainTokens` for training, the rest held out.
  bool split = false;
  std::vector<int32_t> all;
  int64_t trainTokens = 0;

  /// Holds out the last 5% of the tokens (at least seqLen + 1 of them):
  /// training windows lie in the first trainTokens, evaluation windows in
  /// the rest, so no token of the held-out part is ever trained on.
  bool splitHeldOut(int64_t seqLen, std::string &error) {
    int64_t n = mfrt_token_data_num_tokens(file);
    int64_t held = std::max<int64_t>((n + 19) / 20, seqLen + 1);
    if (n - held < seqLen + 1) {
      error = "data: " + path + ": " + std::to_string(n) +
              " tokens are too few for --eval-every: the held-out split "
              "(last 5%, at least " +
              std::to_string(seqLen + 1) +
              " tokens) and the training part each need at least " +
              std::to_string(seqLen + 1) + " tokens";
      return false;
    }
    // The whole file through the loader: one window of n - 1 tokens.
    std::vector<int32_t> tokens(n - 1), targets(n - 1);
    mfrt_tensor tt{}, gt{};
    tt.data = tokens.data();
    gt.data = targets.data();
    tt.dtype = gt.dtype = MFRT_I32;
    tt.rank = gt.rank = 2;
    tt.shape[0] = gt.shape[0] = 1;
    tt.shape[1] = gt.shape[1] = n - 1;
    if (mfrt_token_data_batch(file, 0, 1, 0, &tt, &gt) != MFRT_OK) {
      error = std::string("data: ") + mfrt_last_error();
      return false;
    }
    all = std::move(tokens);
    all.push_back(targets.back());
    trainTokens = n - held;
    split = true;
    return true;
  }

  /// Rows of global batch `index` from tokens [begin, end): sample g uses
  /// window g mod W, W = floor((end - begin - 1) / S), of that range.
  void fillRange(int64_t begin, int64_t end, int64_t index, int64_t globalRows,
                 int64_t rowBegin, Batch &b) const {
    int64_t windows = (end - begin - 1) / b.cols;
    for (int64_t r = 0; r < b.rows; ++r) {
      int64_t g = index * globalRows + rowBegin + r;
      int64_t base = begin + (g % windows) * b.cols;
      for (int64_t j = 0; j < b.cols; ++j) {
        b.tokens[r * b.cols + j] = all[base + j];
        b.targets[r * b.cols + j] = all[base + j + 1];
      }
    }
  }

  /// Rows of held-out batch `index` (0 .. --eval-batches - 1).
  void fillHeldOut(int64_t index, int64_t globalRows, int64_t rowBegin,
                   Batch &b) const {
    fillRange(trainTokens, int64_t(all.size()), index, globalRows, rowBegin, b);
  }

  /// Rows rowBegin .. rowBegin + b.rows - 1 of the global batch of `step`.
  bool fill(int64_t step, int64_t globalRows, int64_t rowBegin, Batch &b,
            std::string &error) {
    if (split) {
      fillRange(0, trainTokens, step, globalRows, rowBegin, b);
      return true;
    }
    if (mfrt_token_data_batch(file, step, globalRows, rowBegin, &b.tokensT,
                              &b.targetsT) != MFRT_OK) {
      error = std::string("data: ") + mfrt_last_error();
      return false;
    }
    return true;
  }
};

std::string dataPath(const Options &opts) {
  if (!opts.data.empty())
    return opts.data;
  if (const char *env = std::getenv("MOEFOLD_DATA"))
    if (*env)
      return env;
  return MOEFOLD_DEFAULT_DATA;
}

/// F without a trailing ".safetensors".
std::string dumpBase(const std::string &f) {
  const std::string ext = ".safetensors";
  if (f.size() > ext.size() &&
      f.compare(f.size() - ext.size(), ext.size(), ext) == 0)
    return f.substr(0, f.size() - ext.size());
  return f;
}

const mfrt_buffer_info *gradientOf(const mfrt_buffer_info *param,
                                   std::string &error) {
  const mfrt_buffer_info *g = mfrt_registry_find_state(param->name, "grad");
  if (!g)
    error = std::string("the model has no gradient buffer for parameter '") +
            param->name + "' (was it compiled with a training step?)";
  return g;
}

/// Copies a slice of shape `local` into a row-major tensor of shape `global`
/// at `offsets`.
void placeSlice(char *dst, const int64_t *global, const char *src,
                const int64_t *local, const int64_t *offsets, int32_t rank,
                size_t elementSize) {
  if (rank == 0) {
    std::memcpy(dst, src, elementSize);
    return;
  }
  int64_t rows = 1;
  for (int32_t d = 0; d + 1 < rank; ++d)
    rows *= local[d];
  size_t rowBytes = size_t(local[rank - 1]) * elementSize;
  std::vector<int64_t> index(rank, 0);
  for (int64_t r = 0; r < rows; ++r) {
    // Global flat index of (offsets + index) with the last dim at offset.
    int64_t flat = 0;
    for (int32_t d = 0; d < rank; ++d)
      flat = flat * global[d] + offsets[d] + (d + 1 < rank ? index[d] : 0);
    if (rowBytes)
      std::memcpy(dst + size_t(flat) * elementSize, src + r * rowBytes,
                  rowBytes);
    for (int32_t d = rank - 2; d >= 0; --d) {
      if (++index[d] < local[d])
        break;
      index[d] = 0;
    }
  }
}

/// A buffer's global tensor, assembled on the root from every rank's slice.
struct GlobalTensor {
  std::vector<char> storage; ///< empty when `tensor` points at the buffer
  mfrt_tensor tensor{};      ///< global shape
};

/// Collective: the global tensor of buffer `b`, whose slice on this rank
/// holds `localData`. On the root `out` describes it (a whole buffer is
/// used in place); on the other ranks `out` stays empty.
bool gatherGlobal(const mfrt_buffer_info *b, const void *localData,
                  GlobalTensor &out, std::string &error) {
  out.tensor = b->tensor;
  out.tensor.data = const_cast<void *>(localData);
  if (mfrt_buffer_is_whole(b))
    return true;
  for (int32_t d = 0; d < b->tensor.rank; ++d)
    out.tensor.shape[d] = b->global_shape[d];
  size_t elementSize = mfrt_dtype_size(b->tensor.dtype);
  size_t localBytes = size_t(mfrt_tensor_numel(&b->tensor)) * elementSize;
  int64_t world = dist::worldSize();
  std::vector<char> all(localBytes * size_t(world));
  mfrt_tensor local = b->tensor;
  local.data = const_cast<void *>(localData);
  if (!dist::allGather(local, all.data(), error))
    return false;
  if (!isRoot())
    return true;
  out.storage.assign(size_t(mfrt_tensor_numel(&out.tensor)) * elementSize, 0);
  for (int64_t r = 0; r < world; ++r) {
    int64_t offsets[MFRT_MAX_RANK] = {};
    mfrt_buffer_slice_offsets(b, r, offsets);
    placeSlice(out.storage.data(), b->global_shape,
               all.data() + size_t(r) * localBytes, b->tensor.shape, offsets,
               b->tensor.rank, elementSize);
  }
  out.tensor.data = out.storage.data();
  return true;
}

/// Collective: writes the three --dump-grads files: gradients (by parameter
/// name), the weights they were taken at, and the batch. Global tensors: the
/// ranks' slices are gathered and the root writes, so a dump of any mesh
/// compares directly with the single-rank one. `batch` is the whole batch
/// of the step (read on the root only).
bool dumpGradients(const std::string &f, const Snapshot &initial,
                   const Batch &batch, double loss, int64_t step, uint64_t seed,
                   std::string &error) {
  std::string base = dumpBase(f);
  std::string files[3] = {f, base + ".weights.safetensors",
                          base + ".batch.safetensors"};
  std::string lossText = jsonNumber(loss), stepText = std::to_string(step),
              seedText = std::to_string(seed);
  // Gather first (every rank, registry order), then the root writes.
  std::vector<const mfrt_buffer_info *> params;
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    if (b->kind != MFRT_BUFFER_PARAM)
      continue;
    if (!gradientOf(b, error))
      return false;
    params.push_back(b);
  }
  std::vector<GlobalTensor> grads(params.size()), weights(params.size());
  for (size_t p = 0; p < params.size(); ++p) {
    int64_t index = 0;
    while (mfrt_registry_buffer(index) != params[p])
      ++index;
    const mfrt_buffer_info *g = gradientOf(params[p], error);
    if (!gatherGlobal(g, g->tensor.data, grads[p], error) ||
        !gatherGlobal(params[p], initial.data[index].data(), weights[p],
                      error)) {
      error = "--dump-grads: " + error;
      return false;
    }
  }
  if (!isRoot())
    return true;
  for (int which = 0; which < 3; ++which) {
    mfrt_safetensors_writer *w = nullptr;
    mfrt_safetensors_writer_create(&w);
    bool ok = true;
    if (which == 2) {
      ok =
          mfrt_safetensors_writer_add(w, "tokens", &batch.tokensT) == MFRT_OK &&
          mfrt_safetensors_writer_add(w, "targets", &batch.targetsT) == MFRT_OK;
    } else {
      for (size_t p = 0; ok && p < params.size(); ++p) {
        const GlobalTensor &t = which == 0 ? grads[p] : weights[p];
        ok = mfrt_safetensors_writer_add(w, params[p]->name, &t.tensor) ==
             MFRT_OK;
      }
    }
    static const char *const kinds[] = {"gradients", "weights", "batch"};
    ok = ok &&
         mfrt_safetensors_writer_set_metadata(w, "kind", kinds[which]) ==
             MFRT_OK &&
         mfrt_safetensors_writer_set_metadata(w, "loss", lossText.c_str()) ==
             MFRT_OK &&
         mfrt_safetensors_writer_set_metadata(w, "step", stepText.c_str()) ==
             MFRT_OK &&
         mfrt_safetensors_writer_set_metadata(w, "seed", seedText.c_str()) ==
             MFRT_OK &&
         mfrt_safetensors_writer_write(w, files[which].c_str()) == MFRT_OK;
    if (!ok)
      error = std::string("--dump-grads: ") + mfrt_last_error();
    mfrt_safetensors_writer_destroy(w);
    if (!ok)
      return false;
  }
  return true;
}

/// Reads element `i` of a float buffer as double / writes it.
double getElement(const mfrt_tensor &t, int64_t i) {
  return t.dtype == MFRT_F64 ? static_cast<double *>(t.data)[i]
                             : double(static_cast<float *>(t.data)[i]);
}
void setElement(const mfrt_tensor &t, int64_t i, double v) {
  if (t.dtype == MFRT_F64)
    static_cast<double *>(t.data)[i] = v;
  else
    static_cast<float *>(t.data)[i] = float(v);
}

/// --grad-check N: the gradient the training step stores against a 4-point
/// central difference of the loss, for N random parameter elements.
int gradCheck(const Options &opts, const mfrt_model_info &info, Batch &batch) {
  if (!_mlir_ciface_moefold_train_step)
    return failure("--grad-check needs a training step, and this executable "
                   "was compiled forward-only");
  bool f64 = info.float_dtype == MFRT_F64;
  double h = opts.fdStep > 0 ? opts.fdStep : (f64 ? 1e-4 : 1e-2);
  double tol = opts.gradCheckTol > 0 ? opts.gradCheckTol : (f64 ? 1e-6 : 5e-2);

  Snapshot initial;
  initial.take();
  TrainStepResult res{};
  _mlir_ciface_moefold_train_step(&res, &batch.tokensM, &batch.targetsM, 0.0,
                                  1.0);
  std::string error;
  std::vector<const mfrt_buffer_info *> params;
  std::vector<std::vector<double>> grads;
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    if (b->kind != MFRT_BUFFER_PARAM)
      continue;
    const mfrt_buffer_info *g = gradientOf(b, error);
    if (!g)
      return failure(error);
    params.push_back(b);
    grads.emplace_back(mfrt_tensor_numel(&g->tensor));
    for (size_t e = 0; e < grads.back().size(); ++e)
      grads.back()[e] = getElement(g->tensor, int64_t(e));
  }
  initial.restore();
  if (params.empty())
    return failure("the model has no parameters to check");

  auto loss = [&]() {
    if (_mlir_ciface_moefold_eval)
      return _mlir_ciface_moefold_eval(&batch.tokensM, &batch.targetsM);
    // No eval entry: a step with lr = 0, then undo its state updates.
    Snapshot s;
    s.take();
    TrainStepResult r{};
    _mlir_ciface_moefold_train_step(&r, &batch.tokensM, &batch.targetsM, 0.0,
                                    1.0);
    s.restore();
    return r.loss;
  };

  std::fprintf(stderr,
               "%s: gradient check of %lld elements, fd step %g, loss %.17g\n",
               gProgram, static_cast<long long>(opts.gradCheck), h, res.loss);
  // Element j checks parameter tensor (start + j) mod P, so N >= P covers
  // every tensor, at an element drawn uniformly among those with a non-zero
  // gradient (all elements when the whole gradient is zero). The relative
  // error uses a floor: |g - fd| / max(|g|, |fd|, floor), so gradients far
  // below the finite-difference noise are judged by their absolute error.
  double floor =
      opts.gradCheckFloor > 0 ? opts.gradCheckFloor : (f64 ? 1e-4 : 1e-2);
  double maxRel = 0, maxAbs = 0, diff2 = 0, ref2 = 0;
  uint32_t key[2] = {uint32_t(opts.seed), uint32_t(opts.seed >> 32)};
  auto draw = [&](uint64_t j, uint32_t stream) {
    uint32_t ctr[4] = {uint32_t(j), uint32_t(j >> 32), 0x67726164u, stream},
             r[4];
    mfrt_philox4x32_10(ctr, key, r);
    return (uint64_t(r[0]) << 32) | r[1];
  };
  uint64_t start = draw(0, 1) % params.size();
  for (int64_t j = 0; j < opts.gradCheck; ++j) {
    size_t p = size_t((start + uint64_t(j)) % params.size());
    const mfrt_tensor &t = params[p]->tensor;
    std::vector<int64_t> nonzero;
    for (size_t e = 0; e < grads[p].size(); ++e)
      if (grads[p][e] != 0)
        nonzero.push_back(int64_t(e));
    uint64_t r = draw(uint64_t(j), 2);
    int64_t e = nonzero.empty() ? int64_t(r % grads[p].size())
                                : nonzero[r % nonzero.size()];
    double x0 = getElement(t, e);
    auto at = [&](double x) {
      setElement(t, e, x);
      return loss();
    };
    double fd =
        (-at(x0 + 2 * h) + 8 * at(x0 + h) - 8 * at(x0 - h) + at(x0 - 2 * h)) /
        (12 * h);
    setElement(t, e, x0);
    double g = grads[p][e];
    double absErr = std::fabs(g - fd);
    double rel =
        absErr / std::fmax(std::fmax(std::fabs(g), std::fabs(fd)), floor);
    maxRel = std::fmax(maxRel, rel);
    maxAbs = std::fmax(maxAbs, absErr);
    diff2 += absErr * absErr;
    ref2 += fd * fd;
    std::fprintf(stderr, "  %-32s [%8lld]  grad %+.10e  fd %+.10e  rel %.2e\n",
                 params[p]->name, static_cast<long long>(e), g, fd, rel);
  }
  double normwise = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  initial.restore();
  bool passed = maxRel <= tol;
  std::printf("{\"grad_check\":%lld,\"max_rel_error\":%s,\"max_abs_error\":%s,"
              "\"normwise_rel_error\":%s,\"fd_step\":%s,\"floor\":%s,"
              "\"tolerance\":%s,\"passed\":%s}\n",
              static_cast<long long>(opts.gradCheck),
              jsonNumber(maxRel).c_str(), jsonNumber(maxAbs).c_str(),
              jsonNumber(normwise).c_str(), jsonNumber(h).c_str(),
              jsonNumber(floor).c_str(), jsonNumber(tol).c_str(),
              passed ? "true" : "false");
  std::fflush(stdout);
  std::fprintf(stderr,
               "%s: gradient check %s: max relative error %.3e "
               "(tolerance %.1e)\n",
               gProgram, passed ? "passed" : "FAILED", maxRel, tol);
  return passed ? 0 : 1;
}

} // namespace

namespace {

/// Every rank meets the same condition; the root reports it. Returns 1.
int rootFailure(const std::string &msg) {
  if (isRoot())
    failure(msg);
  return 1;
}

/// MOEFOLD_DEBUG_KILL_RANK / MOEFOLD_DEBUG_KILL_STEP: a testing hook that
/// makes one rank die (_exit(9), as a crash would) as it enters that step,
/// while its peers are already inside the step's collectives.
struct KillHook {
  int64_t rank = -1, step = -1;
  KillHook() {
    const char *r = std::getenv("MOEFOLD_DEBUG_KILL_RANK");
    const char *s = std::getenv("MOEFOLD_DEBUG_KILL_STEP");
    if (r && *r && s && *s) {
      rank = std::strtoll(r, nullptr, 10);
      step = std::strtoll(s, nullptr, 10);
    }
  }
  void at(int64_t s) const {
    if (s == step && dist::rank() == rank) {
      std::fprintf(stderr,
                   "%s: rank %lld: MOEFOLD_DEBUG_KILL_STEP=%lld: "
                   "exiting now\n",
                   gProgram, static_cast<long long>(rank),
                   static_cast<long long>(s));
      std::fflush(stderr);
      ::_exit(9);
    }
  }
};

int runRanks(int argc, char **argv) {
  Options opts;
  std::string error;
  if (!parseOptions(argc, argv, opts, error)) {
    if (isRoot()) {
      std::fprintf(stderr, "%s: error: %s\n", gProgram, error.c_str());
      std::fprintf(stderr,
                   "usage: %s --steps S --seed K [options]  (--help lists "
                   "them)\n",
                   gProgram);
    }
    return 2;
  }
  if (opts.help) {
    if (isRoot())
      std::fputs(usageText(), stdout);
    return 0;
  }
  bool multi = dist::worldSize() > 1;
  if (multi && opts.gradCheck) {
    if (isRoot())
      std::fprintf(stderr,
                   "%s: error: --grad-check runs on a single rank; compile "
                   "the model with --mesh world=1 to check gradients\n",
                   gProgram);
    return 2;
  }
  if (opts.gradCheck && deviceProgram()) {
    if (isRoot())
      std::fprintf(stderr,
                   "%s: error: --grad-check perturbs the parameters in host "
                   "memory and this program keeps them on the device; compile "
                   "the model with --backend cpu to check gradients\n",
                   gProgram);
    return 2;
  }
  if (openblas_set_num_threads)
    openblas_set_num_threads(int(opts.threads));
  // Every step allocates and frees the same activation buffers: keep them in
  // the heap instead of mmap/munmap (and page faults) on every step.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  mfrt_model_info info{};
  if (mfrt_registry_model(&info) != MFRT_OK)
    return rootFailure("the compiled model registered no batch geometry "
                       "(tokens/targets shape and vocabulary)");
  bool haveTrain = _mlir_ciface_moefold_train_step != nullptr;
  if (!haveTrain && !_mlir_ciface_moefold_eval)
    return rootFailure("the compiled model has neither moefold_train_step "
                       "nor moefold_eval");
  if (!haveTrain && !opts.eval && !opts.gradCheck) {
    if (!opts.dumpGrads.empty() || !opts.save.empty())
      return rootFailure("this executable was compiled forward-only: no "
                         "training step, so no --dump-grads or --save");
    if (isRoot())
      std::fprintf(stderr,
                   "%s: compiled forward-only (no training step); "
                   "evaluating\n",
                   gProgram);
    opts.eval = true;
  }

  // Group creation fails on every rank at once (mfrt_comm_create_group
  // agrees on failures), so agreeing costs nothing more.
  bool ok = dist::createGroups(error);
  if (!agree(ok, error))
    return 1;

  ok = initDevice(error);
  if (!agree(ok, error))
    return 1;
  ok = initialiseBuffers(opts.seed, error);
  if (!agree(ok, error))
    return 1;
  int64_t start = 0;
  if (!opts.load.empty()) {
    std::map<std::string, std::string> meta;
    ok = loadCheckpoint(opts.load, meta, error, dist::rank());
    if (!ok) {
      error = "cannot load checkpoint: " + error;
    } else {
      char *end = nullptr;
      auto it = meta.find("step");
      if (it == meta.end() ||
          (start = std::strtoll(it->second.c_str(), &end, 10), *end) ||
          start < 0) {
        ok = false;
        error = "cannot load checkpoint: " + indexFile(opts.load) +
                ": metadata 'step' is missing or not a step number";
      }
    }
    if (!agree(ok, error))
      return 1;
    if (isRoot())
      std::fprintf(stderr, "%s: resumed from %s at step %lld\n", gProgram,
                   opts.load.c_str(),
                   static_cast<long long>(start));
  }
  if (!agree(uploadBuffers(error), error))
    return 1;

  Data data;
  std::string path = dataPath(opts);
  if (path.empty())
    return rootFailure("no --data given and no bundled corpus configured");
  if (!agree(data.open(path, info.vocab, error), error))
    return 1;
  // This rank's rows of every global batch (all of them on one rank).
  int64_t rowBegin = info.rank_rows ? info.rank_rows[dist::rank()] : 0;
  Batch batch;
  batch.init(info.batch, info.seq_len);

  int64_t params = 0, paramTensors = 0;
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    if (b->kind != MFRT_BUFFER_PARAM)
      continue;
    int64_t n = 1;
    for (int32_t d = 0; d < b->tensor.rank; ++d)
      n *= b->global_shape[d];
    params += n;
    ++paramTensors;
  }
  const char *mesh = mfrt_registry_metadata("mesh");
  const char *optimizer = mfrt_registry_metadata("optimizer");
  if (isRoot() && deviceProgram())
    std::fprintf(stderr, "%s: device %s\n", gProgram,
                 mfrt_mlir_device_description());
  if (isRoot())
    std::fprintf(
        stderr,
        "%s: %s model, %lld parameters in %lld tensors, batch %lldx%lld, "
        "vocab %lld, mesh %s, optimizer %s; data %s (%lld tokens)\n",
        gProgram, mfrt_dtype_name(mfrt_dtype(info.float_dtype)),
        static_cast<long long>(params), static_cast<long long>(paramTensors),
        static_cast<long long>(info.global_batch),
        static_cast<long long>(info.seq_len),
        static_cast<long long>(info.vocab), mesh ? mesh : "?",
        haveTrain ? (optimizer ? optimizer : "?") : "none", path.c_str(),
        static_cast<long long>(mfrt_token_data_num_tokens(data.file)));

  if (opts.evalEvery) {
    if (!_mlir_ciface_moefold_eval)
      return rootFailure("--eval-every needs the eval entry moefold_eval, "
                         "and this executable was compiled without it");
    if (!agree(data.splitHeldOut(info.seq_len, error), error))
      return 1;
    if (isRoot())
      std::fprintf(stderr,
                   "%s: held-out split: tokens %lld..%lld (last 5%%) for "
                   "--eval-every %lld x %lld batches; training reads tokens "
                   "0..%lld\n",
                   gProgram, static_cast<long long>(data.trainTokens),
                   static_cast<long long>(data.all.size() - 1),
                   static_cast<long long>(opts.evalEvery),
                   static_cast<long long>(opts.evalBatches),
                   static_cast<long long>(data.trainTokens - 1));
  }

  if (opts.gradCheck) {
    if (!data.fill(start, info.global_batch, rowBegin, batch, error))
      return failure(error);
    return gradCheck(opts, info, batch);
  }

  KillHook kill;
  CommReport commReport;
  if (!opts.commReport.empty() &&
      !agree(commReport.open(opts.commReport, error), error))
    return 1;
  double tokensPerStep = double(info.global_batch * info.seq_len);
  History history;
  double loopStart = now(), lastLogTime = loopStart;
  int64_t lastLogStep = start; // first step not yet covered by a progress line
  Batch evalBatch;
  if (opts.evalEvery)
    evalBatch.init(info.batch, info.seq_len);
  for (int64_t s = start; s < start + opts.steps; ++s) {
    if (!agree(data.fill(s, info.global_batch, rowBegin, batch, error) &&
                   batch.stage(error),
               error))
      return 1;
    // After the batch, before the step: the peers die waiting inside the
    // compiled step's first collective.
    kill.at(s);
    bool dumpNow = s == start && !opts.dumpGrads.empty();
    Snapshot initial;
    if (dumpNow)
      initial.take(); // the host mirrors hold the step's starting weights
    commReport.beforeStep();
    double t0 = now();
    TrainStepResult res{};
    if (opts.eval)
      res.loss = _mlir_ciface_moefold_eval(&batch.tokensM, &batch.targetsM);
    else
      _mlir_ciface_moefold_train_step(&res, &batch.tokensM, &batch.targetsM,
                                      opts.lr, double(s + 1));
    double dt = now() - t0;
    if (!agree(commReport.afterStep(s, error), error))
      return 1;
    double tps = dt > 0 ? tokensPerStep / dt : 0.0;
    // Held-out loss after steps N-1, 2N-1, ... (absolute step numbers, so a
    // resumed run evaluates at the same steps). Collective like the step.
    bool evalNow = opts.evalEvery && (s + 1) % opts.evalEvery == 0;
    double evalLoss = 0;
    if (evalNow) {
      for (int64_t k = 0; k < opts.evalBatches; ++k) {
        data.fillHeldOut(k, info.global_batch, rowBegin, evalBatch);
        if (!agree(evalBatch.stage(error), error))
          return 1;
        evalLoss +=
            _mlir_ciface_moefold_eval(&evalBatch.tokensM, &evalBatch.targetsM);
      }
      evalLoss /= double(opts.evalBatches);
    }
    if (isRoot()) {
      history.steps.push_back(s);
      history.loss.push_back(res.loss);
      history.gradNorm.push_back(opts.eval ? NAN : res.gradNorm);
      if (evalNow) {
        history.evalSteps.push_back(s);
        history.evalLoss.push_back(evalLoss);
      }
      std::string evalField =
          evalNow ? ",\"eval_loss\":" + jsonNumber(evalLoss) : "";
      if (opts.eval)
        std::printf("{\"step\":%lld,\"loss\":%s,\"tokens_per_s\":%s,"
                    "\"eval\":true}\n",
                    static_cast<long long>(s), jsonNumber(res.loss).c_str(),
                    jsonNumber(std::round(tps * 10) / 10).c_str());
      else
        std::printf("{\"step\":%lld,\"loss\":%s,\"grad_norm\":%s,"
                    "\"tokens_per_s\":%s,\"applied\":%s%s}\n",
                    static_cast<long long>(s), jsonNumber(res.loss).c_str(),
                    jsonNumber(res.gradNorm).c_str(),
                    jsonNumber(std::round(tps * 10) / 10).c_str(),
                    res.applied ? "true" : "false", evalField.c_str());
      std::fflush(stdout);
      if (!opts.eval && !res.applied)
        std::fprintf(stderr,
                     "%s: step %lld: gradient norm is not finite; "
                     "update skipped\n",
                     gProgram, static_cast<long long>(s));
      if (opts.logEvery > 0 &&
          ((s - start) % opts.logEvery == 0 || s + 1 == start + opts.steps)) {
        // tokens/s over the steps since the previous progress line; ETA
        // from the mean wall time per step of this run so far.
        double t = now();
        int64_t done = s - start + 1;
        double window = double(s + 1 - lastLogStep);
        double rate =
            t > lastLogTime ? window * tokensPerStep / (t - lastLogTime) : 0.0;
        double eta = (t - loopStart) / double(done) * double(opts.steps - done);
        std::string line =
            "step " + std::to_string(s) + "  loss " + fmt("%.6f", res.loss);
        if (!opts.eval)
          line += "  grad_norm " + fmt("%.4f", res.gradNorm);
        if (evalNow)
          line += "  eval_loss " + fmt("%.6f", evalLoss);
        line += "  tokens/s " + fmt("%.0f", rate) + "  [" +
                std::to_string(done) + "/" + std::to_string(opts.steps) +
                "]  eta " + clockText(eta);
        std::fprintf(stderr, "%s\n", line.c_str());
        lastLogTime = t;
        lastLogStep = s + 1;
      }
    }
    if (dumpNow) {
      // The whole batch of the step, for the reference: read on the root.
      Batch whole;
      whole.init(info.global_batch, info.seq_len);
      ok = !isRoot() || data.fill(s, info.global_batch, 0, whole, error);
      ok = ok && downloadBuffers(error);
      ok = ok && dumpGradients(opts.dumpGrads, initial, whole, res.loss, s,
                               opts.seed, error);
      if (!agree(ok, error))
        return 1;
      if (isRoot())
        std::fprintf(stderr, "%s: wrote gradients of step %lld to %s\n",
                     gProgram, static_cast<long long>(s),
                     opts.dumpGrads.c_str());
    }
  }

  if (!opts.save.empty()) {
    // Testing hook: make the checkpoint write fail after N bytes (on every
    // rank, or only on MOEFOLD_TEST_WRITE_FAULT_RANK), to show that a failed
    // write leaves the previous checkpoint intact.
    const char *fault = std::getenv("MOEFOLD_TEST_WRITE_FAULT");
    const char *faultRank = std::getenv("MOEFOLD_TEST_WRITE_FAULT_RANK");
    if (fault && (!faultRank || std::strtoll(faultRank, nullptr, 10) ==
                                    dist::rank()))
      mfrt_safetensors_set_write_fault(std::strtoll(fault, nullptr, 10));
    std::map<std::string, std::string> meta = {
        {"step", std::to_string(start + opts.steps)},
        {"seed", std::to_string(opts.seed)},
        {"mesh", mesh ? mesh : ""},
        {"optimizer", optimizer ? optimizer : ""},
        {"data", path},
        {"lr", jsonNumber(opts.lr)},
        {"dtype", mfrt_dtype_name(mfrt_dtype(info.float_dtype))}};
    if (!agree(downloadBuffers(error), error))
      return 1;
    // Collective; only the first failing rank has a message.
    if (!saveCheckpoint(opts.save, meta, error)) {
      if (!error.empty())
        failure("cannot save checkpoint: " + error + " ('" + opts.save +
                "' is unchanged)");
      return 1;
    }
    if (isRoot())
      std::fprintf(stderr, "%s: saved checkpoint %s (%lld ranks) at step %lld\n",
                   gProgram, opts.save.c_str(),
                   static_cast<long long>(dist::worldSize()),
                   static_cast<long long>(start + opts.steps));
  }
  if (!opts.plot.empty() && isRoot()) {
    if (!writePlot(opts.plot, gProgram, history, !opts.eval, error))
      return failure(error);
    std::fprintf(stderr, "%s: wrote plot of %zu steps to %s\n", gProgram,
                 history.steps.size(), opts.plot.c_str());
  }
  return 0;
}

} // namespace

int run(int argc, char **argv) {
  if (argc > 0 && argv[0]) {
    const char *slash = std::strrchr(argv[0], '/');
    gProgram = slash ? slash + 1 : argv[0];
  }
  // The compiled model describes itself (buffers, geometry, world size and
  // group tables) before anything else, so the ranks can start.
  moefold_register();
  std::string error;
  const char *mesh = mfrt_registry_metadata("mesh");
  if (!dist::init(&argc, &argv, mfrt_registry_world(), mesh, error))
    return failure(error);
  int code = runRanks(argc, argv);
  std::fflush(stdout);
  std::fflush(stderr);
  dist::finalize();
  return code;
}

} // namespace moefold::driver
