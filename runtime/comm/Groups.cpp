//===- Groups.cpp - axis groups from the compiler's tables ----------------===//
//
// The compiler computes every rank group (docs/placement.md); the runtime
// only turns the table into communicators and checks that the ranks agree.
// mfrt_comm_create_group is collective over the world: each rank passes its
// own group, MPI_Comm_split puts ranks with the same colour (the group's
// smallest member) together, ordered by their position in the list.
//
// Failures are made collective: every check's outcome is agreed on over the
// world, and the failing rank's message is broadcast, so that all ranks
// return the same status with the same text instead of some of them waiting
// in the next collective.
//
//===----------------------------------------------------------------------===//

#include "CommInternal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace mfrt;
using namespace mfrt::comm;

namespace {

const char *const kFn = "mfrt_comm_create_group";

/// Writes "{a,b,c}" (shortened past 16 members) into buf.
void formatMembers(const int64_t *m, int64_t n, char *buf, size_t size) {
  size_t used = static_cast<size_t>(std::snprintf(buf, size, "{"));
  for (int64_t i = 0; i < n && used < size; ++i) {
    if (i == 16) {
      used += static_cast<size_t>(std::snprintf(buf + used, size - used,
                                                ",... (%lld in all)",
                                                static_cast<long long>(n)));
      break;
    }
    used += static_cast<size_t>(std::snprintf(buf + used, size - used, "%s%lld",
                                              i ? "," : "",
                                              static_cast<long long>(m[i])));
  }
  if (used < size)
    std::snprintf(buf + used, size - used, "}");
}

/// 62-bit FNV-1a of the name, so that its negation is representable.
int64_t nameHash(const char *name) {
  uint64_t h = 1469598103934665603ull;
  for (const char *p = name ? name : ""; *p; ++p) {
    h ^= static_cast<unsigned char>(*p);
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h >> 2);
}

/// Agrees over the world on whether any rank failed a check. When one did,
/// every rank records the first failing rank's message and the call returns
/// INVALID_ARGUMENT on all of them.
mfrt_status agree(bool failedHere) {
  const State &st = state();
  const mfrt_comm_group *world = st.groups.front();
  mfrt_status s = MFRT_OK;
  int64_t failing =
      firstFailingRank(world->comm, failedHere, st.rank, &s, kFn, world);
  if (s != MFRT_OK)
    return s;
  if (failing < 0)
    return MFRT_OK;
  char msg[1024];
  std::snprintf(msg, sizeof(msg), "%s", mfrt_last_error());
  {
    WatchdogScope watch("mfrt_comm_create_group (error broadcast)", world);
    s = mpiCheck(MPI_Bcast(msg, sizeof(msg), MPI_CHAR,
                           static_cast<int>(failing), world->comm),
                 kFn, world, "MPI_Bcast (error message)");
  }
  if (s != MFRT_OK)
    return s;
  msg[sizeof(msg) - 1] = '\0';
  return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s", msg);
}

/// The local checks; false after recording "fn: group 'x': on rank r: ...".
bool checkLocal(const char *name, const int64_t *members, int64_t n,
                mfrt_comm_group **out) {
  const State &st = state();
  const char *label = name ? name : "(null)";
  auto fail = [&](const char *fmt, auto... args) {
    char reason[768];
    std::snprintf(reason, sizeof(reason), fmt, args...);
    setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: group '%s': on rank %lld: %s",
             kFn, label, static_cast<long long>(st.rank), reason);
    return false;
  };
  if (!out)
    return fail("%s", "out: NULL pointer");
  if (!name || !*name)
    return fail("%s", "name: NULL or empty");
  if (n < 1 || n > st.world)
    return fail("n: expected a group size in [1, %lld], got %lld",
                static_cast<long long>(st.world), static_cast<long long>(n));
  if (!members)
    return fail("%s", "members: NULL pointer");
  char list[512];
  formatMembers(members, n, list, sizeof(list));
  bool self = false;
  for (int64_t i = 0; i < n; ++i) {
    if (members[i] < 0 || members[i] >= st.world)
      return fail("members[%lld] = %lld is outside the world [0, %lld) in %s",
                  static_cast<long long>(i), static_cast<long long>(members[i]),
                  static_cast<long long>(st.world), list);
    for (int64_t j = 0; j < i; ++j)
      if (members[j] == members[i])
        return fail("members[%lld] = %lld repeats members[%lld] in %s",
                    static_cast<long long>(i),
                    static_cast<long long>(members[i]),
                    static_cast<long long>(j), list);
    self |= members[i] == st.rank;
  }
  if (!self)
    return fail("this rank is not in its own member list %s", list);
  for (const mfrt_comm_group *g : st.groups)
    if (g->name == name)
      return fail("a group named '%s' already exists", name);
  return true;
}

} // namespace

