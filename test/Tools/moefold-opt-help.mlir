// moefold-opt lists the moefold dialects it registers.
// RUN: moefold-opt --show-dialects | FileCheck %s
// CHECK: Available Dialects:
// CHECK-SAME: moe
// CHECK-SAME: spmd
