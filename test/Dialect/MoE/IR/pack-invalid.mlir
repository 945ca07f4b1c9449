// RUN: moefold-opt %s -split-input-file -verify-diagnostics

func.func @negative_pack_count(%a: tensor<4x8xf32>) -> tensor<33xf32> {
  // expected-error @+1 {{'moe.pack' op the operands have 32 elements together, the bucket 33}}
  %b = moe.pack %a : tensor<4x8xf32> -> tensor<33xf32>
  return %b : tensor<33xf32>
}

// -----

func.func @negative_pack_element_type(%a: tensor<4xf32>, %c: tensor<4xf64>) -> tensor<8xf32> {
  // expected-error @+1 {{'moe.pack' op operand #1 has element type 'f64', the bucket 'f32'}}
  %b = moe.pack %a, %c : tensor<4xf32>, tensor<4xf64> -> tensor<8xf32>
  return %b : tensor<8xf32>
}

// -----

func.func @negative_pack_not_flat(%a: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'moe.pack' op expects a 1-D bucket, got 'tensor<4x2xf32>'}}
  %b = moe.pack %a : tensor<4x2xf32> -> tensor<4x2xf32>
  return %b : tensor<4x2xf32>
}

// -----

func.func @negative_pack_empty() -> tensor<0xf32> {
  // expected-error @+1 {{'moe.pack' op expects at least one operand}}
  %b = "moe.pack"() : () -> tensor<0xf32>
  return %b : tensor<0xf32>
}

// -----

func.func @negative_unpack_count(%b: tensor<40xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'moe.unpack' op the results have 32 elements together, the bucket 40}}
  %x = moe.unpack %b : tensor<40xf32> -> tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

// -----

func.func @negative_unpack_none(%b: tensor<40xf32>) {
  // expected-error @+1 {{'moe.unpack' op expects at least one result}}
  "moe.unpack"(%b) : (tensor<40xf32>) -> ()
  return
}
