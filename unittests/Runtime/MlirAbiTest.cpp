//===- MlirAbiTest.cpp - the mfrt_mlir_* shims and the buffer registry ----===//
//
// Calls the shims the way compiled code does: each buffer as (rank, pointer
// to an MLIR ranked memref descriptor).
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_ops.h"
#include "moefold_runtime/mfrt_registry.h"

#include "TestUtil.h"

#include <cstring>

using namespace mfrt_test;

extern "C" {
void mfrt_mlir_linear_fwd_f32(int64_t, void *, int64_t, void *, int64_t,
                              void *);
void mfrt_mlir_linear_fwd_f64(int64_t, void *, int64_t, void *, int64_t,
                              void *);
void mfrt_mlir_fill_fwd_f64(double, int64_t, void *);
double mfrt_mlir_sum_squares_f32(int64_t, void *);
void mfrt_mlir_global_norm_f32(double, int64_t, void *);
void mfrt_mlir_clip_scale_f32(double, double, int64_t, void *, int64_t, void *);
void mfrt_mlir_combine_fwd_f32(int64_t, void *, int64_t, void *, int64_t,
                               void *, int64_t, int64_t, void *);
}

namespace {

/// An MLIR ranked memref descriptor {allocated, aligned, offset,
/// sizes[rank], strides[rank]} over `data`, row-major unless `strides`.
struct Desc {
  std::vector<int64_t> words;
  int64_t rank;
  Desc(void *data, std::vector<int64_t> shape, int64_t offset = 0,
       std::vector<int64_t> strides = {})
      : rank(int64_t(shape.size())) {
    if (strides.empty()) {
      strides.assign(shape.size(), 1);
      for (int64_t i = rank - 2; i >= 0; --i)
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    words.resize(3 + 2 * shape.size());
    std::memcpy(&words[0], &data, sizeof(void *));
    std::memcpy(&words[1], &data, sizeof(void *));
    words[2] = offset;
    for (size_t i = 0; i < shape.size(); ++i) {
      words[3 + i] = shape[i];
      words[3 + shape.size() + i] = strides[i];
    }
  }
  void *ptr() { return words.data(); }
};
#define MR(d) (d).rank, (d).ptr()

TEST(MlirAbi, ShimMatchesKernel) {
  auto x = randn<float>({2, 3, 4}, 1), w = randn<float>({4, 5}, 2);
  Tensor<float> viaShim({2, 3, 5}), direct({2, 3, 5});
  Desc dx(x.v.data(), x.shape), dw(w.v.data(), w.shape),
      dout(viaShim.v.data(), viaShim.shape);
  mfrt_mlir_linear_fwd_f32(MR(dx), MR(dw), MR(dout));
  ASSERT_OK(mfrt_linear_fwd(&x.d, &w.d, &direct.d));
  EXPECT_EQ(viaShim.v, direct.v);
}

TEST(MlirAbi, OffsetIsInElements) {
  // The descriptor's offset counts elements of the memref's type.
  Tensor<double> buf({6});
  Desc d(buf.v.data(), {2}, /*offset=*/3);
  mfrt_mlir_fill_fwd_f64(2.5, MR(d));
  EXPECT_EQ(buf.v, (std::vector<double>{0, 0, 0, 2.5, 2.5, 0}));
}

TEST(MlirAbi, NormAndClipScalars) {
  Tensor<float> g({2}, {3, 4}), norm, scale;
  Desc dg(g.v.data(), g.shape), dn(norm.v.data(), {}), ds(scale.v.data(), {});
  double s = mfrt_mlir_sum_squares_f32(MR(dg));
  EXPECT_EQ(s, 25.0);
  mfrt_mlir_global_norm_f32(s, MR(dn));
  EXPECT_EQ(norm[0], 5.0f);
  // apply is an i1 memref: one byte.
  uint8_t apply[2] = {7, 7};
  Desc da(apply, {}, /*offset=*/1);
  mfrt_mlir_clip_scale_f32(5.0, 1.0, MR(ds), MR(da));
  EXPECT_FLOAT_EQ(scale[0], float(1.0 / 5.000001));
  EXPECT_EQ(apply[1], 1);
  EXPECT_EQ(apply[0], 7);
  mfrt_mlir_clip_scale_f32(std::nan(""), 1.0, MR(ds), MR(da));
  EXPECT_EQ(apply[1], 0);
}

TEST(MlirAbi, CombineDerivesTheExpertCount) {
  // num_experts 0: the shim uses max(indices) + 1, which orders the rows of
  // expert_out exactly like the true count.
  auto eo = randn<float>({4, 3}, 5);
  Tensor<int32_t> idx({2, 2}, {1, 0, 2, 1});
  Tensor<float> sc({2, 2}, {0.25f, 0.75f, 0.5f, 0.5f}), a({2, 3}), b({2, 3});
  Desc de(eo.v.data(), eo.shape), di(idx.v.data(), idx.shape),
      dsc(sc.v.data(), sc.shape), da(a.v.data(), a.shape);
  mfrt_mlir_combine_fwd_f32(MR(de), MR(di), MR(dsc), 0, MR(da));
  ASSERT_OK(mfrt_combine_fwd(&eo.d, &idx.d, &sc.d, 8, &b.d));
  EXPECT_EQ(a.v, b.v);
}

TEST(MlirAbiDeathTest, KernelErrorsExitNamingTheOp) {
  // OpenBLAS may have started threads: re-execute instead of forking.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tensor<float> x({2, 4}), w({3, 5}), out({2, 5});
  Desc dx(x.v.data(), x.shape), dw(w.v.data(), w.shape),
      dout(out.v.data(), out.shape);
  EXPECT_EXIT(mfrt_mlir_linear_fwd_f32(MR(dx), MR(dw), MR(dout)),
              ::testing::ExitedWithCode(1),
              "moefold runtime: moe.linear: mfrt_linear_fwd: w: expected "
              "shape \\[4, \\?\\], got \\[3, 5\\]");
}

TEST(MlirAbiDeathTest, NonContiguousBuffersAreRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Tensor<float> x({4, 4}), w({2, 2}), out({4, 2});
  Desc dx(x.v.data(), {4, 2}, 0, {4, 1}); // every other column pair
  Desc dw(w.v.data(), w.shape), dout(out.v.data(), out.shape);
  EXPECT_EXIT(mfrt_mlir_linear_fwd_f32(MR(dx), MR(dw), MR(dout)),
              ::testing::ExitedWithCode(1),
              "moefold runtime: moe.linear: memref is not contiguous "
              "row-major \\(dimension 0 has stride 4, expected 2\\)");
}

TEST(Registry, BuffersGeometryMetadata) {
  mfrt_registry_reset();
  Tensor<float> w({4, 8}), gw({4, 8});
  Tensor<double> n({8});
  Desc dw(w.v.data(), w.shape), dg(gw.v.data(), gw.shape),
      dn(n.v.data(), n.shape);
  mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_NORMAL, 0.02,
                           int64_t(mfrt_param_id_of("w")), "param", "", MR(dw));
  mfrt_register_buffer_f64("n", MFRT_BUFFER_PARAM, 2, MFRT_INIT_ONES, 0, 7,
                           "param", "", MR(dn));
  mfrt_register_buffer_f32("grad.w", MFRT_BUFFER_STATE, -1, MFRT_INIT_ZEROS, 0,
                           1, "grad", "w", MR(dg));
  mfrt_register_model(2, 16, 256, MFRT_F32);
  mfrt_register_metadata("mesh", "world=1");
  mfrt_register_metadata("optimizer", "sgd");
  mfrt_register_metadata("optimizer", "adamw"); // replaces

