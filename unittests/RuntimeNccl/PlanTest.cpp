//===- PlanTest.cpp - host-side plans of the NCCL backend -----------------===//
//
// What the NCCL backend decides on the host, checked without a GPU against
// independent models: ncclCommSplit's documented grouping (same colour, one
// communicator, ranked by key then world rank) applied to every rank's
// arguments; gathers and scatters along a dimension against element-wise
// index arithmetic; the ragged exchange by delivering every rank's sends to
// the matching receives; the polling loop with a fake clock.
//
//===----------------------------------------------------------------------===//

#include "Plan.h"

#include "CommInternal.h"
#include "MeshTables.h"
#include "TestIndex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <numeric>
#include <string>

using namespace mfrt::nccl;
using comm_test::flatten;
using comm_test::Group;
using comm_test::unflatten;

namespace {

/// The communicators ncclCommSplit forms from every rank's (colour, key):
/// ranks of one colour, ordered by key (ties by world rank); kNoColor ranks
/// get none.
std::map<int, Group> ncclSplit(const std::vector<SplitArgs> &args) {
  std::map<int, std::vector<std::pair<int, int64_t>>> byColour;
  for (size_t r = 0; r < args.size(); ++r)
    if (args[r].color != kNoColor)
      byColour[args[r].color].push_back({args[r].key, int64_t(r)});
  std::map<int, Group> out;
  for (auto &[colour, ranks] : byColour) {
    std::sort(ranks.begin(), ranks.end());
    for (auto &kr : ranks)
      out[colour].push_back(kr.second);
  }
  return out;
}

/// Every rank passes its own row; the split must rebuild the table, each
/// communicator in the row's order (so NCCL rank == group position).
void expectSplitRebuilds(const std::vector<Group> &table, int64_t world,
                         const std::string &what) {
  SCOPED_TRACE(what);
  std::vector<SplitArgs> args;
  for (int64_t r = 0; r < world; ++r) {
    const Group *row = nullptr;
    for (const Group &g : table)
      if (std::find(g.begin(), g.end(), r) != g.end())
        row = &g;
    ASSERT_NE(row, nullptr);
    args.push_back(splitArgs(row->data(), int64_t(row->size()), r));
    int64_t pos = std::find(row->begin(), row->end(), r) - row->begin();
    EXPECT_EQ(args.back().key, pos) << "rank " << r;
  }
  std::map<int, Group> comms = ncclSplit(args);
  ASSERT_EQ(comms.size(), table.size());
  for (const Group &row : table) {
    int colour = args[size_t(row[0])].color;
    EXPECT_EQ(comms[colour], row);
  }
}

TEST(NcclSplit, RebuildsEveryCompilerTable) {
  for (const comm_test::MeshTable &mesh : comm_test::meshTables())
    for (const comm_test::AxisTable &axis : mesh.axes)
      expectSplitRebuilds(axis.groups, mesh.world,
                          std::string(mesh.name) + "/" + axis.view + "." +
                              axis.axis);
}

TEST(NcclSplit, KeepsTheCompilersOrderOfUnsortedRows) {
  // The runtime never sorts a row: position 0 of {3, 1} is rank 3.
  expectSplitRebuilds({{3, 1}, {0, 2}}, 4, "{3,1},{0,2}");
  expectSplitRebuilds({{5, 4, 7, 6}, {2, 0, 1, 3}}, 8, "two rows of 4");
  SplitArgs a = splitArgs(std::vector<int64_t>{3, 1}.data(), 2, 3);
  EXPECT_EQ(a.color, 1); // the smallest member
  EXPECT_EQ(a.key, 0);
}

TEST(NcclSplit, RankOutsideItsListTakesNoPart) {
  std::vector<int64_t> row = {0, 2};
  EXPECT_EQ(splitArgs(row.data(), 2, 1).color, kNoColor);
  EXPECT_EQ(splitArgs(row.data(), 0, 0).color, kNoColor);
}

//===-- gathers and scatters along a dimension ---------------------------===//

/// cudaMemcpy2D on host memory.
void copy2D(char *dst, const char *src, const Copy2D &c) {
  for (int64_t row = 0; row < c.height; ++row)
    std::memcpy(dst + c.dstOffset + row * c.dstPitch,
                src + c.srcOffset + row * c.srcPitch, size_t(c.width));
}

mfrt_tensor descOf(const std::vector<int64_t> &shape, mfrt_dtype dtype) {
  mfrt_tensor t{};
  t.dtype = dtype;
  t.rank = int32_t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    t.shape[i] = shape[i];
  return t;
}

/// Elements are 16-bit (bf16-sized) labels: (member, flat index) -> value.
uint16_t label(int64_t member, int64_t j) { return uint16_t(member * 512 + j); }

void checkGather(std::vector<int64_t> piece, int32_t dim, int64_t n) {
  SCOPED_TRACE("gather dim " + std::to_string(dim) + " n " +
               std::to_string(n) + " piece rank " +
               std::to_string(piece.size()));
  int64_t pieceElems = std::accumulate(piece.begin(), piece.end(), int64_t(1),
                                       std::multiplies<int64_t>());
  std::vector<int64_t> whole = piece;
  whole[size_t(dim)] *= n;
  // What NCCL delivers: the members' pieces one after the other.
  std::vector<uint16_t> scratch(static_cast<size_t>(n * pieceElems));
  for (int64_t m = 0; m < n; ++m)
    for (int64_t j = 0; j < pieceElems; ++j)
      scratch[size_t(m * pieceElems + j)] = label(m, j);
  // The definition: out[..., m*d + i, ...] = piece of member m at [..., i,
  // ...].
  std::vector<uint16_t> want(scratch.size());
  for (int64_t f = 0; f < int64_t(want.size()); ++f) {
    std::vector<int64_t> idx = unflatten(f, whole);
    int64_t m = idx[size_t(dim)] / piece[size_t(dim)];
    idx[size_t(dim)] %= piece[size_t(dim)];
    want[size_t(f)] = label(m, flatten(idx, piece));
  }
  mfrt_tensor t = descOf(piece, MFRT_BF16);
  DimSplit s = dimSplit(&t, dim);
  if (contiguousBlocks(s, n)) {
    EXPECT_EQ(scratch, want) << "the direct path must be the gather";
    return;
  }
  std::vector<uint16_t> out(want.size(), 0xffff);
  for (int64_t m = 0; m < n; ++m)
    copy2D(reinterpret_cast<char *>(out.data()),
           reinterpret_cast<const char *>(scratch.data()),
           unpackGathered(s, n, m));
  EXPECT_EQ(out, want);
}

void checkScatter(std::vector<int64_t> piece, int32_t dim, int64_t n) {
  SCOPED_TRACE("scatter dim " + std::to_string(dim) + " n " +
               std::to_string(n) + " piece rank " +
               std::to_string(piece.size()));
  std::vector<int64_t> whole = piece;
  whole[size_t(dim)] *= n;
  int64_t wholeElems = std::accumulate(whole.begin(), whole.end(), int64_t(1),
                                       std::multiplies<int64_t>());
  int64_t pieceElems = wholeElems / n;
  std::vector<uint16_t> in(static_cast<size_t>(wholeElems));
  for (int64_t j = 0; j < wholeElems; ++j)
    in[size_t(j)] = label(0, j);
  // What NCCL must scatter: member m's block [..., m*d:(m+1)*d, ...] at
  // m * pieceElems.
  std::vector<uint16_t> want(in.size());
  for (int64_t m = 0; m < n; ++m)
    for (int64_t j = 0; j < pieceElems; ++j) {
      std::vector<int64_t> idx = unflatten(j, piece);
      idx[size_t(dim)] += m * piece[size_t(dim)];
      want[size_t(m * pieceElems + j)] = in[size_t(flatten(idx, whole))];
    }
  mfrt_tensor t = descOf(piece, MFRT_BF16);
  DimSplit s = dimSplit(&t, dim);
  if (contiguousBlocks(s, n)) {
    EXPECT_EQ(in, want) << "the direct path must be the scatter layout";
    return;
  }
  std::vector<uint16_t> scratch(in.size(), 0xffff);
  for (int64_t m = 0; m < n; ++m)
    copy2D(reinterpret_cast<char *>(scratch.data()),
           reinterpret_cast<const char *>(in.data()), packForScatter(s, n, m));
  EXPECT_EQ(scratch, want);
}

TEST(NcclDimSplit, GatherAndScatterAlongEveryDimension) {
  for (int64_t n : {1, 2, 3, 4})
    for (const std::vector<int64_t> &piece :
         {std::vector<int64_t>{5}, {2, 3}, {3, 1}, {2, 3, 4}, {1, 2, 2, 3}})
      for (int32_t d = 0; d < int32_t(piece.size()); ++d) {
        checkGather(piece, d, n);
        checkScatter(piece, d, n);
      }
}

TEST(NcclDimSplit, OuterAndBlockBytes) {
  mfrt_tensor t = descOf({2, 3, 4}, MFRT_F32);
  DimSplit s = dimSplit(&t, 1);
  EXPECT_EQ(s.outer, 2);
  EXPECT_EQ(s.blockBytes, 3 * 4 * 4);
  EXPECT_FALSE(contiguousBlocks(s, 2));
  EXPECT_TRUE(contiguousBlocks(dimSplit(&t, 0), 2));
  EXPECT_TRUE(contiguousBlocks(s, 1));
  mfrt_tensor empty = descOf({2, 0, 4}, MFRT_F64);
  EXPECT_TRUE(contiguousBlocks(dimSplit(&empty, 1), 4));
}

//===-- ragged all_to_all ------------------------------------------------===//

TEST(NcclRagged, OffsetsAndBytesOfOneRank) {
  // Rank 1 of 3 sends 2, 0, 3 rows and receives 1, 0, 4; rows of 8 bytes.
  std::vector<int64_t> send = {2, 0, 3}, recv = {1, 0, 4};
  RaggedPlan p = raggedPlan(send.data(), recv.data(), 3, 1, 8);
  ASSERT_EQ(p.sends.size(), 2u);
  EXPECT_EQ(p.sends[0].peer, 0);
  EXPECT_EQ(p.sends[0].offset, 0);
  EXPECT_EQ(p.sends[0].bytes, 16);
  EXPECT_EQ(p.sends[1].peer, 2);
  EXPECT_EQ(p.sends[1].offset, 16);
  EXPECT_EQ(p.sends[1].bytes, 24);
  ASSERT_EQ(p.recvs.size(), 2u);
  EXPECT_EQ(p.recvs[0].peer, 0);
  EXPECT_EQ(p.recvs[0].bytes, 8);
  EXPECT_EQ(p.recvs[1].peer, 2);
  EXPECT_EQ(p.recvs[1].offset, 8);
  EXPECT_EQ(p.recvs[1].bytes, 32);
  EXPECT_EQ(p.localBytes, 0);
  EXPECT_EQ(p.bytesSent, 40);
  EXPECT_EQ(p.bytesReceived, 40);
}

TEST(NcclRagged, RowsKeptAreOneLocalCopy) {
  std::vector<int64_t> send = {1, 2, 0}, recv = {3, 2, 1};
  RaggedPlan p = raggedPlan(send.data(), recv.data(), 3, 1, 4);
  EXPECT_EQ(p.localSrc, 4);
  EXPECT_EQ(p.localDst, 12);
  EXPECT_EQ(p.localBytes, 8);
  EXPECT_EQ(p.bytesSent, 4);
  EXPECT_EQ(p.bytesReceived, 16);
  ASSERT_EQ(p.sends.size(), 1u); // nothing to peer 2
  ASSERT_EQ(p.recvs.size(), 2u);
}

/// Every rank's plan from one count matrix rows[i][j] (i sends to j); the
/// sends delivered to the matching receives must leave on every rank the
/// rows of member 0, then 1, ..., each in the sender's order.
TEST(NcclRagged, DeliveringEveryPlanGivesTheExchange) {
  const int64_t n = 4, rowBytes = 2;
  const int64_t rows[n][n] = {
      {1, 0, 2, 3}, {0, 0, 0, 0}, {4, 1, 0, 2}, {0, 5, 1, 1}};
  std::vector<std::vector<uint8_t>> sendBuf(n), recvBuf(n);
  std::vector<RaggedPlan> plans;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> sc(rows[i], rows[i] + n), rc(n);
    for (int64_t j = 0; j < n; ++j)
      rc[size_t(j)] = rows[j][i];
    // Each row: (sender, destination) bytes; capacity + 2 spare rows.
    for (int64_t j = 0; j < n; ++j)
      for (int64_t k = 0; k < rows[i][j]; ++k) {
        sendBuf[size_t(i)].push_back(uint8_t(i * 16 + j));
        sendBuf[size_t(i)].push_back(uint8_t(k));
      }
    int64_t recvRows = std::accumulate(rc.begin(), rc.end(), int64_t(0));
    recvBuf[size_t(i)].assign(size_t((recvRows + 2) * rowBytes), 0xee);
    plans.push_back(raggedPlan(sc.data(), rc.data(), n, i, rowBytes));
  }
  for (int64_t i = 0; i < n; ++i) {
    const RaggedPlan &p = plans[size_t(i)];
    std::memcpy(recvBuf[size_t(i)].data() + p.localDst,
                sendBuf[size_t(i)].data() + p.localSrc, size_t(p.localBytes));
    for (const Transfer &s : p.sends) {
      const RaggedPlan &q = plans[size_t(s.peer)];
      auto match = std::find_if(q.recvs.begin(), q.recvs.end(),
                                [&](const Transfer &r) { return r.peer == i; });
      ASSERT_NE(match, q.recvs.end()) << i << " -> " << s.peer;
      ASSERT_EQ(match->bytes, s.bytes) << i << " -> " << s.peer;
      std::memcpy(recvBuf[size_t(s.peer)].data() + match->offset,
                  sendBuf[size_t(i)].data() + s.offset, size_t(s.bytes));
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    std::vector<uint8_t> want;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < rows[i][j]; ++k) {
        want.push_back(uint8_t(i * 16 + j));
        want.push_back(uint8_t(k));
      }
    want.resize(recvBuf[size_t(j)].size(), 0xee); // spare rows untouched
    EXPECT_EQ(recvBuf[size_t(j)], want) << "rank " << j;
    // The MPI backend's counters: rows to and from others, rows kept.
    int64_t sent = 0, received = 0;
    for (int64_t k = 0; k < n; ++k)
      if (k != j) {
        sent += rows[j][k] * rowBytes;
        received += rows[k][j] * rowBytes;
      }
    EXPECT_EQ(plans[size_t(j)].bytesSent, sent);
    EXPECT_EQ(plans[size_t(j)].bytesReceived, received);
    EXPECT_EQ(plans[size_t(j)].localBytes, rows[j][j] * rowBytes);
  }
}

