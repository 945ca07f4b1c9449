//===- Json.h - minimal JSON reader and writer ------------------*- C++ -*-===//
//
// Just enough JSON for safetensors headers: a recursive-descent parser with a
// depth limit that reports the byte offset of the first error, and string
// escaping for the writer. No exceptions: parse() returns false and fills
// the error message.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_RUNTIME_IO_JSON_H
#define MOEFOLD_RUNTIME_IO_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mfrt::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  /// Set when the number was written as an integer that fits int64_t.
  bool isInteger = false;
  int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  /// Members in file order; duplicate keys are rejected by the parser.
  std::vector<std::pair<std::string, Value>> object;

  /// The member named `key`, or nullptr.
  const Value *find(const std::string &key) const;
};

/// Name of a kind for messages ("object", "string", ...).
const char *kindName(Value::Kind kind);

/// Parses text[0, size) as one JSON value followed only by whitespace.
bool parse(const char *text, size_t size, Value &out, std::string &error);

/// Appends `s` as a quoted, escaped JSON string.
void appendString(std::string &out, const std::string &s);

} // namespace mfrt::json

#endif // MOEFOLD_RUNTIME_IO_JSON_H
