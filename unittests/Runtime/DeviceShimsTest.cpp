//===- DeviceShimsTest.cpp - the cuda MLIR ABI on the emulated device -----===//
//
// What moe-runtime-to-device makes a program call (device twins, scalar and
// element copies, device-to-device copies, the allocation hooks), the
// driver's upload/download of the host mirrors, against
// moefold_runtime_cuda_emulated (device memory is a separate host
// allocation, read back through mfrt_device_*). The kernel shims' own
// buffer accesses are covered end to end (cuda-emulated-parity.test).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_device.h"
#include "moefold_runtime/mfrt_registry.h"

#include "../../runtime/mlir_abi/DeviceTwins.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};
UnrankedMemRef mfrt_mlir_device_twin_f32(int64_t, void *);
float mfrt_mlir_load_scalar_f32(int64_t, void *);
void mfrt_mlir_store_scalar_f32(float, int64_t, void *);
int32_t mfrt_mlir_load_scalar_i1(int64_t, void *);
void mfrt_mlir_store_scalar_i1(int32_t, int64_t, void *);
void mfrt_mlir_store_element_i32(int32_t, int64_t, int64_t, void *);
void mfrt_mlir_copy_buffer_f32(int64_t, void *, int64_t, void *);
void *_mlir_memref_to_llvm_alloc(size_t);
void _mlir_memref_to_llvm_free(void *);
}

namespace {

/// An MLIR ranked descriptor over `data` (row-major).
struct Desc {
  std::vector<int64_t> words;
  int64_t rank;
  Desc(void *data, std::vector<int64_t> shape) : rank(int64_t(shape.size())) {
    words.resize(3 + 2 * shape.size());
    std::memcpy(&words[0], &data, sizeof(void *));
    std::memcpy(&words[1], &data, sizeof(void *));
    words[2] = 0;
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      words[3 + i] = shape[i];
      words[3 + rank + i] = stride;
      stride *= shape[i];
    }
  }
  void *ptr() { return words.data(); }
  void *data() const {
    void *p;
    std::memcpy(&p, &words[1], sizeof(p));
    return p;
  }
};
#define MR(d) (d).rank, (d).ptr()

/// A device buffer from the allocation hook, with its descriptor.
struct DeviceBuffer {
  void *p;
  Desc d;
  DeviceBuffer(size_t bytes, std::vector<int64_t> shape)
      : p(_mlir_memref_to_llvm_alloc(bytes)), d(p, std::move(shape)) {}
  ~DeviceBuffer() { _mlir_memref_to_llvm_free(p); }
};

template <typename T> std::vector<T> download(const void *device, size_t n) {
  std::vector<T> host(n);
  EXPECT_EQ(mfrt_device_copy_to_host(host.data(), device, n * sizeof(T)),
            MFRT_OK);
  return host;
}

class DeviceShims : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(mfrt_device_init(0), MFRT_OK);
    mfrt_registry_reset();
  }
};

TEST_F(DeviceShims, TwinIsADeviceCopyOfTheMirrorMadeOnce) {
  std::vector<float> host = {1, 2, 3, 4, 5, 6};
  Desc h(host.data(), {2, 3});
  UnrankedMemRef a = mfrt_mlir_device_twin_f32(MR(h));
  UnrankedMemRef b = mfrt_mlir_device_twin_f32(MR(h));
  ASSERT_EQ(a.rank, 2);
  auto *da = static_cast<int64_t *>(a.descriptor);
  auto *db = static_cast<int64_t *>(b.descriptor);
  EXPECT_NE(a.descriptor, b.descriptor); // each call hands out a copy
  EXPECT_EQ(da[1], db[1]);               // of the same twin
  EXPECT_NE(reinterpret_cast<float *>(da[1]), host.data());
  EXPECT_EQ(da[2], 0);
  EXPECT_EQ(da[3], 2);
  EXPECT_EQ(da[4], 3);
  EXPECT_EQ(da[5], 3);
  EXPECT_EQ(da[6], 1);
  EXPECT_EQ(download<float>(reinterpret_cast<void *>(da[1]), 6), host);
  std::free(a.descriptor); // what the compiled caller does
  std::free(b.descriptor);
}

TEST_F(DeviceShims, ScalarsAndElementsRoundTrip) {
  DeviceBuffer s(4, {});
  mfrt_mlir_store_scalar_f32(2.5f, MR(s.d));
  EXPECT_EQ(mfrt_mlir_load_scalar_f32(MR(s.d)), 2.5f);
  DeviceBuffer flag(1, {});
  mfrt_mlir_store_scalar_i1(1, MR(flag.d));
  EXPECT_EQ(mfrt_mlir_load_scalar_i1(MR(flag.d)), 1);
  EXPECT_EQ(download<uint8_t>(flag.p, 1)[0], 1);
  mfrt_mlir_store_scalar_i1(0, MR(flag.d));
  EXPECT_EQ(mfrt_mlir_load_scalar_i1(MR(flag.d)), 0);
  DeviceBuffer table(8, {2});
  mfrt_mlir_store_element_i32(7, 0, MR(table.d));
  mfrt_mlir_store_element_i32(128, 1, MR(table.d));
  EXPECT_EQ(download<int32_t>(table.p, 2), (std::vector<int32_t>{7, 128}));
}

TEST_F(DeviceShims, CopyBufferAndItsErrors) {
  std::vector<float> v = {1, -2, 3, -4};
  DeviceBuffer a(16, {4}), b(16, {2, 2}), c(12, {3});
  ASSERT_EQ(mfrt_device_copy_to_device(a.p, v.data(), 16), MFRT_OK);
  mfrt_mlir_copy_buffer_f32(MR(a.d), MR(b.d));
  EXPECT_EQ(download<float>(b.p, 4), v);
  EXPECT_EXIT(mfrt_mlir_copy_buffer_f32(MR(a.d), MR(c.d)),
              ::testing::ExitedWithCode(1),
              "moefold runtime: memref.copy: source and target sizes differ");
  EXPECT_EXIT(mfrt_mlir_store_element_i32(1, 4, MR(a.d)),
              ::testing::ExitedWithCode(1),
              "moefold runtime: memref.store: element index outside the "
              "buffer");
}

TEST_F(DeviceShims, DriverUploadsAndDownloadsTheMirrors) {
  std::vector<float> w(6, 0.0f);
  Desc h(w.data(), {2, 3});
  mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_ZEROS, 0, 1,
                           "param", "", MR(h));
  for (int i = 0; i < 6; ++i)
    w[i] = float(i + 1); // the driver's initialisation writes the mirror
  ASSERT_EQ(mfrt_mlir_device_upload_buffers(), MFRT_OK);
  UnrankedMemRef t = mfrt_mlir_device_twin_f32(MR(h));
  void *twin = reinterpret_cast<void *>(static_cast<int64_t *>(t.descriptor)[1]);
  std::free(t.descriptor);
  EXPECT_EQ(download<float>(twin, 6), w);
  // The program updates the twin; the mirror sees it after a download.
  std::vector<float> updated = {9, 8, 7, 6, 5, 4};
  ASSERT_EQ(mfrt_device_copy_to_device(twin, updated.data(), 24), MFRT_OK);
  EXPECT_NE(w, updated);
  ASSERT_EQ(mfrt_mlir_device_download_buffers(), MFRT_OK);
  EXPECT_EQ(w, updated);
}

} // namespace