TEST(NcclRagged, CountChecksNameTheEntry) {
  // An ArgChecker keeps its first failure: one per check.
  int64_t sum = -1;
  std::vector<int64_t> good = {1, 0, 2};
  mfrt::ArgChecker ok("mfrt_comm_all_to_all");
  EXPECT_TRUE(checkCounts(ok, good.data(), 3, "send_counts", 3, "send", &sum));
  EXPECT_EQ(sum, 3);
  EXPECT_EQ(ok.status(), MFRT_OK);

  mfrt::ArgChecker over("mfrt_comm_all_to_all");
  EXPECT_FALSE(checkCounts(over, good.data(), 3, "send_counts", 2, "send",
                           &sum));
  EXPECT_EQ(over.status(), MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mfrt_last_error(), "mfrt_comm_all_to_all: send_counts: rows "
                                  "sum to 3 but send has 2 rows");

  mfrt::ArgChecker negative("mfrt_comm_all_to_all");
  std::vector<int64_t> bad = {1, -4, 2};
  EXPECT_FALSE(checkCounts(negative, bad.data(), 3, "recv_counts", -1, "",
                           &sum));
  EXPECT_STREQ(mfrt_last_error(), "mfrt_comm_all_to_all: recv_counts: entry "
                                  "1 is negative (-4)");

  std::vector<int64_t> recv = {1, 1, 2};
  mfrt::ArgChecker self("mfrt_comm_all_to_all");
  EXPECT_TRUE(checkSelfRows(self, good.data(), recv.data(), 2));
  EXPECT_FALSE(checkSelfRows(self, good.data(), recv.data(), 1));
  EXPECT_NE(std::string(mfrt_last_error())
                .find("send_counts[1] = 0 but recv_counts[1] = 1"),
            std::string::npos)
      << mfrt_last_error();
}

