//===- Passes.td - moe to runtime conversion ---------------*- tablegen -*-===//

#ifndef MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_TD
#define MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoELowerToRuntimePass
    : Pass<"moe-lower-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Lowers moe ops on tensors to runtime calls on memrefs.";
  let description = [{
    Turns a module of global, straight-line, statically shaped moe programs
    into calls of the runtime's MLIR ABI (`runtime/mlir_abi`):

    - every tensor becomes a memref; every moe op result is a fresh
      `memref.alloc` (64-byte aligned), and every moe op one `func.call` to
      `mfrt_mlir_<op>_<fwd|bwd>_<f32|f64>` taking unranked memrefs
      (`memref<*xf32>`, `memref<*xi32>` for index tensors) followed by its
      attributes as `i64`/`i32`/`f64` scalars, operands first, results last;
    - `moe.param` and `moe.state` become private uninitialised
      `memref.global`s named `moefold.param.<name>` / `moefold.state.<name>`;
      `moe.get_param`/`moe.get_state` read them with `memref.get_global`
      (copying first when the value is used after a later set of the same
      symbol), `moe.set_param`/`moe.set_state` write them with `memref.copy`;
    - every temporary buffer is freed right after its last use (a
      single-block analysis: the programs are straight-line);
    - public functions get a C-callable entry ABI
      (`llvm.emit_c_interface`): 0-d float arguments and results become
      `f64` values, 0-d `i1` results `i1` values;
    - a function `moefold_register()` hands the runtime every parameter and
      state buffer with its name, kind, family, init spec and parameter id
      (64-bit FNV-1a of the name), the batch geometry of the entry functions
      and the module's `moefold.metadata` strings.

    An op of the moe or spmd dialect without a runtime lowering is an error
    naming it.

    ```mlir
    %y = moe.linear %x, %w : tensor<2x16x64xf32>, tensor<64x32xf32>
    ```

    becomes

    ```mlir
    %y = memref.alloc() {alignment = 64 : i64} : memref<2x16x32xf32>
    %0 = memref.cast %x : memref<2x16x64xf32> to memref<*xf32>
    %1 = memref.cast %w : memref<64x32xf32> to memref<*xf32>
    %2 = memref.cast %y : memref<2x16x32xf32> to memref<*xf32>
    call @mfrt_mlir_linear_fwd_f32(%0, %1, %2) : (memref<*xf32>, memref<*xf32>, memref<*xf32>) -> ()
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def MoERuntimeToDevicePass
    : Pass<"moe-runtime-to-device", "::mlir::ModuleOp"> {
  let summary = "Makes the runtime-call IR keep every buffer in device memory.";
  let description = [{
    Runs after `moe-lower-to-runtime` for the cuda backends
    (`moefold-compile --backend cuda|cuda-emulated`, docs/gpu-programs.md).
    The runtime calls already take every buffer by reference; what remains
    is the program's own touches of buffer memory, which this pass turns into
    runtime calls, in every function except `moefold_register` (which keeps
    handing the runtime the host globals: they stay the host mirrors that
    initialisation, checkpoints and dumps use):

    - `memref.get_global @g` becomes the buffer's device twin:
      `func.call @mfrt_mlir_device_twin_<t>(host) -> memref<*xT>` on the
      global cast to an unranked memref, cast back to the ranked type;
    - a `memref.load` / `memref.store` of a 0-d buffer becomes
      `mfrt_mlir_load_scalar_<t>` / `mfrt_mlir_store_scalar_<t>` (one
      element copied from / to the device; `i1` travels as `i32`); a store
      into a 1-d buffer (the integer tables of per-rank programs)
      `mfrt_mlir_store_element_<t>(value, i64 index, buffer)`;
    - `memref.copy` becomes `mfrt_mlir_copy_buffer_<t>(src, dst)`
      (device to device).

    `<t>` is `f32`, `f64`, `i1`, `i32` or `i64`. `memref.alloc` and
    `memref.dealloc` are left alone: the LLVM pipeline of the device programs
    lowers them to the generic `_mlir_memref_to_llvm_alloc` / `_free`, which
    the cuda MLIR ABI library implements with the device allocator. Any other
    load or store (a load with indices, a store into a buffer of rank 2 or
    more) or another element type is an error.

    ```mlir
    %g = memref.get_global @moefold.param.w : memref<4x8xf32>
    ```

    becomes

    ```mlir
    %h = memref.get_global @moefold.param.w : memref<4x8xf32>
    %0 = memref.cast %h : memref<4x8xf32> to memref<*xf32>
    %1 = call @mfrt_mlir_device_twin_f32(%0) : (memref<*xf32>) -> memref<*xf32>
    %g = memref.cast %1 : memref<*xf32> to memref<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

#endif // MOEFOLD_CONVERSION_MOETORUNTIME_PASSES_TD
