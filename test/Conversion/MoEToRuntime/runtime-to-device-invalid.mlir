// RUN: moefold-opt %s --moe-runtime-to-device -split-input-file -verify-diagnostics

// Only 0-d buffers are read on the host.
func.func private @load_row(%b: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' op of a buffer with dimensions ('memref<4xf32>') has no device lowering}}
  %v = memref.load %b[%c0] : memref<4xf32>
  return %v : f32
}

// -----

func.func private @store_matrix(%b: memref<4x4xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.store' op into a buffer with dimensions ('memref<4x4xf32>') has no device lowering}}
  memref.store %v, %b[%c0, %c0] : memref<4x4xf32>
  return
}

// -----

// The registry has f32, f64 and i32 buffers only.
memref.global "private" @g : memref<4xi64> = uninitialized
func.func private @twin_i64() -> memref<4xi64> {
  // expected-error @below {{'memref.get_global' op of 'memref<4xi64>' has no device twin (element types: f32, f64, i32)}}
  %g = memref.get_global @g : memref<4xi64>
  return %g : memref<4xi64>
}

// -----

func.func private @scalar_f16(%b: memref<f16>) -> f16 {
  // expected-error @below {{'memref.load' op on 'memref<f16>' has no device lowering (element types: f32, f64, i1, i32, i64)}}
  %v = memref.load %b[] : memref<f16>
  return %v : f16
}
