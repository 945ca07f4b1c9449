//===- StatusTest.cpp - runtime C ABI status codes ------------------------===//

#include "moefold_runtime/mfrt.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

// Every status has a distinct, non-empty name: diagnostics printed by the
// executables rely on it to tell failures apart.
TEST(RuntimeStatus, EveryStatusHasADistinctName) {
  std::set<std::string> names;
  for (int s = MFRT_OK; s <= MFRT_ERROR_FORMAT; ++s) {
    const char *name = mfrt_status_string(static_cast<mfrt_status>(s));
    ASSERT_NE(name, nullptr);
    EXPECT_FALSE(std::string(name).empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(MFRT_ERROR_FORMAT + 1));
}

// A value outside the enum (e.g. from a corrupted return slot) must not read
// out of bounds.
TEST(RuntimeStatus, UnknownStatusIsNamedUnknown) {
  EXPECT_STREQ(mfrt_status_string(static_cast<mfrt_status>(1234)),
               "unknown status");
}
