//===- moefold-compile.cpp - moe model -> native training executable ------===//
//
//   moefold-compile MODEL.mlir --mesh world=N[,tp=T][,ep=E][,etp=1|T]
//                   [--optimizer adamw|sgd] [--max-grad-norm X]
//                   [--emit=moe|mlir|llvm|obj|exe] -o EXE
//
// Parses and verifies the model, differentiates it and builds the training
// step (moe-autodiff, moe-build-train-step); for more than one rank sets the
// model's mesh to --mesh and partitions the step into the program one rank
// runs (moe-propagate-placements, moe-partition, moe-grad-reduce, the local SPMD type check);
// lowers it to runtime calls (moe-lower-to-runtime) and the LLVM dialect,
// translates to LLVM IR, optimises (O2), emits a host object and links it
// with the driver and the runtime (and, for several ranks, the MPI comm
// backend). See docs/lowering.md, docs/executable.md, docs/multi-rank.md.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "moefold/Conversion/MoEToRuntime/Passes.h"
#include "moefold/Dialect/MoE/IR/MoEDialect.h"
#include "moefold/Dialect/SPMD/Analysis/LocalTypeAnalysis.h"
#include "moefold/Dialect/SPMD/IR/SPMDOps.h"
#include "moefold/InitAllDialects.h"
#include "moefold/InitAllPasses.h"
#include "moefold/Placement/MeshLayout.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace moefold;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("moefold-compile options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("MODEL.mlir"),
                               cl::init("-"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file (EXE)"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string>
    meshSpec("mesh",
             cl::desc("Device mesh: world=N[,tp=T][,ep=E][,etp=1|T] (dp = N/T "
                      "and edp = N/(E*etp) are derived; world=1 is the "
                      "single-rank program)"),
             cl::value_desc("spec"), cl::cat(category));
cl::opt<std::string> backend(
    "backend",
    cl::desc("Compute backend: cpu (default); cuda (every buffer in GPU "
             "memory, the cuda runtime and cuBLAS); cuda-emulated (the same "
             "device-resident program on the host emulation of the cuda "
             "runtime: for testing without a GPU, never fast)"),
    cl::init("cpu"), cl::cat(category));
cl::opt<std::string> commBackend(
    "comm",
    cl::desc("Collectives of multi-rank cuda programs: mpi (default; staged "
             "through host memory) or nccl (on GPU memory; needs the NCCL "
             "comm backend in this build)"),
    cl::init("mpi"), cl::cat(category));
cl::opt<std::string> optimizer("optimizer",
                               cl::desc("Optimizer: adamw (default) or sgd"),
                               cl::init("adamw"), cl::cat(category));
cl::opt<double>
    maxGradNorm("max-grad-norm",
                cl::desc("Clip gradients to this global L2 norm (<= 0: no "
                         "clipping; default 1.0)"),
                cl::init(1.0), cl::cat(category));

cl::opt<double> weightDecay(
    "weight-decay",
    cl::desc("Decoupled weight decay (default: 0.1 for adamw, 0 for sgd)"),
    cl::init(-1.0), cl::cat(category));
cl::opt<double> beta1("beta1", cl::desc("AdamW beta1 (default 0.9)"),
                      cl::init(0.9), cl::cat(category));
cl::opt<double> beta2("beta2", cl::desc("AdamW beta2 (default 0.95)"),
                      cl::init(0.95), cl::cat(category));
cl::opt<double> epsilon("epsilon", cl::desc("AdamW epsilon (default 1e-8)"),
                        cl::init(1e-8), cl::cat(category));

cl::opt<std::string> floatType(
    "float-type",
    cl::desc("Compute in this float type: f32 (default: as written) or f64 "
             "(every f32 tensor of the model becomes f64; for gradient "
             "checks)"),
    cl::init(""), cl::cat(category));

cl::opt<std::string> targetCPU(
    "target-cpu",
    cl::desc("CPU to generate code for: the architecture's baseline "
             "(default, runs anywhere), 'native' (this machine's CPU), or an "
             "LLVM CPU name"),
    cl::init(""), cl::cat(category));

cl::opt<bool> verbose("v",
                      cl::desc("Print the pipeline's steps and the link "
                               "command"),
                      cl::init(false), cl::cat(category));

enum class VerifyTypes { None, Forward, All };
cl::opt<VerifyTypes> verifyTypes(
    "verify-types",
    cl::desc("Local SPMD type check of the per-rank program (world > 1)"),
    cl::init(VerifyTypes::All),
    cl::values(clEnumValN(VerifyTypes::None, "none", "no check"),
               clEnumValN(VerifyTypes::Forward, "forward",
                          "only functions without gradient or optimizer "
                          "ops"),
               clEnumValN(VerifyTypes::All, "all",
                          "every function, the whole training step "
                          "included (default)")),
    cl::cat(category));

enum class Emit { MoE, MLIR, LLVM, Obj, Exe };
cl::opt<Emit> emit(
    "emit", cl::desc("Stop after this stage"), cl::init(Emit::Exe),
    cl::values(
        clEnumValN(Emit::MoE, "moe",
                   "the training program in the moe dialect (after "
                   "moe-autodiff and moe-build-train-step; for world > 1 "
                   "the per-rank program after moe-partition and moe-grad-reduce)"),
        clEnumValN(Emit::MLIR, "mlir",
                   "runtime calls on memrefs (after moe-lower-to-runtime; "
                   "for the cuda backends also moe-runtime-to-device)"),
        clEnumValN(Emit::LLVM, "llvm", "optimised LLVM IR (text)"),
        clEnumValN(Emit::Obj, "obj", "host object file"),
        clEnumValN(Emit::Exe, "exe", "linked executable (default)")),
    cl::cat(category));

const char *kOverview =
    R"(moefold-compile: compile a moe-dialect model into a training executable

  moefold-compile MODEL.mlir --mesh world=N[,tp=T][,ep=E][,etp=1|T]
                  [--optimizer adamw|sgd] [--max-grad-norm X]
                  [--emit=moe|mlir|llvm|obj|exe] -o EXE

MODEL.mlir holds moe.param declarations and one function whose single result
carries {moe.loss} and whose arguments are the tokens and targets
(tensor<BxSxi32>). The compiler differentiates it (moe-autodiff), builds the
training step with the chosen optimizer and gradient clipping
(moe-build-train-step); for world > 1 it sets the model's spmd.mesh to the
--mesh shape and partitions the step into the program every rank runs
(moe-propagate-placements, moe-partition, moe-grad-reduce, the local SPMD type check). It
lowers the program to calls into the moefold runtime (moe-lower-to-runtime),
to LLVM IR (optimised at O2) and to a host object, and links that with the
runtime's driver into EXE (with the MPI backend for world > 1: run it with
`mpirun -np N EXE ...`). Run `EXE --help` for the executable's flags
(--steps, --seed, --lr, --data, --save, --load, ...).