extern "C" mfrt_status mfrt_comm_create_group(const char *name,
                                              const int64_t *members, int64_t n,
                                              mfrt_comm_group **out) {
  State &st = state();
  if (!st.initialized)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: comm backend not initialised (call mfrt_comm_init "
                    "first)",
                    kFn);
  const mfrt_comm_group *world = st.groups.front();
  bool ok = checkLocal(name, members, n, out);
  mfrt_status s = agree(!ok);
  if (s != MFRT_OK)
    return s;

  // Every rank must be creating the same group.
  int64_t h[2] = {nameHash(name), -nameHash(name)};
  {
    WatchdogScope watch("mfrt_comm_create_group (name check)", world);
    s = mpiCheck(
        MPI_Allreduce(MPI_IN_PLACE, h, 2, MPI_INT64_T, MPI_MIN, world->comm),
        kFn, world, "MPI_Allreduce (name check)");
  }
  if (s != MFRT_OK)
    return s;
  if (h[0] != -h[1])
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "%s: group '%s': ranks disagree on the group name; every "
                    "rank must create the same groups in the same order",
                    kFn, name);

  int64_t colour = *std::min_element(members, members + n);
  int64_t key = std::find(members, members + n, st.rank) - members;
  MPI_Comm comm = MPI_COMM_NULL;
  {
    WatchdogScope watch("mfrt_comm_create_group (MPI_Comm_split)", world);
    s = mpiCheck(MPI_Comm_split(world->comm, static_cast<int>(colour),
                                static_cast<int>(key), &comm),
                 kFn, world, "MPI_Comm_split");
  }
  if (s != MFRT_OK)
    return s;
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);

  // The ranks that share a colour must have passed the same ordered list:
  // compare everyone's with the list of the communicator's first rank.
  int commSize = 0, commRank = 0;
  MPI_Comm_size(comm, &commSize);
  MPI_Comm_rank(comm, &commRank);
  std::vector<int64_t> first(members, members + n);
  int64_t firstN = n, firstWorldRank = st.rank;
  {
    WatchdogScope watch("mfrt_comm_create_group (list check)", world);
    int64_t head[2] = {n, st.rank};
    s = mpiCheck(MPI_Bcast(head, 2, MPI_INT64_T, 0, comm), kFn, world,
                 "MPI_Bcast (member count)");
    firstN = head[0];
    firstWorldRank = head[1];
    if (s == MFRT_OK) {
      first.resize(static_cast<size_t>(firstN));
      s = mpiCheck(MPI_Bcast(first.data(), static_cast<int>(firstN),
                             MPI_INT64_T, 0, comm),
                   kFn, world, "MPI_Bcast (member list)");
    }
  }
  if (s != MFRT_OK) {
    MPI_Comm_free(&comm);
    return s;
  }
  bool consistent = true;
  char mine[512], theirs[512];
  formatMembers(members, n, mine, sizeof(mine));
  formatMembers(first.data(), firstN, theirs, sizeof(theirs));
  if (firstN != n || !std::equal(members, members + n, first.begin())) {
    consistent = false;
    setError(MFRT_ERROR_INVALID_ARGUMENT,
             "%s: group '%s': rank %lld lists members %s but rank %lld lists "
             "%s for the same group (the ranks of one group must pass the "
             "same list in the same order)",
             kFn, name, static_cast<long long>(st.rank), mine,
             static_cast<long long>(firstWorldRank), theirs);
  } else if (commSize != n) {
    consistent = false;
    setError(MFRT_ERROR_INVALID_ARGUMENT,
             "%s: group '%s': rank %lld lists %lld members %s but %d rank(s) "
             "named %lld as their smallest member (the groups of one call "
             "must partition the world)",
             kFn, name, static_cast<long long>(st.rank),
             static_cast<long long>(n), mine, commSize,
             static_cast<long long>(colour));
  }
  s = agree(!consistent);
  if (s != MFRT_OK) {
    MPI_Comm_free(&comm);
    return s;
  }

  auto *g = new mfrt_comm_group;
  g->name = name;
  g->comm = comm;
  g->size = n;
  g->rank = commRank;
  g->members.assign(members, members + n);
  st.groups.push_back(g);
  *out = g;
  return MFRT_OK;
}

extern "C" mfrt_comm_group *mfrt_comm_world_group(void) {
  const State &st = state();
  return st.initialized ? st.groups.front() : nullptr;
}

extern "C" mfrt_comm_group *mfrt_comm_find_group(const char *name) {
  if (!name)
    return nullptr;
  for (mfrt_comm_group *g : state().groups)
    if (g->name == name)
      return g;
  return nullptr;
}

extern "C" int64_t mfrt_comm_group_count(void) {
  return static_cast<int64_t>(state().groups.size());
}

extern "C" mfrt_comm_group *mfrt_comm_group_at(int64_t index) {
  const State &st = state();
  if (index < 0 || index >= static_cast<int64_t>(st.groups.size()))
    return nullptr;
  return st.groups[static_cast<size_t>(index)];
}

extern "C" const char *mfrt_comm_group_name(const mfrt_comm_group *group) {
  return group ? group->name.c_str() : "";
}

extern "C" int64_t mfrt_comm_group_size(const mfrt_comm_group *group) {
  return group ? group->size : -1;
}

extern "C" int64_t mfrt_comm_group_rank(const mfrt_comm_group *group) {
  return group ? group->rank : -1;
}

extern "C" int64_t mfrt_comm_group_member(const mfrt_comm_group *group,
                                          int64_t index) {
  if (!group || index < 0 || index >= group->size)
    return -1;
  return group->members[static_cast<size_t>(index)];
}
