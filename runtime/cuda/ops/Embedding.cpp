//===- Embedding.cpp - moe.embedding forward and backward on the device --===//
//
// Forward: one thread per output element (coalesced over H). Backward: the
// scatter-add runs one thread per dout element with an atomic add into an
// accumulation-type buffer: dtable itself for f32/f64, an f32 scratch
// rounded to bf16 afterwards for bf16. On a GPU the order of the additions
// into one row (tokens sharing an id) is therefore not fixed: f32 results
// can differ in the last bits from run to run; the emulation adds in token
// order, like the CPU backend.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_cuda_ops.h"

#include "DenseSupport.h"

using namespace mfrt;
using namespace mfrt::gpu;
using namespace mfrt::gpu::dense;

template <typename T>
static void gatherRows(const T *table, const int32_t *tok, T *out, int64_t n,
                       int64_t h) {
  forEach(n * h, [=] MFRT_HD(int64_t i) {
    int64_t row = i / h, col = i - row * h;
    out[i] = table[int64_t(tok[row]) * h + col];
  });
}

template <typename T>
static void scatterAddRows(const int32_t *tok, const T *dout, Acc<T> *acc,
                           int64_t n, int64_t h) {
  forEach(n * h, [=] MFRT_HD(int64_t i) {
    int64_t row = i / h, col = i - row * h;
    atomicAddAcc(acc + int64_t(tok[row]) * h + col, load(dout, i));
  });
}

extern "C" mfrt_status mfrt_cuda_embedding_fwd(const mfrt_tensor *table,
                                               const mfrt_tensor *tokens,
                                               const mfrt_tensor *out) {
  ArgChecker a("mfrt_cuda_embedding_fwd");
  a.allowBf16();
  if (!a.floatTensor(table, "table") || !a.shape(table, "table", {-1, -1}) ||
      !a.indexTensor(tokens, "tokens") || !a.floatTensor(out, "out") ||
      !a.shape(out, "out", Dims::of(tokens).append(table->shape[1])))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!checkIndices(a, tokens, table->shape[0], "tokens"))
    return a.status();
  return dispatchStorage(a.floatType(), [&](auto tag) {
    using T = decltype(tag);
    gatherRows(ptr<const T>(table), ptr<const int32_t>(tokens), ptr<T>(out),
               numel(tokens), table->shape[1]);
    return launched(a.fn());
  });
}

extern "C" mfrt_status mfrt_cuda_embedding_bwd(const mfrt_tensor *tokens,
                                               const mfrt_tensor *dout,
                                               const mfrt_tensor *dtable) {
  ArgChecker a("mfrt_cuda_embedding_bwd");
  a.allowBf16();
  if (!a.indexTensor(tokens, "tokens") || !a.floatTensor(dout, "dout") ||
      !a.floatTensor(dtable, "dtable") ||
      !a.shape(dtable, "dtable", {-1, -1}) ||
      !a.shape(dout, "dout", Dims::of(tokens).append(dtable->shape[1])))
    return a.status();
  if (mfrt_status st = ready(a.fn()))
    return st;
  if (!checkIndices(a, tokens, dtable->shape[0], "tokens"))
    return a.status();
  return dispatchStorage(a.floatType(), [&](auto tag) -> mfrt_status {
    using T = decltype(tag);
    int64_t n = numel(tokens), h = dtable->shape[1];
    const int32_t *tok = ptr<const int32_t>(tokens);
    if constexpr (sizeof(T) == sizeof(Acc<T>)) {
      if (mfrt_status st = zeroDevice(dtable))
        return st;
      scatterAddRows(tok, ptr<const T>(dout), ptr<Acc<T>>(dtable), n, h);
      return launched(a.fn());
    } else {
      Scratch acc;
      int64_t cells = numel(dtable);
      if (mfrt_status st = acc.allocate(a.fn(), sizeof(float) * size_t(cells)))
        return st;
      if (mfrt_status st = mfrt_device_zero(acc.get(), sizeof(float) * cells))
        return st;
      scatterAddRows(tok, ptr<const T>(dout), acc.as<float>(), n, h);
      storeAll(acc.as<const float>(), ptr<T>(dtable), cells);
      return launched(a.fn());
    }
  });
}