--backend cuda keeps every buffer of the program in GPU memory
(moe-runtime-to-device; parameters and states keep host mirrors for
initialisation and checkpoints) and links the cuda runtime; cuda-emulated
links the same program with the host emulation of that runtime, to test it
without a GPU (docs/gpu-programs.md). For several ranks, --comm picks MPI
(collectives staged through host memory) or NCCL.

Environment: MOEFOLD_CXX (linker driver), MOEFOLD_RUNTIME_LIB_DIR (directory
of the runtime's static libraries), MOEFOLD_BLAS_LIBS (';'-separated BLAS
link arguments), MOEFOLD_CUDA_LIBS, MOEFOLD_NCCL_LIBS override the paths
configured at build time.
)";

/// The --mesh flag: world=N[,tp=T][,ep=E][,etp=1|T]; dp and edp are derived
/// (and may be given when they agree).
struct MeshFlag {
  int64_t world = 1, tp = 1, ep = 1, etp = 1;
};

/// Parses and checks --mesh with the placement algebra (its messages).
FailureOr<MeshFlag> parseMesh(StringRef spec) {
  auto fail = [&](const Twine &why) -> FailureOr<MeshFlag> {
    llvm::errs() << "moefold-compile: error: " << why << "\n";
    return failure();
  };
  if (spec.empty())
    return fail("missing --mesh (use --mesh world=1 for the single-rank "
                "program, --mesh world=N,tp=T for N ranks)");
  SmallVector<StringRef> parts;
  spec.split(parts, ',');
  MeshFlag mesh;
  std::optional<int64_t> world, dp, edp;
  llvm::StringSet<> seen;
  for (StringRef part : parts) {
    auto [key, value] = part.split('=');
    key = key.trim();
    value = value.trim();
    int64_t n = 0;
    if (key.empty() || value.empty() || value.getAsInteger(10, n) || n < 1)
      return fail("invalid --mesh '" + spec +
                  "': expected name=N entries "
                  "with N >= 1, got '" +
                  part + "'");
    static const char *const axes[] = {"world", "tp",  "dp", "ep",
                                       "etp",   "edp", "pp", "cp"};
    if (!llvm::is_contained(axes, key))
      return fail("invalid --mesh '" + spec + "': unknown axis '" + key +
                  "' (world, tp, dp, ep, etp, edp, pp, cp)");
    if (!seen.insert(key).second)
      return fail("invalid --mesh '" + spec + "': axis '" + key +
                  "' given twice");
    if ((key == "pp" || key == "cp") && n > 1)
      return fail("invalid --mesh '" + spec + "': " + key + " = " + Twine(n) +
                  ": pipeline and context parallelism are not supported yet");
    if (key == "world")
      world = n;
    else if (key == "tp")
      mesh.tp = n;
    else if (key == "ep")
      mesh.ep = n;
    else if (key == "etp")
      mesh.etp = n;
    else if (key == "dp")
      dp = n;
    else if (key == "edp")
      edp = n;
  }
  if (!world)
    return fail("invalid --mesh '" + spec + "': world=N is required");
  mesh.world = *world;
  if (llvm::Expected<placement::MeshLayout> layout =
          placement::MeshLayout::create(mesh.world, mesh.tp, mesh.ep,
                                        mesh.etp)) {
    if (dp && *dp != layout->getDp())
      return fail("invalid --mesh '" + spec + "': dp = " + Twine(*dp) +
                  " but world / tp = " + Twine(mesh.world) + " / " +
                  Twine(mesh.tp) + " = " + Twine(layout->getDp()) +
                  " (dp is derived; leave it out)");
    if (edp && *edp != layout->getEdp())
      return fail("invalid --mesh '" + spec + "': edp = " + Twine(*edp) +
                  " but world / (ep * etp) = " + Twine(layout->getEdp()) +
                  " (edp is derived; leave it out)");
  } else {
    return fail("invalid --mesh '" + spec +
                "': " + llvm::toString(layout.takeError()));
  }
  return mesh;
}

