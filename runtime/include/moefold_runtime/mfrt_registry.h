/*===- mfrt_registry.h - the buffers and shape of a compiled model -------===*
 *
 * A compiled model (the object moefold-compile emits) defines
 *
 *   void moefold_register(void);
 *
 * which hands the runtime, once at start-up, every parameter and state
 * buffer (a memref.global of the program) with its name, kind, family,
 * initialisation spec and parameter id, the batch geometry of its entry
 * functions, and string metadata (mesh, optimizer, ...). The driver
 * (runtime/driver) initialises, checkpoints and dumps buffers through this
 * registry, so it never needs to know the model.
 *
 * The mfrt_register_* functions are called by generated code; the
 * mfrt_registry_* functions are the driver's view. Registering the same
 * name twice replaces the earlier entry.
 *
 * A program compiled for several ranks (moefold-compile --mesh world=N,
 * N > 1; docs/multi-rank.md) also registers its world size, the group
 * tables of its collectives (computed by the compiler's placement algebra:
 * the runtime never derives a group), and, for every buffer that is a shard
 * of a global tensor and for the batch, the global shape and each rank's
 * slice. Every rank runs the same moefold_register(); the driver picks its
 * own row of each table once it knows its rank.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_REGISTRY_H
#define MOEFOLD_RUNTIME_MFRT_REGISTRY_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mfrt_buffer_kind {
  MFRT_BUFFER_PARAM = 0, /* a trainable moe.param */
  MFRT_BUFFER_STATE = 1, /* a moe.state: gradient buffer, optimizer moment */
} mfrt_buffer_kind;

/* Initialisation kinds: the values of the moe dialect's InitKind enum. */
typedef enum mfrt_init_kind {
  MFRT_INIT_ZEROS = 0,
  MFRT_INIT_ONES = 1,
  MFRT_INIT_CONSTANT = 2,
  MFRT_INIT_NORMAL = 3,
  MFRT_INIT_TRUNCATED_NORMAL = 4,
  MFRT_INIT_UNIFORM = 5,
} mfrt_init_kind;

/* One registered buffer. Strings and the data pointer stay valid for the
 * life of the process. */
typedef struct mfrt_buffer_info {
  const char *name;   /* the moe.param / moe.state symbol, e.g. "embed" */
  int32_t kind;       /* mfrt_buffer_kind */
  int32_t family;     /* params: moe Family (0 embedding, 1 dense, 2 norm,
                         3 router, 4 routed_expert, 5 shared_expert);
                         states: -1 */
  int32_t init_kind;  /* mfrt_init_kind (states: MFRT_INIT_ZEROS) */
  double init_value;  /* the number of the init spec (0 for zeros/ones) */
  uint64_t param_id;  /* the Philox stream of a parameter (stable: a hash
                         of its name) */
  const char *role;   /* "param"; for states "grad", "adam_m", "adam_v" or
                         "state" */
  const char *of;     /* states that belong to a parameter: its name; "" */
  mfrt_tensor tensor; /* the buffer itself: data, dtype, this rank's shape
                         (the global shape on a single rank) */
  /* The global tensor the buffer is a slice of (multi-rank programs): its
   * shape (tensor.rank extents; equal to tensor.shape when the buffer is
   * whole) and, for rank r, the offsets of r's slice at
   * rank_offsets[r * tensor.rank + d]. rank_offsets is NULL when every rank
   * holds the whole tensor. */
  int64_t global_shape[MFRT_MAX_RANK];
  const int64_t *rank_offsets;
} mfrt_buffer_info;

/* The geometry of the entry functions: tokens and targets are [batch,
 * seq_len] i32 with ids < vocab; float_dtype is the model's MFRT_F32 or
 * MFRT_F64. */
typedef struct mfrt_model_info {
  int64_t batch; /* rows this rank's entry functions take */
  int64_t seq_len;
  int64_t vocab;
  int32_t float_dtype;
  /* Rows of the global batch (== batch unless the batch is split) and the
   * first global row each rank holds (rank_rows[r]; NULL: every rank holds
   * rows 0 .. batch-1, i.e. the batch is not split). */
  int64_t global_batch;
  const int64_t *rank_rows;
} mfrt_model_info;

/* The ranks of one group table: num_groups groups of group_size world ranks
 * (members[g * group_size + i] is member i of group g, in the compiler's
 * order: a rank's position in its group is its index there). The groups
 * partition the world. `name` is the communicator's ("dense.tp",
 * "dense.dp+tp"). */
typedef struct mfrt_group_table {
  const char *name;
  int64_t num_groups;
  int64_t group_size;
  const int64_t *members;
} mfrt_group_table;

/*--- called by generated code -------------------------------------------*/

