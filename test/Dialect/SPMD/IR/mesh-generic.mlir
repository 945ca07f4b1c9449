// RUN: moefold-opt %s -mlir-print-op-generic | FileCheck %s

// The stored form other components read: derived axes carry
// ShapedType::kDynamic as their size.

// CHECK: "spmd.mesh"() <{dense_axes = ["dp", "tp"], dense_sizes = array<i64: -9223372036854775808, 2>, expert_axes = ["edp", "ep", "etp"], expert_sizes = array<i64: -9223372036854775808, 4, 1>, sym_name = "mesh", world = 8 : i64}>
spmd.mesh @mesh world = 8 dense = [dp, tp = 2] expert = [edp, ep = 4, etp = 1]
