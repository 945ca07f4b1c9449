/*===- mfrt_io.h - safetensors checkpoints and gradient dumps ------------===*
 *
 * safetensors layout: an 8-byte little-endian header length N, N bytes of
 * JSON header
 *   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
 *    "__metadata__": {"key": "value"}}
 * then the data section; offsets are relative to its start. The reader
 * validates the whole header on open (lengths, JSON, dtypes, shapes,
 * offsets in range and non-overlapping) and returns MFRT_ERROR_FORMAT with
 * a message naming the tensor and field for any inconsistency. The writer
 * writes `path.tmp.<pid>`, fsyncs it and renames it over `path`, so an
 * interrupted or failed write leaves any previous file intact.
 *===----------------------------------------------------------------------===*/

#ifndef MOEFOLD_RUNTIME_MFRT_IO_H
#define MOEFOLD_RUNTIME_MFRT_IO_H

#include "moefold_runtime/mfrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/*--- reader -------------------------------------------------------------*/
typedef struct mfrt_safetensors mfrt_safetensors;

/* Opens and validates `path`. On success *out owns the open file. Missing or
 * unreadable file: MFRT_ERROR_IO; malformed content: MFRT_ERROR_FORMAT. */
mfrt_status mfrt_safetensors_open(const char *path, mfrt_safetensors **out);
/* Closes the file; NULL is a no-op. */
void mfrt_safetensors_close(mfrt_safetensors *file);

/* Number of tensors (the __metadata__ entry excluded). */
int64_t mfrt_safetensors_count(const mfrt_safetensors *file);
/* Tensor `index` (header order): name, dtype string ("F32", "BF16", ...),
 * rank and shape. Pointers stay valid until close; any out pointer may be
 * NULL. */
mfrt_status mfrt_safetensors_info(const mfrt_safetensors *file, int64_t index,
                                  const char **name, const char **dtype,
                                  int32_t *rank, const int64_t **shape);
/* Index of tensor `name`; MFRT_ERROR_INVALID_ARGUMENT when absent. */
mfrt_status mfrt_safetensors_find(const mfrt_safetensors *file,
                                  const char *name, int64_t *index);
/* Value of metadata `key`, or NULL when absent. */
const char *mfrt_safetensors_metadata(const mfrt_safetensors *file,
                                      const char *key);

/* Reads tensor `name` into `dst`, whose dtype and shape must match. */
mfrt_status mfrt_safetensors_read(const mfrt_safetensors *file,
                                  const char *name, const mfrt_tensor *dst);
/* Reads the slice [offsets[i], offsets[i] + dst->shape[i]) of tensor `name`
 * (same rank and dtype as dst): a shard of a global tensor. */
mfrt_status mfrt_safetensors_read_slice(const mfrt_safetensors *file,
                                        const char *name,
                                        const int64_t *offsets,
                                        const mfrt_tensor *dst);

/*--- writer -------------------------------------------------------------*/
typedef struct mfrt_safetensors_writer mfrt_safetensors_writer;

mfrt_status mfrt_safetensors_writer_create(mfrt_safetensors_writer **out);
void mfrt_safetensors_writer_destroy(mfrt_safetensors_writer *writer);
/* Adds tensor `name` (unique, non-empty, not "__metadata__"). The data is
 * NOT copied: it must stay valid and unchanged until
 * mfrt_safetensors_writer_write returns. Supported dtypes: all of mfrt_dtype. */
mfrt_status mfrt_safetensors_writer_add(mfrt_safetensors_writer *writer,
                                        const char *name,
                                        const mfrt_tensor *tensor);
/* Sets metadata `key` to `value` (replacing an earlier value). */
mfrt_status mfrt_safetensors_writer_set_metadata(
    mfrt_safetensors_writer *writer, const char *key, const char *value);
/* Writes all tensors atomically to `path` (tensors in insertion order). */
mfrt_status mfrt_safetensors_writer_write(mfrt_safetensors_writer *writer,
                                          const char *path);

/* Testing hook: when >= 0, the next safetensors writes fail with
 * MFRT_ERROR_IO after that many bytes of the temporary file are written
 * (simulating a full disk or a crash mid-write). -1 disables. */
void mfrt_safetensors_set_write_fault(int64_t fail_after_bytes);

/*--- checksums ----------------------------------------------------------*/
/* SHA-256 (FIPS 180-4) of `size` bytes as 64 lowercase hex digits + NUL. */
void mfrt_sha256_hex(const void *data, size_t size, char hex[65]);
/* SHA-256 of the file at `path` (hex as above) and its size in bytes (`size`
 * may be NULL). Unreadable file: MFRT_ERROR_IO. */
mfrt_status mfrt_sha256_file(const char *path, char hex[65], uint64_t *size);

#ifdef __cplusplus
}
#endif

#endif /* MOEFOLD_RUNTIME_MFRT_IO_H */