  ASSERT_EQ(mfrt_registry_count(), 3);
  const mfrt_buffer_info *b = mfrt_registry_buffer(0);
  EXPECT_STREQ(b->name, "w");
  EXPECT_EQ(b->tensor.data, w.v.data());
  EXPECT_EQ(b->tensor.dtype, MFRT_F32);
  EXPECT_EQ(b->tensor.rank, 2);
  EXPECT_EQ(b->tensor.shape[1], 8);
  EXPECT_EQ(b->init_kind, MFRT_INIT_NORMAL);
  EXPECT_EQ(b->init_value, 0.02);
  EXPECT_STREQ(mfrt_family_name(b->family), "dense");
  EXPECT_EQ(mfrt_registry_find("n")->tensor.dtype, MFRT_F64);
  EXPECT_EQ(mfrt_registry_find("missing"), nullptr);
  EXPECT_EQ(mfrt_registry_find_state("w", "grad")->tensor.data, gw.v.data());
  EXPECT_EQ(mfrt_registry_find_state("w", "adam_m"), nullptr);
  EXPECT_EQ(mfrt_registry_buffer(3), nullptr);

  mfrt_model_info info{};
  ASSERT_OK(mfrt_registry_model(&info));
  EXPECT_EQ(info.batch, 2);
  EXPECT_EQ(info.seq_len, 16);
  EXPECT_EQ(info.vocab, 256);
  EXPECT_STREQ(mfrt_registry_metadata("optimizer"), "adamw");
  EXPECT_EQ(mfrt_registry_metadata_count(), 2);
  const char *key = nullptr, *value = nullptr;
  ASSERT_OK(mfrt_registry_metadata_at(0, &key, &value));
  EXPECT_STREQ(key, "mesh");
  EXPECT_STREQ(value, "world=1");

