//===- DriverTest.cpp - executable flags and checkpoints ------------------===//

#include "Checkpoint.h"
#include "Options.h"

#include "moefold_runtime/mfrt_registry.h"

#include "TestUtil.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

// The driver library calls the compiled model's registration function.
extern "C" void moefold_register(void) {}

using namespace moefold::driver;
using namespace mfrt_test;

namespace {

bool parse(std::vector<const char *> args, Options &opts, std::string &err) {
  args.insert(args.begin(), "exe");
  return parseOptions(int(args.size()), args.data(), opts, err);
}

TEST(DriverOptions, Accepted) {
  Options o;
  std::string err;
  ASSERT_TRUE(parse({"--steps", "20", "--seed=7", "--lr", "3e-4", "--data",
                     "d.u16", "--save", "ck", "--load=old", "--dump-grads",
                     "g.safetensors", "--log-every", "0", "--threads", "2"},
                    o, err))
      << err;
  EXPECT_EQ(o.steps, 20);
  EXPECT_EQ(o.seed, 7u);
  EXPECT_DOUBLE_EQ(o.lr, 3e-4);
  EXPECT_EQ(o.data, "d.u16");
  EXPECT_EQ(o.save, "ck");
  EXPECT_EQ(o.load, "old");
  EXPECT_EQ(o.dumpGrads, "g.safetensors");
  EXPECT_EQ(o.logEvery, 0);
  EXPECT_EQ(o.threads, 2);
  Options g;
  ASSERT_TRUE(
      parse({"--grad-check", "5", "--seed", "18446744073709551615"}, g, err))
      << err;
  EXPECT_EQ(g.gradCheck, 5);
  EXPECT_EQ(g.seed, 18446744073709551615ull);
  Options h;
  ASSERT_TRUE(parse({"--help"}, h, err));
  EXPECT_TRUE(h.help);
}

TEST(DriverOptions, Rejected) {
  struct Case {
    std::vector<const char *> args;
    const char *error;
  } cases[] = {
      {{"--seed", "1"}, "missing required flag --steps"},
      {{"--steps", "1"}, "missing required flag --seed"},
      {{"--steps", "1", "--seed", "-1"},
       "--seed: expected an integer in [0, 2^64), got '-1'"},
      {{"--steps", "1.5", "--seed", "1"},
       "--steps: expected a non-negative integer, got '1.5'"},
      {{"--steps", "1", "--seed", "1", "--lr", "inf"},
       "--lr: expected a finite non-negative number, got 'inf'"},
      {{"--steps", "1", "--seed", "1", "--threads", "0"},
       "--threads: expected an integer in [1, 1024], got '0'"},
      {{"--steps", "1", "--seed", "1", "--save"}, "--save needs a value"},
      {{"--steps", "1", "--seed", "1", "--save="},
       "--save: expected a non-empty path, got ''"},
      {{"--steps", "1", "--seed", "1", "-x"}, "unexpected argument '-x'"},
      {{"--steps", "1", "--seed", "1", "--frobnicate"},
       "unknown flag '--frobnicate'"},
      {{"--seed", "1", "--grad-check", "3", "--save", "d"},
       "--grad-check cannot be combined with --eval or --save"},
      {{"--steps", "1", "--seed", "1", "--eval", "--dump-grads", "f"},
       "--eval cannot be combined with --dump-grads or --save"},
  };
  for (const Case &c : cases) {
    Options o;
    std::string err;
    EXPECT_FALSE(parse(c.args, o, err)) << c.error;
    EXPECT_EQ(err, c.error);
  }
}

/// A registry with one parameter and one state, as moefold_register makes.
struct TwoBuffers {
  Tensor<float> w{{2, 3}, {1, 2, 3, 4, 5, 6}};
  Tensor<double> m{{3}, {0.5, -0.5, 0.25}};
  std::string dir;
  TwoBuffers() {
    mfrt_registry_reset();
    char tmpl[] = "/tmp/moefold-ckpt-XXXXXX";
    dir = mkdtemp(tmpl);
    registerAs("w", w);
  }
  void registerAs(const char *name, Tensor<float> &t) {
    int64_t words[3 + 2 * 2];
    void *p = t.v.data();
    std::memcpy(&words[0], &p, sizeof(p));
    std::memcpy(&words[1], &p, sizeof(p));
    words[2] = 0;
    words[3] = t.shape[0];
    words[4] = t.shape.size() > 1 ? t.shape[1] : 1;
    words[5] = words[4];
    words[6] = 1;
    mfrt_register_buffer_f32(name, MFRT_BUFFER_PARAM, 1, MFRT_INIT_NORMAL, 0.02,
                             1, "param", "", 2, words);
    int64_t mw[5];
    void *q = m.v.data();
    std::memcpy(&mw[0], &q, sizeof(q));
    std::memcpy(&mw[1], &q, sizeof(q));
    mw[2] = 0;
    mw[3] = 3;
    mw[4] = 1;
    mfrt_register_buffer_f64("adam_m.w", MFRT_BUFFER_STATE, -1, MFRT_INIT_ZEROS,
                             0, 2, "adam_m", "w", 1, mw);
  }
  ~TwoBuffers() {
    std::string cmd = "rm -rf " + dir;
    (void)std::system(cmd.c_str());
    mfrt_registry_reset();
  }
};

TEST(DriverCheckpoint, RoundTrip) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir + "/sub/ck", {{"step", "12"}}, err)) << err;
  std::vector<float> savedW = b.w.v;
  std::vector<double> savedM = b.m.v;
  for (auto &x : b.w.v)
    x = 0;
  for (auto &x : b.m.v)
    x = 9;
  std::map<std::string, std::string> meta;
  ASSERT_TRUE(loadCheckpoint(b.dir + "/sub/ck", meta, err)) << err;
  EXPECT_EQ(b.w.v, savedW);
  EXPECT_EQ(b.m.v, savedM);
  EXPECT_EQ(meta["step"], "12");
}

