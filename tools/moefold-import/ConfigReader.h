//===- ConfigReader.h - Hugging Face config.json -> ModelSpec ---*- C++ -*-===//
//
// Reads a Hugging Face-style config.json of a Mixtral, Qwen2-MoE or
// DeepSeek-V3 model. Every field is accounted for: used, ignored because it
// does not change the training math (a note), or rejected because it does
// and moefold cannot express it (an error naming it). A field the reader
// does not know is an error too, unless the caller allows unknown fields.
// See docs/import.md for the field tables.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_TOOLS_MOEFOLD_IMPORT_CONFIGREADER_H
#define MOEFOLD_TOOLS_MOEFOLD_IMPORT_CONFIGREADER_H

#include "ModelSpec.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace moefold::import {

/// Messages for the user, in the order they arose. Errors are complete
/// sentences without the "error:" prefix; several may describe one config.
struct Diagnostics {
  std::vector<std::string> errors;
  std::vector<std::string> notes;
};

struct ReaderOptions {
  ImportOptions import;
  /// Report unknown fields as notes instead of errors.
  bool allowUnknownFields = false;
};

/// Parses `text` (the contents of `path`) and returns the model, or
/// std::nullopt with at least one error in `diags`.
std::optional<ModelSpec> readConfig(llvm::StringRef path, llvm::StringRef text,
                                    const ReaderOptions &options,
                                    Diagnostics &diags);

/// Parses a --mesh value "world=N[,tp=T][,ep=E][,etp=T][,dp=D][,edp=D]"
/// into `options`; returns an error message, or an empty string on success.
std::string parseMeshSpec(llvm::StringRef spec, ImportOptions &options);

} // namespace moefold::import

#endif // MOEFOLD_TOOLS_MOEFOLD_IMPORT_CONFIGREADER_H
