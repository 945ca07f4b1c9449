# -*- Python -*-
# lit configuration for the moefold regression suite.

import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MOEFOLD"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moefold_obj_root, "test")

# Named captures must not leak between CHECK-LABEL blocks.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope --dump-input=fail"

llvm_config.use_default_substitutions()
llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH"])
# `not`, `count` and FileCheck live in LLVM's tools directory, which is not
# on a fresh machine's PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.moefold_tools_dir, append_path=True)

config.substitutions.append(("%moefold_src", config.moefold_src_root))
# The build may not have looked Python up; lit's own interpreter will do.
config.substitutions.append(("%PYTHON", config.python_executable or sys.executable))
# Models and data of the integration tests.
config.substitutions.append(("%examples", os.path.join(config.moefold_src_root, "examples")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Integration", "Inputs")))

tool_dirs = [config.moefold_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("moefold-opt", unresolved="fatal"),
    ToolSubst("moefold-compile", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features for tests that need more than the compiler itself. Integration
# tests declare REQUIRES: on these; lit reports them UNSUPPORTED (visibly)
# where the feature is absent.
if shutil.which("mpirun"):
    config.available_features.add("mpi")
# gpu: a CUDA device to run `--backend cuda` executables on (tests that need
# one are UNSUPPORTED without it, and the run says so once).
if shutil.which("nvidia-smi") and os.system("nvidia-smi -L >/dev/null 2>&1") == 0:
    config.available_features.add("gpu")
else:
    lit_config.note("no GPU (nvidia-smi -L lists none): tests with "
                    "REQUIRES: gpu are UNSUPPORTED")
# cuda-toolkit: this build has the cuda runtime for a device, so
# `moefold-compile --backend cuda` links (it runs only with a gpu).
if getattr(config, "moefold_have_cuda", "OFF").upper() in ("ON", "1", "TRUE"):
    config.available_features.add("cuda-toolkit")

# The independent JAX reference runs with the python3 that scripts/setup.sh
# installed jax into (the one on PATH), which may differ from lit's own.
config.substitutions.append(
    ("%refpython", shutil.which("python3") or "python3"))

