//===- Driver.h - main() of every moefold training executable ---*- C++ -*-===//

#ifndef MOEFOLD_RUNTIME_DRIVER_DRIVER_H
#define MOEFOLD_RUNTIME_DRIVER_DRIVER_H

namespace moefold::driver {

/// Runs the executable: parses the flags, registers the compiled model's
/// buffers, initialises or loads them and trains, evaluates or checks
/// gradients. Returns the process exit status: 0 success, 1 a runtime
/// error (data, checkpoint, I/O, failed gradient check), 2 a usage error.
int run(int argc, char **argv);

} // namespace moefold::driver

#endif // MOEFOLD_RUNTIME_DRIVER_DRIVER_H
