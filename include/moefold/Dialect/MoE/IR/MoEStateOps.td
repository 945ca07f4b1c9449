//===- MoEStateOps.td - constants and persistent state ---*- tablegen -*-===//
//
// Included from MoEOps.td. `moe.fill` (zeros for missing gradients, the
// loss seed), `moe.state` buffers (optimizer moments, gradient buffers) and
// the ops that read and overwrite states and parameters.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_DIALECT_MOE_IR_MOESTATEOPS_TD
#define MOEFOLD_DIALECT_MOE_IR_MOESTATEOPS_TD

def MoE_FillOp : MoE_Op<"fill", [Pure]> {
  let summary = "A tensor with every element equal to one value.";
  let description = [{
    `moe-autodiff` seeds the loss gradient with `moe.fill 1.0` and
    materialises an absent gradient as `moe.fill 0.0`. The value must be
    finite and representable in the element type.

    ```mlir
    %z = moe.fill 0.0 : tensor<2x16x64xf32>
    %one = moe.fill 1.0 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$type, "double":$value), [{
      build($_builder, $_state, type, $_builder.getF64FloatAttr(value));
    }]>
  ];
}

def MoE_StateOp : MoE_Op<"state", [Symbol, HasParent<"::mlir::ModuleOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Declares a persistent, non-trainable buffer.";
  let description = [{
    A module-level symbol for one global tensor the program keeps across
    steps without training it: optimizer moments (`@adam_m.<param>`,
    `@adam_v.<param>`) and gradient buffers (`@grad.<param>`, dumped by
    `--dump-grads`). States are saved in checkpoints like parameters. `type`
    must be a statically shaped float tensor. `init` is optional and
    defaults to `zeros`; it uses the syntax of `moe.param`'s init.

    After `moe-partition`, `type` is the per-rank (local) type; the optional
    `global_type` keeps the global one and the optional `global_placement`
    the placement the state follows (absent: replicated).
    `global_placement` needs `global_type`; with `global_type`, the
    placement is checked against it and `type` must be its local shape of
    `global_type`, as for `moe.param`.

    ```mlir
    moe.state @adam_m.embed : tensor<256x64xf32>
    moe.state @ema.router : tensor<64x8xf32> init = ones
    // Partitioned over tp = 2.
    moe.state @adam_m.lm_head : tensor<64x128xf32> {global_placement = #spmd.placement<@mesh[dense] {dp = R, tp = S(1)}>, global_type = tensor<64x256xf32>}
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttr:$type,
    OptionalAttr<MoE_InitAttr>:$init,
    OptionalAttr<TypeAttrOf<AnyRankedTensor>>:$global_type,
    OptionalAttr<SPMD_PlacementAttr>:$global_placement);
  // A state at global semantics: no global_type or global_placement.
  let builders = [
    OpBuilder<(ins "::llvm::StringRef":$symName, "::mlir::Type":$type,
                   "InitAttr":$init), [{
      build($_builder, $_state, symName, type, init, ::mlir::TypeAttr(),
            ::moefold::spmd::PlacementAttr());
    }]>
  ];
  let assemblyFormat = [{
    $sym_name `:` $type (`init` `=` custom<InitSpec>($init)^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The declared type as a ranked tensor (checked by the verifier).
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// `init` if given, else `zeros`.
    InitAttr getEffectiveInit();
    /// The global type: `global_type` when present, else `type`.
    ::mlir::RankedTensorType getGlobalTensorType() {
      if (auto global = getGlobalTypeAttr())
        return ::llvm::cast<::mlir::RankedTensorType>(global.getValue());
      return getTensorType();
    }
  }];
}

def MoE_GetStateOp : MoE_Op<"get_state", [
    MemoryEffects<[MemRead<MoE_StateResource>]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Reads a state.";
  let description = [{
    Yields the current value of the `moe.state` named `name`. The result
    type must equal the state's type exactly.

    ```mlir
    %m = moe.get_state @adam_m.embed : tensor<256x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs MoE_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def MoE_SetStateOp : MoE_Op<"set_state", [
    MemoryEffects<[MemWrite<MoE_StateResource>]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Overwrites a state.";
  let description = [{
    Stores `value` into the `moe.state` named `name` (a side effect: later
    `moe.get_state` reads see it). The value type must equal the state's
    type exactly.

    ```mlir
    moe.set_state @adam_m.embed, %m2 : tensor<256x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, MoE_FloatTensor:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` type($value)";
}

def MoE_SetParamOp : MoE_Op<"set_param", [
    MemoryEffects<[MemWrite<MoE_ParamResource>]>,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Overwrites a parameter.";
  let description = [{
    Stores `value` into the `moe.param` named `name` (a side effect: later
    `moe.get_param` reads see it). This is how an optimizer step is made
    visible. The value type must equal the parameter's type exactly.

    ```mlir
    moe.set_param @embed, %p2 : tensor<256x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, MoE_FloatTensor:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` type($value)";
}

#endif // MOEFOLD_DIALECT_MOE_IR_MOESTATEOPS_TD
