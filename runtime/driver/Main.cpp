//===- Main.cpp - entry point of every moefold training executable --------===//
//
// Linked into every executable moefold-compile produces; the model itself
// (moefold_register, moefold_train_step, moefold_eval) comes from the object
// file the compiler emitted.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

int main(int argc, char **argv) { return moefold::driver::run(argc, argv); }
