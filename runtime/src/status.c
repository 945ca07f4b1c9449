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
  case MFRT_ERROR_FORMAT:
    return "malformed file";
  }
  return "unknown status";
}

size_t mfrt_dtype_size(mfrt_dtype dtype) {
  switch (dtype) {
  case MFRT_F32:
  case MFRT_I32:
    return 4;
  case MFRT_F64:
  case MFRT_I64:
    return 8;
  case MFRT_BF16:
    return 2;
  }
  return 0;
}

const char *mfrt_dtype_name(mfrt_dtype dtype) {
  switch (dtype) {
  case MFRT_F32:
    return "f32";
  case MFRT_F64:
    return "f64";
  case MFRT_BF16:
    return "bf16";
  case MFRT_I32:
    return "i32";
  case MFRT_I64:
    return "i64";
  }
  return "unknown";
}
