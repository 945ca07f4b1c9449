//===- MpiBackend.h - the MPI backend as the NCCL backend's control plane -===//
//
// MPI stays the bootstrap and control plane of the NCCL backend: start-up,
// the world-size check, group validation, barriers, abort, the watchdog,
// the consistency checks and the ragged row-count exchange. Rather than copy
// runtime/comm, MpiBackend.cpp compiles its sources into this library with
// the entry points that the NCCL backend extends or replaces renamed to
// mfrt_mpi_comm_*; the NCCL files define the mfrt_comm_* names and call
// these where MPI does (part of) the work. Everything else of runtime/comm
// (queries, stats, abort, timeouts) is used unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_COMM_NCCL_MPIBACKEND_H
#define MOEFOLD_RUNTIME_COMM_NCCL_MPIBACKEND_H

#include "moefold_runtime/mfrt_comm.h"

extern "C" {

mfrt_status mfrt_mpi_comm_init(int *argc, char ***argv, int64_t expected_world,
                               const char *mesh_text);
mfrt_status mfrt_mpi_comm_finalize(void);
mfrt_status mfrt_mpi_comm_create_group(const char *name,
                                       const int64_t *members, int64_t n,
                                       mfrt_comm_group **out);
mfrt_status mfrt_mpi_comm_barrier(mfrt_comm_group *group);
/// On host tensors: the count exchange with its collective failure.
mfrt_status mfrt_mpi_comm_all_to_all_recv_rows(mfrt_comm_group *group,
                                               const mfrt_tensor *send_counts,
                                               const mfrt_tensor *recv_counts,
                                               int64_t *total_rows);
}

#endif // MOEFOLD_RUNTIME_COMM_NCCL_MPIBACKEND_H
