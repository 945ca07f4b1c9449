//===- MoEOptimizerOps.td - gradient norm, clipping, updates -*- tablegen -*-===//
//
// Included from MoEOps.td. Pure ops computing a training step's update;
// the update becomes visible through moe.set_param / moe.set_state. Norms,
// scales, learning rates and step counts are `tensor<f32>`, the skip flag
// `tensor<i1>`.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOEOPTIMIZEROPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOEOPTIMIZEROPS_TD

def MoE_GlobalNormOp : MoE_Op<"global_norm", [Pure]> {
  let summary = "L2 norm over every element of every operand.";
  let description = [{
    `sqrt(sum over operands, sum over elements of g^2)`, accumulated in at
    least f32, as a `tensor<f32>`. At least one operand. Each operand is a
    whole global gradient, so every logical element is counted exactly once.

    ```mlir
    %norm = moe.global_norm %g0, %g1 : tensor<256x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Variadic<MoE_FloatTensor>:$grads);
  let results = (outs MoE_F32Scalar:$norm);
  let assemblyFormat = "$grads attr-dict `:` type($grads)";
  let hasVerifier = 1;
}

def MoE_ClipScaleOp : MoE_Op<"clip_scale", [Pure]> {
  let summary = "Gradient-clipping factor and the skip-step flag for a gradient norm.";
  let description = [{
    `scale = min(1, max_norm / (norm + 1e-6))` (PyTorch's
    `clip_grad_norm_`), or 1 when `max_norm <= 0` (clipping disabled).
    `apply` is false when `norm` is not finite (NaN or infinite): the step
    is skipped (every optimizer op returns its inputs unchanged) and the
    driver reports it; `scale` is then 1. `max_norm` must not be NaN or
    infinite.

    ```mlir
    %scale, %apply = moe.clip_scale %norm max_norm = 1.0
    ```
  }];
  let arguments = (ins MoE_F32Scalar:$norm, F64Attr:$max_norm);
  let results = (outs MoE_F32Scalar:$scale, MoE_I1Scalar:$apply);
  let assemblyFormat = "$norm `max_norm` `=` $max_norm attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Checks a max_norm (also used for pass options); `emitError` starts
    /// the diagnostic.
    static ::mlir::LogicalResult verifyMaxNorm(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        double maxNorm);
  }];
}

def MoE_SGDStepOp : MoE_Op<"sgd_step", [Pure,
    AllTypesMatch<["param", "grad", "new_param"]>]> {
  let summary = "Plain SGD update with decoupled weight decay.";
  let description = [{
    With `g = scale * grad`:
    `new_param = param * (1 - lr * weight_decay) - lr * g`
    when `apply` is true, `new_param = param` otherwise. `weight_decay` must
    be non-negative and finite.

    ```mlir
    %p2 = moe.sgd_step %p, %g, %scale, %lr, %apply weight_decay = 0.0 : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$param, MoE_FloatTensor:$grad,
                   MoE_F32Scalar:$scale, MoE_F32Scalar:$lr,
                   MoE_I1Scalar:$apply, F64Attr:$weight_decay);
  let results = (outs MoE_FloatTensor:$new_param);
  let assemblyFormat = [{
    $param `,` $grad `,` $scale `,` $lr `,` $apply
    `weight_decay` `=` $weight_decay attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Checks a weight decay (also used for pass options); `emitError`
    /// starts the diagnostic.
    static ::mlir::LogicalResult verifyWeightDecay(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        double weightDecay);
  }];
}

def MoE_AdamWStepOp : MoE_Op<"adamw_step", [Pure,
    AllTypesMatch<["param", "grad", "m", "v", "new_param", "new_m", "new_v"]>]> {
  let summary = "AdamW update (decoupled weight decay, bias correction).";
  let description = [{
    With `g = scale * grad` and `step` counting from 1 (PyTorch's AdamW):

    ```
    new_m     = beta1 * m + (1 - beta1) * g
    new_v     = beta2 * v + (1 - beta2) * g * g
    m_hat     = new_m / (1 - beta1^step)
    v_hat     = new_v / (1 - beta2^step)
    new_param = param * (1 - lr * weight_decay) - lr * m_hat / (sqrt(v_hat) + epsilon)
    ```

    When `apply` is false every result equals the corresponding input
    (`param`, `m`, `v`). `beta1` and `beta2` are in `[0, 1)`, `epsilon` is
    positive, `weight_decay` non-negative, all finite.

    ```mlir
    %p2, %m2, %v2 = moe.adamw_step %p, %g, %m, %v, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$param, MoE_FloatTensor:$grad,
                   MoE_FloatTensor:$m, MoE_FloatTensor:$v,
                   MoE_F32Scalar:$scale, MoE_F32Scalar:$lr,
                   MoE_F32Scalar:$step, MoE_I1Scalar:$apply,
                   F64Attr:$beta1, F64Attr:$beta2, F64Attr:$epsilon,
                   F64Attr:$weight_decay);
  let results = (outs MoE_FloatTensor:$new_param, MoE_FloatTensor:$new_m,
                      MoE_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $scale `,` $lr `,` $step `,` $apply
    `beta1` `=` $beta1 `beta2` `=` $beta2 `epsilon` `=` $epsilon
    `weight_decay` `=` $weight_decay attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Checks AdamW hyperparameters (also used for pass options);
    /// `emitError` starts the diagnostic.
    static ::mlir::LogicalResult verifyHyperparameters(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        double beta1, double beta2, double epsilon, double weightDecay);
  }];
}

//===----------------------------------------------------------------------===//
// Gradient buckets
//===----------------------------------------------------------------------===//

def MoE_PackOp : MoE_Op<"pack", [Pure]> {
  let summary = "Concatenates tensors, flattened row-major, into one 1-D bucket.";
  let description = [{
    The result is the operands' elements, each operand flattened in row-major
    order, one after the other: a bucket that one collective reduces for all
    of them (`moe-grad-reduce`). At least one operand; every operand and the
    result have the same element type; the result has as many elements as
    the operands together. `moe.unpack` is the inverse.

    ```mlir
    %b = moe.pack %g0, %g1 : tensor<4x8xf32>, tensor<8xf32> -> tensor<40xf32>
    ```
  }];
  let arguments = (ins Variadic<MoE_FloatTensor>:$inputs);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
}

def MoE_UnpackOp : MoE_Op<"unpack", [Pure]> {
  let summary = "Splits a 1-D bucket back into the tensors `moe.pack` joined.";
  let description = [{
    Result `i` is the next `numel(result i)` elements of `input`, reshaped
    row-major. At least one result; the results together have exactly the
    input's elements, all of its element type.

    ```mlir
    %g0, %g1 = moe.unpack %b : tensor<40xf32> -> tensor<4x8xf32>, tensor<8xf32>
    ```
  }];
  let arguments = (ins MoE_FloatTensor:$input);
  let results = (outs Variadic<MoE_FloatTensor>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOEOPTIMIZEROPS_TD
