// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// moe.state declares persistent non-trainable buffers: optimizer moments and
// gradient buffers.

// CHECK-LABEL: moe.state @adam_m.embed
// CHECK-SAME: : tensor<256x64xf32>{{$}}
// Without init the buffer starts at zeros and nothing is printed.
moe.state @adam_m.embed : tensor<256x64xf32>

// CHECK-LABEL: moe.state @ema.router
// CHECK-SAME: : tensor<64x8xf32> init = ones
// An explicit init uses moe.param's syntax.
moe.state @ema.router : tensor<64x8xf32> init = ones

// CHECK-LABEL: moe.state @grad.final_norm
// CHECK-SAME: : tensor<64xbf16> init = zeros
// Explicit zeros round-trips as written.
moe.state @grad.final_norm : tensor<64xbf16> init = zeros

// CHECK-LABEL: moe.state @step_scale
// CHECK-SAME: : tensor<f64> init = constant(5.000000e-01)
// 0-d states are allowed.
moe.state @step_scale : tensor<f64> init = constant(0.5)
