//===- Checkpoint.cpp - save and restore every registered buffer ----------===//

#include "Checkpoint.h"

#include "moefold_runtime/mfrt_io.h"
#include "moefold_runtime/mfrt_registry.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include <sys/stat.h>

namespace moefold::driver {

static const char *kFormat = "moefold-checkpoint-1";

std::string checkpointFile(const std::string &dir) {
  return dir + "/checkpoint.safetensors";
}

std::string describeShape(int32_t rank, const int64_t *shape,
                          const char *dtype) {
  std::string s = "[";
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "] " + dtype;
}

/// The safetensors dtype string of a runtime dtype.
static const char *stDtype(mfrt_dtype d) {
  switch (d) {
  case MFRT_F32:
    return "F32";
  case MFRT_F64:
    return "F64";
  case MFRT_BF16:
    return "BF16";
  case MFRT_I32:
    return "I32";
  case MFRT_I64:
    return "I64";
  }
  return "?";
}

/// mkdir -p.
static bool makeDirs(const std::string &dir, std::string &error) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty())
      continue;
    if (::mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) {
      error =
          "cannot create directory '" + partial + "': " + std::strerror(errno);
      return false;
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "'" + dir + "' is not a directory";
    return false;
  }
  return true;
}

bool saveCheckpoint(const std::string &dir,
                    const std::map<std::string, std::string> &metadata,
                    std::string &error,
                    const std::vector<mfrt_tensor> *tensors) {
  if (!makeDirs(dir, error))
    return false;
  mfrt_safetensors_writer *w = nullptr;
  if (mfrt_safetensors_writer_create(&w) != MFRT_OK) {
    error = mfrt_last_error();
    return false;
  }
  bool ok = true;
  for (int64_t i = 0; ok && i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    const mfrt_tensor *t =
        tensors && size_t(i) < tensors->size() ? &(*tensors)[i] : &b->tensor;
    ok = mfrt_safetensors_writer_add(w, b->name, t) == MFRT_OK;
  }
  ok = ok &&
       mfrt_safetensors_writer_set_metadata(w, "format", kFormat) == MFRT_OK;
  for (auto &kv : metadata)
    ok = ok && mfrt_safetensors_writer_set_metadata(
                   w, kv.first.c_str(), kv.second.c_str()) == MFRT_OK;
  std::string path = checkpointFile(dir);
  ok = ok && mfrt_safetensors_writer_write(w, path.c_str()) == MFRT_OK;
  if (!ok)
    error = mfrt_last_error();
  mfrt_safetensors_writer_destroy(w);
  return ok;
}

bool loadCheckpoint(const std::string &dir,
                    std::map<std::string, std::string> &metadata,
                    std::string &error, int64_t rank) {
  std::string path = checkpointFile(dir);
  mfrt_safetensors *f = nullptr;
  if (mfrt_safetensors_open(path.c_str(), &f) != MFRT_OK) {
    error = mfrt_last_error();
    return false;
  }
  auto fail = [&](const std::string &msg) {
    error = path + ": " + msg;
    mfrt_safetensors_close(f);
    return false;
  };
  const char *format = mfrt_safetensors_metadata(f, "format");
  if (!format || std::strcmp(format, kFormat) != 0)
    return fail(std::string("not a moefold checkpoint (metadata format is ") +
                (format ? "'" + std::string(format) + "'" : "missing") +
                ", expected '" + kFormat + "')");
  // Check everything before touching any buffer.
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    int64_t index = 0;
    if (mfrt_safetensors_find(f, b->name, &index) != MFRT_OK)
      return fail("tensor '" + std::string(b->name) + "' is missing");
    const char *dtype = nullptr;
    int32_t fileRank = 0;
    const int64_t *shape = nullptr;
    mfrt_safetensors_info(f, index, nullptr, &dtype, &fileRank, &shape);
    bool same = fileRank == b->tensor.rank &&
                std::strcmp(dtype, stDtype(b->tensor.dtype)) == 0;
    for (int32_t d = 0; same && d < fileRank; ++d)
      same = shape[d] == b->global_shape[d];
    if (!same)
      return fail("tensor '" + std::string(b->name) + "' has shape " +
                  describeShape(fileRank, shape, dtype) +
                  " but the model's is " +
                  describeShape(b->tensor.rank, b->global_shape,
                                stDtype(b->tensor.dtype)));
  }
  // Read into copies first so a read error leaves the model untouched.
  std::vector<std::vector<char>> data(mfrt_registry_count());
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    mfrt_tensor t = b->tensor;
    data[i].resize(mfrt_tensor_numel(&t) * mfrt_dtype_size(t.dtype));
    t.data = data[i].data();
    int64_t offsets[MFRT_MAX_RANK] = {};
    mfrt_buffer_slice_offsets(b, rank, offsets);
    if ((mfrt_buffer_is_whole(b)
             ? mfrt_safetensors_read(f, b->name, &t)
             : mfrt_safetensors_read_slice(f, b->name, offsets, &t)) != MFRT_OK)
      return fail(mfrt_last_error());
  }
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    if (!data[i].empty())
      std::memcpy(b->tensor.data, data[i].data(), data[i].size());
  }
  // The safetensors reader exposes metadata by key only.
  static const char *const keys[] = {"step", "seed", "mesh", "optimizer",
                                     "data", "lr",   "dtype"};
  for (const char *k : keys)
    if (const char *v = mfrt_safetensors_metadata(f, k))
      metadata[k] = v;
  mfrt_safetensors_close(f);
  return true;
}

} // namespace moefold::driver
