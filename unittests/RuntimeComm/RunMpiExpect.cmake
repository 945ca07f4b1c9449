# Runs an mpirun job and checks how it ends: its exit status, how often a
# pattern appears in its output, and how long it took. ctest runs it as
#   cmake -DMPIEXEC=... -DNP=2 -DFLAGS=a|b -DPROG=... -DARGS=x|y
#         -DEXPECT_RC=nonzero|<n> [-DEXPECT_REGEX=re] [-DEXPECT_COUNT=n]
#         -DMAX_SECONDS=s -DHARD_TIMEOUT=s -P RunMpiExpect.cmake
# Lists use '|' because ctest would split ';'. The job is killed after
# HARD_TIMEOUT seconds, which fails the test ("hung").
cmake_minimum_required(VERSION 3.20)

foreach(var MPIEXEC NP PROG EXPECT_RC MAX_SECONDS HARD_TIMEOUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "RunMpiExpect: ${var} is not set")
  endif()
endforeach()
string(REPLACE "|" ";" flags "${FLAGS}")
string(REPLACE "|" ";" args "${ARGS}")

string(TIMESTAMP start "%s%f" UTC)
execute_process(
  COMMAND "${MPIEXEC}" -np ${NP} ${flags} "${PROG}" ${args}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out
  TIMEOUT ${HARD_TIMEOUT})
string(TIMESTAMP stop "%s%f" UTC)
math(EXPR elapsed_ms "(${stop} - ${start}) / 1000")

message("---- output of mpirun -np ${NP} ${PROG} ${args} ----\n${out}"
        "---- exit: ${rc}, ${elapsed_ms} ms ----")

if(rc MATCHES "timeout|Process terminated due to timeout")
  message(FATAL_ERROR "job hung: still running after ${HARD_TIMEOUT} s")
endif()
if(EXPECT_RC STREQUAL "nonzero")
  if(rc STREQUAL "0")
    message(FATAL_ERROR "expected a non-zero exit status, got 0")
  endif()
elseif(NOT rc STREQUAL EXPECT_RC)
  message(FATAL_ERROR "expected exit status ${EXPECT_RC}, got '${rc}'")
endif()
math(EXPR max_ms "${MAX_SECONDS} * 1000")
if(elapsed_ms GREATER max_ms)
  message(FATAL_ERROR "took ${elapsed_ms} ms, over the bound of ${MAX_SECONDS} s")
endif()
if(DEFINED EXPECT_REGEX)
  # A ';' inside a match would split it into two list entries.
  string(REPLACE ";" "," flat "${out}")
  string(REGEX MATCHALL "${EXPECT_REGEX}" hits "${flat}")
  list(LENGTH hits count)
  if(DEFINED EXPECT_COUNT)
    if(NOT count EQUAL EXPECT_COUNT)
      message(FATAL_ERROR "expected ${EXPECT_COUNT} matches of '${EXPECT_REGEX}', got ${count}")
    endif()
  elseif(count EQUAL 0)
    message(FATAL_ERROR "no match of '${EXPECT_REGEX}' in the output")
  endif()
endif()
message("RunMpiExpect: ok (exit ${rc}, ${elapsed_ms} ms, bound ${MAX_SECONDS} s)")
