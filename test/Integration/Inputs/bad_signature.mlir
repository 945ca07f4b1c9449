// A loss function that takes activations instead of (tokens, targets).
moe.param @w : tensor<8x16xf32> family = dense
func.func @loss(%x: tensor<2x4x8xf32>, %targets: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<8x16xf32>
  %logits = moe.linear %x, %w : tensor<2x4x8xf32>, tensor<8x16xf32>
  %ce = moe.cross_entropy %logits, %targets : tensor<2x4x16xf32>, tensor<2x4xi32>
  return %ce : tensor<f32>
}
