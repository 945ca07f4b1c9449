//===- CollectiveTest.cpp - dense collectives against closed forms --------===//
//
// Every collective on every group of every hand-written mesh of this world
// size (plus "world"), every dtype it takes. Rank r's input element j is
// value(r, j) = (r + 1) * 1000 + j, so each rank can compute the expected
// result from its table's member list alone: a sum over the members is
// sum(m + 1) * 1000 + n * j, a max is value(max member, j), a gather's block
// i is member i's input.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

#include <algorithm>
#include <cmath>

using namespace comm_test;

namespace {

int64_t value(int64_t rank, int64_t j) { return (rank + 1) * 1000 + j; }

/// The reduction of value(m, j) over the members, in double.
double reduced(const Group &members, int64_t j, mfrt_reduce_op op) {
  double sum = 0, max = -1e300;
  for (int64_t m : members) {
    sum += static_cast<double>(value(m, j));
    max = std::max(max, static_cast<double>(value(m, j)));
  }
  if (op == MFRT_REDUCE_MAX)
    return max;
  if (op == MFRT_REDUCE_AVG)
    return sum / static_cast<double>(members.size());
  return sum;
}

template <typename T> void expectValue(T got, double want, const char *what) {
  if (std::is_floating_point<T>::value)
    EXPECT_NEAR(static_cast<double>(got), want, 1e-6 * std::fabs(want)) << what;
  else
    EXPECT_EQ(static_cast<double>(got), want) << what;
}

const char *opName(mfrt_reduce_op op) {
  return op == MFRT_REDUCE_SUM ? "sum" : op == MFRT_REDUCE_AVG ? "avg" : "max";
}

// mode 0: out of place; 1: in place with in == NULL; 2: in place with
// in->data == out->data.
template <typename T>
void checkAllReduce(const TestGroup &g, mfrt_reduce_op op, int mode,
                    std::vector<int64_t> shape) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " " + opName(op) +
               " mode " + std::to_string(mode) + " rank " +
               std::to_string(shape.size()));
  HostTensor<T> in(shape), out(shape, T(-7));
  for (int64_t j = 0; j < in.size(); ++j) {
    in[j] = T(value(myRank(), j));
    if (mode != 0)
      out[j] = in[j];
  }
  const mfrt_tensor *inDesc = mode == 0 ? in.desc() : nullptr;
  mfrt_tensor alias = *out.desc();
  if (mode == 2)
    inDesc = &alias;
  EXPECT_OK(mfrt_comm_all_reduce(g.handle, inDesc, out.desc(), op));
  for (int64_t j = 0; j < out.size(); ++j) {
    expectValue(out[j], reduced(g.members, j, op), "out");
    if (mode == 0) {
      EXPECT_EQ(in[j], T(value(myRank(), j))) << "input modified";
    }
  }
}

TEST(CommCollectives, AllReduceEveryGroupDtypeOpAndMode) {
  for (const TestGroup &g : testGroups()) {
    EXPECT_EQ(mfrt_comm_group_size(g.handle),
              static_cast<int64_t>(g.members.size()));
    for (int mode = 0; mode < 3; ++mode) {
      for (mfrt_reduce_op op :
           {MFRT_REDUCE_SUM, MFRT_REDUCE_AVG, MFRT_REDUCE_MAX}) {
        checkAllReduce<float>(g, op, mode, {3, 5});
        checkAllReduce<double>(g, op, mode, {2, 2, 3});
      }
      for (mfrt_reduce_op op : {MFRT_REDUCE_SUM, MFRT_REDUCE_MAX}) {
        checkAllReduce<int32_t>(g, op, mode, {7});
        checkAllReduce<int64_t>(g, op, mode, {2, 3});
      }
    }
  }
}

// A rank-0 scalar (a loss, a grad-norm square sum) and an empty tensor.
TEST(CommCollectives, AllReduceScalarAndEmpty) {
  for (const TestGroup &g : testGroups()) {
    checkAllReduce<double>(g, MFRT_REDUCE_SUM, 0, {});
    checkAllReduce<float>(g, MFRT_REDUCE_MAX, 1, {});
    checkAllReduce<float>(g, MFRT_REDUCE_SUM, 0, {0, 4});
  }
}

template <typename T>
void checkAllGather(const TestGroup &g, std::vector<int64_t> inShape,
                    int64_t dim) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " dim " +
               std::to_string(dim));
  int64_t n = static_cast<int64_t>(g.members.size());
  std::vector<int64_t> outShape = inShape;
  outShape[static_cast<size_t>(dim)] *= n;
  HostTensor<T> in(inShape), out(outShape, T(-7));
  for (int64_t j = 0; j < in.size(); ++j)
    in[j] = T(value(myRank(), j));
  EXPECT_OK(mfrt_comm_all_gather(g.handle, in.desc(), out.desc(), dim));
  int64_t d = inShape[static_cast<size_t>(dim)];
  for (int64_t o = 0; o < out.size(); ++o) {
    std::vector<int64_t> idx = unflatten(o, outShape);
    int64_t member = idx[static_cast<size_t>(dim)] / d;
    idx[static_cast<size_t>(dim)] %= d;
    int64_t j = flatten(idx, inShape);
    EXPECT_EQ(out[o], T(value(g.members[static_cast<size_t>(member)], j)))
        << "out flat " << o;
  }
}

