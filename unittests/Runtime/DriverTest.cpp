//===- DriverTest.cpp - executable flags and checkpoints ------------------===//

#include "Checkpoint.h"
#include "HfLayout.h"
#include "Options.h"

#include "moefold_runtime/mfrt_io.h"
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

/// Registers a float buffer of any rank (an unranked memref descriptor).
void registerBuffer(const char *name, int32_t kind, int32_t family,
                    const char *role, const char *of, Tensor<float> &t) {
  std::vector<int64_t> words(3 + 2 * t.shape.size());
  void *p = t.v.data();
  std::memcpy(&words[0], &p, sizeof(p));
  std::memcpy(&words[1], &p, sizeof(p));
  words[2] = 0;
  int64_t stride = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    words[3 + d] = t.shape[d];
    words[3 + t.shape.size() + d] = stride;
    stride *= t.shape[d];
  }
  mfrt_register_buffer_f32(name, kind, family, MFRT_INIT_NORMAL, 0.02, 1, role,
                           of, int64_t(t.shape.size()), words.data());
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
    registerBuffer(name, MFRT_BUFFER_PARAM, 1, "param", "", t);
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

bool fileExists(const std::string &path) { return access(path.c_str(), F_OK) == 0; }

TEST(DriverCheckpoint, RoundTrip) {
  TwoBuffers b;
  std::string err;
  std::string ck = b.dir + "/sub/ck";
  ASSERT_TRUE(saveCheckpoint(ck, {{"step", "12"}}, err)) << err;
  EXPECT_TRUE(fileExists(ck + "/model-00001-of-00001.safetensors"));
  EXPECT_TRUE(fileExists(ck + "/optimizer-00001-of-00001.safetensors"));
  EXPECT_TRUE(fileExists(indexFile(ck)));
  std::vector<float> savedW = b.w.v;
  std::vector<double> savedM = b.m.v;
  for (auto &x : b.w.v)
    x = 0;
  for (auto &x : b.m.v)
    x = 9;
  std::map<std::string, std::string> meta;
  ASSERT_TRUE(loadCheckpoint(ck, meta, err)) << err;
  EXPECT_EQ(b.w.v, savedW);
  EXPECT_EQ(b.m.v, savedM);
  EXPECT_EQ(meta["step"], "12");
  EXPECT_EQ(meta["format"], "moefold-checkpoint-2");
  // Saving again replaces the checkpoint and leaves no temporary behind.
  b.w.v[0] = 42;
  ASSERT_TRUE(saveCheckpoint(ck, {{"step", "13"}}, err)) << err;
  b.w.v[0] = 0;
  ASSERT_TRUE(loadCheckpoint(ck, meta, err)) << err;
  EXPECT_EQ(b.w.v[0], 42);
  EXPECT_EQ(meta["step"], "13");
  std::string ls = "ls -a " + b.dir + "/sub | grep -c tmp > " + b.dir + "/n";
  (void)std::system(ls.c_str());
  std::FILE *f = std::fopen((b.dir + "/n").c_str(), "r");
  int count = -1;
  ASSERT_EQ(std::fscanf(f, "%d", &count), 1);
  std::fclose(f);
  EXPECT_EQ(count, 0);
}

// The [in, out] weight is exported as torch's [out, in]; the state of
// another shape keeps its layout.
TEST(DriverCheckpoint, ParametersAreStoredTransposed) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {}, err)) << err;
  mfrt_safetensors *f = nullptr;
  ASSERT_EQ(mfrt_safetensors_open(
                (b.dir + "/model-00001-of-00001.safetensors").c_str(), &f),
            MFRT_OK);
  Tensor<float> t({3, 2});
  ASSERT_EQ(mfrt_safetensors_read(f, "w", &t.d), MFRT_OK) << mfrt_last_error();
  EXPECT_EQ(t.v, (std::vector<float>{1, 4, 2, 5, 3, 6}));
  mfrt_safetensors_close(f);
}

TEST(DriverCheckpoint, ShapeMismatchNamesTheTensorAndChangesNothing) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {{"step", "1"}}, err)) << err;
  // The model now declares w as [3, 2] (exported as [2, 3]).
  Tensor<float> other({3, 2}, {7, 7, 7, 7, 7, 7});
  mfrt_registry_reset();
  b.registerAs("w", other);
  b.m.v = {1, 1, 1};
  std::map<std::string, std::string> meta;
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_EQ(err, indexFile(b.dir) + ": tensor 'w' has shape [3, 2] F32 but "
                                    "the model's is [2, 3] F32");
  EXPECT_EQ(other.v, std::vector<float>(6, 7));
  EXPECT_EQ(b.m.v, (std::vector<double>{1, 1, 1}));
}

