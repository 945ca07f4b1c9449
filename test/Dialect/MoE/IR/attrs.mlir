// RUN: moefold-opt %s --allow-unregistered-dialect | moefold-opt --allow-unregistered-dialect | FileCheck %s

// The moe attributes on their own (outside moe.param and moe.router).

// CHECK-LABEL: func.func @attrs_family
// CHECK: families = [#moe.family<embedding>, #moe.family<dense>, #moe.family<norm>, #moe.family<router>, #moe.family<routed_expert>, #moe.family<shared_expert>]
// Every family case round-trips.
func.func @attrs_family() {
  "test.op"() {families = [#moe.family<embedding>, #moe.family<dense>, #moe.family<norm>, #moe.family<router>, #moe.family<routed_expert>, #moe.family<shared_expert>]} : () -> ()
  return
}

// CHECK-LABEL: func.func @attrs_scoring
// CHECK: scorings = [#moe.scoring<softmax>, #moe.scoring<sigmoid>]
func.func @attrs_scoring() {
  "test.op"() {scorings = [#moe.scoring<softmax>, #moe.scoring<sigmoid>]} : () -> ()
  return
}

// CHECK-LABEL: func.func @attrs_init
// CHECK: inits = [#moe.init<zeros>, #moe.init<ones>, #moe.init<constant(2.500000e-01)>, #moe.init<normal(2.000000e-02)>, #moe.init<truncated_normal(1.000000e+00)>, #moe.init<uniform(3.000000e+00)>]
// Every init kind round-trips.
func.func @attrs_init() {
  "test.op"() {inits = [#moe.init<zeros>, #moe.init<ones>, #moe.init<constant(0.25)>, #moe.init<normal(0.02)>, #moe.init<truncated_normal(1.0)>, #moe.init<uniform(3.0)>]} : () -> ()
  return
}