TEST(CommCollectives, AllGatherEveryGroupAndDim) {
  for (const TestGroup &g : testGroups()) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      checkAllGather<float>(g, {2, 3, 4}, dim);
      checkAllGather<int64_t>(g, {3, 1, 2}, dim);
    }
    checkAllGather<double>(g, {5}, 0);
    checkAllGather<int32_t>(g, {2, 3}, 1);
    checkAllGather<Bf16>(g, {2, 3}, 1); // pure data movement takes bf16
    checkAllGather<float>(g, {2, 0, 3}, 2);
  }
}

template <typename T>
void checkReduceScatter(const TestGroup &g, std::vector<int64_t> outShape,
                        int64_t dim, mfrt_reduce_op op) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " dim " +
               std::to_string(dim) + " " + opName(op));
  int64_t n = static_cast<int64_t>(g.members.size());
  std::vector<int64_t> inShape = outShape;
  inShape[static_cast<size_t>(dim)] *= n;
  HostTensor<T> in(inShape), out(outShape, T(-7));
  for (int64_t j = 0; j < in.size(); ++j)
    in[j] = T(value(myRank(), j));
  EXPECT_OK(mfrt_comm_reduce_scatter(g.handle, in.desc(), out.desc(), dim, op));
  for (int64_t o = 0; o < out.size(); ++o) {
    std::vector<int64_t> idx = unflatten(o, outShape);
    idx[static_cast<size_t>(dim)] += g.pos * outShape[static_cast<size_t>(dim)];
    expectValue(out[o], reduced(g.members, flatten(idx, inShape), op), "out");
  }
}

TEST(CommCollectives, ReduceScatterEveryGroupDimAndOp) {
  for (const TestGroup &g : testGroups()) {
    for (int64_t dim = 0; dim < 3; ++dim) {
      for (mfrt_reduce_op op :
           {MFRT_REDUCE_SUM, MFRT_REDUCE_AVG, MFRT_REDUCE_MAX})
        checkReduceScatter<float>(g, {2, 3, 2}, dim, op);
      checkReduceScatter<double>(g, {1, 2, 3}, dim, MFRT_REDUCE_AVG);
      checkReduceScatter<int64_t>(g, {2, 2, 1}, dim, MFRT_REDUCE_SUM);
    }
    checkReduceScatter<int32_t>(g, {4}, 0, MFRT_REDUCE_MAX);
  }
}

template <typename T>
void checkBroadcast(const TestGroup &g, std::vector<int64_t> shape,
                    int64_t root) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " root " +
               std::to_string(root));
  HostTensor<T> t(shape);
  for (int64_t j = 0; j < t.size(); ++j)
    t[j] = T(value(myRank(), j));
  EXPECT_OK(mfrt_comm_broadcast(g.handle, t.desc(), root));
  for (int64_t j = 0; j < t.size(); ++j)
    EXPECT_EQ(t[j], T(value(g.members[static_cast<size_t>(root)], j)));
}

TEST(CommCollectives, BroadcastFromEveryRoot) {
  for (const TestGroup &g : testGroups()) {
    for (int64_t root = 0; root < static_cast<int64_t>(g.members.size());
         ++root) {
      checkBroadcast<float>(g, {2, 3}, root);
      checkBroadcast<int64_t>(g, {4}, root);
    }
    checkBroadcast<Bf16>(g, {3}, 0);
    checkBroadcast<double>(g, {}, 0);
  }
}

TEST(CommCollectives, BarrierAndGroupQueries) {
  for (const TestGroup &g : testGroups()) {
    SCOPED_TRACE(g.name);
    EXPECT_OK(mfrt_comm_barrier(g.handle));
    EXPECT_EQ(mfrt_comm_find_group(g.name.c_str()), g.handle);
    EXPECT_STREQ(mfrt_comm_group_name(g.handle), g.name.c_str());
    EXPECT_EQ(mfrt_comm_group_rank(g.handle), g.pos);
    for (size_t i = 0; i < g.members.size(); ++i)
      EXPECT_EQ(mfrt_comm_group_member(g.handle, static_cast<int64_t>(i)),
                g.members[i]);
    EXPECT_EQ(mfrt_comm_group_member(g.handle, -1), -1);
    EXPECT_EQ(mfrt_comm_group_member(g.handle,
                                     static_cast<int64_t>(g.members.size())),
              -1);
  }
  EXPECT_EQ(mfrt_comm_group_at(0), mfrt_comm_world_group());
  EXPECT_STREQ(mfrt_comm_group_name(mfrt_comm_world_group()), "world");
  EXPECT_EQ(mfrt_comm_group_at(mfrt_comm_group_count()), nullptr);
  EXPECT_EQ(mfrt_comm_find_group("no such group"), nullptr);
}

// The world group and a compiler axis group over the same ranks are separate
// communicators: interleaving their collectives must not mix messages.
TEST(CommCollectives, InterleavedGroupsDoNotMix) {
  const std::vector<TestGroup> &groups = testGroups();
  for (size_t i = 1; i < groups.size(); ++i) {
    const TestGroup &g = groups[i];
    SCOPED_TRACE(g.name);
    HostTensor<int64_t> a({1}, myRank() + 1), b({1}, 1);
    EXPECT_OK(
        mfrt_comm_all_reduce(g.handle, nullptr, a.desc(), MFRT_REDUCE_SUM));
    EXPECT_OK(mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, b.desc(),
                                   MFRT_REDUCE_SUM));
    int64_t want = 0;
    for (int64_t m : g.members)
      want += m + 1;
    EXPECT_EQ(a[0], want);
    EXPECT_EQ(b[0], worldSize());
  }
}

} // namespace
