//===- Plan.cpp - host-side plans of the NCCL backend's transfers ---------===//

#include "Plan.h"

#include <algorithm>
#include <cstdint>

namespace mfrt::nccl {

SplitArgs splitArgs(const int64_t *members, int64_t n, int64_t rank) {
  const int64_t *end = members + n;
  const int64_t *self = std::find(members, end, rank);
  if (n < 1 || self == end)
    return {kNoColor, 0};
  return {static_cast<int>(*std::min_element(members, end)),
          static_cast<int>(self - members)};
}

DimSplit dimSplit(const mfrt_tensor *piece, int32_t dim) {
  DimSplit s;
  s.blockBytes = static_cast<int64_t>(mfrt_dtype_size(piece->dtype));
  for (int32_t i = 0; i < piece->rank; ++i) {
    if (i < dim)
      s.outer *= piece->shape[i];
    else
      s.blockBytes *= piece->shape[i];
  }
  return s;
}

Copy2D unpackGathered(const DimSplit &s, int64_t members, int64_t m) {
  return {m * s.blockBytes, members * s.blockBytes,
          m * s.outer * s.blockBytes, s.blockBytes,
          s.blockBytes, s.outer};
}

Copy2D packForScatter(const DimSplit &s, int64_t members, int64_t m) {
  return {m * s.outer * s.blockBytes, s.blockBytes,
          m * s.blockBytes, members * s.blockBytes,
          s.blockBytes, s.outer};
}

bool checkCounts(ArgChecker &check, const int64_t *counts, int64_t n,
                 const char *name, int64_t limit, const char *limitName,
                 int64_t *sum) {
  *sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = counts[i];
    if (c < 0)
      return check.fail("%s: entry %lld is negative (%lld)", name,
                        static_cast<long long>(i), static_cast<long long>(c));
    if (*sum > INT64_MAX - c)
      return check.fail("%s: row counts overflow int64", name);
    *sum += c;
  }
  if (limit >= 0 && *sum > limit)
    return check.fail("%s: rows sum to %lld but %s has %lld rows", name,
                      static_cast<long long>(*sum), limitName,
                      static_cast<long long>(limit));
  return true;
}

bool checkSelfRows(ArgChecker &check, const int64_t *sendCounts,
                   const int64_t *recvCounts, int64_t me) {
  if (sendCounts[me] == recvCounts[me])
    return true;
  return check.fail("send_counts[%lld] = %lld but recv_counts[%lld] = %lld: "
                    "the rows a member sends itself are the rows it "
                    "receives from itself",
                    static_cast<long long>(me),
                    static_cast<long long>(sendCounts[me]),
                    static_cast<long long>(me),
                    static_cast<long long>(recvCounts[me]));
}

RaggedPlan raggedPlan(const int64_t *sendCounts, const int64_t *recvCounts,
                      int64_t n, int64_t me, int64_t rowBytes) {
  RaggedPlan p;
  int64_t so = 0, ro = 0;
  for (int64_t j = 0; j < n; ++j) {
    int64_t sb = sendCounts[j] * rowBytes, rb = recvCounts[j] * rowBytes;
    if (j == me) {
      // checkSelfRows made sb == rb.
      p.localSrc = so;
      p.localDst = ro;
      p.localBytes = sb;
    } else {
      if (sb)
        p.sends.push_back({j, so, sb});
      if (rb)
        p.recvs.push_back({j, ro, rb});
      p.bytesSent += sb;
      p.bytesReceived += rb;
    }
    so += sb;
    ro += rb;
  }
  return p;
}

} // namespace mfrt::nccl
