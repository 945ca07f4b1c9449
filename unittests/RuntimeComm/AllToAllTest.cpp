//===- AllToAllTest.cpp - ragged all_to_all, counts exchanged first -------===//
//
// Count matrices C[src][dst] (positions in the group) are drawn from an RNG
// seeded identically on every member, so each rank knows what everyone sends
// without communicating. Cases include a member receiving nothing, one
// sending nothing, an all-zero exchange and self-sends. Row (src, dst, k)
// carries a value naming all three, so misplaced rows are caught. The
// inverse exchange (counts swapped, as combine does) must restore the input.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

#include <random>

using namespace comm_test;

namespace {

using Counts = std::vector<std::vector<int64_t>>;

Counts countMatrix(const TestGroup &g, int trial) {
  size_t n = g.members.size();
  std::mt19937_64 rng(static_cast<uint64_t>(trial * 1000 + n * 10) +
                      static_cast<uint64_t>(g.members[0]));
  std::uniform_int_distribution<int64_t> dist(0, 4);
  Counts c(n, std::vector<int64_t>(n, 0));
  for (size_t s = 0; s < n; ++s)
    for (size_t d = 0; d < n; ++d) {
      int64_t v = dist(rng);
      c[s][d] = v == 4 ? 0 : v; // plenty of zeros
    }
  switch (trial) {
  case 0: // the last member receives nothing
    for (size_t s = 0; s < n; ++s)
      c[s][n - 1] = 0;
    break;
  case 1: // the first member sends nothing
    for (size_t d = 0; d < n; ++d)
      c[0][d] = 0;
    break;
  case 2: // nobody sends anything
    for (auto &row : c)
      for (int64_t &v : row)
        v = 0;
    break;
  case 3: // uniform, like balanced routing
    for (auto &row : c)
      for (int64_t &v : row)
        v = 2;
    break;
  default:
    break;
  }
  return c;
}

/// The value of element `e` of row k sent from member s to member d.
int64_t rowValue(const TestGroup &g, int64_t s, int64_t d, int64_t k,
                 int64_t e) {
  return ((g.members[static_cast<size_t>(s)] * 16 +
           g.members[static_cast<size_t>(d)]) *
              64 +
          k) *
             8 +
         e;
}

template <typename T, typename C>
void checkAllToAll(const TestGroup &g, int trial,
                   std::vector<int64_t> rowShape) {
  SCOPED_TRACE(g.name + " trial " + std::to_string(trial) + " " +
               mfrt_dtype_name(dtypeOf<T>()) + " counts " +
               mfrt_dtype_name(dtypeOf<C>()));
  int64_t n = static_cast<int64_t>(g.members.size());
  int64_t me = g.pos;
  Counts c = countMatrix(g, trial);
  int64_t rowElems = 1;
  for (int64_t e : rowShape)
    rowElems *= e;

  // send: rows for member 0, then 1, ...; plus one spare row never sent.
  int64_t sendRows = 0;
  for (int64_t d = 0; d < n; ++d)
    sendRows += c[me][d];
  std::vector<int64_t> sendShape = {sendRows + 1};
  sendShape.insert(sendShape.end(), rowShape.begin(), rowShape.end());
  HostTensor<T> send(sendShape, T(-1));
  HostTensor<C> sendCounts({n}), recvCounts({n}, C(-5));
  int64_t row = 0;
  for (int64_t d = 0; d < n; ++d) {
    sendCounts[d] = C(c[me][d]);
    for (int64_t k = 0; k < c[me][d]; ++k, ++row)
      for (int64_t e = 0; e < rowElems; ++e)
        send[row * rowElems + e] = T(rowValue(g, me, d, k, e));
  }

  mfrt_comm_stats before{}, after{};
  EXPECT_OK(mfrt_comm_stats_get(g.handle, MFRT_COMM_ALL_TO_ALL, &before));

  // Step 1: counts.
  int64_t total = -1;
  EXPECT_OK(mfrt_comm_all_to_all_recv_rows(g.handle, sendCounts.desc(),
                                           recvCounts.desc(), &total));
  int64_t want = 0;
  for (int64_t s = 0; s < n; ++s) {
    EXPECT_EQ(static_cast<int64_t>(recvCounts[s]), c[s][me]) << "from " << s;
    want += c[s][me];
  }
  EXPECT_EQ(total, want);

  // Step 2: rows, into a buffer with two spare rows that must stay as is.
  std::vector<int64_t> recvShape = {want + 2};
  recvShape.insert(recvShape.end(), rowShape.begin(), rowShape.end());
  HostTensor<T> recv(recvShape, T(-3));
  EXPECT_OK(mfrt_comm_all_to_all(g.handle, send.desc(), sendCounts.desc(),
                                 recv.desc(), recvCounts.desc()));
  row = 0;
  for (int64_t s = 0; s < n; ++s)
    for (int64_t k = 0; k < c[s][me]; ++k, ++row)
      for (int64_t e = 0; e < rowElems; ++e)
        EXPECT_EQ(recv[row * rowElems + e], T(rowValue(g, s, me, k, e)))
            << "row " << k << " from member " << s;
  for (int64_t j = want * rowElems; j < recv.size(); ++j)
    EXPECT_EQ(recv[j], T(-3)) << "spare receive row written";

  // Inverse exchange: counts swapped, rows go home.
  HostTensor<T> back(sendShape, T(-9));
  EXPECT_OK(mfrt_comm_all_to_all(g.handle, recv.desc(), recvCounts.desc(),
                                 back.desc(), sendCounts.desc()));
  for (int64_t j = 0; j < sendRows * rowElems; ++j)
    EXPECT_EQ(back[j], send[j]) << "inverse element " << j;

  // Bytes: rows to and from other members, both directions.
  EXPECT_OK(mfrt_comm_stats_get(g.handle, MFRT_COMM_ALL_TO_ALL, &after));
  int64_t rowBytes = rowElems * static_cast<int64_t>(sizeof(T));
  int64_t out = 0, in = 0;
  for (int64_t p = 0; p < n; ++p)
    if (p != me) {
      out += c[me][p];
      in += c[p][me];
    }
  EXPECT_EQ(after.calls - before.calls, 2);
  EXPECT_EQ(after.bytes_sent - before.bytes_sent, (out + in) * rowBytes);
  EXPECT_EQ(after.bytes_received - before.bytes_received,
            (in + out) * rowBytes);
}

TEST(CommAllToAll, RaggedCountsEveryGroup) {
  for (const TestGroup &g : testGroups())
    for (int trial = 0; trial < 6; ++trial) {
      checkAllToAll<float, int64_t>(g, trial, {3});
      checkAllToAll<int64_t, int32_t>(g, trial, {2, 2});
    }
}

TEST(CommAllToAll, OtherDtypes) {
  for (const TestGroup &g : testGroups()) {
    checkAllToAll<double, int32_t>(g, 4, {1});
    checkAllToAll<int32_t, int64_t>(g, 0, {5});
    checkAllToAll<Bf16, int64_t>(g, 1, {2});
  }
}

// A member passing a negative count poisons the exchange: every member of
// the group fails in step 1 (nobody is left waiting in step 2).
TEST(CommAllToAll, NegativeCountFailsTheWholeGroup) {
  const TestGroup &g = testGroups().front(); // world
  int64_t n = static_cast<int64_t>(g.members.size());
  int64_t bad = n > 1 ? 1 : 0;
  HostTensor<int64_t> sendCounts({n}, 0), recvCounts({n}, 0);
  if (g.pos == bad)
    sendCounts[0] = -2;
  mfrt_clear_last_error();
  mfrt_status s = mfrt_comm_all_to_all_recv_rows(g.handle, sendCounts.desc(),
                                                 recvCounts.desc(), nullptr);
  EXPECT_EQ(s, MFRT_ERROR_INVALID_ARGUMENT);
  std::string msg = mfrt_last_error();
  if (g.pos == bad)
    EXPECT_NE(msg.find("send_counts: entry 0 is negative (-2)"),
              std::string::npos)
        << msg;
  else
    EXPECT_NE(msg.find("member 1 (world rank 1) passed invalid send counts"),
              std::string::npos)
        << msg;
  // The group is still usable.
  HostTensor<int64_t> ok({n}, 1), got({n}, 0);
  int64_t total = 0;
  EXPECT_OK(
      mfrt_comm_all_to_all_recv_rows(g.handle, ok.desc(), got.desc(), &total));
  EXPECT_EQ(total, n);
}

} // namespace
