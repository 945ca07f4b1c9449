//===- MoeLayer.h - one MoE layer on the cuda backend, for timing --------===//
//
// Owns every device tensor of one layer's forward and backward and calls the
// cuda backend's entry points (mfrt_cuda_ops.h) in the order a compiled
// training step does: router, dispatch (permute), grouped SwiGLU experts,
// combine (unpermute), then the backward of each in reverse and the sum of
// the two input gradients. Inputs are deterministic synthetic values.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_BENCH_GPU_MOELAYER_H
#define MOEFOLD_BENCH_GPU_MOELAYER_H

#include "LayerShape.h"

#include "moefold_runtime/mfrt.h"

#include <memory>
#include <vector>

namespace moefold::bench {

class MoeLayer {
public:
  /// Allocates and fills the layer's tensors in `dtype` (MFRT_F32 or
  /// MFRT_BF16). On failure the reason is mfrt_last_error().
  static mfrt_status create(const LayerShape &shape, mfrt_dtype dtype,
                            std::unique_ptr<MoeLayer> &out);
  ~MoeLayer();

  mfrt_status routerForward();
  mfrt_status permute();   // mfrt_cuda_dispatch_fwd
  mfrt_status expertsForward();
  mfrt_status unpermute(); // mfrt_cuda_combine_fwd
  mfrt_status backward();  // combine, experts, dispatch, router, dx sum
  /// The reference device-to-device copy of the permuted tensor's bytes.
  mfrt_status copyPermuted();

  /// Largest expert group over the mean T·k/E, after routerForward+permute.
  mfrt_status groupImbalance(double &maxOverMean);
  /// Whether the layer output and dx are finite (after a full iteration).
  mfrt_status outputsFinite(bool &finite);

private:
  struct Tensors;
  MoeLayer(const LayerShape &shape, mfrt_dtype dtype);
  LayerShape shape_;
  mfrt_dtype dtype_;
  std::vector<void *> owned_;
  std::unique_ptr<Tensors> t_;
};

} // namespace moefold::bench

#endif
