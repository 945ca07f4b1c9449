/*===- mfrt_comm.h - moefold runtime communication backend (MPI) ---------===*
 *
 * Collectives of the compiled per-rank programs over the axis groups the
 * compiler computed (DESIGN.md §2, docs/placement.md). The runtime never
 * derives a group itself: every rank passes its own group's member list, in
 * the compiler's order, to mfrt_comm_create_group.
 *
 *  - Every function except the queries returns an mfrt_status; on failure
 *    mfrt_last_error() names the function, the group and the numbers.
 *  - Collectives are collective: every member of the group calls the same
 *    one, in the same order, with matching arguments. Argument errors are
 *    found locally before any communication; a rank that gets a non-OK
 *    status from a collective must not carry on (call mfrt_comm_abort),
 *    since its peers are waiting for it. The watchdog bounds that wait.
 *  - Tensors are mfrt_tensor descriptors (dense, row-major). Reductions take
 *    f32, f64, i32, i64 (avg: f32, f64 only); pure data movement (all_gather,
 *    all_to_all, broadcast) also takes bf16.
 *  - Not thread-safe: one thread of a rank drives communication.
 *
 * See docs/comm.md for the group contract, the ragged all_to_all protocol,
 * timeouts and byte accounting.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_COMM_H
#define MOEFOLD_RUNTIME_MFRT_COMM_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit status of every rank when mpirun started the wrong number of ranks. */
#define MFRT_COMM_EXIT_WORLD_MISMATCH 2
/* MPI_Abort code used by the watchdog when a collective times out. */
#define MFRT_COMM_EXIT_TIMEOUT 3
/* Default collective timeout in seconds (env MOEFOLD_COMM_TIMEOUT_S). */
#define MFRT_COMM_DEFAULT_TIMEOUT_S 300.0

/* A communicator over one group of ranks; owned by the runtime, valid until
 * mfrt_comm_finalize. */
typedef struct mfrt_comm_group mfrt_comm_group;

typedef enum mfrt_reduce_op {
  MFRT_REDUCE_SUM = 0,
  MFRT_REDUCE_AVG = 1, /* sum divided by the group size; float types only */
  MFRT_REDUCE_MAX = 2,
} mfrt_reduce_op;

/* Kinds of collectives, the second key of the byte accounting. */
typedef enum mfrt_comm_op {
  MFRT_COMM_ALL_REDUCE = 0,
  MFRT_COMM_ALL_GATHER = 1,
  MFRT_COMM_REDUCE_SCATTER = 2,
  MFRT_COMM_ALL_TO_ALL = 3,        /* payload rows of ragged all_to_all */
  MFRT_COMM_ALL_TO_ALL_COUNTS = 4, /* its row-count exchange */
  MFRT_COMM_BROADCAST = 5,
  MFRT_COMM_BARRIER = 6,
  MFRT_COMM_NUM_OPS = 7,
} mfrt_comm_op;

/* Wildcard for mfrt_comm_stats_get: every kind. */
#define MFRT_COMM_ANY_OP (-1)

/* Counters of one (group, op kind); see docs/comm.md for what is counted. */
typedef struct mfrt_comm_stats {
  int64_t calls;
  int64_t bytes_sent;
  int64_t bytes_received;
  /* Rows of all_to_all a rank addresses to itself: a local copy, not
   * traffic (0 for the other kinds). With bytes_sent it accounts for every
   * row the rank sent, so a report can check that each token copy moved
   * exactly once. */
  int64_t bytes_local;
} mfrt_comm_stats;

/*--- lifetime -------------------------------------------------------------*/

/* Initialises MPI (unless the caller already did) and the backend, and
 * creates the "world" group. `expected_world` is the world size the program
 * was compiled for (<= 0: any); `mesh_text` (may be NULL) is the mesh as the
 * user wrote it, e.g. "world=8,tp=2,ep=4", used in messages. If MPI's world
 * size differs, every rank prints
 *   moefold: this executable was compiled for world=8 (mesh world=8,tp=2,
 *   ep=4) but mpirun started 4 ranks; run: mpirun -np 8 ./prog ...
 * to stderr and exits with MFRT_COMM_EXIT_WORLD_MISMATCH.
 * Environment: MOEFOLD_COMM_TIMEOUT_S (collective timeout in seconds,
 * default 300, 0 disables the watchdog), MOEFOLD_COMM_CHECK=1 (verify before
 * every collective that the group's ranks passed matching arguments). */
mfrt_status mfrt_comm_init(int *argc, char ***argv, int64_t expected_world,
                           const char *mesh_text);

/* Frees every group and finalises MPI if mfrt_comm_init initialised it.
 * Collective over the world. Group handles are invalid afterwards. */
mfrt_status mfrt_comm_finalize(void);

/* 1 between mfrt_comm_init and mfrt_comm_finalize, else 0. */
int mfrt_comm_initialized(void);

/* This process's world rank and the world size; -1 when not initialised. */
int64_t mfrt_comm_rank(void);
int64_t mfrt_comm_world(void);

/* Prints "moefold: rank R: msg" to stderr and terminates every rank of the
 * job with exit status `code` (MPI_Abort). Never returns. */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void mfrt_comm_abort(int code, const char *msg);

/* The collective timeout in seconds (0: watchdog off). Setting it applies to
 * the next collective; a negative or non-finite value is rejected. */
double mfrt_comm_timeout_s(void);
mfrt_status mfrt_comm_set_timeout_s(double seconds);

/* Turns the cross-rank argument check (MOEFOLD_COMM_CHECK) on or off. */
void mfrt_comm_set_consistency_checks(int enabled);

