// A hand-written training step without the (tokens, targets, lr, step) ->
// (loss, grad_norm, applied) shape the driver calls.
moe.param @w : tensor<8x16xf32> family = embedding
func.func @loss(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>) -> (tensor<f32> {moe.loss}) {
  %w = moe.get_param @w : tensor<8x16xf32>
  %logits = moe.embedding %w, %tokens : tensor<8x16xf32>, tensor<2x4xi32>
  %ce = moe.cross_entropy %logits, %targets : tensor<2x4x16xf32>, tensor<2x4xi32>
  return %ce : tensor<f32>
}
func.func @moefold_train_step(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>) -> tensor<f32> {
  %l = func.call @loss(%tokens, %targets) : (tensor<2x4xi32>, tensor<2x4xi32>) -> tensor<f32>
  return %l : tensor<f32>
}
