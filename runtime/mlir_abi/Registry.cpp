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
  std::vector<int64_t> rankOffsets; ///< [world][rank], empty: whole
  mfrt_buffer_info info{};
};

struct GroupTable {
  std::string name;
  std::vector<int64_t> members;
  mfrt_group_table table{};
};

struct Registry {
  std::vector<std::unique_ptr<Entry>> buffers;
  std::vector<std::unique_ptr<GroupTable>> groups;
  int64_t world = 1;
  std::vector<int64_t> rankRows; ///< [world], empty: the batch is whole
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
  for (int32_t d = 0; d < info.tensor.rank; ++d)
    info.global_shape[d] = info.tensor.shape[d];
  info.rank_offsets = nullptr;
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
  r.model.global_batch = batch;
  r.model.rank_rows = nullptr;
  r.rankRows.clear();
}

extern "C" void mfrt_register_world(int64_t world) {
  if (world < 1)
    mfrt::mlir_abi::fatal("moefold_register", "world size below 1");
  registry().world = world;
}

extern "C" void mfrt_register_group_table(int64_t id, const char *name,
                                          int64_t num_groups,
                                          int64_t group_size,
                                          const int64_t *members) {
  using mfrt::mlir_abi::fatal;
  Registry &r = registry();
  std::string what = "group table '" + str(name) + "'";
  if (id != static_cast<int64_t>(r.groups.size()))
    fatal("moefold_register", (what + ": ids must be registered in order "
                                      "from 0")
                                  .c_str());
  if (!name || !*name || num_groups < 1 || group_size < 1 || !members ||
      num_groups * group_size != r.world)
    fatal("moefold_register",
          (what + ": expected groups covering the world of " +
           std::to_string(r.world) + " ranks")
              .c_str());
  std::vector<int> seen(r.world, 0);
  for (int64_t i = 0; i < r.world; ++i) {
    if (members[i] < 0 || members[i] >= r.world || seen[members[i]]++)
      fatal("moefold_register",
            (what + ": member " + std::to_string(members[i]) +
             " is out of range or listed twice")
                .c_str());
  }
  auto g = std::make_unique<GroupTable>();
  g->name = name;
  g->members.assign(members, members + r.world);
  g->table.name = g->name.c_str();
  g->table.num_groups = num_groups;
  g->table.group_size = group_size;
  g->table.members = g->members.data();
  r.groups.push_back(std::move(g));
}

extern "C" void mfrt_register_buffer_layout(const char *name, int64_t rank,
                                            const int64_t *global_shape,
                                            const int64_t *rank_offsets) {
  using mfrt::mlir_abi::fatal;
  Registry &r = registry();
  Entry *entry = nullptr;
  for (auto &e : r.buffers)
    if (e->name == str(name))
      entry = e.get();
  std::string what = "layout of '" + str(name) + "'";
  if (!entry)
    fatal("moefold_register", (what + ": no such buffer").c_str());
  mfrt_buffer_info &info = entry->info;
  if (rank != info.tensor.rank || !global_shape)
    fatal("moefold_register", (what + ": rank mismatch").c_str());
  for (int64_t d = 0; d < rank; ++d)
    info.global_shape[d] = global_shape[d];
  entry->rankOffsets.clear();
  info.rank_offsets = nullptr;
  if (!rank_offsets)
    return;
  entry->rankOffsets.assign(rank_offsets, rank_offsets + r.world * rank);
  for (int64_t w = 0; w < r.world; ++w)
    for (int64_t d = 0; d < rank; ++d) {
      int64_t o = entry->rankOffsets[w * rank + d];
      if (o < 0 || o + info.tensor.shape[d] > global_shape[d])
        fatal("moefold_register",
              (what + ": the slice of rank " + std::to_string(w) +
               " leaves the global shape in dim " + std::to_string(d))
                  .c_str());
    }
  info.rank_offsets = entry->rankOffsets.data();
}

extern "C" void mfrt_register_batch_layout(int64_t global_batch,
                                           const int64_t *rank_rows) {
  using mfrt::mlir_abi::fatal;
  Registry &r = registry();
  if (!r.haveModel || global_batch < r.model.batch)
    fatal("moefold_register", "batch layout without a matching geometry");
  r.model.global_batch = global_batch;
  r.rankRows.clear();
  r.model.rank_rows = nullptr;
  if (!rank_rows)
    return;
  r.rankRows.assign(rank_rows, rank_rows + r.world);
  for (int64_t row : r.rankRows)
    if (row < 0 || row + r.model.batch > global_batch)
      fatal("moefold_register", "batch layout: a rank's rows leave the "
                                "global batch");
  r.model.rank_rows = r.rankRows.data();
}

extern "C" int64_t mfrt_registry_world(void) { return registry().world; }

extern "C" int64_t mfrt_registry_group_table_count(void) {
  return static_cast<int64_t>(registry().groups.size());
}

extern "C" const mfrt_group_table *mfrt_registry_group_table(int64_t id) {
  Registry &r = registry();
  if (id < 0 || id >= static_cast<int64_t>(r.groups.size()))
    return nullptr;
  return &r.groups[id]->table;
}

extern "C" const int64_t *mfrt_group_table_find(const mfrt_group_table *table,
                                                int64_t rank) {
  if (!table)
    return nullptr;
  for (int64_t g = 0; g < table->num_groups; ++g)
    for (int64_t i = 0; i < table->group_size; ++i)
      if (table->members[g * table->group_size + i] == rank)
        return table->members + g * table->group_size;
  return nullptr;
}

extern "C" void mfrt_buffer_slice_offsets(const mfrt_buffer_info *b,
                                          int64_t rank, int64_t *offsets) {
  if (!b || !offsets)
    return;
  for (int32_t d = 0; d < b->tensor.rank; ++d)
    offsets[d] =
        b->rank_offsets ? b->rank_offsets[rank * b->tensor.rank + d] : 0;
}

extern "C" int mfrt_buffer_is_whole(const mfrt_buffer_info *b) {
  if (!b)
    return 1;
  for (int32_t d = 0; d < b->tensor.rank; ++d)
    if (b->global_shape[d] != b->tensor.shape[d])
      return 0;
  return 1;
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
  r.groups.clear();
  r.world = 1;
  r.rankRows.clear();
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
