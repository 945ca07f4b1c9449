//===- NcclCollectiveTest.cpp - NCCL collectives against closed forms -----===//
//
// Every collective on every group of every hand-written mesh of this world
// size (plus "world"), on device tensors. Rank r's element j is value(r, j)
// (small integers for bf16, so that sums and maxima are exact), so each rank
// computes the expected result from its table's member list alone, as the
// MPI backend's tests do; the byte counters are checked against the model
// of docs/comm.md written out here.
//
//===----------------------------------------------------------------------===//

#include "NcclTestUtil.h"

#include <algorithm>
#include <cmath>

using namespace nccl_test;

namespace {

template <typename T> double value(int64_t rank, int64_t j) {
  if (dtypeOf<T>() == MFRT_BF16)
    return double((rank + 1) * 4 + j % 4);
  return double((rank + 1) * 1000 + j);
}

template <typename T> double tolerance() {
  return dtypeOf<T>() == MFRT_BF16 ? 2e-2 : 1e-6;
}

template <typename T>
double reduced(const Group &members, int64_t j, mfrt_reduce_op op) {
  double sum = 0, max = -1e300;
  for (int64_t m : members) {
    sum += value<T>(m, j);
    max = std::max(max, value<T>(m, j));
  }
  if (op == MFRT_REDUCE_MAX)
    return max;
  if (op == MFRT_REDUCE_AVG)
    return sum / double(members.size());
  return sum;
}

template <typename T> void expectNear(T got, double want, const char *what) {
  EXPECT_NEAR(toDouble(got), want, tolerance<T>() * std::fabs(want)) << what;
}

template <typename T>
void checkAllReduce(const TestGroup &g, mfrt_reduce_op op, bool inPlace) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " op " +
               std::to_string(op) + (inPlace ? " in place" : ""));
  DeviceTensor<T> in({3, 5}), out({3, 5});
  for (int64_t j = 0; j < in.size(); ++j)
    in[j] = out[j] = fromDouble<T>(value<T>(myRank(), j));
  in.upload();
  out.upload();
  EXPECT_OK(mfrt_comm_all_reduce(g.handle, inPlace ? nullptr : in.desc(),
                                 out.desc(), op));
  out.download();
  for (int64_t j = 0; j < out.size(); ++j)
    expectNear(out[j], reduced<T>(g.members, j, op), "all_reduce");
}

TEST(NcclCollectives, AllReduceEveryDtypeAndOp) {
  for (const TestGroup &g : testGroups()) {
    for (mfrt_reduce_op op : {MFRT_REDUCE_SUM, MFRT_REDUCE_MAX}) {
      checkAllReduce<int32_t>(g, op, false);
      checkAllReduce<int64_t>(g, op, true);
    }
    for (mfrt_reduce_op op :
         {MFRT_REDUCE_SUM, MFRT_REDUCE_AVG, MFRT_REDUCE_MAX}) {
      checkAllReduce<float>(g, op, false);
      checkAllReduce<float>(g, op, true);
      checkAllReduce<double>(g, op, false);
      checkAllReduce<Bf16>(g, op, true);
    }
  }
}

template <typename T>
void checkAllGather(const TestGroup &g, std::vector<int64_t> piece,
                    int32_t dim) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " dim " +
               std::to_string(dim));
  int64_t n = int64_t(g.members.size());
  std::vector<int64_t> whole = piece;
  whole[size_t(dim)] *= n;
  DeviceTensor<T> in(piece), out(whole);
  for (int64_t j = 0; j < in.size(); ++j)
    in[j] = fromDouble<T>(value<T>(myRank(), j));
  in.upload();
  EXPECT_OK(mfrt_comm_all_gather(g.handle, in.desc(), out.desc(), dim));
  out.download();
  for (int64_t f = 0; f < out.size(); ++f) {
    std::vector<int64_t> idx = unflatten(f, whole);
    int64_t m = idx[size_t(dim)] / piece[size_t(dim)];
    idx[size_t(dim)] %= piece[size_t(dim)];
    expectNear(out[f], value<T>(g.members[size_t(m)], flatten(idx, piece)),
               "all_gather");
  }
}

TEST(NcclCollectives, AllGatherAlongEveryDim) {
  for (const TestGroup &g : testGroups())
    for (int32_t d = 0; d < 3; ++d) {
      checkAllGather<float>(g, {2, 3, 4}, d);
      checkAllGather<Bf16>(g, {2, 1, 3}, d);
      checkAllGather<int64_t>(g, {1, 2, 2}, d);
    }
}

