//===- DeviceShims.cpp - device twins, scalars, copies, allocation --------===//
//
// What moe-runtime-to-device and the device LLVM pipeline make a cuda program
// call besides the kernel shims (docs/gpu-programs.md):
//
//   mfrt_mlir_device_twin_<t>(host global) -> device twin   (memref.get_global)
//   mfrt_mlir_load_scalar_<t>(buf) -> value                 (0-d memref.load)
//   mfrt_mlir_store_scalar_<t>(value, buf)                  (0-d memref.store)
//   mfrt_mlir_store_element_<t>(value, index, buf)          (1-d memref.store)
//   mfrt_mlir_copy_buffer_<t>(src, dst)                     (memref.copy)
//   _mlir_memref_to_llvm_alloc / _aligned_alloc / _free     (memref.alloc/dealloc)
//
// and the driver's side of the twins (DeviceTwins.h). Only in the cuda MLIR
// ABI libraries; every failure is fatal like a kernel error.
//
//===----------------------------------------------------------------------===//

#include "DeviceTwins.h"

#include "MemRef.h"

#include "moefold_runtime/mfrt_device.h"
#include "moefold_runtime/mfrt_registry.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using namespace mfrt::mlir_abi;

namespace {

void check(const char *op, mfrt_status status) {
  if (status != MFRT_OK)
    fatal(op, mfrt_last_error());
}

/// A contiguous buffer: its first byte and its size.
struct Bytes {
  char *data;
  size_t size;
};

/// The bytes of memref (rank, desc) with elements of `elementSize` bytes.
Bytes bytesOf(const char *op, int64_t rank, void *desc, size_t elementSize) {
  mfrt_tensor layout;
  char why[256];
  // The view checks rank and contiguity; its data pointer assumes 4-byte
  // elements, so the address is recomputed for the true element size.
  if (!viewMemRef(rank, desc, MFRT_I32, &layout, why, sizeof(why)))
    fatal(op, why);
  auto *d = static_cast<RankedDescriptor *>(desc);
  int64_t n = mfrt_tensor_numel(&layout);
  return {static_cast<char *>(d->aligned) + d->offset * int64_t(elementSize),
          size_t(n) * elementSize};
}

/// One device twin: the device memory and a ranked descriptor of it (the
/// host global's sizes and strides).
struct Twin {
  void *device = nullptr;
  size_t bytes = 0;
  int64_t rank = 0;
  std::vector<int64_t> descriptor; // allocated, aligned, offset, sizes, strides
};

/// Twins by the host mirror's first byte.
std::unordered_map<const void *, std::unique_ptr<Twin>> &twins() {
  static std::unordered_map<const void *, std::unique_ptr<Twin>> map;
  return map;
}

/// The twin of host buffer (rank, desc), created (and filled from the host)
/// on first use.
Twin &twinOf(const char *op, int64_t rank, void *desc, size_t elementSize) {
  Bytes host = bytesOf(op, rank, desc, elementSize);
  auto &slot = twins()[host.data];
  if (slot) {
    if (slot->bytes != host.size)
      fatal(op, "a host buffer changed size after its device twin was made");
    return *slot;
  }
  auto twin = std::make_unique<Twin>();
  twin->bytes = host.size;
  twin->rank = rank;
  check(op, mfrt_device_alloc(host.size, &twin->device));
  check(op, host.size ? mfrt_device_copy_to_device(twin->device, host.data,
                                                   host.size)
                      : MFRT_OK);
  auto *d = static_cast<RankedDescriptor *>(desc);
  twin->descriptor.resize(3 + 2 * size_t(rank));
  std::memcpy(twin->descriptor.data(), d,
              twin->descriptor.size() * sizeof(int64_t));
  auto address = reinterpret_cast<int64_t>(twin->device);
  twin->descriptor[0] = twin->descriptor[1] = address;
  twin->descriptor[2] = 0;
  slot = std::move(twin);
  return *slot;
}

/// The C layout of an unranked memref returned by value: {rank, descriptor}
/// (two integer registers on x86-64 and AArch64, like LLVM's {i64, ptr}).
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

/// The twin as a returned unranked memref. The caller (MLIR's lowering of a
/// call returning memref<*xT>) copies the descriptor and free()s it, so each
/// call hands out a fresh malloc'ed copy.
UnrankedMemRef returnTwin(const char *op, int64_t rank, void *desc,
                          size_t elementSize) {
  Twin &twin = twinOf(op, rank, desc, elementSize);
  size_t bytes = twin.descriptor.size() * sizeof(int64_t);
  void *copy = std::malloc(bytes);
  if (!copy)
    fatal(op, "out of host memory for a memref descriptor");
  std::memcpy(copy, twin.descriptor.data(), bytes);
  return {twin.rank, copy};
}

/// The one element of a 0-d (or one-element) buffer.
void *scalarOf(const char *op, int64_t rank, void *desc, size_t elementSize) {
  Bytes b = bytesOf(op, rank, desc, elementSize);
  if (b.size != elementSize)
    fatal(op, "expected a one-element buffer");
  return b.data;
}

} // namespace

#define MR(n) int64_t n##_rank, void *n##_desc
#define M(n) n##_rank, n##_desc

// get_global of a parameter or state: its device twin.
#define TWIN(SUFFIX, SIZE)                                                     \
  extern "C" UnrankedMemRef mfrt_mlir_device_twin_##SUFFIX(MR(host)) {         \
    return returnTwin("memref.get_global", M(host), SIZE);                     \
  }
