//===- Registry.cpp - buffers, geometry and metadata of a compiled model --===//
//
// Filled once by the generated moefold_register(); read by the driver. Not
// thread-safe: registration happens before any step runs.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_registry.h"

#include "MemRef.h"

#include "../src/Support.h"

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Entry {
  std::string name, role, of;
  mfrt_buffer_info info{};
};

struct Registry {
  std::vector<std::unique_ptr<Entry>> buffers;
  // A deque: registering more keys never moves the strings handed out.
  std::deque<std::pair<std::string, std::string>> metadata;
  bool haveModel = false;
  mfrt_model_info model{};
};

Registry &registry() {
  static Registry r;
  return r;
}

std::string str(const char *s) { return s ? std::string(s) : std::string(); }

} // namespace

extern "C" void mfrt_register_buffer(const char *name, int32_t kind,
                                     int32_t family, int32_t init_kind,
                                     double init_value, int64_t param_id,
                                     const char *role, const char *of,
                                     int32_t dtype, int64_t rank, void *desc) {
  using namespace mfrt::mlir_abi;
  if (!name || !*name)
    fatal("moefold_register", "a buffer without a name");
  if (dtype < MFRT_F32 || dtype > MFRT_I64)
    fatal("moefold_register", "a buffer with an unknown dtype");
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->role = str(role);
  entry->of = str(of);
  mfrt_buffer_info &info = entry->info;
  char why[256];
  if (!viewMemRef(rank, desc, static_cast<mfrt_dtype>(dtype), &info.tensor, why,
                  sizeof(why))) {
    std::string msg = entry->name + ": " + why;
    fatal("moefold_register", msg.c_str());
  }
  info.kind = kind;
  info.family = family;
  info.init_kind = init_kind;
  info.init_value = init_value;
  info.param_id = static_cast<uint64_t>(param_id);
  Registry &r = registry();
  for (auto &existing : r.buffers)
    if (existing->name == entry->name) {
      existing = std::move(entry);
      entry.reset();
      break;
    }
  if (entry)
    r.buffers.push_back(std::move(entry));
  // Strings are owned by the entries; point into them only now that the
  // entries stopped moving.
  for (auto &e : r.buffers) {
    e->info.name = e->name.c_str();
    e->info.role = e->role.c_str();
    e->info.of = e->of.c_str();
  }
}

// The typed forms the generated code calls: one MLIR declaration per element
// type of the unranked memref.
extern "C" void mfrt_register_buffer_f32(const char *name, int32_t kind,
                                         int32_t family, int32_t init_kind,
                                         double init_value, int64_t param_id,
                                         const char *role, const char *of,
                                         int64_t rank, void *desc) {
  mfrt_register_buffer(name, kind, family, init_kind, init_value, param_id,
                       role, of, MFRT_F32, rank, desc);
}
extern "C" void mfrt_register_buffer_f64(const char *name, int32_t kind,
                                         int32_t family, int32_t init_kind,
                                         double init_value, int64_t param_id,
                                         const char *role, const char *of,
                                         int64_t rank, void *desc) {
  mfrt_register_buffer(name, kind, family, init_kind, init_value, param_id,
                       role, of, MFRT_F64, rank, desc);
}
extern "C" void mfrt_register_buffer_i32(const char *name, int32_t kind,
                                         int32_t family, int32_t init_kind,
                                         double init_value, int64_t param_id,
                                         const char *role, const char *of,
                                         int64_t rank, void *desc) {
  mfrt_register_buffer(name, kind, family, init_kind, init_value, param_id,
                       role, of, MFRT_I32, rank, desc);
}

extern "C" void mfrt_register_model(int64_t batch, int64_t seq_len,
                                    int64_t vocab, int32_t float_dtype) {
  Registry &r = registry();
  r.haveModel = true;
  r.model.batch = batch;
  r.model.seq_len = seq_len;
  r.model.vocab = vocab;
  r.model.float_dtype = float_dtype;
}

extern "C" void mfrt_register_metadata(const char *key, const char *value) {
  Registry &r = registry();
  for (auto &kv : r.metadata)
    if (kv.first == str(key)) {
      kv.second = str(value);
      return;
    }
  r.metadata.emplace_back(str(key), str(value));
}

extern "C" int64_t mfrt_registry_count(void) {
  return static_cast<int64_t>(registry().buffers.size());
}

extern "C" const mfrt_buffer_info *mfrt_registry_buffer(int64_t index) {
  Registry &r = registry();
  if (index < 0 || index >= static_cast<int64_t>(r.buffers.size()))
    return nullptr;
  return &r.buffers[index]->info;
}

extern "C" const mfrt_buffer_info *mfrt_registry_find(const char *name) {
  if (!name)
    return nullptr;
  for (auto &e : registry().buffers)
    if (e->name == name)
      return &e->info;
  return nullptr;
}

extern "C" const mfrt_buffer_info *mfrt_registry_find_state(const char *param,
                                                            const char *role) {
  if (!param || !role)
    return nullptr;
  for (auto &e : registry().buffers)
    if (e->info.kind == MFRT_BUFFER_STATE && e->of == param && e->role == role)
      return &e->info;
  return nullptr;
}

extern "C" mfrt_status mfrt_registry_model(mfrt_model_info *out) {
  Registry &r = registry();
  if (!out || !r.haveModel)
    return mfrt::setError(
        MFRT_ERROR_INVALID_ARGUMENT, "mfrt_registry_model: %s",
        out ? "the model registered no batch geometry" : "NULL out");
  *out = r.model;
  return MFRT_OK;
}

extern "C" const char *mfrt_registry_metadata(const char *key) {
  for (auto &kv : registry().metadata)
    if (kv.first == str(key))
      return kv.second.c_str();
  return nullptr;
}

extern "C" int64_t mfrt_registry_metadata_count(void) {
  return static_cast<int64_t>(registry().metadata.size());
}

extern "C" mfrt_status
mfrt_registry_metadata_at(int64_t index, const char **key, const char **value) {
  Registry &r = registry();
  if (index < 0 || index >= static_cast<int64_t>(r.metadata.size()))
    return mfrt::setError(MFRT_ERROR_INVALID_ARGUMENT,
                          "mfrt_registry_metadata_at: index %lld out of range",
                          static_cast<long long>(index));
  if (key)
    *key = r.metadata[index].first.c_str();
  if (value)
    *value = r.metadata[index].second.c_str();
  return MFRT_OK;
}

extern "C" void mfrt_registry_reset(void) {
  Registry &r = registry();
  r.buffers.clear();
  r.metadata.clear();
  r.haveModel = false;
  r.model = mfrt_model_info{};
}

extern "C" const char *mfrt_family_name(int32_t family) {
  static const char *const names[] = {
      "embedding", "dense", "norm", "router", "routed_expert", "shared_expert"};
  if (family == -1)
    return "state";
  if (family < 0 || family > 5)
    return "unknown";
  return names[family];
}

extern "C" uint64_t mfrt_param_id_of(const char *name) {
  uint64_t h = 14695981039346656037ull;
  for (const char *p = name ? name : ""; *p; ++p) {
    h ^= static_cast<unsigned char>(*p);
    h *= 1099511628211ull;
  }
  return h;
}