TEST(DriverCheckpoint, MissingTensorAndFile) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {}, err)) << err;
  Tensor<float> extra({2, 3});
  registerBuffer("v", MFRT_BUFFER_PARAM, 1, "param", "", extra);
  std::map<std::string, std::string> meta;
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_EQ(err, indexFile(b.dir) + ": tensor 'v' ([3, 2] F32, moefold "
                                    "buffer 'v') is missing");
  EXPECT_FALSE(loadCheckpoint(b.dir + "/nothing", meta, err));
  EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
  // A path that exists but is a file cannot hold a checkpoint.
  std::string file = b.dir + "/file";
  std::FILE *f = std::fopen(file.c_str(), "w");
  std::fclose(f);
  EXPECT_FALSE(saveCheckpoint(file, {}, err));
  EXPECT_EQ(err, "'" + file + "' is not a directory");
  // Nor one that holds other files.
  std::string other = b.dir + "/other";
  ASSERT_TRUE(saveCheckpoint(other, {}, err)) << err;
  std::fclose(std::fopen((other + "/notes.txt").c_str(), "w"));
  EXPECT_FALSE(saveCheckpoint(other, {}, err));
  EXPECT_EQ(err, "'" + other + "' holds 'notes.txt', which is not part of a "
                               "checkpoint; refusing to replace it");
}

