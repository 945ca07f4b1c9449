// RUN: moefold-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect

// Unknown family names list the valid ones.
// expected-error @+2 {{expected ::moefold::moe::Family to be one of: embedding, dense, norm, router, routed_expert, shared_expert}}
// expected-error @+1 {{failed to parse MoE_FamilyAttr parameter 'value' which is to be a `::moefold::moe::Family`}}
"test.op"() {f = #moe.family<expert>} : () -> ()

// -----

// Unknown scoring functions list the valid ones.
// expected-error @+2 {{expected ::moefold::moe::Scoring to be one of: softmax, sigmoid}}
// expected-error @+1 {{failed to parse MoE_ScoringAttr parameter 'value' which is to be a `::moefold::moe::Scoring`}}
"test.op"() {s = #moe.scoring<relu>} : () -> ()


// -----

// Unknown init kinds list the valid ones.
// expected-error @+1 {{expected one of [zeros, ones, constant, normal, truncated_normal, uniform] for init distribution, got: xavier}}
"test.op"() {i = #moe.init<xavier>} : () -> ()

// -----

// A uniform range must be non-empty.
// expected-error @+1 {{uniform needs a positive scale, got 0.000000e+00}}
"test.op"() {i = #moe.init<uniform(0.0)>} : () -> ()

// -----

// A truncated normal needs a positive standard deviation.
// expected-error @+1 {{truncated_normal needs a positive scale, got -1.000000e+00}}
"test.op"() {i = #moe.init<truncated_normal(-1.0)>} : () -> ()

// -----

// An infinite constant cannot be stored.
// expected-error @+1 {{constant needs a finite value, got INF}}
"test.op"() {i = #moe.init<constant(0x7FF0000000000000)>} : () -> ()

// -----

// Values are float literals; an integer must be written with a dot.
// expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
// expected-note @+1 {{add a trailing dot to make the literal a float}}
"test.op"() {i = #moe.init<uniform(3)>} : () -> ()

// -----

// zeros and ones take no value.
// expected-error @+1 {{expected '>'}}
"test.op"() {i = #moe.init<zeros(1.0)>} : () -> ()

// -----

// There is no #moe.placement: placements belong to the spmd dialect.
// expected-error @+1 {{unknown attribute `placement` in dialect `moe`}}
"test.op"() {p = #moe.placement<@mesh[dense] {}>} : () -> ()
