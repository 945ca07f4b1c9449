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
  mfrt_tensor tensor; /* the buffer itself: data, dtype, global shape */
} mfrt_buffer_info;

/* The geometry of the entry functions: tokens and targets are [batch,
 * seq_len] i32 with ids < vocab; float_dtype is the model's MFRT_F32 or
 * MFRT_F64. */
typedef struct mfrt_model_info {
  int64_t batch;
  int64_t seq_len;
  int64_t vocab;
  int32_t float_dtype;
} mfrt_model_info;

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
