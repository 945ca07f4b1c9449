//===- MpiBackend.cpp - runtime/comm compiled as the control plane --------===//
//
// See MpiBackend.h. The MPI data-plane entry points not used by the NCCL
// backend (all_reduce, all_gather, reduce_scatter, broadcast, all_to_all on
// host memory) are renamed too, so that the NCCL versions own the public
// names; their shared helpers (consistency checks, overlap checks) are used
// through Collectives.h, and the argument checks both backends report the
// same way through CollectiveChecks.h (../comm/CollectiveChecks.cpp, a
// source of its own in both libraries).
//
//===----------------------------------------------------------------------===//

#define mfrt_comm_init mfrt_mpi_comm_init
#define mfrt_comm_finalize mfrt_mpi_comm_finalize
#define mfrt_comm_create_group mfrt_mpi_comm_create_group
#define mfrt_comm_barrier mfrt_mpi_comm_barrier
#define mfrt_comm_all_reduce mfrt_mpi_comm_all_reduce
#define mfrt_comm_all_gather mfrt_mpi_comm_all_gather
#define mfrt_comm_reduce_scatter mfrt_mpi_comm_reduce_scatter
#define mfrt_comm_broadcast mfrt_mpi_comm_broadcast
#define mfrt_comm_all_to_all_recv_rows mfrt_mpi_comm_all_to_all_recv_rows
#define mfrt_comm_all_to_all mfrt_mpi_comm_all_to_all

// One translation unit: the files' file-local helpers have distinct names.
#include "../comm/Comm.cpp"
#include "../comm/Groups.cpp"
#include "../comm/Collectives.cpp"
#include "../comm/AllToAll.cpp"
