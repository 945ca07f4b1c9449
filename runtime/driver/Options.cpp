//===- Options.cpp - command line of a moefold training executable -------===//

#include "Options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace moefold::driver {

const char *usageText() {
  return R"(usage: EXE --steps S --seed K [options]

Trains the model compiled into this executable, printing one JSON object per
step on stdout ({"step", "loss", "grad_norm", "tokens_per_s", "applied"}) and
progress on stderr. An executable compiled for N ranks (moefold-compile
--mesh world=N,...) runs as `mpirun -np N EXE ...` with the same flags: rank 0
prints, losses and gradient norms are the global ones, and --dump-grads and
--save write global tensors (--load reads any mesh's checkpoint).

required:
  --steps S             number of optimizer steps to run (>= 0); after
                        --load, steps continue from the checkpoint's step
  --seed K              parameter initialisation seed (Philox key, 0..2^64-1)

options:
  --lr X                learning rate (default 0.001)
  --data FILE           token file (.u16/.bin: uint16, .u32: uint32); batch
                        of step s reads windows s*B .. s*B+B-1 (targets are
                        the next tokens). Default: the bundled corpus
                        (examples/data/tiny_corpus.u16, or $MOEFOLD_DATA)
  --save DIR            after the last step, write DIR/checkpoint.safetensors
                        (parameters, optimizer states, step, seed, mesh)
                        atomically: a failed write keeps the old checkpoint
  --load DIR            resume from DIR/checkpoint.safetensors
  --dump-grads F        after the first step, write its gradients to F, the
                        weights they were taken at to F.weights.safetensors
                        and the batch to F.batch.safetensors
  --eval                forward only: print the loss of each step's batch
  --grad-check N        compare the gradient of N random parameter elements
                        with central finite differences of the loss (4-point
                        stencil); exit status 1 when the worst relative error
                        exceeds the tolerance (single-rank executables)
  --fd-step H           finite-difference step (default 1e-4 for f64 models,
                        1e-2 for f32)
  --grad-check-tol T    tolerance of the worst relative error
                        |g - fd| / max(|g|, |fd|, floor) (default 1e-6 for
                        f64 models, 5e-2 for f32)
  --grad-check-floor F  the floor of that relative error (default 1e-4 for
                        f64, 1e-2 for f32): gradients below it are judged
                        by their absolute error against the floor
  --log-every N         progress line on stderr every N steps (default 10,
                        0 = quiet)
  --threads N           OpenBLAS threads (default 1)
  --help                this text
)";
}

namespace {

bool parseInt(const std::string &text, int64_t &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

bool parseUnsigned(const std::string &text, uint64_t &out) {
  if (text.empty() || text[0] == '-' || text[0] == '+')
    return false;
  errno = 0;
  char *end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno || *end)
    return false;
  out = v;
  return true;
}

bool parseDouble(const std::string &text, double &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno || *end || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

} // namespace

bool parseOptions(int argc, const char *const *argv, Options &opts,
                  std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      opts.help = true;
      return true;
    }
    if (arg == "--eval") {
      opts.eval = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg, value;
    bool haveValue = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      haveValue = true;
    }
    static const char *const valued[] = {
        "--steps",           "--seed",       "--lr",      "--data",
        "--dump-grads",      "--save",       "--load",    "--log-every",
        "--threads",         "--grad-check", "--fd-step", "--grad-check-tol",
        "--grad-check-floor"};
    bool known = false;
    for (const char *v : valued)
      known |= name == v;
    if (!known) {
      error = "unknown flag '" + name + "'";
      return false;
    }
    if (!haveValue) {
      if (i + 1 >= argc) {
        error = name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    auto bad = [&](const char *what) {
      error = name + ": expected " + what + ", got '" + value + "'";
      return false;
    };
    if (name == "--steps") {
      if (!parseInt(value, opts.steps) || opts.steps < 0)
        return bad("a non-negative integer");
    } else if (name == "--seed") {
      if (!parseUnsigned(value, opts.seed))
        return bad("an integer in [0, 2^64)");
      opts.haveSeed = true;
    } else if (name == "--lr") {
      if (!parseDouble(value, opts.lr) || opts.lr < 0)
        return bad("a finite non-negative number");
    } else if (name == "--log-every") {
      if (!parseInt(value, opts.logEvery) || opts.logEvery < 0)
        return bad("a non-negative integer");
    } else if (name == "--threads") {
      if (!parseInt(value, opts.threads) || opts.threads < 1 ||
          opts.threads > 1024)
        return bad("an integer in [1, 1024]");
    } else if (name == "--grad-check") {
      if (!parseInt(value, opts.gradCheck) || opts.gradCheck < 1)
        return bad("a positive integer");
    } else if (name == "--fd-step") {
      if (!parseDouble(value, opts.fdStep) || opts.fdStep <= 0)
        return bad("a positive number");
    } else if (name == "--grad-check-tol") {
      if (!parseDouble(value, opts.gradCheckTol) || opts.gradCheckTol <= 0)
        return bad("a positive number");
    } else if (name == "--grad-check-floor") {
      if (!parseDouble(value, opts.gradCheckFloor) || opts.gradCheckFloor <= 0)
        return bad("a positive number");
    } else {
      if (value.empty())
        return bad("a non-empty path");
      if (name == "--data")
        opts.data = value;
      else if (name == "--dump-grads")
        opts.dumpGrads = value;
      else if (name == "--save")
        opts.save = value;
      else
        opts.load = value;
    }
  }
  if (opts.steps < 0 && opts.gradCheck == 0) {
    error = "missing required flag --steps";
    return false;
  }
  if (!opts.haveSeed) {
    error = "missing required flag --seed";
    return false;
  }
  if (opts.gradCheck && (opts.eval || !opts.save.empty())) {
    error = "--grad-check cannot be combined with --eval or --save";
    return false;
  }
  if (opts.eval && (!opts.dumpGrads.empty() || !opts.save.empty())) {
    error = "--eval cannot be combined with --dump-grads or --save";
    return false;
  }
  if (opts.steps < 0)
    opts.steps = 0;
  return true;
}

} // namespace moefold::driver