/// Sets the model's spmd.mesh to the --mesh shape (adding one when the
/// model has none): the model's placements are kept, and an axis of size 1
/// makes a placement on it trivially replicated.
LogicalResult setMesh(ModuleOp module, const MeshFlag &flag) {
  auto meshes = llvm::to_vector(module.getOps<spmd::MeshOp>());
  if (meshes.size() > 1) {
    InFlightDiagnostic d = meshes[1].emitError(
        "the model declares more than one spmd.mesh; --mesh sets one");
    d.attachNote(meshes[0].getLoc()) << "the first one is here";
    return d;
  }
  if (meshes.empty()) {
    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(module.getBody());
    auto mesh = spmd::MeshOp::create(
        b, module.getLoc(), "mesh", flag.world, b.getStrArrayAttr({"dp", "tp"}),
        b.getDenseI64ArrayAttr({ShapedType::kDynamic, flag.tp}),
        b.getStrArrayAttr({"edp", "ep", "etp"}),
        b.getDenseI64ArrayAttr({ShapedType::kDynamic, flag.ep, flag.etp}));
    (void)mesh;
    return verify(module);
  }
  spmd::MeshOp mesh = meshes[0];
  auto sizesFor = [&](ArrayAttr axes) {
    SmallVector<int64_t> sizes;
    for (StringRef axis : axes.getAsValueRange<StringAttr>())
      sizes.push_back(axis == "tp"    ? flag.tp
                      : axis == "ep"  ? flag.ep
                      : axis == "etp" ? flag.etp
                                      : ShapedType::kDynamic);
    return sizes;
  };
  mesh.setWorld(flag.world);
  mesh.setDenseSizes(sizesFor(mesh.getDenseAxes()));
  mesh.setExpertSizes(sizesFor(mesh.getExpertAxes()));
  // Placements that do not fit the new shape are reported here, at the
  // declarations (e.g. a dimension not divisible by its axis size).
  return verify(module);
}