/*--- groups ---------------------------------------------------------------*/

/* The group of all ranks in world-rank order, named "world". */
mfrt_comm_group *mfrt_comm_world_group(void);

/* Called by every rank of the world, each with ITS OWN group's members (world
 * ranks, in the compiler's group order; a rank's position is its index in
 * the group). The call must be made by all ranks with the same `name`, and
 * the ranks of one group must pass identical lists; the groups of one call
 * partition the world. Errors (on every rank at once): a member outside
 * [0, world), a duplicate, the caller missing from its list, a name already
 * used, ranks disagreeing on the name, on the order or on the size of a
 * group. On success *out is the new group. */
mfrt_status mfrt_comm_create_group(const char *name, const int64_t *members,
                                   int64_t n, mfrt_comm_group **out);

/* The group called `name`, or NULL. */
mfrt_comm_group *mfrt_comm_find_group(const char *name);

/* Enumeration in creation order ("world" first); NULL outside [0, count). */
int64_t mfrt_comm_group_count(void);
mfrt_comm_group *mfrt_comm_group_at(int64_t index);

/* Queries; "" / -1 for a NULL group. */
const char *mfrt_comm_group_name(const mfrt_comm_group *group);
int64_t mfrt_comm_group_size(const mfrt_comm_group *group);
/* This rank's position in the group. */
int64_t mfrt_comm_group_rank(const mfrt_comm_group *group);
/* World rank of the member at `index`; -1 outside [0, size). */
int64_t mfrt_comm_group_member(const mfrt_comm_group *group, int64_t index);

/*--- collectives ----------------------------------------------------------*/

mfrt_status mfrt_comm_barrier(mfrt_comm_group *group);

/* out = op over the group of in. `in` NULL or in->data == out->data: in
 * place on out. Otherwise in and out have the same dtype and shape and must
 * not overlap. */
mfrt_status mfrt_comm_all_reduce(mfrt_comm_group *group, const mfrt_tensor *in,
                                 const mfrt_tensor *out, mfrt_reduce_op op);

/* Concatenation along `dim` of every member's `in`, in group order: out has
 * in's shape with shape[dim] multiplied by the group size; member i's block
 * is out[..., i*d : (i+1)*d, ...] with d = in->shape[dim]. */
mfrt_status mfrt_comm_all_gather(mfrt_comm_group *group, const mfrt_tensor *in,
                                 const mfrt_tensor *out, int64_t dim);

/* Member i gets block i along `dim` of the reduction (sum, avg or max) of
 * every member's `in`: in->shape[dim] == size * out->shape[dim], the other
 * extents equal. */
mfrt_status mfrt_comm_reduce_scatter(mfrt_comm_group *group,
                                     const mfrt_tensor *in,
                                     const mfrt_tensor *out, int64_t dim,
                                     mfrt_reduce_op op);

/* Copies `t` of the member at position `root` to every member, in place. */
mfrt_status mfrt_comm_broadcast(mfrt_comm_group *group, const mfrt_tensor *t,
                                int64_t root);

/* Ragged all_to_all, step 1 (collective): exchanges row counts.
 * send_counts [size] (i32 or i64): rows this rank sends to each member.
 * recv_counts [size] (i32 or i64): written with the rows each member sends
 * to this rank; *total_rows (may be NULL) = their sum, the rows the caller's
 * receive buffer needs. A negative count on any rank fails the call on every
 * rank of the group. */
mfrt_status mfrt_comm_all_to_all_recv_rows(mfrt_comm_group *group,
                                           const mfrt_tensor *send_counts,
                                           const mfrt_tensor *recv_counts,
                                           int64_t *total_rows);

/* Ragged all_to_all, step 2 (collective): moves rows. send [R, ...] holds
 * the rows for member 0, then member 1, ... (send_counts[j] rows each, from
 * row 0); recv [R', ...] (same dtype and trailing extents) receives
 * recv_counts[j] rows from member j, in member order, from row 0. recv_counts
 * must be what step 1 returned (or, for the inverse all_to_all, the forward
 * call's send_counts). Rows past the counted ones are neither read nor
 * written, so R and R' may be capacities. Zero rows to or from any member is
 * fine. send and recv must not overlap. */
mfrt_status mfrt_comm_all_to_all(mfrt_comm_group *group,
                                 const mfrt_tensor *send,
                                 const mfrt_tensor *send_counts,
                                 const mfrt_tensor *recv,
                                 const mfrt_tensor *recv_counts);

/*--- byte accounting ------------------------------------------------------*/

/* Counters of `group` (NULL: summed over all groups) for kind `op`
 * (an mfrt_comm_op, or MFRT_COMM_ANY_OP for all kinds). */
mfrt_status mfrt_comm_stats_get(const mfrt_comm_group *group, int op,
                                mfrt_comm_stats *out);

/* Zeroes every counter of every group. */
void mfrt_comm_stats_reset(void);

/* "all_reduce", "all_to_all_counts", ...; "unknown" outside the enum. */
const char *mfrt_comm_op_name(int op);

/* Writes the counters as one JSON object
 *   {"rank":0,"world":8,"groups":[{"name":"world","size":8,"rank":0,
 *    "ops":{"all_reduce":{"calls":1,"bytes_sent":..,"bytes_received":..}}}]}
 * (only kinds with calls > 0) into buf like snprintf: at most `size` bytes
 * including the NUL; returns the full length without the NUL. */
int64_t mfrt_comm_stats_json(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_COMM_H */
