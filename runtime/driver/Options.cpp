//===- Options.cpp - command line of a moefold training executable -------===//

#include "Options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace moefold::driver {

namespace {

const FlagInfo kFlags[] = {
    // run
    {"--steps", "S", "run",
     "optimizer steps to run (>= 0; required unless --grad-check); after "
     "--load, steps continue from the checkpoint's step"},
    {"--seed", "K", "run",
     "parameter initialisation seed, Philox key 0..2^64-1 (required)"},
    {"--eval", nullptr, "run",
     "forward only: print the loss of each step's batch, no update"},
    {"--threads", "N", "run", "OpenBLAS threads, 1..1024 (default 1)"},
    {"--help", nullptr, "run", "this text (also -h)"},
    // data
    {"--data", "FILE", "data",
     "token file (.u16/.bin: uint16, .u32: uint32); step s reads windows "
     "s*B..s*B+B-1. Default: the bundled corpus, or $MOEFOLD_DATA"},
    {"--eval-every", "N", "data",
     "every N steps (after steps N-1, 2N-1, ...) evaluate the held-out "
     "split (the last 5% of the token file, never trained on); adds "
     "eval_loss to that step's line. N >= 1"},
    {"--eval-batches", "K", "data",
     "held-out batches averaged per evaluation, >= 1 (default 4)"},
    // optimizer
    {"--lr", "X", "optimizer", "learning rate, constant (default 0.001)"},
    // checkpoints
    {"--save", "DIR", "checkpoints",
     "after the last step, write a sharded checkpoint to DIR atomically "
     "(Hugging Face names, model.safetensors.index.json)"},
    {"--load", "DIR", "checkpoints",
     "resume from the checkpoint in DIR (any mesh's; sizes and checksums "
     "verified)"},
    // logging
    {"--log-every", "N", "logging",
     "progress line on stderr (step, loss, grad norm, tokens/s, ETA) every "
     "N steps and at the last step (default 10, 0 = quiet)"},
    {"--plot", "FILE", "logging",
     "at the end, write an SVG plot of loss and grad norm per step (and "
     "eval loss) to FILE"},
    {"--comm-report", "FILE", "logging",
     "after every step, write one JSON line per rank with the calls and "
     "bytes of each (group, kind) of collectives of that step (rank 0 "
     "writes FILE)"},
    // debugging
    {"--dump-grads", "F", "debugging",
     "after the first step, write its gradients to F, the weights to "
     "F.weights.safetensors and the batch to F.batch.safetensors"},
    {"--grad-check", "N", "debugging",
     "compare N parameter elements' gradients with 4-point finite "
     "differences of the loss; exit 1 above the tolerance (one rank)"},
    {"--fd-step", "H", "debugging",
     "finite-difference step (default 1e-4 for f64 models, 1e-2 for f32)"},
    {"--grad-check-tol", "T", "debugging",
     "tolerance of |g - fd| / max(|g|, |fd|, floor) (default 1e-6 f64, "
     "5e-2 f32)"},
    {"--grad-check-floor", "F", "debugging",
     "floor of that relative error (default 1e-4 f64, 1e-2 f32)"},
};

const FlagInfo *findFlag(const std::string &name) {
  for (const FlagInfo &f : kFlags)
    if (name == f.name)
      return &f;
  return nullptr;
}

} // namespace

const FlagInfo *flagTable(size_t &count) {
  count = sizeof(kFlags) / sizeof(kFlags[0]);
  return kFlags;
}

const char *usageText() {
  static const std::string text = [] {
    std::string t = R"(usage: EXE --steps S --seed K [options]

Trains the model compiled into this executable, printing one JSON object per
step on stdout ({"step", "loss", "grad_norm", "tokens_per_s", "applied"},
plus "eval_loss" on --eval-every steps) and progress on stderr. An executable
compiled for N ranks runs as `mpirun -np N EXE ...` with the same flags:
rank 0 prints, losses and gradient norms are the global ones.
Both --flag value and --flag=value work. Exit status: 0 success, 1 runtime
error, 2 usage error.
)";
    static const char *const groups[] = {"run",         "data",    "optimizer",
                                         "checkpoints", "logging", "debugging"};
    for (const char *g : groups) {
      t += std::string("\n") + g + ":\n";
      for (const FlagInfo &f : kFlags) {
        if (std::strcmp(f.group, g) != 0)
          continue;
        std::string head = std::string("  ") + f.name;
        if (f.value)
          head += std::string(" ") + f.value;
        head.resize(std::max<size_t>(head.size() + 2, 24), ' ');
        // Wrap the explanation at 79 columns under its column.
        std::string line = head, word;
        size_t indent = head.size();
        auto flushWord = [&] {
          if (word.empty())
            return;
          if (line.size() + word.size() + 1 > 79 && line.size() > indent) {
            t += line + "\n";
            line.assign(indent, ' ');
          } else if (line.size() > indent) {
            line += ' ';
          }
          line += word;
          word.clear();
        };
        for (const char *c = f.help; *c; ++c) {
          if (*c == ' ')
            flushWord();
          else
            word += *c;
        }
        flushWord();
        t += line + "\n";
      }
    }
    return t;
  }();
  return text.c_str();
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
    const FlagInfo *flag = findFlag(name);
    if (!flag) {
      error = "unknown flag '" + name + "'";
      return false;
    }
    if (!flag->value) {
      error = name + " takes no value";
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
    } else if (name == "--eval-every") {
      if (!parseInt(value, opts.evalEvery) || opts.evalEvery < 1)
        return bad("a positive integer");
    } else if (name == "--eval-batches") {
      if (!parseInt(value, opts.evalBatches) || opts.evalBatches < 1)
        return bad("a positive integer");
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
      else if (name == "--plot")
        opts.plot = value;
      else if (name == "--comm-report")
        opts.commReport = value;
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
  if (opts.evalEvery && (opts.eval || opts.gradCheck)) {
    error = "--eval-every cannot be combined with --eval or --grad-check";
    return false;
  }
  if (opts.steps < 0)
    opts.steps = 0;
  return true;
}

} // namespace moefold::driver
