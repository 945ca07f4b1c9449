//===- Backend.cpp - LLVM IR, object file and link step -------------------===//
//
// LLVM dialect -> LLVM IR (translateModuleToLLVMIR) -> O2 (the new pass
// manager's default pipeline) -> host object (TargetMachine) -> executable
// (the system C++ compiler as the linker driver). libLLVM is linked
// dynamically; the paths of the runtime libraries are baked in at build time
// (MoefoldCompileConfig.h) and can be overridden by environment variables.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "MoefoldCompileConfig.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace llvm;

namespace moefold::compile {

namespace {

std::string targetCPU;
bool multiRank = false;
Compute compute = Compute::Cpu;
Comm comm = Comm::Mpi;

/// A host TargetMachine (PIC, so the object links into PIE executables).
std::unique_ptr<TargetMachine> hostTargetMachine(std::string &error) {
  static bool initialised = [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialised;
  Triple triple(sys::getProcessTriple());
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = targetCPU, features;
  if (cpu == "native") {
    cpu = sys::getHostCPUName().str();
    for (auto &feature : sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  } else if (cpu.empty() && triple.isX86()) {
    cpu = "x86-64";
  }
  // Asked of a baseline subtarget: constructing one for an unknown CPU
  // prints a warning.
  std::unique_ptr<MCSubtargetInfo> baseline(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!cpu.empty() && (!baseline || !baseline->isCPUStringValid(cpu))) {
    error = "unknown --target-cpu '" + targetCPU + "' for " + triple.str();
    return nullptr;
  }
  TargetOptions options;
  std::unique_ptr<TargetMachine> tm(
      target->createTargetMachine(triple, cpu, features, options, Reloc::PIC_,
                                  std::nullopt, CodeGenOptLevel::Default));
  if (!tm)
    error = "cannot create a target machine for " + triple.str();
  return tm;
}

/// $NAME if set and non-empty, else `fallback`.
std::string fromEnv(const char *name, const char *fallback) {
  const char *v = std::getenv(name);
  return v && *v ? v : fallback;
}

/// The runtime libraries, in link order (driver first). Multi-rank programs
/// take the driver's MPI side, the collective shims and the comm backend;
/// cuda programs the cuda MLIR ABI and the cuda runtime (device or
/// emulated) in front of the cpu runtime (which they also use).
SmallVector<std::string> runtimeLibraries() {
  std::string dir = fromEnv("MOEFOLD_RUNTIME_LIB_DIR", "");
  SmallVector<std::string> libs = {MOEFOLD_DRIVER_MAIN_LIB, MOEFOLD_DRIVER_LIB};
  bool device = compute != Compute::Cpu;
  std::string abi = MOEFOLD_MLIR_ABI_LIB, computeLib;
  if (compute == Compute::CudaEmulated) {
    abi = MOEFOLD_MLIR_ABI_CUDA_EMULATED_LIB;
    computeLib = MOEFOLD_RUNTIME_CUDA_EMULATED_LIB;
  }
#if MOEFOLD_HAVE_CUDA
  if (compute == Compute::Cuda) {
    abi = MOEFOLD_MLIR_ABI_CUDA_LIB;
    computeLib = MOEFOLD_RUNTIME_CUDA_LIB;
  }
#endif
#if MOEFOLD_HAVE_MPI
  if (multiRank) {
    libs.push_back(MOEFOLD_DRIVER_MPI_LIB);
    if (!device)
      libs.push_back(MOEFOLD_MLIR_ABI_COMM_LIB);
    else if (comm == Comm::Mpi)
      libs.push_back(MOEFOLD_MLIR_ABI_COMM_CUDA_LIB);
    else
      libs.push_back(MOEFOLD_MLIR_ABI_COMM_NCCL_LIB);
    libs.push_back(abi);
    if (device && comm == Comm::Nccl) {
      libs.push_back(MOEFOLD_RUNTIME_NCCL_LIB);
      libs.push_back(MOEFOLD_RUNTIME_NCCL_PLAN_LIB);
    }
    libs.push_back(MOEFOLD_RUNTIME_COMM_LIB);
  } else
#endif
  {
    libs.push_back(MOEFOLD_DRIVER_LOCAL_LIB);
    libs.push_back(abi);
  }
  if (!computeLib.empty())
    libs.push_back(computeLib);
  libs.push_back(MOEFOLD_RUNTIME_LIB);
  if (!dir.empty())
    for (std::string &lib : libs)
      lib = dir + "/" + sys::path::filename(lib).str();
  return libs;
}

SmallVector<std::string> linkArguments(StringRef object, StringRef output) {
  SmallVector<std::string> args = {fromEnv("MOEFOLD_CXX", MOEFOLD_CXX), "-o",
                                   output.str(), object.str()};
  for (std::string &lib : runtimeLibraries())
    args.push_back(lib);
  std::string blasText = fromEnv("MOEFOLD_BLAS_LIBS", MOEFOLD_BLAS_LIBS);
  SmallVector<StringRef> blas;
  StringRef(blasText).split(blas, ';', -1, false);
  for (StringRef b : blas)
    args.push_back(b.str());
  auto addList = [&](const char *env, const char *fallback) {
    std::string text = fromEnv(env, fallback);
    SmallVector<StringRef> items;
    StringRef(text).split(items, ';', -1, false);
    for (StringRef item : items)
      args.push_back(item.str());
  };
#if MOEFOLD_HAVE_CUDA
  if (compute == Compute::Cuda)
    addList("MOEFOLD_CUDA_LIBS", MOEFOLD_CUDA_LIBS);
#endif
  if (multiRank && compute != Compute::Cpu && comm == Comm::Nccl)
    addList("MOEFOLD_NCCL_LIBS", MOEFOLD_NCCL_LIBS);
#if MOEFOLD_HAVE_MPI
  if (multiRank) {
    std::string mpiText = fromEnv("MOEFOLD_MPI_LIBS", MOEFOLD_MPI_LIBS);
    SmallVector<StringRef> mpi;
    StringRef(mpiText).split(mpi, ';', -1, false);
    for (StringRef m : mpi)
      args.push_back(m.str());
  }
#endif
  args.push_back("-lm");
  args.push_back("-lpthread");
  return args;
}

} // namespace

void setTargetCPU(StringRef cpu) { targetCPU = cpu.str(); }

void setMultiRank(bool enabled) { multiRank = enabled; }

bool haveMPI() { return MOEFOLD_HAVE_MPI; }

void setBackends(Compute c, Comm m) {
  compute = c;
  comm = m;
}

bool haveCuda() { return MOEFOLD_HAVE_CUDA; }

bool haveNccl() { return MOEFOLD_HAVE_NCCL && *MOEFOLD_NCCL_LIBS; }

std::unique_ptr<Module> translateAndOptimize(mlir::ModuleOp module,
                                             LLVMContext &ctx,
                                             std::string &error) {
  std::unique_ptr<TargetMachine> tm = hostTargetMachine(error);
  if (!tm)
    return nullptr;
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, ctx, "moefold");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(tm->getTargetTriple());
  llvmModule->setDataLayout(tm->createDataLayout());

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder pb(tm.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(OptimizationLevel::O2);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

bool emitObject(Module &module, StringRef path, std::string &error) {
  std::unique_ptr<TargetMachine> tm = hostTargetMachine(error);
  if (!tm)
    return false;
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return false;
  }
  legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  pm.run(module);
  os.flush();
  if (os.has_error()) {
    error = "cannot write '" + path.str() + "': " + os.error().message();
    os.clear_error();
    return false;
  }
  return true;
}

std::string describeLinkCommand(StringRef object, StringRef output) {
  std::string text;
  for (const std::string &a : linkArguments(object, output))
    text += (text.empty() ? "" : " ") + a;
  return text;
}

bool linkExecutable(StringRef object, StringRef output, std::string &error) {
  SmallVector<std::string> args = linkArguments(object, output);
  ErrorOr<std::string> cxx = sys::findProgramByName(args[0]);
  if (!cxx || !sys::fs::can_execute(*cxx)) {
    error = "cannot find the C++ compiler '" + args[0] +
            "' used as the linker (set MOEFOLD_CXX)";
    return false;
  }
  for (const std::string &lib : runtimeLibraries())
    if (!sys::fs::exists(lib)) {
      error = "runtime library '" + lib +
              "' is missing (build the moefold runtime, or set "
              "MOEFOLD_RUNTIME_LIB_DIR)";
      return false;
    }
  SmallVector<StringRef> argv;
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int rc = sys::ExecuteAndWait(*cxx, argv, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error = "linking '" + output.str() + "' failed (" + args[0] +
            (rc < 0 ? ": " + message
                    : " exited with status " + std::to_string(rc)) +
            ")";
    return false;
  }
  return true;
}

} // namespace moefold::compile