/// The local SPMD type check of the per-rank program: every typed function,
/// or (VerifyTypes::Forward) those without gradient and optimizer ops, for
/// which the checker has no typing rules yet.
LogicalResult checkLocalTypes(ModuleOp module, VerifyTypes mode) {
  if (mode == VerifyTypes::None)
    return success();
  auto isBackward = [](Operation *op) {
    StringRef name = op->getName().getStringRef();
    return name.ends_with("_grad") || name == "moe.adamw_step" ||
           name == "moe.sgd_step" || name == "moe.clip_scale" ||
           name == "moe.global_norm" || name == "moe.set_param" ||
           name == "moe.set_state" || name == "moe.get_state";
  };
  bool ok = true;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || !spmd::LocalTypeAnalysis::isTypedFunction(func))
      continue;
    bool backward = func.walk([&](Operation *op) {
                          return isBackward(op) ? WalkResult::interrupt()
                                                : WalkResult::advance();
                        })
                        .wasInterrupted();
    if (backward && mode == VerifyTypes::Forward) {
      if (verbose)
        llvm::errs() << "moefold-compile: local types: @" << func.getName()
                     << " skipped (gradient/optimizer ops)\n";
      continue;
    }
    spmd::LocalTypeAnalysis analysis(func);
    bool checked = succeeded(analysis.run());
    ok &= checked;
    if (verbose && checked)
      llvm::errs() << "moefold-compile: local types: @" << func.getName()
                   << " checked\n";
  }
  return success(ok);
}

bool passRegistered(StringRef name) {
  return PassInfo::lookup(name) != nullptr;
}

/// Rewrites every f32 in the model's types to f64 (parameters, function
/// signatures, op results), before differentiation.
LogicalResult widenToF64(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    for (NamedAttribute a : op->getAttrs())
      if (auto f = dyn_cast<FloatAttr>(a.getValue());
          f && f.getType().isF32()) {
        op->emitError("--float-type=f64: cannot widen the f32 attribute '")
            << a.getName().getValue() << "'";
        ok = false;
      }
  });
  if (!ok)
    return failure();
  AttrTypeReplacer replacer;
  replacer.addReplacement(
      [](Float32Type t) -> Type { return Float64Type::get(t.getContext()); });
  replacer.recursivelyReplaceElementsIn(module, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  return verify(module);
}

/// The user's forward function: the one function whose single result
/// carries moe.loss.
FailureOr<func::FuncOp> findLossFunction(ModuleOp module) {
  SmallVector<func::FuncOp> found;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.isExternal() || f.getNumResults() != 1 ||
        !f.getResultAttr(0, moe::MoEDialect::kLossAttrName))
      continue;
    if (f.getName() == "moefold_train_step" || f.getName() == "moefold_eval")
      continue;
    // Functions moe-autodiff added carry gradients too.
    found.push_back(f);
  }
  if (found.empty())
    return emitError(module.getLoc(),
                     "the model has no function with a single {moe.loss} "
                     "result: nothing to train");
  if (found.size() > 1) {
    InFlightDiagnostic d = emitError(
        found[1].getLoc(), "the model has more than one function with a "
                           "single {moe.loss} result");
    d.attachNote(found[0].getLoc()) << "the first one is here";
    return d;
  }
  func::FuncOp f = found.front();
  FunctionType type = f.getFunctionType();
  auto tokens = type.getNumInputs() == 2
                    ? dyn_cast<RankedTensorType>(type.getInput(0))
                    : RankedTensorType();
  if (!tokens || type.getInput(1) != tokens || tokens.getRank() != 2 ||
      !tokens.getElementType().isInteger(32) || !tokens.hasStaticShape())
    return f.emitError("the loss function @")
           << f.getName()
           << " must take exactly (tokens, targets) as two "
              "tensor<BxSxi32> arguments, got "
           << type;
  return f;
}

