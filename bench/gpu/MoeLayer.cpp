//===- MoeLayer.cpp - one MoE layer on the cuda backend, for timing ------===//

#include "MoeLayer.h"

#include "moefold_runtime/mfrt_cuda_ops.h"

#include <cmath>
#include <cstring>

namespace moefold::bench {

struct MoeLayer::Tensors {
  // Forward.
  mfrt_tensor x, wRouter, scores, indices, probs, sorted, groupSizes;
  mfrt_tensor wGate, wUp, wDown, expertOut, out;
  // Backward.
  mfrt_tensor dout, dexpertOut, dscores, dsorted, dwGate, dwUp, dwDown;
  mfrt_tensor dxDispatch, dxRouter, dwRouter, dx;
};

namespace {

uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Uniform in [-scale, scale), a pure function of (seed, i).
float synthetic(uint64_t seed, int64_t i, float scale) {
  uint64_t h = splitmix64(splitmix64(seed) ^ uint64_t(i));
  float u = float(h >> 40) * (1.0f / 16777216.0f); // 24 bits: [0, 1)
  return (2.0f * u - 1.0f) * scale;
}

uint16_t toBf16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u); // round to nearest even (finite inputs)
  return uint16_t(u >> 16);
}

float fromBf16Bits(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// Fills a device tensor with synthetic(seed, i mod period, scale). Expert
/// weights use a period of 2^22 elements: one host block uploaded repeatedly
/// keeps set-up fast at the big shapes, and GEMM speed does not depend on
/// the values.
mfrt_status fill(const mfrt_tensor &t, uint64_t seed, float scale,
                 int64_t period) {
  int64_t n = mfrt_tensor_numel(&t);
  size_t b = mfrt_dtype_size(t.dtype);
  const int64_t block = period < n ? period : n;
  std::vector<unsigned char> host(size_t(block) * b);
  auto generate = [&](int64_t first, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      float v = synthetic(seed, (first + i) % period, scale);
      if (t.dtype == MFRT_BF16) {
        uint16_t bits = toBf16Bits(v);
        std::memcpy(&host[size_t(i) * 2], &bits, 2);
      } else {
        std::memcpy(&host[size_t(i) * 4], &v, 4);
      }
    }
  };
  bool periodic = period < n;
  if (periodic)
    generate(0, block);
  for (int64_t first = 0; first < n; first += block) {
    int64_t count = n - first < block ? n - first : block;
    if (!periodic)
      generate(first, count);
    if (mfrt_status st = mfrt_device_copy_to_device(
            static_cast<unsigned char *>(t.data) + size_t(first) * b,
            host.data(), size_t(count) * b))
      return st;
  }
  return MFRT_OK;
}

} // namespace

MoeLayer::MoeLayer(const LayerShape &shape, mfrt_dtype dtype)
    : shape_(shape), dtype_(dtype), t_(new Tensors{}) {}

MoeLayer::~MoeLayer() {
  for (void *p : owned_)
    mfrt_device_free(p);
  // Give the memory back to the device between shapes: the next shape's
  // tensors have other sizes.
  mfrt_device_release_cache();
}

mfrt_status MoeLayer::create(const LayerShape &s, mfrt_dtype dtype,
                             std::unique_ptr<MoeLayer> &out) {
  std::unique_ptr<MoeLayer> layer(new MoeLayer(s, dtype));
  Tensors &t = *layer->t_;
  // Allocation stops at the first failure; `st` reports it.
  mfrt_status st = MFRT_OK;
  auto make = [&](mfrt_tensor &d, mfrt_dtype ty, std::vector<int64_t> dims) {
    d = mfrt_tensor{};
    d.dtype = ty;
    d.rank = int32_t(dims.size());
    for (size_t i = 0; i < dims.size(); ++i)
      d.shape[i] = dims[i];
    void *p = nullptr;
    if (st == MFRT_OK)
      st = mfrt_device_alloc(
          size_t(mfrt_tensor_numel(&d)) * mfrt_dtype_size(ty), &p);
    if (p)
      layer->owned_.push_back(p);
    d.data = p;
  };
  const int64_t T = s.T, H = s.H, F = s.F, E = s.E, K = s.k, N = T * K;
  const mfrt_dtype D = dtype, I = MFRT_I32;
  make(t.x, D, {T, H});
  make(t.wRouter, D, {H, E});
  make(t.scores, D, {T, K});
  make(t.indices, I, {T, K});
  make(t.probs, D, {T, E});
  make(t.sorted, D, {N, H});
  make(t.groupSizes, I, {E});
  make(t.wGate, D, {E, H, F});
  make(t.wUp, D, {E, H, F});
  make(t.wDown, D, {E, F, H});
  make(t.expertOut, D, {N, H});
  make(t.out, D, {T, H});
  make(t.dout, D, {T, H});
  make(t.dexpertOut, D, {N, H});
  make(t.dscores, D, {T, K});
  make(t.dsorted, D, {N, H});
  make(t.dwGate, D, {E, H, F});
  make(t.dwUp, D, {E, H, F});
  make(t.dwDown, D, {E, F, H});
  make(t.dxDispatch, D, {T, H});
  make(t.dxRouter, D, {T, H});
  make(t.dwRouter, D, {H, E});
  make(t.dx, D, {T, H});
  if (st)
    return st;

  const int64_t whole = int64_t(1) << 62, block = int64_t(1) << 22;
  const float inH = 1.0f / std::sqrt(float(H)), inF = 1.0f / std::sqrt(float(F));
  if ((st = fill(t.x, 1, 1.0f, whole)) ||
      (st = fill(t.wRouter, 2, inH, whole)) ||
      (st = fill(t.wGate, 3, inH, block)) ||
      (st = fill(t.wUp, 4, inH, block)) ||
      (st = fill(t.wDown, 5, inF, block)) ||
      (st = fill(t.dout, 6, 1.0f, whole)))
    return st;
  out = std::move(layer);
  return MFRT_OK;
}

