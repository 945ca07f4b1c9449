//===- CommReport.h - per-step communication report of the driver -*- C++ -*-===//
//
// --comm-report FILE: after every training step, the root writes one JSON
// line per rank with the bytes each (group, kind) of collectives moved during
// that step (the runtime's counters, docs/comm.md). spmd-comm-report prints
// the compiler's figures for the same step; test/Integration/comm-report.test
// checks they agree.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_DRIVER_COMMREPORT_H
#define MOEFOLD_RUNTIME_DRIVER_COMMREPORT_H

#include "Dist.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace moefold::driver {

class CommReport {
public:
  CommReport() = default;
  CommReport(const CommReport &) = delete;
  CommReport &operator=(const CommReport &) = delete;
  ~CommReport();

  /// Opens `path` for writing on the root (truncating it). False with a
  /// reason if it cannot be created.
  bool open(const std::string &path, std::string &error);
  bool enabled() const { return enabled_; }
  /// Remembers the counters before a step.
  void beforeStep();
  /// Collective: the counters' growth since beforeStep() on every rank; the
  /// root appends one line per rank for step `step`.
  bool afterStep(int64_t step, std::string &error);

private:
  bool enabled_ = false;
  std::FILE *file_ = nullptr;
  std::vector<dist::CommCounter> before_;
};

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_COMMREPORT_H