TEST(DriverCheckpoint, ShapeMismatchNamesTheTensorAndChangesNothing) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {{"step", "1"}}, err)) << err;
  // The model now declares w as [3, 2].
  Tensor<float> other({3, 2}, {7, 7, 7, 7, 7, 7});
  mfrt_registry_reset();
  b.registerAs("w", other);
  b.m.v = {1, 1, 1};
  std::map<std::string, std::string> meta;
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_EQ(err, b.dir + "/checkpoint.safetensors: tensor 'w' has shape "
                         "[2, 3] F32 but the model's is [3, 2] F32");
  EXPECT_EQ(other.v, std::vector<float>(6, 7));
  EXPECT_EQ(b.m.v, (std::vector<double>{1, 1, 1}));
}

TEST(DriverCheckpoint, MissingTensorAndFile) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {}, err)) << err;
  Tensor<float> extra({2, 3});
  b.registerAs("v", extra);
  std::map<std::string, std::string> meta;
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_EQ(err, b.dir + "/checkpoint.safetensors: tensor 'v' is missing");
  EXPECT_FALSE(loadCheckpoint(b.dir + "/nothing", meta, err));
  EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
  // A path that exists but is a file cannot hold a checkpoint.
  std::string file = b.dir + "/file";
  std::FILE *f = std::fopen(file.c_str(), "w");
  std::fclose(f);
  EXPECT_FALSE(saveCheckpoint(file, {}, err));
  EXPECT_EQ(err, "'" + file + "' is not a directory");
}