mfrt_status MoeLayer::routerForward() {
  Tensors &t = *t_;
  return mfrt_cuda_router_fwd(&t.x, &t.wRouter, /*bias=*/nullptr,
                              shape_.scoring, shape_.k, /*renormalize=*/1,
                              &t.scores, &t.indices, &t.probs);
}

mfrt_status MoeLayer::permute() {
  Tensors &t = *t_;
  return mfrt_cuda_dispatch_fwd(&t.x, &t.indices, shape_.E, &t.sorted,
                                &t.groupSizes);
}

mfrt_status MoeLayer::expertsForward() {
  Tensors &t = *t_;
  return mfrt_cuda_experts_fwd(&t.sorted, &t.groupSizes, &t.wGate, &t.wUp,
                               &t.wDown, &t.expertOut);
}

mfrt_status MoeLayer::unpermute() {
  Tensors &t = *t_;
  return mfrt_cuda_combine_fwd(&t.expertOut, &t.indices, &t.scores, shape_.E,
                               &t.out);
}

mfrt_status MoeLayer::backward() {
  Tensors &t = *t_;
  if (mfrt_status st =
          mfrt_cuda_combine_bwd(&t.expertOut, &t.indices, &t.scores, shape_.E,
                                &t.dout, &t.dexpertOut, &t.dscores))
    return st;
  if (mfrt_status st = mfrt_cuda_experts_bwd(
          &t.sorted, &t.groupSizes, &t.wGate, &t.wUp, &t.wDown, &t.dexpertOut,
          &t.dsorted, &t.dwGate, &t.dwUp, &t.dwDown))
    return st;
  if (mfrt_status st = mfrt_cuda_dispatch_bwd(&t.indices, shape_.E,
                                              &t.dsorted, &t.dxDispatch))
    return st;
  if (mfrt_status st = mfrt_cuda_router_bwd(
          &t.x, &t.wRouter, shape_.scoring, /*renormalize=*/1, &t.probs,
          &t.indices, &t.dscores, /*dprobs=*/nullptr, &t.dxRouter,
          &t.dwRouter))
    return st;
  return mfrt_cuda_add_fwd(&t.dxDispatch, &t.dxRouter, &t.dx);
}

mfrt_status MoeLayer::copyPermuted() {
  Tensors &t = *t_;
  return mfrt_device_copy(t.dexpertOut.data, t.sorted.data,
                          size_t(permutedTensorBytes(
                              shape_, int64_t(mfrt_dtype_size(dtype_)))));
}

mfrt_status MoeLayer::groupImbalance(double &maxOverMean) {
  std::vector<int32_t> sizes(size_t(shape_.E));
  if (mfrt_status st = mfrt_device_copy_to_host(
          sizes.data(), t_->groupSizes.data, sizes.size() * 4))
    return st;
  int32_t largest = 0;
  for (int32_t n : sizes)
    largest = n > largest ? n : largest;
  maxOverMean = double(largest) * double(shape_.E) / double(shape_.T * shape_.k);
  return MFRT_OK;
}

mfrt_status MoeLayer::outputsFinite(bool &finite) {
  finite = true;
  for (const mfrt_tensor *d : {&t_->out, &t_->dx}) {
    size_t n = size_t(mfrt_tensor_numel(d)), b = mfrt_dtype_size(d->dtype);
    std::vector<unsigned char> host(n * b);
    if (mfrt_status st = mfrt_device_copy_to_host(host.data(), d->data, n * b))
      return st;
    for (size_t i = 0; i < n && finite; ++i) {
      float v;
      if (d->dtype == MFRT_BF16) {
        uint16_t bits;
        std::memcpy(&bits, &host[i * 2], 2);
        v = fromBf16Bits(bits);
      } else {
        std::memcpy(&v, &host[i * 4], 4);
      }
      finite = std::isfinite(v);
    }
  }
  return MFRT_OK;
}

} // namespace moefold::bench