template <typename T>
void checkReduceScatter(const TestGroup &g, std::vector<int64_t> piece,
                        int32_t dim, mfrt_reduce_op op) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " dim " +
               std::to_string(dim));
  int64_t n = int64_t(g.members.size());
  std::vector<int64_t> whole = piece;
  whole[size_t(dim)] *= n;
  DeviceTensor<T> in(whole), out(piece);
  for (int64_t j = 0; j < in.size(); ++j)
    in[j] = fromDouble<T>(value<T>(myRank(), j));
  in.upload();
  EXPECT_OK(mfrt_comm_reduce_scatter(g.handle, in.desc(), out.desc(), dim, op));
  out.download();
  for (int64_t f = 0; f < out.size(); ++f) {
    std::vector<int64_t> idx = unflatten(f, piece);
    idx[size_t(dim)] += g.pos * piece[size_t(dim)];
    expectNear(out[f], reduced<T>(g.members, flatten(idx, whole), op),
               "reduce_scatter");
  }
}

TEST(NcclCollectives, ReduceScatterAlongEveryDim) {
  for (const TestGroup &g : testGroups())
    for (int32_t d = 0; d < 3; ++d) {
      checkReduceScatter<float>(g, {2, 3, 2}, d, MFRT_REDUCE_SUM);
      checkReduceScatter<double>(g, {3, 1, 2}, d, MFRT_REDUCE_AVG);
      checkReduceScatter<int64_t>(g, {1, 2, 3}, d, MFRT_REDUCE_MAX);
      checkReduceScatter<Bf16>(g, {2, 2, 1}, d, MFRT_REDUCE_SUM);
    }
}

TEST(NcclCollectives, BroadcastFromEveryRoot) {
  for (const TestGroup &g : testGroups())
    for (int64_t root = 0; root < int64_t(g.members.size()); ++root) {
      SCOPED_TRACE(g.name + " root " + std::to_string(root));
      DeviceTensor<double> t({4, 3});
      for (int64_t j = 0; j < t.size(); ++j)
        t[j] = value<double>(myRank(), j);
      t.upload();
      EXPECT_OK(mfrt_comm_broadcast(g.handle, t.desc(), root));
      t.download();
      for (int64_t j = 0; j < t.size(); ++j)
        EXPECT_EQ(t[j], value<double>(g.members[size_t(root)], j));
    }
}

/// Rows position i sends to position j (zero for some pairs).
int64_t rowsFor(int64_t i, int64_t j) { return (i + 2 * j) % 3; }

template <typename T, typename C> void checkAllToAll(const TestGroup &g) {
  SCOPED_TRACE(g.name + " " + mfrt_dtype_name(dtypeOf<T>()) + " counts " +
               mfrt_dtype_name(dtypeOf<C>()));
  int64_t n = int64_t(g.members.size()), me = g.pos, width = 3;
  DeviceTensor<C> sendCounts({n}), recvCounts({n});
  int64_t sendRows = 0, wantRecv = 0;
  for (int64_t j = 0; j < n; ++j) {
    sendCounts[j] = C(rowsFor(me, j));
    sendRows += rowsFor(me, j);
    wantRecv += rowsFor(j, me);
  }
  sendCounts.upload();
  int64_t total = -1;
  EXPECT_OK(mfrt_comm_all_to_all_recv_rows(g.handle, sendCounts.desc(),
                                           recvCounts.desc(), &total));
  EXPECT_EQ(total, wantRecv);
  recvCounts.download();
  for (int64_t j = 0; j < n; ++j)
    EXPECT_EQ(int64_t(recvCounts[j]), rowsFor(j, me)) << "from " << j;

  // Row k for position j carries (sender, j, k); one spare row each side.
  auto cell = [](int64_t from, int64_t to, int64_t k, int64_t c) {
    return double((from * 8 + to) * 4 % 64 + k + c % 2);
  };
  DeviceTensor<T> send({sendRows + 1, width}), recv({wantRecv + 1, width}),
      back({sendRows + 1, width});
  int64_t row = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t k = 0; k < rowsFor(me, j); ++k, ++row)
      for (int64_t c = 0; c < width; ++c)
        send[row * width + c] = fromDouble<T>(cell(me, j, k, c));
  send.upload();
  recv.upload(); // -7 everywhere: the spare row must stay so
  EXPECT_OK(mfrt_comm_all_to_all(g.handle, send.desc(), sendCounts.desc(),
                                 recv.desc(), recvCounts.desc()));
  recv.download();
  row = 0;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t k = 0; k < rowsFor(j, me); ++k, ++row)
      for (int64_t c = 0; c < width; ++c)
        EXPECT_EQ(toDouble(recv[row * width + c]), cell(j, me, k, c))
            << "row " << row << " from " << j;
  for (int64_t c = 0; c < width; ++c)
    EXPECT_EQ(toDouble(recv[wantRecv * width + c]), -7.0) << "spare row";
  // The inverse exchange returns every row to where it came from.
  back.upload();
  EXPECT_OK(mfrt_comm_all_to_all(g.handle, recv.desc(), recvCounts.desc(),
                                 back.desc(), sendCounts.desc()));
  back.download();
  for (int64_t j = 0; j < sendRows * width; ++j)
    EXPECT_EQ(toDouble(back[j]), toDouble(send[j])) << "element " << j;
}