// A multi-rank driver saves the gathered global tensors and every rank loads
// its own slice: rank 1 of world 2 holds rows 2..3 of a [4, 3] tensor.
TEST(DriverCheckpoint, GlobalTensorsSavedSlicesLoaded) {
  TwoBuffers b; // w [2, 3] f32, adam_m.w [3] f64
  mfrt_register_world(2);
  const int64_t global[] = {4, 3};
  const int64_t offsets[] = {0, 0, 2, 0};
  mfrt_register_buffer_layout("w", 2, global, offsets);
  // The global w as the root gathered it.
  std::vector<float> all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<mfrt_tensor> tensors(2);
  tensors[0] = mfrt_registry_find("w")->tensor;
  tensors[0].shape[0] = 4;
  tensors[0].data = all.data();
  tensors[1] = mfrt_registry_find("adam_m.w")->tensor;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {{"step", "3"}}, err, &tensors)) << err;
  std::map<std::string, std::string> meta;
  ASSERT_TRUE(loadCheckpoint(b.dir, meta, err, /*rank=*/1)) << err;
  EXPECT_EQ(b.w.v, (std::vector<float>{6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(loadCheckpoint(b.dir, meta, err, /*rank=*/0)) << err;
  EXPECT_EQ(b.w.v, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  // A checkpoint of the local shape is not the model's global tensor.
  mfrt_registry_reset();
  TwoBuffers c;
  ASSERT_TRUE(saveCheckpoint(c.dir, {{"step", "1"}}, err)) << err;
  mfrt_register_world(2);
  mfrt_register_buffer_layout("w", 2, global, offsets);
  EXPECT_FALSE(loadCheckpoint(c.dir, meta, err, 1));
  EXPECT_EQ(err, c.dir + "/checkpoint.safetensors: tensor 'w' has shape "
                         "[2, 3] F32 but the model's is [4, 3] F32");
}

} // namespace

namespace {

TEST(DriverOptions, TrainingExperienceFlags) {
  Options o;
  std::string err;
  ASSERT_TRUE(parse({"--steps", "4", "--seed", "1", "--eval-every", "2",
                     "--eval-batches=3", "--plot", "p.svg", "--log-every", "1"},
                    o, err))
      << err;
  EXPECT_EQ(o.evalEvery, 2);
  EXPECT_EQ(o.evalBatches, 3);
  EXPECT_EQ(o.plot, "p.svg");
  EXPECT_EQ(o.logEvery, 1);
  Options d;
  ASSERT_TRUE(parse({"--steps", "1", "--seed", "1"}, d, err)) << err;
  EXPECT_EQ(d.evalEvery, 0);
  EXPECT_EQ(d.evalBatches, 4);
  EXPECT_EQ(d.logEvery, 10);
  EXPECT_TRUE(d.plot.empty());
  for (const char *bad : {"0", "-1", "x", "1.5", ""}) {
    for (const char *flag : {"--eval-every", "--eval-batches"}) {
      Options b;
      EXPECT_FALSE(parse({"--steps", "1", "--seed", "1", flag, bad}, b, err))
          << flag << " " << bad;
      EXPECT_EQ(err, std::string(flag) +
                         ": expected a positive integer, got '" + bad + "'");
    }
  }
}

// Every flag in the table the parser uses is accepted by the parser and
// listed in --help under its group.
TEST(DriverOptions, HelpListsEveryFlag) {
  size_t n = 0;
  const FlagInfo *flags = flagTable(n);
  ASSERT_GT(n, 10u);
  std::string help = usageText();
  for (size_t i = 0; i < n; ++i) {
    std::string name = flags[i].name;
    EXPECT_NE(help.find("\n  " + name + (flags[i].value ? " " : "")),
              std::string::npos)
        << name;
    EXPECT_NE(help.find(std::string("\n") + flags[i].group + ":\n"),
              std::string::npos)
        << flags[i].group;
    EXPECT_TRUE(flags[i].help && *flags[i].help) << name;
    if (name == "--help" || name == "--eval" || name == "--grad-check")
      continue;
    const char *value = name == "--data" || name == "--save" ||
                                name == "--load" || name == "--dump-grads" ||
                                name == "--plot"
                            ? "x"
                            : "1";
    Options o;
    std::string err;
    EXPECT_TRUE(
        parse({"--steps", "1", "--seed", "1", name.c_str(), value}, o, err))
        << name << ": " << err;
  }
}

} // namespace