TWIN(f32, 4)
TWIN(f64, 8)
TWIN(i32, 4)

// 0-d loads and stores, and stores into 1-d tables: one element between the
// device and a host value. i1 travels as an int32 value and is one byte in
// memory.
#define SCALAR(SUFFIX, VALUE_T, MEMORY_T)                                      \
  extern "C" VALUE_T mfrt_mlir_load_scalar_##SUFFIX(MR(buf)) {                 \
    MEMORY_T v{};                                                              \
    check("memref.load",                                                       \
          mfrt_device_copy_to_host(                                            \
              &v, scalarOf("memref.load", M(buf), sizeof(v)), sizeof(v)));     \
    return VALUE_T(v);                                                         \
  }                                                                            \
  extern "C" void mfrt_mlir_store_scalar_##SUFFIX(VALUE_T value, MR(buf)) {    \
    MEMORY_T v = MEMORY_T(value);                                              \
    check("memref.store",                                                      \
          mfrt_device_copy_to_device(                                          \
              scalarOf("memref.store", M(buf), sizeof(v)), &v, sizeof(v)));    \
  }                                                                            \
  extern "C" void mfrt_mlir_store_element_##SUFFIX(VALUE_T value,              \
                                                   int64_t index, MR(buf)) {   \
    MEMORY_T v = MEMORY_T(value);                                              \
    Bytes b = bytesOf("memref.store", M(buf), sizeof(v));                      \
    if (index < 0 || size_t(index) >= b.size / sizeof(v))                      \
      fatal("memref.store", "element index outside the buffer");               \
    check("memref.store",                                                      \
          mfrt_device_copy_to_device(b.data + index * int64_t(sizeof(v)), &v,  \
                                     sizeof(v)));                              \
  }
SCALAR(f32, float, float)
SCALAR(f64, double, double)
SCALAR(i1, int32_t, uint8_t)
SCALAR(i32, int32_t, int32_t)
SCALAR(i64, int64_t, int64_t)

// memref.copy between device buffers of the same size.
#define COPY(SUFFIX, SIZE)                                                     \
  extern "C" void mfrt_mlir_copy_buffer_##SUFFIX(MR(src), MR(dst)) {           \
    Bytes s = bytesOf("memref.copy", M(src), SIZE);                            \
    Bytes d = bytesOf("memref.copy", M(dst), SIZE);                            \
    if (s.size != d.size)                                                      \
      fatal("memref.copy", "source and target sizes differ");                  \
    if (s.size)                                                                \
      check("memref.copy", mfrt_device_copy(d.data, s.data, s.size));          \
  }
COPY(f32, 4)
COPY(f64, 8)
COPY(i1, 1)
COPY(i32, 4)
COPY(i64, 8)

// memref.alloc / memref.dealloc (finalize-memref-to-llvm with
// use-generic-functions): the device's caching allocator. Its blocks are
// 256-byte aligned, more than any alignment the lowering asks for.
extern "C" void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  void *p = nullptr;
  check("memref.alloc", mfrt_device_alloc(bytes, &p));
  return p;
}
extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t bytes) {
  if (alignment > 256)
    fatal("memref.alloc", "alignment above 256 bytes is not supported");
  return _mlir_memref_to_llvm_alloc(bytes);
}
extern "C" void _mlir_memref_to_llvm_free(void *ptr) {
  check("memref.dealloc", mfrt_device_free(ptr));
}

//===----------------------------------------------------------------------===//
// The driver's side (DeviceTwins.h)
//===----------------------------------------------------------------------===//

namespace {
/// The twin of registered buffer `b` (created if needed).
Twin &twinOfBuffer(const mfrt_buffer_info *b) {
  const mfrt_tensor &t = b->tensor;
  struct {
    void *allocated, *aligned;
    int64_t offset, sizesAndStrides[2 * MFRT_MAX_RANK];
  } desc{t.data, t.data, 0, {}};
  int64_t stride = 1;
  for (int32_t d = t.rank - 1; d >= 0; --d) {
    desc.sizesAndStrides[d] = t.shape[d];
    desc.sizesAndStrides[t.rank + d] = stride;
    stride *= t.shape[d];
  }
  return twinOf(b->name, t.rank, &desc, mfrt_dtype_size(t.dtype));
}
} // namespace

extern "C" mfrt_status mfrt_mlir_device_init(int64_t ordinal) {
  return mfrt_device_init(ordinal);
}

extern "C" const char *mfrt_mlir_device_description(void) {
  return mfrt_device_description();
}

extern "C" mfrt_status mfrt_mlir_device_upload_buffers(void) {
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    Twin &twin = twinOfBuffer(b);
    if (twin.bytes) {
      mfrt_status st =
          mfrt_device_copy_to_device(twin.device, b->tensor.data, twin.bytes);
      if (st != MFRT_OK)
        return st;
    }
  }
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_mlir_device_download_buffers(void) {
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    Twin &twin = twinOfBuffer(b);
    if (twin.bytes) {
      mfrt_status st =
          mfrt_device_copy_to_host(b->tensor.data, twin.device, twin.bytes);
      if (st != MFRT_OK)
        return st;
    }
  }
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_mlir_device_upload(void **device, const void *host,
                                               size_t bytes) {
  if (!*device) {
    mfrt_status st = mfrt_device_alloc(bytes, device);
    if (st != MFRT_OK)
      return st;
  }
  return bytes ? mfrt_device_copy_to_device(*device, host, bytes) : MFRT_OK;
}
