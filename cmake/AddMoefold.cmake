# Thin wrappers over MLIR's add_mlir_* so every moefold library and tool is
# declared the same way (the CIRCT AddCIRCT.cmake habit).

function(add_moefold_dialect dialect dialect_namespace)
  add_mlir_dialect(${ARGV})
  add_dependencies(moefold-headers MLIR${dialect}IncGen)
endfunction()

function(add_moefold_doc doc_filename output_file output_directory command)
  add_mlir_doc(${ARGV})
endfunction()

function(add_moefold_library name)
  add_mlir_library(${ARGV} DISABLE_INSTALL)
  add_moefold_library_install(${name})
endfunction()

function(add_moefold_dialect_library name)
  set_property(GLOBAL APPEND PROPERTY MOEFOLD_DIALECT_LIBS ${name})
  add_moefold_library(${ARGV} DEPENDS moefold-headers)
endfunction()

function(add_moefold_conversion_library name)
  set_property(GLOBAL APPEND PROPERTY MOEFOLD_CONVERSION_LIBS ${name})
  add_moefold_library(${ARGV} DEPENDS moefold-headers)
endfunction()

# Libraries are consumed from the build tree only; nothing is installed yet.
function(add_moefold_library_install name)
endfunction()
