// A tiny model with a hand-written training step (the IR moe-autodiff and
// moe-build-train-step produce, written out by hand): embedding -> rms_norm
// -> linear -> cross-entropy, gradients stored in @grad.* states, global
// norm, clipping and AdamW. f64, so finite differences are exact to ~1e-10.
// moefold-compile uses an existing @moefold_train_step as is.
module {
  moe.param @embed : tensor<128x8xf64> family = embedding init = normal(0.5)
  moe.param @norm : tensor<8xf64> family = norm init = ones
  moe.param @head : tensor<8x128xf64> family = dense init = normal(0.3)
  moe.state @grad.embed : tensor<128x8xf64>
  moe.state @grad.norm : tensor<8xf64>
  moe.state @grad.head : tensor<8x128xf64>
  moe.state @adam_m.embed : tensor<128x8xf64>
  moe.state @adam_v.embed : tensor<128x8xf64>
  moe.state @adam_m.norm : tensor<8xf64>
  moe.state @adam_v.norm : tensor<8xf64>
  moe.state @adam_m.head : tensor<8x128xf64>
  moe.state @adam_v.head : tensor<8x128xf64>

  func.func @forward(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>) -> (tensor<f64> {moe.loss}) {
    %e = moe.get_param @embed : tensor<128x8xf64>
    %h = moe.embedding %e, %tokens : tensor<128x8xf64>, tensor<2x4xi32>
    %w = moe.get_param @norm : tensor<8xf64>
    %x = moe.rms_norm %h, %w epsilon = 1.0e-05 : tensor<2x4x8xf64>, tensor<8xf64>
    %hd = moe.get_param @head : tensor<8x128xf64>
    %logits = moe.linear %x, %hd : tensor<2x4x8xf64>, tensor<8x128xf64>
    %loss = moe.cross_entropy %logits, %targets : tensor<2x4x128xf64>, tensor<2x4xi32>
    return %loss : tensor<f64>
  }

  func.func @moefold_train_step(%tokens: tensor<2x4xi32>, %targets: tensor<2x4xi32>, %lr: tensor<f32>, %step: tensor<f32>) -> (tensor<f64>, tensor<f32>, tensor<i1>) {
    %e = moe.get_param @embed : tensor<128x8xf64>
    %h = moe.embedding %e, %tokens : tensor<128x8xf64>, tensor<2x4xi32>
    %w = moe.get_param @norm : tensor<8xf64>
    %x = moe.rms_norm %h, %w epsilon = 1.0e-05 : tensor<2x4x8xf64>, tensor<8xf64>
    %hd = moe.get_param @head : tensor<8x128xf64>
    %logits = moe.linear %x, %hd : tensor<2x4x8xf64>, tensor<8x128xf64>
    %loss = moe.cross_entropy %logits, %targets : tensor<2x4x128xf64>, tensor<2x4xi32>

    %one = moe.fill 1.0 : tensor<f64>
    %dlogits = moe.cross_entropy_grad %logits, %targets, %one : tensor<2x4x128xf64>, tensor<2x4xi32>, tensor<f64>
    %dx, %dhead = moe.linear_grad %x, %hd, %dlogits : tensor<2x4x8xf64>, tensor<8x128xf64>, tensor<2x4x128xf64>
    %dh, %dnorm = moe.rms_norm_grad %h, %w, %dx epsilon = 1.0e-05 : tensor<2x4x8xf64>, tensor<8xf64>
    %dembed = moe.embedding_grad %tokens, %dh : tensor<2x4xi32>, tensor<2x4x8xf64> -> tensor<128x8xf64>
    moe.set_state @grad.embed, %dembed : tensor<128x8xf64>
    moe.set_state @grad.norm, %dnorm : tensor<8xf64>
    moe.set_state @grad.head, %dhead : tensor<8x128xf64>

    %gnorm = moe.global_norm %dembed, %dnorm, %dhead : tensor<128x8xf64>, tensor<8xf64>, tensor<8x128xf64>
    %scale, %apply = moe.clip_scale %gnorm max_norm = 1.0

    %me = moe.get_state @adam_m.embed : tensor<128x8xf64>
    %ve = moe.get_state @adam_v.embed : tensor<128x8xf64>
    %e2, %me2, %ve2 = moe.adamw_step %e, %dembed, %me, %ve, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.0 : tensor<128x8xf64>
    moe.set_param @embed, %e2 : tensor<128x8xf64>
    moe.set_state @adam_m.embed, %me2 : tensor<128x8xf64>
    moe.set_state @adam_v.embed, %ve2 : tensor<128x8xf64>

    %mn = moe.get_state @adam_m.norm : tensor<8xf64>
    %vn = moe.get_state @adam_v.norm : tensor<8xf64>
    %w2, %mn2, %vn2 = moe.adamw_step %w, %dnorm, %mn, %vn, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.0 : tensor<8xf64>
    moe.set_param @norm, %w2 : tensor<8xf64>
    moe.set_state @adam_m.norm, %mn2 : tensor<8xf64>
    moe.set_state @adam_v.norm, %vn2 : tensor<8xf64>

    %mh = moe.get_state @adam_m.head : tensor<8x128xf64>
    %vh = moe.get_state @adam_v.head : tensor<8x128xf64>
    %hd2, %mh2, %vh2 = moe.adamw_step %hd, %dhead, %mh, %vh, %scale, %lr, %step, %apply beta1 = 0.9 beta2 = 0.95 epsilon = 1.0e-08 weight_decay = 0.1 : tensor<8x128xf64>
    moe.set_param @head, %hd2 : tensor<8x128xf64>
    moe.set_state @adam_m.head, %mh2 : tensor<8x128xf64>
    moe.set_state @adam_v.head, %vh2 : tensor<8x128xf64>

    return %loss, %gnorm, %apply : tensor<f64>, tensor<f32>, tensor<i1>
  }
}
