//===- CommReport.cpp - per-step communication report of the driver -------===//

#include "CommReport.h"

#include <cerrno>
#include <cstring>

namespace moefold::driver {

CommReport::~CommReport() {
  if (file_)
    std::fclose(file_);
}

bool CommReport::open(const std::string &path, std::string &error) {
  enabled_ = true;
  if (dist::rank() != 0)
    return true;
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) {
    error = "cannot write --comm-report " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void CommReport::beforeStep() {
  if (enabled_)
    before_ = dist::commCounters();
}

bool CommReport::afterStep(int64_t step, std::string &error) {
  if (!enabled_)
    return true;
  std::vector<dist::CommCounter> now = dist::commCounters();
  if (now.size() != before_.size()) {
    error = "--comm-report: communication groups changed during a step";
    return false;
  }
  // calls, bytes sent, received and kept per counter, every rank's in a
  // row.
  constexpr size_t kFields = 4;
  size_t n = now.size();
  std::vector<int64_t> mine(kFields * n),
      all(kFields * n * size_t(dist::worldSize()));
  for (size_t i = 0; i < n; ++i) {
    int64_t *f = &mine[kFields * i];
    f[0] = now[i].calls - before_[i].calls;
    f[1] = now[i].bytesSent - before_[i].bytesSent;
    f[2] = now[i].bytesReceived - before_[i].bytesReceived;
    f[3] = now[i].bytesLocal - before_[i].bytesLocal;
  }
  if (n == 0)
    return true;
  mfrt_tensor t{};
  t.data = mine.data();
  t.dtype = MFRT_I64;
  t.rank = 1;
  t.shape[0] = static_cast<int64_t>(mine.size());
  if (!dist::allGather(t, all.data(), error))
    return false;
  if (!file_)
    return true;
  for (int64_t r = 0; r < dist::worldSize(); ++r) {
    std::fprintf(file_, "{\"step\":%lld,\"rank\":%lld,\"collectives\":[",
                 static_cast<long long>(step), static_cast<long long>(r));
    const int64_t *row = all.data() + size_t(r) * kFields * n;
    bool first = true;
    for (size_t i = 0; i < n; ++i) {
      const int64_t *f = row + kFields * i;
      if (f[0] == 0)
        continue;
      std::fprintf(file_,
                   "%s{\"group\":\"%s\",\"kind\":\"%s\",\"calls\":%lld,"
                   "\"bytes_sent\":%lld,\"bytes_received\":%lld,"
                   "\"bytes_local\":%lld}",
                   first ? "" : ",", now[i].group.c_str(), now[i].kind.c_str(),
                   static_cast<long long>(f[0]), static_cast<long long>(f[1]),
                   static_cast<long long>(f[2]), static_cast<long long>(f[3]));
      first = false;
    }
    std::fprintf(file_, "]}\n");
  }
  if (std::fflush(file_) != 0) {
    error = std::string("--comm-report: write failed: ") + std::strerror(errno);
    return false;
  }
  return true;
}

} // namespace moefold::driver
