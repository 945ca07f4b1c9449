// A model whose projection has 6 output columns, placed column-parallel on
// tp: it cannot be split over tp = 4 (6 is not divisible by 4).
module {
  spmd.mesh @mesh world = 2 dense = [dp, tp = 2] expert = [edp, ep = 1, etp = 1]
  moe.param @embed : tensor<8x8xf32> family = embedding init = normal(0.02)
  moe.param @proj : tensor<8x6xf32> family = dense placement = #spmd.placement<@mesh[dense] {tp = S(1)}> init = normal(0.02)
  moe.param @head : tensor<6x8xf32> family = dense init = normal(0.02)
  func.func @loss(%tokens: tensor<4x4xi32>, %targets: tensor<4x4xi32>) -> (tensor<f32> {moe.loss}) {
    %e = moe.get_param @embed : tensor<8x8xf32>
    %h = moe.embedding %e, %tokens : tensor<8x8xf32>, tensor<4x4xi32>
    %p = moe.get_param @proj : tensor<8x6xf32>
    %y = moe.linear %h, %p : tensor<4x4x8xf32>, tensor<8x6xf32>
    %w = moe.get_param @head : tensor<6x8xf32>
    %logits = moe.linear %y, %w : tensor<4x4x6xf32>, tensor<6x8xf32>
    %l = moe.cross_entropy %logits, %targets : tensor<4x4x8xf32>, tensor<4x4xi32>
    return %l : tensor<f32>
  }
}
