//===- Options.h - command line of a moefold training executable -*- C++
//-*-===//

#ifndef MOEFOLD_RUNTIME_DRIVER_OPTIONS_H
#define MOEFOLD_RUNTIME_DRIVER_OPTIONS_H

#include <cstdint>
#include <string>

namespace moefold::driver {

/// Everything the executable's flags can say (docs/executable.md).
struct Options {
  int64_t steps = -1; ///< --steps S (required unless --grad-check)
  uint64_t seed = 0;  ///< --seed K (required)
  bool haveSeed = false;
  double lr = 1e-3;          ///< --lr X
  std::string data;          ///< --data FILE ("" = the bundled corpus)
  std::string dumpGrads;     ///< --dump-grads F.safetensors
  std::string save;          ///< --save DIR
  std::string load;          ///< --load DIR
  int64_t logEvery = 10;     ///< --log-every N (stderr progress; 0 = off)
  int64_t evalEvery = 0;     ///< --eval-every N (held-out loss; 0 = off)
  int64_t evalBatches = 4;   ///< --eval-batches K (held-out batches per eval)
  std::string plot;          ///< --plot FILE.svg ("" = no plot)
  std::string commReport;    ///< --comm-report FILE.jsonl ("" = off)
  int64_t threads = 1;       ///< --threads N (OpenBLAS threads)
  bool eval = false;         ///< --eval: forward only, no update
  int64_t gradCheck = 0;     ///< --grad-check N
  double fdStep = 0;         ///< --fd-step H (0 = by dtype)
  double gradCheckTol = 0;   ///< --grad-check-tol T (0 = by dtype)
  double gradCheckFloor = 0; ///< --grad-check-floor F (0 = by dtype)
  bool help = false;         ///< --help
};

/// Parses argv into `opts`. Returns false with a one-line reason in `error`
/// for an unknown flag, a missing or malformed value, or a missing required
/// flag. Accepts `--flag value` and `--flag=value`.
bool parseOptions(int argc, const char *const *argv, Options &opts,
                  std::string &error);

/// The --help text (generated from flagTable()).
const char *usageText();

/// One flag the parser accepts; the parser and --help share this table.
struct FlagInfo {
  const char *name;  ///< "--steps"
  const char *value; ///< "S", or nullptr for a flag without a value
  const char *group; ///< "run", "data", "optimizer", "checkpoints",
                     ///< "logging" or "debugging"
  const char *help;  ///< one line
};

/// Every flag, in --help order; `count` receives the number of entries.
const FlagInfo *flagTable(size_t &count);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_OPTIONS_H