TEST(NcclCollectives, RaggedAllToAllAndItsInverse) {
  for (const TestGroup &g : testGroups()) {
    checkAllToAll<float, int64_t>(g);
    checkAllToAll<Bf16, int32_t>(g);
  }
}

TEST(NcclStats, CountersFollowTheByteModel) {
  for (const TestGroup &g : testGroups()) {
    SCOPED_TRACE(g.name);
    int64_t n = int64_t(g.members.size());
    mfrt_comm_stats_reset();
    DeviceTensor<float> t({3, 5}); // S = 60 bytes
    t.upload();
    EXPECT_OK(mfrt_comm_all_reduce(g.handle, nullptr, t.desc(),
                                   MFRT_REDUCE_SUM));
    EXPECT_OK(mfrt_comm_broadcast(g.handle, t.desc(), 0));
    mfrt_comm_stats s{};
    EXPECT_OK(mfrt_comm_stats_get(g.handle, MFRT_COMM_ALL_REDUCE, &s));
    EXPECT_EQ(s.calls, 1);
    EXPECT_EQ(s.bytes_sent, 2 * (n - 1) * 60 / n);
    EXPECT_EQ(s.bytes_received, 2 * (n - 1) * 60 / n);
    EXPECT_OK(mfrt_comm_stats_get(g.handle, MFRT_COMM_BROADCAST, &s));
    EXPECT_EQ(s.bytes_sent, g.pos == 0 && n > 1 ? 60 : 0);
    EXPECT_EQ(s.bytes_received, g.pos != 0 ? 60 : 0);
  }
}

TEST(NcclErrors, BadArgumentsFailLocallyBeforeAnyCommunication) {
  mfrt_comm_group *world = mfrt_comm_world_group();
  float host[4] = {0, 0, 0, 0};
  mfrt_tensor onHost{host, MFRT_F32, 1, {4}};
  EXPECT_STATUS(mfrt_comm_all_reduce(world, nullptr, &onHost, MFRT_REDUCE_SUM),
                MFRT_ERROR_INVALID_ARGUMENT, "out: data");
  EXPECT_STATUS(mfrt_comm_broadcast(world, &onHost, 0),
                MFRT_ERROR_INVALID_ARGUMENT, "is not in device memory");
  DeviceTensor<int32_t> ints({4});
  EXPECT_STATUS(mfrt_comm_all_reduce(world, nullptr, ints.desc(),
                                     MFRT_REDUCE_AVG),
                MFRT_ERROR_INVALID_ARGUMENT, "op avg needs a float dtype");
  DeviceTensor<float> odd({worldSize() + 1}), piece({1});
  if (worldSize() > 1)
    EXPECT_STATUS(mfrt_comm_reduce_scatter(world, odd.desc(), piece.desc(), 0,
                                           MFRT_REDUCE_SUM),
                  MFRT_ERROR_INVALID_ARGUMENT, "not divisible by the group");
  EXPECT_STATUS(mfrt_comm_broadcast(world, piece.desc(), worldSize()),
                MFRT_ERROR_INVALID_ARGUMENT, "root");
  // Every rank is still in step: a collective after the failures works.
  EXPECT_TRUE(onAllRanks(true));
}

} // namespace
