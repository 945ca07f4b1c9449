//===- DenseSupport.cpp - device-side validation of index tensors --------===//

#include "DenseSupport.h"

#include <climits>

namespace mfrt::gpu::dense {

bool checkIndices(ArgChecker &a, const mfrt_tensor *idx, int64_t bound,
                  const char *name) {
  int64_t n = numel(idx);
  if (n == 0)
    return true;
  Scratch flag;
  if (flag.allocate(a.fn(), sizeof(unsigned long long)) != MFRT_OK)
    return a.fail("%s: cannot allocate the error flag", name);
  unsigned long long *first = flag.as<unsigned long long>();
  const int32_t *v = ptr<const int32_t>(idx);
  forEach(1, [=] MFRT_HD(int64_t) { *first = ULLONG_MAX; });
  forEach(n, [=] MFRT_HD(int64_t i) {
    if (v[i] < 0 || int64_t(v[i]) >= bound)
      atomicMinIndex(first, (unsigned long long)i);
  });
  if (launched(a.fn()) != MFRT_OK)
    return a.fail("%s: the index check did not launch", name);
  unsigned long long pos = 0;
  if (mfrt_device_copy_to_host(&pos, first, sizeof(pos)) != MFRT_OK)
    return a.fail("%s: reading the index check back failed: %s", name,
                  mfrt_last_error());
  if (pos == ULLONG_MAX)
    return true;
  int32_t value = 0;
  if (mfrt_device_copy_to_host(&value, v + pos, sizeof(value)) != MFRT_OK)
    return a.fail("%s: reading the offending index back failed", name);
  return a.fail("%s: value %d at flat position %lld is outside [0, %lld)",
                name, value, static_cast<long long>(pos),
                static_cast<long long>(bound));
}

} // namespace mfrt::gpu::dense
