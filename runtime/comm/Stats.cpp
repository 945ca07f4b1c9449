//===- Stats.cpp - per-group, per-op byte accounting ----------------------===//
//
// Every successful collective adds one call and its bytes to the counters of
// (group, op kind); see docs/comm.md for the byte model of each kind. These
// back the communication report, e.g. the check that folded dispatch moves
// T*k*H*b*(ep-1)/ep bytes per direction.
//
//===----------------------------------------------------------------------===//

#include "CommInternal.h"

#include <cstdio>

using namespace mfrt;
using namespace mfrt::comm;

extern "C" const char *mfrt_comm_op_name(int op) {
  switch (op) {
  case MFRT_COMM_ALL_REDUCE:
    return "all_reduce";
  case MFRT_COMM_ALL_GATHER:
    return "all_gather";
  case MFRT_COMM_REDUCE_SCATTER:
    return "reduce_scatter";
  case MFRT_COMM_ALL_TO_ALL:
    return "all_to_all";
  case MFRT_COMM_ALL_TO_ALL_COUNTS:
    return "all_to_all_counts";
  case MFRT_COMM_BROADCAST:
    return "broadcast";
  case MFRT_COMM_BARRIER:
    return "barrier";
  default:
    return "unknown";
  }
}

extern "C" mfrt_status mfrt_comm_stats_get(const mfrt_comm_group *group, int op,
                                           mfrt_comm_stats *out) {
  const char *fn = "mfrt_comm_stats_get";
  ArgChecker check(fn);
  if (!out) {
    check.fail("out: NULL pointer");
    return check.status();
  }
  if (op != MFRT_COMM_ANY_OP && (op < 0 || op >= MFRT_COMM_NUM_OPS)) {
    check.fail("op: %d is neither an mfrt_comm_op nor MFRT_COMM_ANY_OP", op);
    return check.status();
  }
  if (group && !checkGroup(check, group))
    return check.status();
  mfrt_comm_stats sum = {0, 0, 0, 0};
  for (const mfrt_comm_group *g : state().groups) {
    if (group && g != group)
      continue;
    for (int k = 0; k < MFRT_COMM_NUM_OPS; ++k) {
      if (op != MFRT_COMM_ANY_OP && k != op)
        continue;
      sum.calls += g->stats[k].calls;
      sum.bytes_sent += g->stats[k].bytes_sent;
      sum.bytes_received += g->stats[k].bytes_received;
      sum.bytes_local += g->stats[k].bytes_local;
    }
  }
  *out = sum;
  return MFRT_OK;
}

extern "C" void mfrt_comm_stats_reset(void) {
  for (mfrt_comm_group *g : state().groups)
    for (mfrt_comm_stats &s : g->stats)
      s = mfrt_comm_stats{0, 0, 0, 0};
}

namespace {

/// Appends to a snprintf-style buffer, tracking the full length.
class Writer {
public:
  Writer(char *buf, size_t size) : buf_(buf), size_(size) {
    if (buf_ && size_)
      buf_[0] = '\0';
  }
  template <typename... Args> void put(const char *fmt, Args... args) {
    char *at = nullptr;
    size_t room = 0;
    if (buf_ && static_cast<size_t>(len_) < size_) {
      at = buf_ + len_;
      room = size_ - static_cast<size_t>(len_);
    }
    int n = std::snprintf(at, room, fmt, args...);
    if (n > 0)
      len_ += n;
  }
  /// A JSON string literal (names are caller-chosen).
  void string(const char *s) {
    put("%s", "\"");
    for (const char *p = s; *p; ++p) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"' || c == '\\')
        put("\\%c", c);
      else if (c < 0x20)
        put("\\u%04x", c);
      else
        put("%c", c);
    }
    put("%s", "\"");
  }
  int64_t length() const { return len_; }

private:
  char *buf_;
  size_t size_;
  int64_t len_ = 0;
};

} // namespace

extern "C" int64_t mfrt_comm_stats_json(char *buf, size_t size) {
  const State &st = state();
  Writer w(buf, size);
  w.put("{\"rank\":%lld,\"world\":%lld,\"groups\":[",
        static_cast<long long>(st.rank), static_cast<long long>(st.world));
  bool firstGroup = true;
  for (const mfrt_comm_group *g : st.groups) {
    w.put("%s{\"name\":", firstGroup ? "" : ",");
    firstGroup = false;
    w.string(g->name.c_str());
    w.put(",\"size\":%lld,\"rank\":%lld,\"ops\":{",
          static_cast<long long>(g->size), static_cast<long long>(g->rank));
    bool firstOp = true;
    for (int k = 0; k < MFRT_COMM_NUM_OPS; ++k) {
      const mfrt_comm_stats &s = g->stats[k];
      if (s.calls == 0)
        continue;
      w.put("%s\"%s\":{\"calls\":%lld,\"bytes_sent\":%lld,"
            "\"bytes_received\":%lld",
            firstOp ? "" : ",", mfrt_comm_op_name(k),
            static_cast<long long>(s.calls),
            static_cast<long long>(s.bytes_sent),
            static_cast<long long>(s.bytes_received));
      if (s.bytes_local)
        w.put(",\"bytes_local\":%lld", static_cast<long long>(s.bytes_local));
      w.put("%s", "}");
      firstOp = false;
    }
    w.put("%s", "}}");
  }
  w.put("%s", "]}");
  return w.length();
}
