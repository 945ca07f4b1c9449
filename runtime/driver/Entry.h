//===- Entry.h - the functions a compiled model defines ---------*- C++ -*-===//
//
// moe-lower-to-runtime gives every public function of the model the
// `llvm.emit_c_interface` ABI: memref arguments are passed as pointers to
// their ranked descriptors, 0-d float arguments and results are f64 values,
// an i1 result is a bool, and a function with several results writes them
// through a pointer to a struct passed first. The driver calls:
//
//   moefold_register()                   buffers, geometry, metadata
//   moefold_train_step(tokens, targets, lr, step) -> (loss, grad_norm, applied)
//   moefold_eval(tokens, targets) -> loss            (forward only)
//
// The step entries are weak: an executable compiled from a forward-only
// module has no train step and runs in eval mode.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_DRIVER_ENTRY_H
#define MOEFOLD_RUNTIME_DRIVER_ENTRY_H

#include <cstdint>

namespace moefold::driver {

/// MLIR's descriptor of a memref<BxSxi32>.
struct TokenMemRef {
  int32_t *allocated;
  int32_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// The results of moefold_train_step, as the C interface returns them.
struct TrainStepResult {
  double loss;
  double gradNorm;
  bool applied;
};

} // namespace moefold::driver

extern "C" {
void moefold_register(void);
void _mlir_ciface_moefold_train_step(moefold::driver::TrainStepResult *result,
                                     moefold::driver::TokenMemRef *tokens,
                                     moefold::driver::TokenMemRef *targets,
                                     double lr, double step)
    __attribute__((weak));
double _mlir_ciface_moefold_eval(moefold::driver::TokenMemRef *tokens,
                                 moefold::driver::TokenMemRef *targets)
    __attribute__((weak));
}

#endif // MOEFOLD_RUNTIME_DRIVER_ENTRY_H
