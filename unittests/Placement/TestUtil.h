//===- TestUtil.h - Helpers for the placement unit tests -------*- C++ -*-===//

#ifndef MOEFOLD_UNITTESTS_PLACEMENT_TESTUTIL_H
#define MOEFOLD_UNITTESTS_PLACEMENT_TESTUTIL_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace moefold::placement::test {

/// The value of `value`; aborts the test binary with the message otherwise,
/// since every later check would be meaningless.
template <typename T> T getOrDie(llvm::Expected<T> value) {
  if (!value) {
    llvm::errs() << "unexpected error: " << llvm::toString(value.takeError())
                 << '\n';
    std::abort();
  }
  return std::move(*value);
}

/// The message of the error, or "<success>" (consumes the error).
inline std::string errorMessage(llvm::Error err) {
  if (!err)
    return "<success>";
  return llvm::toString(std::move(err));
}

template <typename T> std::string errorMessage(llvm::Expected<T> value) {
  if (value)
    return "<success>";
  return llvm::toString(value.takeError());
}

inline bool containsText(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// EXPECT that `result` (an Error or Expected) failed with a message
/// containing `part`.
#define EXPECT_ERROR_CONTAINS(result, part)                                    \
  EXPECT_PRED2(::moefold::placement::test::containsText,                       \
               ::moefold::placement::test::errorMessage(result),               \
               std::string(part))

template <typename T> std::string printToString(const T &value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << value;
  return out;
}

} // namespace moefold::placement::test

#endif // MOEFOLD_UNITTESTS_PLACEMENT_TESTUTIL_H
