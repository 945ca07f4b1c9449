//===- GroupTest.cpp - the group construction contract --------------------===//
//
// mfrt_comm_create_group takes each rank's own group from the compiler's
// table. Bad lists must fail on EVERY rank with the same message (the
// failing rank's reason), never leave some ranks waiting, and leave the
// existing groups usable.
//
//===----------------------------------------------------------------------===//

#include "CommTestUtil.h"

using namespace comm_test;

namespace {

/// Calls create_group with per-rank arguments and checks the collective
/// failure: INVALID_ARGUMENT everywhere, `needle` in the message, the same
/// message on all ranks, no group added.
void expectCollectiveFailure(const char *name, const Group &members,
                             const char *needle) {
  SCOPED_TRACE(std::string("create_group '") + name + "'");
  int64_t before = mfrt_comm_group_count();
  mfrt_comm_group *out = nullptr;
  mfrt_clear_last_error();
  mfrt_status s = mfrt_comm_create_group(
      name, members.data(), static_cast<int64_t>(members.size()), &out);
  std::string msg = mfrt_last_error();
  EXPECT_EQ(s, MFRT_ERROR_INVALID_ARGUMENT) << msg;
  EXPECT_EQ(out, nullptr);
  EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  EXPECT_NE(msg.find("mfrt_comm_create_group: group '"), std::string::npos)
      << msg;
  EXPECT_TRUE(sameOnAllRanks(msg))
      << "ranks report different messages: " << msg;
  EXPECT_EQ(mfrt_comm_group_count(), before);
}

TEST(CommGroups, TablesBuildCommunicators) {
  // Every mesh of this world size: sizes, positions and members as written.
  int64_t meshes = 0;
  for (const TestGroup &g : testGroups()) {
    SCOPED_TRACE(g.name);
    ASSERT_NE(g.handle, nullptr);
    EXPECT_EQ(mfrt_comm_group_size(g.handle),
              static_cast<int64_t>(g.members.size()));
    EXPECT_EQ(mfrt_comm_group_rank(g.handle), g.pos);
    EXPECT_EQ(g.members[static_cast<size_t>(g.pos)], myRank());
    ++meshes;
  }
  EXPECT_GE(meshes, 5) << "world plus at least one mesh's four axes";
}

TEST(CommGroups, CallerMissingFromItsList) {
  if (worldSize() < 2)
    GTEST_SKIP() << "needs two ranks";
  // Rank 0 passes a list without itself; the others pass valid singletons.
  Group members = myRank() == 0 ? Group{1} : Group{myRank()};
  expectCollectiveFailure("bad-missing", members,
                          "on rank 0: this rank is not in its own member "
                          "list {1}");
}

TEST(CommGroups, MemberOutOfRange) {
  // On one rank a second member would first exceed the world size.
  bool pair = worldSize() > 1;
  Group members = pair ? Group{myRank(), worldSize()} : Group{worldSize()};
  std::string needle = std::string(pair ? "members[1] = " : "members[0] = ") +
                       std::to_string(worldSize()) +
                       " is outside the world [0, " +
                       std::to_string(worldSize()) + ")";
  expectCollectiveFailure("bad-range", members, needle.c_str());
  expectCollectiveFailure("bad-negative",
                          pair ? Group{-1, myRank()} : Group{-1},
                          "members[0] = -1 is outside the world");
}

TEST(CommGroups, DuplicateMember) {
  if (worldSize() < 2)
    GTEST_SKIP() << "a two-member list does not fit a world of one";
  expectCollectiveFailure("bad-dup", {myRank(), myRank()},
                          "repeats members[0]");
}

TEST(CommGroups, NullAndEmptyArguments) {
  int64_t me = myRank();
  mfrt_comm_group *out = nullptr;
  // Same bad call on every rank: still agreed on collectively.
  mfrt_clear_last_error();
  EXPECT_EQ(mfrt_comm_create_group("bad-null", nullptr, 1, &out),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("members: NULL pointer"),
            std::string::npos)
      << mfrt_last_error();
  EXPECT_EQ(mfrt_comm_create_group("bad-out", &me, 1, nullptr),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("out: NULL pointer"),
            std::string::npos);
  EXPECT_EQ(mfrt_comm_create_group(nullptr, &me, 1, &out),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("name: NULL or empty"),
            std::string::npos);
  EXPECT_EQ(mfrt_comm_create_group("bad-zero", &me, 0, &out),
            MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mfrt_last_error()).find("n: expected a group size in"),
            std::string::npos);
  // Only one rank passes a bad pointer: all fail, with that rank's reason.
  if (worldSize() > 1) {
    mfrt_status s = mfrt_comm_create_group("bad-one-null",
                                           me == 1 ? nullptr : &me, 1, &out);
    EXPECT_EQ(s, MFRT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(
        std::string(mfrt_last_error()).find("on rank 1: members: NULL pointer"),
        std::string::npos)
        << mfrt_last_error();
  }
}

// The ranks of one group list it in different orders: positions (and thus
// every gather/scatter block) would be ambiguous.
TEST(CommGroups, MembersOfOneGroupDisagreeOnOrder) {
  if (worldSize() < 2)
    GTEST_SKIP() << "needs two ranks";
  int64_t me = myRank();
  int64_t pairFirst = me - me % 2;
  Group members = {pairFirst, pairFirst + 1};
  if (pairFirst + 1 >= worldSize())
    members = {me};
  else if (me % 2 == 1)
    members = {pairFirst + 1, pairFirst}; // the odd rank reverses
  expectCollectiveFailure("bad-order", members,
                          "rank 1 lists members {1,0} but rank 0 lists {0,1} "
                          "for the same group");
}

// Rank 0 claims {0,1} while rank 1 claims only itself: the lists do not
// partition the world.
TEST(CommGroups, GroupsDoNotPartitionTheWorld) {
  if (worldSize() < 2)
    GTEST_SKIP() << "needs two ranks";
  Group members = myRank() == 0 ? Group{0, 1} : Group{myRank()};
  expectCollectiveFailure("bad-partition", members,
                          "rank 0 lists 2 members {0,1} but 1 rank(s) named "
                          "0 as their smallest member");
}

TEST(CommGroups, RanksDisagreeOnTheName) {
  if (worldSize() < 2)
    GTEST_SKIP() << "needs two ranks";
  Group members = {myRank()};
  int64_t before = mfrt_comm_group_count();
  mfrt_comm_group *out = nullptr;
  mfrt_status s = mfrt_comm_create_group(
      myRank() == 1 ? "bad-name-a" : "bad-name-b", members.data(), 1, &out);
  EXPECT_EQ(s, MFRT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(
      std::string(mfrt_last_error()).find("ranks disagree on the group name"),
      std::string::npos)
      << mfrt_last_error();
  EXPECT_EQ(mfrt_comm_group_count(), before);
}

TEST(CommGroups, DuplicateNameIsRejected) {
  Group members = {myRank()};
  mfrt_comm_group *first = nullptr;
  EXPECT_OK(mfrt_comm_create_group("singletons", members.data(), 1, &first));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(mfrt_comm_group_size(first), 1);
  expectCollectiveFailure("singletons", members,
                          "a group named 'singletons' already exists");
  expectCollectiveFailure("world", members,
                          "a group named 'world' already exists");
  // The existing groups still work after the failures.
  HostTensor<int64_t> t({1}, 1);
  EXPECT_OK(mfrt_comm_all_reduce(first, nullptr, t.desc(), MFRT_REDUCE_SUM));
  EXPECT_EQ(t[0], 1);
  EXPECT_OK(mfrt_comm_all_reduce(mfrt_comm_world_group(), nullptr, t.desc(),
                                 MFRT_REDUCE_SUM));
  EXPECT_EQ(t[0], worldSize());
}

// A group whose order is not sorted: positions follow the list, not the
// rank numbers (the compiler's order is authoritative).
TEST(CommGroups, PositionFollowsListOrder) {
  int64_t w = worldSize();
  Group reversed;
  for (int64_t r = w - 1; r >= 0; --r)
    reversed.push_back(r);
  mfrt_comm_group *g = nullptr;
  EXPECT_OK(mfrt_comm_create_group("world-reversed", reversed.data(), w, &g));
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(mfrt_comm_group_rank(g), w - 1 - myRank());
  EXPECT_EQ(mfrt_comm_group_member(g, 0), w - 1);
  // Gather the world ranks: block i holds member i's rank.
  HostTensor<int64_t> in({1}, myRank()), out({w});
  EXPECT_OK(mfrt_comm_all_gather(g, in.desc(), out.desc(), 0));
  for (int64_t i = 0; i < w; ++i)
    EXPECT_EQ(out[i], w - 1 - i);
}

} // namespace