/* `rank`/`desc` are the halves of an unranked memref descriptor (MLIR's
 * C layout: {allocated, aligned, offset, sizes[rank], strides[rank]}). The
 * buffer must be contiguous. */
void mfrt_register_buffer(const char *name, int32_t kind, int32_t family,
                          int32_t init_kind, double init_value,
                          int64_t param_id, const char *role, const char *of,
                          int32_t dtype, int64_t rank, void *desc);
/* The same with the dtype in the name (what moe-lower-to-runtime calls: one
 * MLIR declaration per unranked memref element type). */
void mfrt_register_buffer_f32(const char *name, int32_t kind, int32_t family,
                              int32_t init_kind, double init_value,
                              int64_t param_id, const char *role,
                              const char *of, int64_t rank, void *desc);
void mfrt_register_buffer_f64(const char *name, int32_t kind, int32_t family,
                              int32_t init_kind, double init_value,
                              int64_t param_id, const char *role,
                              const char *of, int64_t rank, void *desc);
void mfrt_register_buffer_i32(const char *name, int32_t kind, int32_t family,
                              int32_t init_kind, double init_value,
                              int64_t param_id, const char *role,
                              const char *of, int64_t rank, void *desc);
void mfrt_register_model(int64_t batch, int64_t seq_len, int64_t vocab,
                         int32_t float_dtype);
void mfrt_register_metadata(const char *key, const char *value);

/* Multi-rank programs. mfrt_register_world comes first (the tables below
 * are sized by it); arrays are copied. Inconsistent input (a table that does
 * not partition the world, a slice outside the global shape, an unknown
 * buffer) is a fatal error naming the table or buffer. */
void mfrt_register_world(int64_t world);
/* Group table `id` (ids are consecutive from 0, in registration order; the
 * compiled collectives name their group by id). */
void mfrt_register_group_table(int64_t id, const char *name,
                               int64_t num_groups, int64_t group_size,
                               const int64_t *members);
/* The buffer `name` (registered before) is a slice of a tensor of
 * `global_shape` (rank extents, the buffer's rank); rank r's slice starts at
 * rank_offsets[r * rank ...]. */
void mfrt_register_buffer_layout(const char *name, int64_t rank,
                                 const int64_t *global_shape,
                                 const int64_t *rank_offsets);
/* The entry functions' tokens/targets are rows rank_rows[r] ..
 * rank_rows[r] + batch - 1 of a global batch of `global_batch` rows. Call
 * after mfrt_register_model. */
void mfrt_register_batch_layout(int64_t global_batch,
                                const int64_t *rank_rows);

/*--- the driver's view --------------------------------------------------*/

int64_t mfrt_registry_count(void);
/* Buffer `index` in registration order (params in declaration order, then
 * states); NULL when out of range. */
const mfrt_buffer_info *mfrt_registry_buffer(int64_t index);
/* The buffer called `name`, or NULL. */
const mfrt_buffer_info *mfrt_registry_find(const char *name);
/* The state with role `role` belonging to parameter `param`, or NULL. */
const mfrt_buffer_info *mfrt_registry_find_state(const char *param,
                                                 const char *role);
/* MFRT_ERROR_INVALID_ARGUMENT when the model registered no geometry. */
mfrt_status mfrt_registry_model(mfrt_model_info *out);
/* Metadata value of `key`, or NULL. */
const char *mfrt_registry_metadata(const char *key);
int64_t mfrt_registry_metadata_count(void);
/* Key and value of metadata entry `index` (any out pointer may be NULL). */
mfrt_status mfrt_registry_metadata_at(int64_t index, const char **key,
                                      const char **value);
/* The world size the program was compiled for (1 unless registered). */
int64_t mfrt_registry_world(void);
/* Group tables in id order; NULL outside [0, count). */
int64_t mfrt_registry_group_table_count(void);
const mfrt_group_table *mfrt_registry_group_table(int64_t id);
/* The members of the group of `table` that contains world rank `rank`
 * (group_size entries), or NULL. */
const int64_t *mfrt_group_table_find(const mfrt_group_table *table,
                                     int64_t rank);
/* Offsets of `rank`'s slice of buffer `b` (b->tensor.rank entries written
 * to `offsets`; zeros when the buffer is whole everywhere). */
void mfrt_buffer_slice_offsets(const mfrt_buffer_info *b, int64_t rank,
                               int64_t *offsets);
/* 1 when every rank holds the whole tensor of `b`. */
int mfrt_buffer_is_whole(const mfrt_buffer_info *b);

/* Forgets everything (tests). */
void mfrt_registry_reset(void);

/* Name of a family value ("embedding", ...); "state" for -1, "unknown"
 * outside the enum. */
const char *mfrt_family_name(int32_t family);

/* The parameter id moefold-compile assigns: 64-bit FNV-1a of the name. */
uint64_t mfrt_param_id_of(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_REGISTRY_H */
