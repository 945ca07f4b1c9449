// RUN: not moefold-opt %s 2>&1 | FileCheck %s

// A placement attribute that ends mid-way (no closing brace or bracket).

func.func @malformed_truncated_attr() attributes {p = #spmd.placement<@mesh[dense] {tp = S(0)}
// CHECK: malformed-truncated-attr.mlir:5:70: error: unbalanced '<' character in pretty dialect name