//===-- bounded waits -----------------------------------------------------===//

TEST(NcclWait, DoneFailedAndTimedOut) {
  double clock = 0;
  int probes = 0;
  auto now = [&] { return clock; };
  auto tick = [&] { clock += 0.25; };
  auto doneAfter = [&](int k) {
    return [&probes, k] {
      return ++probes >= k ? Poll::Done : Poll::Pending;
    };
  };
  EXPECT_EQ(pollUntil(doneAfter(3), now, tick, 10.0), Waited::Done);
  EXPECT_EQ(probes, 3);
  probes = 0;
  clock = 0;
  EXPECT_EQ(pollUntil([] { return Poll::Failed; }, now, tick, 10.0),
            Waited::Failed);
  // 2 s at 0.25 s per probe: probe k runs at (k - 1) * 0.25 s; the 10th,
  // at 2.25 s, is the first past the limit.
  EXPECT_EQ(pollUntil(doneAfter(1000), now, tick, 2.0), Waited::TimedOut);
  EXPECT_EQ(probes, 10);
  // No timeout: it waits as long as it takes.
  probes = 0;
  clock = 0;
  EXPECT_EQ(pollUntil(doneAfter(500), now, tick, 0.0), Waited::Done);
  EXPECT_EQ(clock, 499 * 0.25);
}

//===-- byte model shared with the MPI backend ----------------------------===//

TEST(NcclByteModel, MatchesDocsCommTable) {
  using namespace mfrt::comm::byteModel;
  // docs/comm.md, "Byte accounting", S = 1000 bytes, n = 4.
  EXPECT_EQ(allReduce(4, 1000), 1500);  // floor(2*3*1000/4)
  EXPECT_EQ(allReduce(3, 1000), 1333);  // floor(4000/3)
  EXPECT_EQ(allReduce(1, 1000), 0);
  EXPECT_EQ(allGather(4, 1000), 3000);
  EXPECT_EQ(reduceScatter(4, 250), 750);
  EXPECT_EQ(broadcast(4, 1000), 1000);
  EXPECT_EQ(broadcast(1, 1000), 0);
  EXPECT_EQ(countExchange(4), 24);
}

} // namespace