/// The driver calls moefold_train_step(tokens, targets, lr, step) ->
/// (loss, grad_norm, applied) through its C interface; a hand-written step
/// must have that shape.
LogicalResult checkTrainStep(ModuleOp module, func::FuncOp loss) {
  auto step = module.lookupSymbol<func::FuncOp>("moefold_train_step");
  FunctionType type = step.getFunctionType();
  Type tokens = loss.getFunctionType().getInput(0);
  auto scalar = [](Type t, bool flag) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor || tensor.getRank() != 0)
      return false;
    Type e = tensor.getElementType();
    return flag ? e.isInteger(1) : (e.isF32() || e.isF64());
  };
  bool ok = type.getNumInputs() == 4 && type.getNumResults() == 3 &&
            type.getInput(0) == tokens && type.getInput(1) == tokens &&
            scalar(type.getInput(2), false) &&
            scalar(type.getInput(3), false) &&
            scalar(type.getResult(0), false) &&
            scalar(type.getResult(1), false) && scalar(type.getResult(2), true);
  if (!ok)
    return step.emitError("@moefold_train_step must take (tokens, targets, "
                          "lr, step) as (")
           << tokens << ", " << tokens
           << ", 0-d float, 0-d float) and return (loss, grad_norm, applied) "
              "as (0-d float, 0-d float, tensor<i1>), got "
           << type;
  return success();
}

/// Makes the executable's entry points: moefold_eval (a copy of the loss
/// function) and moefold_train_step stay public, everything else becomes
/// private and unused functions disappear. With several ranks the eval
/// entry returns the whole loss (no {moe.loss}: the partitioner all-reduces
/// it like the step's), not this rank's share.
LogicalResult prepareEntries(ModuleOp module, func::FuncOp loss,
                             bool multiRank) {
  if (!module.lookupSymbol("moefold_eval")) {
    func::FuncOp eval = loss.clone();
    eval.setName("moefold_eval");
    eval.setPublic();
    if (multiRank)
      eval.removeResultAttr(0, StringAttr::get(module.getContext(),
                                               moe::MoEDialect::kLossAttrName));
    module.push_back(eval);
  }
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal() && f.getName() != "moefold_eval" &&
        f.getName() != "moefold_train_step")
      f.setPrivate();
  return success();
}

/// "%.17g" trimmed to the shortest text that reads back the same.
std::string shortNumber(double v) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

