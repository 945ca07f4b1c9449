/*===- status.c - status strings of the runtime C ABI --------------------===*/

#include "moefold_runtime/mfrt.h"

const char *mfrt_status_string(mfrt_status status) {
  switch (status) {
  case MFRT_OK:
    return "ok";
  case MFRT_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case MFRT_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case MFRT_ERROR_IO:
    return "i/o error";
  case MFRT_ERROR_COMM:
    return "communication error";
  case MFRT_ERROR_UNSUPPORTED:
    return "unsupported";
  }
  return "unknown status";
}
