//===- LayerShape.cpp - shapes, FLOP and byte counts of the MoE bench -----===//

#include "LayerShape.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace moefold::bench {

const std::vector<LayerShape> &namedShapes() {
  // Routing as the models do it: Mixtral and Qwen3-MoE take a softmax and
  // renormalise the top-k; DeepSeek-V3 scores with a sigmoid.
  static const std::vector<LayerShape> shapes = {
      {"mixtral", 8192, 4096, 14336, 8, 2, MFRT_SCORING_SOFTMAX},
      {"qwen3-30b-a3b", 32768, 2048, 768, 128, 8, MFRT_SCORING_SOFTMAX},
      {"deepseek-v3-ep8", 4096, 7168, 2048, 32, 8, MFRT_SCORING_SIGMOID},
      {"tiny", 64, 32, 48, 4, 2, MFRT_SCORING_SOFTMAX},
  };
  return shapes;
}

static bool parseCustom(const std::string &spec, LayerShape &s,
                        std::string &error) {
  s.name = "custom";
  bool seen[5] = {};
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      error = "shape item '" + item + "' is not KEY=VALUE";
      return false;
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "scoring") {
      if (value == "softmax")
        s.scoring = MFRT_SCORING_SOFTMAX;
      else if (value == "sigmoid")
        s.scoring = MFRT_SCORING_SIGMOID;
      else {
        error = "scoring '" + value + "' is not softmax or sigmoid";
        return false;
      }
      continue;
    }
    static const char *keys[5] = {"T", "H", "F", "E", "k"};
    int64_t *fields[5] = {&s.T, &s.H, &s.F, &s.E, &s.k};
    int idx = -1;
    for (int i = 0; i < 5; ++i)
      if (key == keys[i])
        idx = i;
    if (idx < 0) {
      error = "unknown shape key '" + key + "' (T, H, F, E, k, scoring)";
      return false;
    }
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end || errno || v < 1 || v > (1ll << 31)) {
      error = "shape " + key + "='" + value + "' is not a positive integer";
      return false;
    }
    *fields[idx] = v;
    seen[idx] = true;
  }
  for (int i = 0; i < 5; ++i)
    if (!seen[i]) {
      error = "custom shape '" + spec + "' lacks T, H, F, E or k";
      return false;
    }
  if (s.k > s.E) {
    error = "custom shape: k must be at most E";
    return false;
  }
  return true;
}

bool parseShapes(const std::string &spec, std::vector<LayerShape> &out,
                 std::string &error) {
  out.clear();
  const auto &named = namedShapes();
  if (spec == "all") {
    out.assign(named.begin(), named.begin() + 3);
    return true;
  }
  for (const LayerShape &s : named)
    if (s.name == spec) {
      out.push_back(s);
      return true;
    }
  if (spec.find('=') == std::string::npos) {
    error = "unknown shape '" + spec +
            "' (all, mixtral, qwen3-30b-a3b, deepseek-v3-ep8, tiny, or "
            "T=..,H=..,F=..,E=..,k=..)";
    return false;
  }
  LayerShape s;
  if (!parseCustom(spec, s, error))
    return false;
  out.push_back(s);
  return true;
}

int64_t layerFlops(const LayerShape &s) {
  int64_t forward = 2 * s.T * s.H * s.E + 3 * 2 * (s.T * s.k) * s.H * s.F;
  return 3 * forward;
}

int64_t permuteBytes(const LayerShape &s, int64_t b) {
  return 2 * s.T * s.k * s.H * b;
}

int64_t unpermuteBytes(const LayerShape &s, int64_t b) {
  return s.T * s.k * s.H * b + s.T * s.H * b;
}

int64_t permutedTensorBytes(const LayerShape &s, int64_t b) {
  return s.T * s.k * s.H * b;
}

} // namespace moefold::bench
