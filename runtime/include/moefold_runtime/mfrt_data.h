/*===- mfrt_data.h - token data loader -----------------------------------===*
 *
 * A token file is a flat array of little-endian uint16 or uint32 token ids.
 * Batches are defined by GLOBAL sample index so every mesh shape sees the
 * same data: with N tokens and sequence length S there are
 * W = floor((N - 1) / S) windows; global sample g = step * global_batch + row
 * uses window w = g mod W, i.e.
 *   tokens[j]  = file[w*S + j],  targets[j] = file[w*S + j + 1],  j < S.
 * A rank reading rows [row_begin, row_begin + rows) of a step's global batch
 * gets exactly those rows of the single-rank batch.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_DATA_H
#define MOEFOLD_RUNTIME_MFRT_DATA_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Token width of a data file. AUTO picks it from the extension: ".u16" or
 * ".bin" -> 2 bytes, ".u32" -> 4 bytes; anything else is an error. */
typedef enum mfrt_token_format {
  MFRT_TOKENS_AUTO = 0,
  MFRT_TOKENS_U16 = 2,
  MFRT_TOKENS_U32 = 4,
} mfrt_token_format;

typedef struct mfrt_token_data mfrt_token_data;

/* Opens `path`. Errors: missing/unreadable file (MFRT_ERROR_IO), size not a
 * multiple of the token width or fewer than 2 tokens (MFRT_ERROR_FORMAT),
 * vocab_size <= 0 (MFRT_ERROR_INVALID_ARGUMENT). */
mfrt_status mfrt_token_data_open(const char *path, mfrt_token_format format,
                                 int64_t vocab_size, mfrt_token_data **out);
void mfrt_token_data_close(mfrt_token_data *data);
int64_t mfrt_token_data_num_tokens(const mfrt_token_data *data);

/* Fills tokens and targets ([rows, seq_len] i32, rows = tokens->shape[0])
 * with rows [row_begin, row_begin + rows) of step `step`'s global batch of
 * `global_batch` samples. A token >= vocab_size read on the way is
 * MFRT_ERROR_FORMAT naming its position in the file and its value. */
mfrt_status mfrt_token_data_batch(const mfrt_token_data *data, int64_t step,
                                  int64_t global_batch, int64_t row_begin,
                                  const mfrt_tensor *tokens,
                                  const mfrt_tensor *targets);

/* Scans the whole file for tokens >= vocab_size (first one reported). */
mfrt_status mfrt_token_data_validate(const mfrt_token_data *data);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_DATA_H */