int fail(const Twine &message) {
  llvm::errs() << "moefold-compile: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  registerAllPasses();
  cl::ParseCommandLineOptions(argc, argv, kOverview);

  FailureOr<MeshFlag> mesh = parseMesh(meshSpec);
  if (failed(mesh))
    return 1;
  bool multiRank = mesh->world > 1;
  if (multiRank && !compile::haveMPI())
    return fail("--mesh " + meshSpec +
                ": this moefold build has no MPI communication backend "
                "(install an MPI, e.g. libopenmpi-dev, and rebuild); only "
                "--mesh world=1 can be compiled");
  compile::Compute compute = compile::Compute::Cpu;
  if (backend == "cuda")
    compute = compile::Compute::Cuda;
  else if (backend == "cuda-emulated")
    compute = compile::Compute::CudaEmulated;
  else if (backend != "cpu")
    return fail("--backend must be cpu, cuda or cuda-emulated, got '" +
                backend + "'");
  if (compute == compile::Compute::Cuda && !compile::haveCuda())
    return fail("--backend cuda: this moefold build has no CUDA toolkit "
                "(configure with nvcc available and MOEFOLD_ENABLE_CUDA=ON); "
                "--backend cuda-emulated runs the same program on the host");
  if (commBackend != "mpi" && commBackend != "nccl")
    return fail("--comm must be mpi or nccl, got '" + commBackend + "'");
  compile::Comm comm =
      commBackend == "nccl" ? compile::Comm::Nccl : compile::Comm::Mpi;
  if (comm == compile::Comm::Nccl) {
    if (compute != compile::Compute::Cuda)
      return fail("--comm nccl needs --backend cuda (NCCL moves GPU memory; "
                  "the " + backend + " backend uses --comm mpi)");
    if (!compile::haveNccl())
      return fail("--comm nccl: this moefold build has no NCCL comm backend "
                  "(moefold_runtime_nccl and libnccl); use --comm mpi");
  }
  bool device = compute != compile::Compute::Cpu;
  if (optimizer != "adamw" && optimizer != "sgd")
    return fail("--optimizer must be adamw or sgd, got '" + optimizer + "'");
  if (!std::isfinite(maxGradNorm))
    return fail("--max-grad-norm must be a finite number");
  if ((emit == Emit::Exe || emit == Emit::Obj) && outputFile.empty())
    return fail("missing -o (the output executable or object file)");
  std::string output = outputFile.empty() ? "-" : outputFile.getValue();

  DialectRegistry registry;
  registerAllDialects(registry);
  registry.insert<memref::MemRefDialect, LLVM::LLVMDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  // Diagnostics name the op at its source location; the generic form of the
  // op mid-pipeline only adds noise for a user.
  context.printOpOnDiagnostic(false);

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFile, &errorMessage);
  if (!input)
    return fail(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  // The pipeline holds several copies of the user's function (the loss
  // function, its gradient, the training step, the eval entry): a problem
  // with one of its ops is reported once, not once per copy.
  std::set<std::string> reported;
  ScopedDiagnosticHandler dedup(&context, [&](Diagnostic &d) {
    std::string key;
    llvm::raw_string_ostream os(key);
    os << d.getLocation() << '|' << static_cast<int>(d.getSeverity()) << '|'
       << d.str();
    return success(!reported.insert(os.str()).second);
  });
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  if (failed(verify(*module)))
    return 1;

  if (floatType == "f64") {
    if (failed(widenToF64(*module)))
      return 1;
  } else if (!floatType.empty() && floatType != "f32") {
    return fail("--float-type must be f32 or f64, got '" + floatType + "'");
  }

  FailureOr<func::FuncOp> loss = findLossFunction(*module);
  if (failed(loss))
    return 1;
  // Several ranks: the model's mesh takes the --mesh shape (its placements
  // are checked against it here).
  if (multiRank && failed(setMesh(*module, *mesh)))
    return 1;

  // Training: differentiate and build the step, when those passes exist.
  // A module that already defines @moefold_train_step (written by hand or
  // by an earlier moefold-compile --emit=moe) is used as is.
  bool prebuilt = static_cast<bool>(module->lookupSymbol("moefold_train_step"));
  bool train = prebuilt || (passRegistered("moe-autodiff") &&
                            passRegistered("moe-build-train-step"));
  if (train && !prebuilt) {
    PassManager pm(&context);
    auto num = [](double v) { return llvm::formatv("{0:e16}", v).str(); };
    std::string options = "optimizer=" + optimizer.getValue() +
                          " max-grad-norm=" + num(maxGradNorm) +
                          " beta1=" + num(beta1) + " beta2=" + num(beta2) +
                          " epsilon=" + num(epsilon);
    if (weightDecay.getNumOccurrences())
      options += " weight-decay=" + num(weightDecay);
    std::string pipeline = "moe-autodiff,moe-build-train-step{" + options + "}";
    if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
      return fail("cannot build the training pipeline '" + pipeline + "'");
    if (failed(pm.run(*module)))
      return fail("differentiating the model or building the training step "
                  "failed (see the diagnostics above)");
    if (!module->lookupSymbol("moefold_train_step"))
      return fail("moe-build-train-step produced no @moefold_train_step");
  }
  if (train) {
    if (failed(checkTrainStep(*module, *loss)))
      return 1;
  } else {
    llvm::errs() << "moefold-compile: warning: moe-autodiff and "
                    "moe-build-train-step are not available in this build; "
                    "the executable evaluates the loss only\n";
  }
  if (failed(prepareEntries(*module, *loss, multiRank)))
    return 1;

  // Several ranks: the program one rank runs, with every collective
  // derived from placements, and the checker's verdict on it.
  if (multiRank) {
    if (!passRegistered("moe-propagate-placements") ||
        !passRegistered("moe-partition") || !passRegistered("moe-grad-reduce"))
      return fail("--mesh " + meshSpec +
                  ": this build has no moe-propagate-placements / "
                  "moe-partition / moe-grad-reduce passes");
    PassManager pm(&context);
    if (failed(parsePassPipeline(
            "moe-propagate-placements,moe-partition,moe-grad-reduce", pm,
            llvm::errs())))
      return fail("cannot build the partitioning pipeline");
    if (failed(pm.run(*module)))
      return fail("partitioning the training step for --mesh " + meshSpec +
                  " failed (see the diagnostics above)");
    if (failed(checkLocalTypes(*module, verifyTypes)))
      return fail("the partitioned program does not type-check "
                  "(spmd-verify-types; see the diagnostics above)");
  }

  // Metadata the executable reports and checkpoints.
  Builder b(&context);
  SmallVector<NamedAttribute> metadata = {
      b.getNamedAttr("mesh", b.getStringAttr(meshSpec.getValue())),
      b.getNamedAttr("optimizer",
                     b.getStringAttr(train ? optimizer.getValue() : "none")),
      b.getNamedAttr("max_grad_norm",
                     b.getStringAttr(shortNumber(maxGradNorm))),
      b.getNamedAttr("model", b.getStringAttr(llvm::sys::path::filename(
                                  inputFile.getValue())))};
  // Entries the input already carries (moefold-import's hf_architecture)
  // are kept unless the compiler sets the same key.
  if (auto given = (*module)->getAttrOfType<DictionaryAttr>(kMetadataAttrName))
    for (NamedAttribute entry : given)
      if (!llvm::any_of(metadata, [&](NamedAttribute m) {
            return m.getName() == entry.getName();
          }))
        metadata.push_back(entry);
  (*module)->setAttr(kMetadataAttrName, b.getDictionaryAttr(metadata));

  auto writeText = [&](auto print) -> int {
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(output, &errorMessage);
    if (!out)
      return fail(errorMessage);
    print(out->os());
    out->keep();
    return 0;
  };

  {
    PassManager pm(&context);
    pm.addPass(createSymbolDCEPass());
    if (emit != Emit::MoE)
      pm.addPass(createMoELowerToRuntimePass());
    if (emit != Emit::MoE && device)
      pm.addPass(createMoERuntimeToDevicePass());
    if (failed(pm.run(*module)))
      return fail("lowering to runtime calls failed (see the diagnostics "
                  "above)");
  }
  if (emit == Emit::MoE || emit == Emit::MLIR)
    return writeText([&](llvm::raw_ostream &os) { module->print(os); });

  {
    PassManager pm(&context);
    buildRuntimeToLLVMPipeline(pm, device);
    if (failed(pm.run(*module)))
      return 1;
  }
  compile::setTargetCPU(targetCPU);
  compile::setMultiRank(multiRank);
  compile::setBackends(compute, comm);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      compile::translateAndOptimize(*module, llvmContext, errorMessage);
  if (!llvmModule)
    return fail(errorMessage);
  if (emit == Emit::LLVM)
    return writeText(
        [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });

  if (emit == Emit::Obj)
    return compile::emitObject(*llvmModule, output, errorMessage)
               ? 0
               : fail(errorMessage);

  llvm::SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moefold", "o", object))
    return fail("cannot create a temporary object file: " + ec.message());
  llvm::FileRemover removeObject(object);
  if (!compile::emitObject(*llvmModule, object, errorMessage))
    return fail(errorMessage);
  if (verbose)
    llvm::errs() << "moefold-compile: linking: "
                 << compile::describeLinkCommand(object, output) << "\n";
  if (!compile::linkExecutable(object, output, errorMessage))
    return fail(errorMessage);
  return 0;
}
