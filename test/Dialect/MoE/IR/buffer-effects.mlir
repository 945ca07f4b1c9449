// RUN: moefold-opt %s -cse -canonicalize | FileCheck %s

// Reads and writes of parameters and states carry memory effects: CSE may
// merge two reads with no write between them, never across a write, and a
// write is never dropped.

moe.param @w : tensor<4xf32> family = norm
moe.state @m : tensor<4xf32>

// CHECK-LABEL: func.func @effects_param_read_after_write
// CHECK: %[[A:.*]] = moe.get_param @w
// CHECK-NEXT: moe.set_param @w, %{{.*}}
// CHECK-NEXT: %[[B:.*]] = moe.get_param @w
// CHECK-NEXT: return %[[A]], %[[B]]
// The read after the write must observe the new value.
func.func @effects_param_read_after_write(%v: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = moe.get_param @w : tensor<4xf32>
  moe.set_param @w, %v : tensor<4xf32>
  %b = moe.get_param @w : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @effects_state_read_after_write
// CHECK: %[[A:.*]] = moe.get_state @m
// CHECK-NEXT: moe.set_state @m, %{{.*}}
// CHECK-NEXT: %[[B:.*]] = moe.get_state @m
// CHECK-NEXT: return %[[A]], %[[B]]
// Same for states.
func.func @effects_state_read_after_write(%v: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = moe.get_state @m : tensor<4xf32>
  moe.set_state @m, %v : tensor<4xf32>
  %b = moe.get_state @m : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @effects_reads_merge
// CHECK: %[[A:.*]] = moe.get_param @w
// CHECK-NOT: moe.get_param
// CHECK: return %[[A]], %[[A]]
// Two reads with no write between them are one read.
func.func @effects_reads_merge() -> (tensor<4xf32>, tensor<4xf32>) {
  %a = moe.get_param @w : tensor<4xf32>
  %b = moe.get_param @w : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @effects_unused_read_dropped
// CHECK-NOT: moe.get_
// CHECK: moe.set_state @m
// CHECK-NEXT: return
// Unused reads are dead; writes are kept even though nothing uses them.
func.func @effects_unused_read_dropped(%v: tensor<4xf32>) {
  %a = moe.get_param @w : tensor<4xf32>
  %b = moe.get_state @m : tensor<4xf32>
  moe.set_state @m, %v : tensor<4xf32>
  return
}