// A corrupt, truncated or missing shard is refused before anything changes.
TEST(DriverCheckpoint, CorruptShardsAreRefused) {
  TwoBuffers b;
  std::string err;
  ASSERT_TRUE(saveCheckpoint(b.dir, {{"step", "1"}}, err)) << err;
  std::string shard = b.dir + "/model-00001-of-00001.safetensors";
  std::map<std::string, std::string> meta;
  // Flip the last byte (data, not header).
  std::FILE *f = std::fopen(shard.c_str(), "r+b");
  std::fseek(f, -1, SEEK_END);
  int c = std::fgetc(f);
  std::fseek(f, -1, SEEK_END);
  std::fputc(c ^ 1, f);
  std::fclose(f);
  b.w.v = {9, 9, 9, 9, 9, 9};
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_NE(err.find("shard 'model-00001-of-00001.safetensors' has SHA-256 "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("(corrupt)"), std::string::npos) << err;
  EXPECT_EQ(b.w.v, std::vector<float>(6, 9));
  ASSERT_EQ(truncate(shard.c_str(), 20), 0);
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_NE(err.find("is 20 bytes but the index says"), std::string::npos)
      << err;
  ASSERT_EQ(unlink(shard.c_str()), 0);
  EXPECT_FALSE(loadCheckpoint(b.dir, meta, err));
  EXPECT_NE(err.find("shard 'model-00001-of-00001.safetensors' is missing"),
            std::string::npos)
      << err;
}

// Stacked experts [E, H, F] become E tensors of torch's [F, H], named after
// the expert; the moments follow their parameter.
TEST(DriverCheckpoint, StackedExpertsAreSplit) {
  mfrt_registry_reset();
  char tmpl[] = "/tmp/moefold-ckpt-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  Tensor<float> w({2, 2, 3}), m({2, 2, 3});
  for (size_t i = 0; i < w.v.size(); ++i) {
    w.v[i] = float(i);
    m.v[i] = float(100 + i);
  }
  registerBuffer("layers.0.moe.w_gate", MFRT_BUFFER_PARAM, 4, "param", "", w);
  registerBuffer("adam_m.layers.0.moe.w_gate", MFRT_BUFFER_STATE, -1, "adam_m",
                 "layers.0.moe.w_gate", m);
  std::string err;
  ASSERT_TRUE(saveCheckpoint(dir, {}, err)) << err;
  mfrt_safetensors *f = nullptr, *o = nullptr;
  ASSERT_EQ(mfrt_safetensors_open(
                (dir + "/model-00001-of-00001.safetensors").c_str(), &f),
            MFRT_OK);
  ASSERT_EQ(mfrt_safetensors_open(
                (dir + "/optimizer-00001-of-00001.safetensors").c_str(), &o),
            MFRT_OK);
  EXPECT_EQ(mfrt_safetensors_count(f), 2);
  Tensor<float> e1({3, 2});
  ASSERT_EQ(mfrt_safetensors_read(
                f, "model.layers.0.block_sparse_moe.experts.1.w1.weight",
                &e1.d),
            MFRT_OK)
      << mfrt_last_error();
  // w[1] = [[6, 7, 8], [9, 10, 11]], transposed.
  EXPECT_EQ(e1.v, (std::vector<float>{6, 9, 7, 10, 8, 11}));
  ASSERT_EQ(
      mfrt_safetensors_read(
          o, "adam_m.model.layers.0.block_sparse_moe.experts.0.w1.weight",
          &e1.d),
      MFRT_OK)
      << mfrt_last_error();
  EXPECT_EQ(e1.v, (std::vector<float>{100, 103, 101, 104, 102, 105}));
  mfrt_safetensors_close(f);
  mfrt_safetensors_close(o);
  // Load rank 1's slice of a 2-rank layout that splits the experts.
  mfrt_registry_reset();
  Tensor<float> half({1, 2, 3}), halfM({1, 2, 3});
  registerBuffer("layers.0.moe.w_gate", MFRT_BUFFER_PARAM, 4, "param", "",
                 half);
  registerBuffer("adam_m.layers.0.moe.w_gate", MFRT_BUFFER_STATE, -1, "adam_m",
                 "layers.0.moe.w_gate", halfM);
  mfrt_register_world(2);
  const int64_t global[] = {2, 2, 3}, offsets[] = {0, 0, 0, 1, 0, 0};
  mfrt_register_buffer_layout("layers.0.moe.w_gate", 3, global, offsets);
  mfrt_register_buffer_layout("adam_m.layers.0.moe.w_gate", 3, global,
                              offsets);
  std::map<std::string, std::string> meta;
  ASSERT_TRUE(loadCheckpoint(dir, meta, err, /*rank=*/1)) << err;
  EXPECT_EQ(half.v, (std::vector<float>{6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(halfM.v, (std::vector<float>{106, 107, 108, 109, 110, 111}));
  mfrt_registry_reset();
  (void)std::system(("rm -rf " + dir).c_str());
}

// A checkpoint of global tensors loads as any rank's slice: rank 1 of
// world 2 holds rows 2..3 of a [4, 3] tensor (columns of the export).
TEST(DriverCheckpoint, GlobalTensorsSavedSlicesLoaded) {
  mfrt_registry_reset();
  char tmpl[] = "/tmp/moefold-ckpt-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  Tensor<float> whole({4, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  registerBuffer("w", MFRT_BUFFER_PARAM, 1, "param", "", whole);
  std::string err;
  ASSERT_TRUE(saveCheckpoint(dir, {{"step", "3"}}, err)) << err;
  mfrt_registry_reset();
  Tensor<float> part({2, 3});
  registerBuffer("w", MFRT_BUFFER_PARAM, 1, "param", "", part);
  mfrt_register_world(2);
  const int64_t global[] = {4, 3};
  const int64_t offsets[] = {0, 0, 2, 0};
  mfrt_register_buffer_layout("w", 2, global, offsets);
  std::map<std::string, std::string> meta;
  ASSERT_TRUE(loadCheckpoint(dir, meta, err, /*rank=*/1)) << err;
  EXPECT_EQ(part.v, (std::vector<float>{6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(loadCheckpoint(dir, meta, err, /*rank=*/0)) << err;
  EXPECT_EQ(part.v, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  // A model of another shape has another fingerprint and shapes.
  mfrt_registry_reset();
  Tensor<float> small({2, 3});
  registerBuffer("w", MFRT_BUFFER_PARAM, 1, "param", "", small);
  EXPECT_FALSE(loadCheckpoint(dir, meta, err));
  EXPECT_EQ(err, indexFile(dir) + ": tensor 'w' has shape [3, 4] F32 but the "
                                  "model's is [3, 2] F32");
  mfrt_registry_reset();
  (void)std::system(("rm -rf " + dir).c_str());
}

TEST(DriverCheckpoint, HuggingFaceNamesOfTheExample) {
  EXPECT_EQ(hfBaseName("embed"), "model.embed_tokens.weight");
  EXPECT_EQ(hfBaseName("layers.1.attn.wk"),
            "model.layers.1.self_attn.k_proj.weight");
  EXPECT_EQ(hfBaseName("layers.12.moe.w_down"),
            "model.layers.12.block_sparse_moe.experts.w2.weight");
  EXPECT_EQ(hfBaseName("layers.0.moe_norm"),
            "model.layers.0.post_attention_layernorm.weight");
  // Qwen3-style per-head q/k norm weights in the example's short names.
  EXPECT_EQ(hfBaseName("layers.2.attn.q_norm"),
            "model.layers.2.self_attn.q_norm.weight");
  EXPECT_EQ(hfBaseName("layers.2.attn.k_norm"),
            "model.layers.2.self_attn.k_norm.weight");
  // Imported models already carry Hugging Face names; others keep theirs.
  EXPECT_EQ(hfBaseName("model.layers.0.mlp.experts.up_proj.weight"),
            "model.layers.0.mlp.experts.up_proj.weight");
  EXPECT_EQ(hfBaseName("model.layers.0.self_attn.q_norm.weight"),
            "model.layers.0.self_attn.q_norm.weight");
  EXPECT_EQ(hfBaseName("layers.x.attn.wq"), "layers.x.attn.wq");
  EXPECT_EQ(hfBaseName("head"), "head");
}

TEST(DriverCheckpoint, Sha256KnownAnswers) {
  char hex[65];
  mfrt_sha256_hex("abc", 3, hex);
  EXPECT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  mfrt_sha256_hex("", 0, hex);
  EXPECT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  mfrt_sha256_hex(two, std::strlen(two), hex);
  EXPECT_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  mfrt_sha256_hex(million.data(), million.size(), hex);
  EXPECT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
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
