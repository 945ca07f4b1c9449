// RUN: moefold-opt %s | moefold-opt | FileCheck %s

// The per-rank ops of a vocab-parallel cross-entropy round-trip (the
// statistics' types are inferred from the logits: [B, S]).

// CHECK-LABEL: func.func @vocab_cross_entropy
func.func @vocab_cross_entropy(%l: tensor<2x16x128xf32>, %off: tensor<1xi32>, %t: tensor<2x16xi32>, %dl: tensor<f32>) -> (tensor<f32>, tensor<2x16x128xf32>) {
  // CHECK: %[[M:.*]] = moe.vocab_max %{{.*}}, %{{.*}} : tensor<2x16x128xf32>, tensor<1xi32>
  %m = moe.vocab_max %l, %off : tensor<2x16x128xf32>, tensor<1xi32>
  // CHECK: %[[SE:.*]] = moe.vocab_sumexp %{{.*}}, %{{.*}}, %[[M]] : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xf32>
  %se = moe.vocab_sumexp %l, %off, %m : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xf32>
  // CHECK: %[[TL:.*]] = moe.vocab_target_logit %{{.*}}, %{{.*}}, %{{.*}} vocab_size = 256 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = 256 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>
  // CHECK: moe.vocab_cross_entropy %[[M]], %[[SE]], %[[TL]] num_tokens = 64 : tensor<2x16xf32>
  %loss = moe.vocab_cross_entropy %m, %se, %tl num_tokens = 64 : tensor<2x16xf32>
  // CHECK: moe.vocab_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[M]], %[[SE]], %{{.*}} num_tokens = 64 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>, tensor<2x16xf32>, tensor<f32>
  %d = moe.vocab_cross_entropy_grad %l, %off, %t, %m, %se, %dl num_tokens = 64 : tensor<2x16x128xf32>, tensor<1xi32>, tensor<2x16xi32>, tensor<2x16xf32>, tensor<f32>
  return %loss, %d : tensor<f32>, tensor<2x16x128xf32>
}

// f64 statistics and loss for f64 logits.
// CHECK-LABEL: func.func @vocab_cross_entropy_f64
func.func @vocab_cross_entropy_f64(%l: tensor<1x2x4xf64>, %off: tensor<1xi32>, %t: tensor<1x2xi32>) -> tensor<f64> {
  // CHECK: moe.vocab_max {{.*}} : tensor<1x2x4xf64>, tensor<1xi32>
  %m = moe.vocab_max %l, %off : tensor<1x2x4xf64>, tensor<1xi32>
  %se = moe.vocab_sumexp %l, %off, %m : tensor<1x2x4xf64>, tensor<1xi32>, tensor<1x2xf64>
  %tl = moe.vocab_target_logit %l, %off, %t vocab_size = 8 : tensor<1x2x4xf64>, tensor<1xi32>, tensor<1x2xi32>
  // CHECK: moe.vocab_cross_entropy {{.*}} num_tokens = 2 : tensor<1x2xf64>
  %loss = moe.vocab_cross_entropy %m, %se, %tl num_tokens = 2 : tensor<1x2xf64>
  return %loss : tensor<f64>
}
