//===- DistLocal.cpp - Dist.h for single-rank executables -----------------===//
//
// Linked into executables compiled for --mesh world=1: no MPI, one rank.
//
//===----------------------------------------------------------------------===//

#include "Dist.h"

#include "moefold_runtime/mfrt_registry.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace moefold::driver::dist {

bool init(int *, char ***, int64_t world, const char *meshText,
          std::string &error) {
  if (world != 1) {
    error = "this executable was compiled for world=" + std::to_string(world) +
            " (mesh " + (meshText ? meshText : "?") +
            ") but linked without the MPI communication backend";
    return false;
  }
  return true;
}

int64_t rank() { return 0; }
int64_t worldSize() { return 1; }

bool createGroups(std::string &error) {
  if (mfrt_registry_group_table_count() == 0)
    return true;
  error = "the program has collectives but was linked without the MPI "
          "communication backend";
  return false;
}

bool anyFailed(bool failed, int64_t *firstFailed) {
  if (firstFailed)
    *firstFailed = failed ? 0 : -1;
  return failed;
}

bool allGather(const mfrt_tensor &local, void *all, std::string &) {
  size_t bytes =
      size_t(mfrt_tensor_numel(&local)) * mfrt_dtype_size(local.dtype);
  if (bytes)
    std::memcpy(all, local.data, bytes);
  return true;
}

std::vector<CommCounter> commCounters() { return {}; }

void finalize() {}

void abortJob(int code, const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::exit(code);
}

} // namespace moefold::driver::dist
