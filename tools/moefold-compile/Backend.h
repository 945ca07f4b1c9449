//===- Backend.h - LLVM IR, object file and link step -----------*- C++ -*-===//

#ifndef MOEFOLD_TOOLS_MOEFOLD_COMPILE_BACKEND_H
#define MOEFOLD_TOOLS_MOEFOLD_COMPILE_BACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace moefold::compile {

/// The CPU code is generated for: "" is the host triple's baseline (the
/// executable runs on any machine of the host's architecture), "native" the
/// host CPU with all its features, anything else an LLVM CPU name.
void setTargetCPU(llvm::StringRef cpu);

/// Links the MPI side of the driver, the collective shims and the comm
/// backend (programs compiled for more than one rank).
void setMultiRank(bool enabled);

/// Whether this build has the MPI comm backend.
bool haveMPI();

/// The compute backend the program is linked with (docs/gpu-programs.md):
/// the cpu runtime, or a device-resident program on the cuda runtime or on
/// its host emulation (for testing without a GPU).
enum class Compute { Cpu, Cuda, CudaEmulated };
/// How multi-rank cuda programs communicate: MPI (collectives staged
/// through host memory) or NCCL (on device memory).
enum class Comm { Mpi, Nccl };
void setBackends(Compute compute, Comm comm);

/// Whether this build has the cuda runtime for a device (a CUDA toolkit was
/// found) and the NCCL comm backend.
bool haveCuda();
bool haveNccl();

/// Translates a module in the LLVM dialect to LLVM IR for the host and
/// optimises it at O2. Returns null after reporting an error.
std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &ctx,
                                                   std::string &error);

/// Emits `module` as a host object file at `path`.
bool emitObject(llvm::Module &module, llvm::StringRef path, std::string &error);

/// Links `object` with the driver, the MLIR ABI shims, the runtime and BLAS
/// into the executable `output` with the system C++ compiler.
bool linkExecutable(llvm::StringRef object, llvm::StringRef output,
                    std::string &error);

/// The command linkExecutable runs (for -v).
std::string describeLinkCommand(llvm::StringRef object, llvm::StringRef output);

} // namespace moefold::compile

#endif // MOEFOLD_TOOLS_MOEFOLD_COMPILE_BACKEND_H