  // Registering a name again replaces the entry.
  mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_ZEROS, 0, 1,
                           "param", "", MR(dg));
  EXPECT_EQ(mfrt_registry_count(), 3);
  EXPECT_EQ(mfrt_registry_find("w")->tensor.data, gw.v.data());

  mfrt_registry_reset();
  EXPECT_EQ(mfrt_registry_count(), 0);
  EXPECT_EQ(mfrt_registry_model(&info), MFRT_ERROR_INVALID_ARGUMENT);
}

// A multi-rank program (docs/multi-rank.md) registers its world, the group
// tables of its collectives, the slice of each global tensor every rank
// holds and the split of the batch. The tables here are those of world 4 =
// dp 2 x tp 2 (rank = 2 dp + tp), derived by hand.
TEST(Registry, MultiRankTablesAndSlices) {
  mfrt_registry_reset();
  EXPECT_EQ(mfrt_registry_world(), 1);
  Tensor<float> w({8, 2}), n({8});
  Desc dw(w.v.data(), w.shape), dn(n.v.data(), n.shape);
  mfrt_register_world(4);
  mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_NORMAL, 0.02, 1,
                           "param", "", MR(dw));
  mfrt_register_buffer_f32("n", MFRT_BUFFER_PARAM, 2, MFRT_INIT_ONES, 0, 2,
                           "param", "", MR(dn));
  const int64_t global[] = {8, 4};
  const int64_t offsets[] = {0, 0, 0, 2, 0, 0, 0, 2}; // [rank][dim]
  mfrt_register_buffer_layout("w", 2, global, offsets);
  mfrt_register_model(2, 16, 256, MFRT_F32);
  const int64_t rows[] = {0, 0, 2, 2};
  mfrt_register_batch_layout(4, rows);
  const int64_t tp[] = {0, 1, 2, 3}, dp[] = {0, 2, 1, 3};
  mfrt_register_group_table(0, "dense.tp", 2, 2, tp);
  mfrt_register_group_table(1, "dense.dp", 2, 2, dp);

  EXPECT_EQ(mfrt_registry_world(), 4);
  const mfrt_buffer_info *b = mfrt_registry_find("w");
  EXPECT_EQ(b->global_shape[0], 8);
  EXPECT_EQ(b->global_shape[1], 4);
  EXPECT_EQ(b->tensor.shape[1], 2);
  EXPECT_FALSE(mfrt_buffer_is_whole(b));
  int64_t o[2];
  mfrt_buffer_slice_offsets(b, 3, o);
  EXPECT_EQ(o[0], 0);
  EXPECT_EQ(o[1], 2);
  // A buffer without a layout is whole everywhere: zero offsets.
  const mfrt_buffer_info *whole = mfrt_registry_find("n");
  EXPECT_TRUE(mfrt_buffer_is_whole(whole));
  EXPECT_EQ(whole->rank_offsets, nullptr);
  EXPECT_EQ(whole->global_shape[0], 8);

  mfrt_model_info info{};
  ASSERT_OK(mfrt_registry_model(&info));
  EXPECT_EQ(info.batch, 2);
  EXPECT_EQ(info.global_batch, 4);
  ASSERT_NE(info.rank_rows, nullptr);
  EXPECT_EQ(info.rank_rows[2], 2);

  ASSERT_EQ(mfrt_registry_group_table_count(), 2);
  const mfrt_group_table *t = mfrt_registry_group_table(1);
  EXPECT_STREQ(t->name, "dense.dp");
  EXPECT_EQ(t->num_groups, 2);
  EXPECT_EQ(t->group_size, 2);
  // Rank 3's dp group is {1, 3}: the table's row, in the compiler's order.
  const int64_t *mine = mfrt_group_table_find(t, 3);
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine[0], 1);
  EXPECT_EQ(mine[1], 3);
  EXPECT_EQ(mfrt_group_table_find(t, 4), nullptr);
  EXPECT_EQ(mfrt_registry_group_table(2), nullptr);

  mfrt_registry_reset();
  EXPECT_EQ(mfrt_registry_world(), 1);
  EXPECT_EQ(mfrt_registry_group_table_count(), 0);
}

