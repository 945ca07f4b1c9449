// RUN: moefold-opt %s --moe-autodiff | FileCheck %s

// The VJPs of scores before the experts: the unweighted combine gives no
// score gradient; the scaled dispatch gives the tokens' and the scores'
// (which reach the router's gradient).

module {
  moe.param @router : tensor<16x4xf32> family = router init = normal(0.02)
  moe.param @wg : tensor<4x16x8xf32> family = routed_expert init = normal(0.02)
  moe.param @wu : tensor<4x16x8xf32> family = routed_expert init = normal(0.02)
  moe.param @wd : tensor<4x8x16xf32> family = routed_expert init = normal(0.02)
  func.func @loss(%x: tensor<1x4x16xf32>, %t: tensor<1x4xi32>) -> (tensor<f32> {moe.loss}) {
    %w = moe.get_param @router : tensor<16x4xf32>
    %s, %i, %p = moe.router %x, %w scoring = sigmoid top_k = 2 : tensor<1x4x16xf32>, tensor<16x4xf32>
    %rows, %g = moe.dispatch %x, %i scores %s num_experts = 4 : tensor<1x4x16xf32>, tensor<1x4x2xi32>, tensor<1x4x2xf32>
    %wg = moe.get_param @wg : tensor<4x16x8xf32>
    %wu = moe.get_param @wu : tensor<4x16x8xf32>
    %wd = moe.get_param @wd : tensor<4x8x16xf32>
    %o = moe.experts %rows, %g, %wg, %wu, %wd : tensor<8x16xf32>, tensor<4xi32>, tensor<4x16x8xf32>, tensor<4x16x8xf32>, tensor<4x8x16xf32>
    %y = moe.combine %o, %i : tensor<8x16xf32>, tensor<1x4x2xi32>
    %l = moe.cross_entropy %y, %t : tensor<1x4x16xf32>, tensor<1x4xi32>
    return %l : tensor<f32>
  }
}

// CHECK-LABEL: func.func @loss_grad
// CHECK: %[[S:[^,]*]], %[[I:[^,]*]], %[[P:[^ ]*]] = moe.router %[[X:[^,]*]],
// CHECK: %[[ROWS:[^,]*]], %{{.*}} = moe.dispatch %[[X]], %[[I]] scores %[[S]] num_experts = 4
// CHECK: %[[O:.*]] = moe.experts %[[ROWS]]
// CHECK: %[[DEO:.*]] = moe.combine_grad %[[O]], %[[I]], %{{.*}} num_experts = 4 : tensor<8x16xf32>, tensor<1x4x2xi32>, tensor<1x4x16xf32>
// CHECK: %[[DROWS:[^,]*]], {{.*}} = moe.experts_grad %[[ROWS]], {{.*}}, %[[DEO]] :
// CHECK: %{{.*}}, %[[DS:.*]] = moe.dispatch_grad %[[I]], %[[DROWS]] scores %[[S]], %[[X]] num_experts = 4 : tensor<1x4x2xi32>, tensor<8x16xf32>, tensor<1x4x2xf32>, tensor<1x4x16xf32> -> tensor<1x4x16xf32>, tensor<1x4x2xf32>
// CHECK: moe.router_grad %[[X]], %{{.*}}, %[[P]], %[[I]], %[[DS]], %{{.*}} scoring = sigmoid top_k = 2
