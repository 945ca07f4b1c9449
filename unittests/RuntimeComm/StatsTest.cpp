//===- StatsTest.cpp - exact byte counters per group and op kind ----------===//
//
// The counters back the communication report, so they are checked exactly
// against the byte model of docs/comm.md, including the folded-dispatch
// identity: with balanced routing, each direction of the ep all_to_all moves
// T*k*H*b*(ep-1)/ep bytes per rank.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

using namespace comm_test;

namespace {

mfrt_comm_stats stats(const mfrt_comm_group *g, int op) {
  mfrt_comm_stats s{-1, -1, -1};
  EXPECT_OK(mfrt_comm_stats_get(g, op, &s));
  return s;
}

void expectStats(const mfrt_comm_group *g, int op, int64_t calls, int64_t sent,
                 int64_t received) {
  SCOPED_TRACE(std::string(mfrt_comm_group_name(g)) + " " +
               mfrt_comm_op_name(op));
  mfrt_comm_stats s = stats(g, op);
  EXPECT_EQ(s.calls, calls);
  EXPECT_EQ(s.bytes_sent, sent);
  EXPECT_EQ(s.bytes_received, received);
}

TEST(CommStats, EveryOpKindIsCountedExactly) {
  for (const TestGroup &g : testGroups()) {
    SCOPED_TRACE(g.name);
    int64_t n = static_cast<int64_t>(g.members.size());
    mfrt_comm_stats_reset();
    for (int op = 0; op < MFRT_COMM_NUM_OPS; ++op)
      expectStats(g.handle, op, 0, 0, 0);

    // all_reduce of 3x5 f32 (60 bytes): 2(n-1)/n * 60, rounded down.
    HostTensor<float> a({3, 5}, 1.0f);
    EXPECT_OK(
        mfrt_comm_all_reduce(g.handle, nullptr, a.desc(), MFRT_REDUCE_SUM));
    EXPECT_OK(
        mfrt_comm_all_reduce(g.handle, nullptr, a.desc(), MFRT_REDUCE_MAX));
    int64_t ar = 2 * (n - 1) * 60 / n;
    expectStats(g.handle, MFRT_COMM_ALL_REDUCE, 2, 2 * ar, 2 * ar);

    // all_gather of a 2x3 f64 shard (48 bytes): (n-1) shards each way.
    HostTensor<double> shard({2, 3}), full({2, 3 * n});
    EXPECT_OK(mfrt_comm_all_gather(g.handle, shard.desc(), full.desc(), 1));
    expectStats(g.handle, MFRT_COMM_ALL_GATHER, 1, (n - 1) * 48, (n - 1) * 48);

    // reduce_scatter to a 2x3 i32 block (24 bytes): (n-1) blocks each way.
    HostTensor<int32_t> whole({2 * n, 3}), block({2, 3});
    EXPECT_OK(mfrt_comm_reduce_scatter(g.handle, whole.desc(), block.desc(), 0,
                                       MFRT_REDUCE_SUM));
    expectStats(g.handle, MFRT_COMM_REDUCE_SCATTER, 1, (n - 1) * 24,
                (n - 1) * 24);

    // broadcast of 7 i64 (56 bytes) from position 0: the root sends it
    // once, every other member receives it.
    HostTensor<int64_t> b({7});
    EXPECT_OK(mfrt_comm_broadcast(g.handle, b.desc(), 0));
    bool root = g.pos == 0;
    expectStats(g.handle, MFRT_COMM_BROADCAST, 1, root && n > 1 ? 56 : 0,
                root ? 0 : 56);

    // Counts exchange: one int64 to and from every other member.
    HostTensor<int64_t> sc({n}, 1), rc({n});
    int64_t total = 0;
    EXPECT_OK(
        mfrt_comm_all_to_all_recv_rows(g.handle, sc.desc(), rc.desc(), &total));
    expectStats(g.handle, MFRT_COMM_ALL_TO_ALL_COUNTS, 1, 8 * (n - 1),
                8 * (n - 1));
    // One row of 4 f32 to every member, self included: self is no traffic.
    HostTensor<float> rows({n, 4}), got({total, 4});
    EXPECT_OK(mfrt_comm_all_to_all(g.handle, rows.desc(), sc.desc(), got.desc(),
                                   rc.desc()));
    expectStats(g.handle, MFRT_COMM_ALL_TO_ALL, 1, 16 * (n - 1), 16 * (n - 1));

    EXPECT_OK(mfrt_comm_barrier(g.handle));
    expectStats(g.handle, MFRT_COMM_BARRIER, 1, 0, 0);

    // Wildcards: all kinds of this group; this group's share of the total.
    int64_t sent = 2 * ar + (n - 1) * 48 + (n - 1) * 24 +
                   (root && n > 1 ? 56 : 0) + 8 * (n - 1) + 16 * (n - 1);
    int64_t recv = 2 * ar + (n - 1) * 48 + (n - 1) * 24 + (root ? 0 : 56) +
                   8 * (n - 1) + 16 * (n - 1);
    expectStats(g.handle, MFRT_COMM_ANY_OP, 8, sent, recv);
    expectStats(nullptr, MFRT_COMM_ANY_OP, 8, sent, recv);

    // Failed calls count nothing.
    HostTensor<float> wrong({3});
    EXPECT_NE(mfrt_comm_all_gather(g.handle, wrong.desc(), wrong.desc(), 0),
              MFRT_OK);
    expectStats(g.handle, MFRT_COMM_ALL_GATHER, 1, (n - 1) * 48, (n - 1) * 48);

    mfrt_comm_stats_reset();
    expectStats(nullptr, MFRT_COMM_ANY_OP, 0, 0, 0);
  }
}

// Folded dispatch (DESIGN.md §5): T tokens per rank after the TP split, top-k
// copies routed evenly over the ep members, H hidden, b bytes per element.
// Dispatch and the inverse (combine) each move T*k*H*b*(ep-1)/ep bytes per
// rank and direction.
TEST(CommStats, FoldedDispatchMovesTkHbEpMinusOneOverEp) {
  const int64_t T = 8, k = 2, H = 4, b = sizeof(float);
  for (const TestGroup &g : testGroups()) {
    if (g.name.find("expert.ep") == std::string::npos)
      continue;
    SCOPED_TRACE(g.name);
    int64_t ep = static_cast<int64_t>(g.members.size());
    ASSERT_EQ(T * k % ep, 0);
    // Copy c = t*k + j goes to member c % ep: T*k/ep copies per member.
    HostTensor<int64_t> sendCounts({ep}, T * k / ep), recvCounts({ep});
    HostTensor<float> tokens({T * k, H}, 1.0f);
    mfrt_comm_stats_reset();
    int64_t rows = 0;
    EXPECT_OK(mfrt_comm_all_to_all_recv_rows(g.handle, sendCounts.desc(),
                                             recvCounts.desc(), &rows));
    EXPECT_EQ(rows, T * k);
    HostTensor<float> dispatched({rows, H}), combined({T * k, H});
    EXPECT_OK(mfrt_comm_all_to_all(g.handle, tokens.desc(), sendCounts.desc(),
                                   dispatched.desc(), recvCounts.desc()));
    int64_t perDirection = T * k * H * b * (ep - 1) / ep;
    expectStats(g.handle, MFRT_COMM_ALL_TO_ALL, 1, perDirection, perDirection);
    EXPECT_OK(mfrt_comm_all_to_all(g.handle, dispatched.desc(),
                                   recvCounts.desc(), combined.desc(),
                                   sendCounts.desc()));
    expectStats(g.handle, MFRT_COMM_ALL_TO_ALL, 2, 2 * perDirection,
                2 * perDirection);
  }
  mfrt_comm_stats_reset();
}

TEST(CommStats, JsonReport) {
  const TestGroup &g = testGroups().back();
  mfrt_comm_stats_reset();
  HostTensor<double> t({4}, 1.0);
  EXPECT_OK(mfrt_comm_all_reduce(g.handle, nullptr, t.desc(), MFRT_REDUCE_SUM));
  int64_t n = static_cast<int64_t>(g.members.size());
  int64_t bytes = 2 * (n - 1) * 32 / n;
  int64_t len = mfrt_comm_stats_json(nullptr, 0);
  ASSERT_GT(len, 0);
  std::string json(static_cast<size_t>(len) + 1, '\0');
  EXPECT_EQ(mfrt_comm_stats_json(&json[0], json.size()), len);
  json.resize(static_cast<size_t>(len));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  std::string head = "{\"rank\":" + std::to_string(myRank()) +
                     ",\"world\":" + std::to_string(worldSize()) +
                     ",\"groups\":[{\"name\":\"world\"";
  EXPECT_EQ(json.rfind(head, 0), 0u) << json;
  std::string entry = "{\"name\":\"" + g.name +
                      "\",\"size\":" + std::to_string(n) +
                      ",\"rank\":" + std::to_string(g.pos) +
                      ",\"ops\":{\"all_reduce\":{\"calls\":1,\"bytes_sent\":" +
                      std::to_string(bytes) +
                      ",\"bytes_received\":" + std::to_string(bytes) + "}}}";
  EXPECT_NE(json.find(entry), std::string::npos) << json;
  // Truncation behaves like snprintf.
  char small[8];
  EXPECT_EQ(mfrt_comm_stats_json(small, sizeof(small)), len);
  EXPECT_STREQ(small, json.substr(0, 7).c_str());
  mfrt_comm_stats_reset();
}

TEST(CommStats, QueryValidation) {
  mfrt_comm_stats s;
  EXPECT_STATUS(mfrt_comm_stats_get(nullptr, MFRT_COMM_ANY_OP, nullptr),
                MFRT_ERROR_INVALID_ARGUMENT, "out: NULL pointer");
  EXPECT_STATUS(mfrt_comm_stats_get(nullptr, MFRT_COMM_NUM_OPS, &s),
                MFRT_ERROR_INVALID_ARGUMENT,
                "op: 7 is neither an mfrt_comm_op nor MFRT_COMM_ANY_OP");
  int notAGroup = 0;
  EXPECT_STATUS(
      mfrt_comm_stats_get(reinterpret_cast<mfrt_comm_group *>(&notAGroup),
                          MFRT_COMM_ANY_OP, &s),
      MFRT_ERROR_INVALID_ARGUMENT, "not a live group");
  EXPECT_STREQ(mfrt_comm_op_name(MFRT_COMM_ALL_TO_ALL_COUNTS),
               "all_to_all_counts");
  EXPECT_STREQ(mfrt_comm_op_name(42), "unknown");
}

} // namespace