// A single-rank program registers no layouts: every buffer is whole and the
// batch is not split.
TEST(Registry, SingleRankDefaults) {
  mfrt_registry_reset();
  Tensor<float> w({4, 8});
  Desc dw(w.v.data(), w.shape);
  mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_NORMAL, 0.02, 1,
                           "param", "", MR(dw));
  mfrt_register_model(2, 16, 256, MFRT_F32);
  const mfrt_buffer_info *b = mfrt_registry_find("w");
  EXPECT_TRUE(mfrt_buffer_is_whole(b));
  EXPECT_EQ(b->global_shape[1], 8);
  mfrt_model_info info{};
  ASSERT_OK(mfrt_registry_model(&info));
  EXPECT_EQ(info.global_batch, 2);
  EXPECT_EQ(info.rank_rows, nullptr);
  mfrt_registry_reset();
}

// Inconsistent tables are fatal at registration (the compiled program is
// broken), naming the table or buffer.
TEST(RegistryDeathTest, InconsistentTablesAreFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto registerWorld = [] {
    mfrt_registry_reset();
    mfrt_register_world(4);
  };
  const int64_t twice[] = {0, 1, 1, 3};
  EXPECT_EXIT(
      (registerWorld(), mfrt_register_group_table(0, "dense.tp", 2, 2, twice)),
      ::testing::ExitedWithCode(1),
      "moefold runtime: moefold_register: group table 'dense.tp': "
      "member 1 is out of range or listed twice");
  const int64_t three[] = {0, 1, 2};
  EXPECT_EXIT(
      (registerWorld(), mfrt_register_group_table(0, "dense.tp", 1, 3, three)),
      ::testing::ExitedWithCode(1),
      "group table 'dense.tp': expected groups covering the world "
      "of 4 ranks");
  const int64_t ok[] = {0, 1, 2, 3};
  EXPECT_EXIT(
      (registerWorld(), mfrt_register_group_table(1, "dense.tp", 2, 2, ok)),
      ::testing::ExitedWithCode(1),
      "group table 'dense.tp': ids must be registered in order");
  const int64_t shape[] = {8, 4};
  EXPECT_EXIT((registerWorld(),
               mfrt_register_buffer_layout("nothing", 2, shape, nullptr)),
              ::testing::ExitedWithCode(1),
              "layout of 'nothing': no such "
              "buffer");
  auto badSlice = [&] {
    registerWorld();
    Tensor<float> w({8, 2});
    Desc dw(w.v.data(), w.shape);
    mfrt_register_buffer_f32("w", MFRT_BUFFER_PARAM, 1, MFRT_INIT_ZEROS, 0, 1,
                             "param", "", MR(dw));
    const int64_t off[] = {0, 0, 0, 2, 0, 0, 0, 3}; // rank 3: cols 3..4
    mfrt_register_buffer_layout("w", 2, shape, off);
  };
  EXPECT_EXIT(
      badSlice(), ::testing::ExitedWithCode(1),
      "layout of 'w': the slice of rank 3 leaves the global shape in dim 1");
}

TEST(Registry, ParamIdIsFnv1aOfTheName) {
  // The values moe-lower-to-runtime bakes in (lower-to-runtime-register.mlir).
  EXPECT_EQ(mfrt_param_id_of("embed"), 796654122392472174ull);
  EXPECT_EQ(mfrt_param_id_of("norm"), 4315873112953976271ull);
  EXPECT_EQ(mfrt_param_id_of(""), 14695981039346656037ull);
  EXPECT_STREQ(mfrt_family_name(4), "routed_expert");
  EXPECT_STREQ(mfrt_family_name(-1), "state");
  EXPECT_STREQ(mfrt_family_name(9), "unknown");
}

} // namespace
