//===- Safetensors.cpp - safetensors reader and atomic writer -------------===//
//
// The reader validates the whole header on open, so later reads only check
// the caller's descriptor. The writer builds the header in memory, writes
// header and data to `path.tmp.<pid>`, fsyncs it, renames it over `path` and
// fsyncs the directory.
//
//===----------------------------------------------------------------------===//

#include "moefold_runtime/mfrt_io.h"

#include "../src/Support.h"
#include "Json.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mfrt;

namespace {

/// Largest header the reader accepts (the reference implementation's limit).
constexpr uint64_t kMaxHeader = 100u << 20;

struct DtypeInfo {
  const char *name;
  size_t size;
  int mfrt; // mfrt_dtype, or -1 when the runtime has no such element type
};

const DtypeInfo kDtypes[] = {
    {"BOOL", 1, -1},      {"U8", 1, -1},       {"I8", 1, -1},
    {"F8_E5M2", 1, -1},   {"F8_E4M3", 1, -1},  {"I16", 2, -1},
    {"U16", 2, -1},       {"F16", 2, -1},      {"BF16", 2, MFRT_BF16},
    {"I32", 4, MFRT_I32}, {"U32", 4, -1},      {"F32", 4, MFRT_F32},
    {"I64", 8, MFRT_I64}, {"U64", 8, -1},      {"F64", 8, MFRT_F64},
};

const DtypeInfo *lookupDtype(const std::string &name) {
  for (const DtypeInfo &d : kDtypes)
    if (name == d.name)
      return &d;
  return nullptr;
}

const char *safetensorsName(mfrt_dtype dtype) {
  for (const DtypeInfo &d : kDtypes)
    if (d.mfrt == static_cast<int>(dtype))
      return d.name;
  return nullptr;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

/// pread the whole range, retrying short reads.
bool preadAll(int fd, void *buf, size_t size, uint64_t offset) {
  char *p = static_cast<char *>(buf);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

std::atomic<int64_t> gWriteFault{-1};

} // namespace

struct mfrt_safetensors {
  struct Entry {
    std::string name;
    const DtypeInfo *dtype = nullptr;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
  };
  int fd = -1;
  std::string path;
  uint64_t dataStart = 0, dataSize = 0;
  std::vector<Entry> entries;
  std::vector<std::pair<std::string, std::string>> metadata;

  ~mfrt_safetensors() {
    if (fd >= 0)
      ::close(fd);
  }
};

namespace {

using Entry = mfrt_safetensors::Entry;

/// Formats "fn: path: message" as a MFRT_ERROR_FORMAT error.
mfrt_status formatError(const mfrt_safetensors &f, const std::string &msg) {
  return setError(MFRT_ERROR_FORMAT, "mfrt_safetensors_open: %s: %s",
                  f.path.c_str(), msg.c_str());
}

mfrt_status parseEntry(mfrt_safetensors &f, const std::string &name,
                       const json::Value &v, Entry &e) {
  std::string where = "tensor '" + name + "': ";
  if (v.kind != json::Value::Kind::Object)
    return formatError(f, where + "entry is a " + json::kindName(v.kind) +
                              ", expected an object");
  for (const auto &m : v.object)
    if (m.first != "dtype" && m.first != "shape" && m.first != "data_offsets")
      return formatError(f, where + "unknown field \"" + m.first + "\"");
  const json::Value *dtype = v.find("dtype"), *shape = v.find("shape"),
                    *offsets = v.find("data_offsets");
  if (!dtype)
    return formatError(f, where + "missing field \"dtype\"");
  if (!shape)
    return formatError(f, where + "missing field \"shape\"");
  if (!offsets)
    return formatError(f, where + "missing field \"data_offsets\"");
  if (dtype->kind != json::Value::Kind::String)
    return formatError(f, where + "dtype is not a string");
  e.name = name;
  e.dtype = lookupDtype(dtype->string);
  if (!e.dtype)
    return formatError(f, where + "unknown dtype \"" + dtype->string + "\"");
  if (shape->kind != json::Value::Kind::Array)
    return formatError(f, where + "shape is not an array");
  if (shape->array.size() > MFRT_MAX_RANK)
    return formatError(f, where + "rank " +
                              std::to_string(shape->array.size()) +
                              " exceeds the runtime's maximum of " +
                              std::to_string(MFRT_MAX_RANK));
  uint64_t count = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape->array.size(); ++i) {
    const json::Value &d = shape->array[i];
    if (d.kind != json::Value::Kind::Number || !d.isInteger || d.integer < 0)
      return formatError(f, where + "shape[" + std::to_string(i) +
                                "] is not a non-negative integer");
    e.shape.push_back(d.integer);
    uint64_t ext = static_cast<uint64_t>(d.integer);
    if (ext != 0 && count > UINT64_MAX / ext / 8)
      overflow = true;
    count *= ext;
  }
  if (overflow)
    return formatError(f, where + "shape " + formatShape(e.shape) +
                              " overflows the byte count");
  if (offsets->kind != json::Value::Kind::Array || offsets->array.size() != 2)
    return formatError(f, where + "data_offsets is not a [begin, end] pair");
  for (int i = 0; i < 2; ++i) {
    const json::Value &o = offsets->array[i];
    if (o.kind != json::Value::Kind::Number || !o.isInteger || o.integer < 0)
      return formatError(f, where + "data_offsets[" + std::to_string(i) +
                                "] is not a non-negative integer");
  }
  e.begin = static_cast<uint64_t>(offsets->array[0].integer);
  e.end = static_cast<uint64_t>(offsets->array[1].integer);
  std::string range =
      "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end)
    return formatError(f, where + "data_offsets " + range +
                              " has begin > end");
  if (e.end > f.dataSize)
    return formatError(f, where + "data_offsets " + range +
                              " exceed the data section of " +
                              std::to_string(f.dataSize) + " bytes");
  uint64_t bytes = count * e.dtype->size;
  if (bytes != e.end - e.begin)
    return formatError(f, where + "shape " + formatShape(e.shape) + " x " +
                              std::to_string(e.dtype->size) + " bytes (" +
                              e.dtype->name + ") = " + std::to_string(bytes) +
                              " bytes, but data_offsets " + range + " span " +
                              std::to_string(e.end - e.begin) + " bytes");
  return MFRT_OK;
}

mfrt_status parseHeader(mfrt_safetensors &f, const char *text, size_t size) {
  json::Value root;
  std::string err;
  if (!json::parse(text, size, root, err))
    return formatError(f, "header is not valid JSON: " + err);
  if (root.kind != json::Value::Kind::Object)
    return formatError(f, std::string("header is a ") +
                              json::kindName(root.kind) +
                              ", expected an object");
  for (const auto &m : root.object) {
    if (m.first == "__metadata__") {
      if (m.second.kind != json::Value::Kind::Object)
        return formatError(f, "__metadata__ is not an object");
      for (const auto &kv : m.second.object) {
        if (kv.second.kind != json::Value::Kind::String)
          return formatError(f, "__metadata__: value of \"" + kv.first +
                                    "\" is not a string");
        f.metadata.emplace_back(kv.first, kv.second.string);
      }
      continue;
    }
    Entry e;
    if (mfrt_status s = parseEntry(f, m.first, m.second, e))
      return s;
    f.entries.push_back(std::move(e));
  }
  // Non-overlap: sort the non-empty byte ranges and compare neighbours.
  std::vector<const Entry *> byOffset;
  for (const Entry &e : f.entries)
    if (e.end > e.begin)
      byOffset.push_back(&e);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const Entry *a, const Entry *b) { return a->begin < b->begin; });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const Entry *a = byOffset[i - 1], *b = byOffset[i];
    if (b->begin < a->end)
      return formatError(
          f, "tensors '" + a->name + "' and '" + b->name +
                 "' overlap: data_offsets [" + std::to_string(a->begin) +
                 ", " + std::to_string(a->end) + "] and [" +
                 std::to_string(b->begin) + ", " + std::to_string(b->end) +
                 "]");
  }
  return MFRT_OK;
}

const Entry *findEntry(const mfrt_safetensors *f, const char *name) {
  for (const Entry &e : f->entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

} // namespace

extern "C" mfrt_status mfrt_safetensors_open(const char *path,
                                             mfrt_safetensors **out) {
  const char *fn = "mfrt_safetensors_open";
  if (!path || !out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: NULL %s", fn,
                    path ? "out" : "path");
  *out = nullptr;
  mfrt_safetensors *f = new (std::nothrow) mfrt_safetensors;
  if (!f)
    return outOfMemory(fn);
  f->path = path;
  auto failWith = [&](mfrt_status s) {
    delete f;
    return s;
  };
  f->fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0)
    return failWith(setError(MFRT_ERROR_IO, "%s: %s: cannot open: %s", fn,
                             path, std::strerror(errno)));
  struct stat st;
  if (::fstat(f->fd, &st) != 0)
    return failWith(setError(MFRT_ERROR_IO, "%s: %s: cannot stat: %s", fn,
                             path, std::strerror(errno)));
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8)
    return failWith(formatError(
        *f, "file is " + std::to_string(fileSize) +
                " bytes, shorter than the 8-byte header length field"));
  unsigned char lenBytes[8];
  if (!preadAll(f->fd, lenBytes, 8, 0))
    return failWith(setError(MFRT_ERROR_IO, "%s: %s: cannot read: %s", fn,
                             path, std::strerror(errno)));
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | lenBytes[i];
  if (headerLen > fileSize - 8)
    return failWith(formatError(
        *f, "header length " + std::to_string(headerLen) + " exceeds the " +
                std::to_string(fileSize - 8) +
                " bytes after the length field"));
  if (headerLen > kMaxHeader)
    return failWith(formatError(*f, "header length " +
                                        std::to_string(headerLen) +
                                        " exceeds the 100 MiB limit"));
  std::string header(headerLen, '\0');
  if (headerLen && !preadAll(f->fd, &header[0], headerLen, 8))
    return failWith(setError(MFRT_ERROR_IO, "%s: %s: cannot read header: %s",
                             fn, path, std::strerror(errno)));
  f->dataStart = 8 + headerLen;
  f->dataSize = fileSize - f->dataStart;
  if (mfrt_status s = parseHeader(*f, header.data(), header.size()))
    return failWith(s);
  *out = f;
  return MFRT_OK;
}

extern "C" void mfrt_safetensors_close(mfrt_safetensors *file) {
  delete file;
}

extern "C" int64_t mfrt_safetensors_count(const mfrt_safetensors *file) {
  return file ? static_cast<int64_t>(file->entries.size()) : 0;
}

extern "C" mfrt_status mfrt_safetensors_info(const mfrt_safetensors *file,
                                             int64_t index, const char **name,
                                             const char **dtype,
                                             int32_t *rank,
                                             const int64_t **shape) {
  if (!file)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_safetensors_info: NULL file");
  if (index < 0 || index >= static_cast<int64_t>(file->entries.size()))
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_safetensors_info: index %lld outside [0, %zu)",
                    static_cast<long long>(index), file->entries.size());
  const Entry &e = file->entries[index];
  if (name)
    *name = e.name.c_str();
  if (dtype)
    *dtype = e.dtype->name;
  if (rank)
    *rank = static_cast<int32_t>(e.shape.size());
  if (shape)
    *shape = e.shape.data();
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_safetensors_find(const mfrt_safetensors *file,
                                             const char *name,
                                             int64_t *index) {
  if (!file || !name || !index)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_safetensors_find: NULL argument");
  for (size_t i = 0; i < file->entries.size(); ++i)
    if (file->entries[i].name == name) {
      *index = static_cast<int64_t>(i);
      return MFRT_OK;
    }
  return setError(MFRT_ERROR_INVALID_ARGUMENT,
                  "mfrt_safetensors_find: %s: no tensor named '%s'",
                  file->path.c_str(), name);
}

extern "C" const char *mfrt_safetensors_metadata(const mfrt_safetensors *file,
                                                 const char *key) {
  if (!file || !key)
    return nullptr;
  for (const auto &kv : file->metadata)
    if (kv.first == key)
      return kv.second.c_str();
  return nullptr;
}

extern "C" mfrt_status mfrt_safetensors_read_slice(const mfrt_safetensors *file,
                                                   const char *name,
                                                   const int64_t *offsets,
                                                   const mfrt_tensor *dst) {
  ArgChecker a("mfrt_safetensors_read");
  if (!file || !name) {
    a.fail("NULL %s", file ? "name" : "file");
    return a.status();
  }
  if (!a.tensor(dst, "dst"))
    return a.status();
  const Entry *e = findEntry(file, name);
  if (!e) {
    a.fail("%s: no tensor named '%s'", file->path.c_str(), name);
    return a.status();
  }
  if (e->dtype->mfrt != static_cast<int>(dst->dtype)) {
    a.fail("tensor '%s': file dtype %s, destination dtype %s", name,
           e->dtype->name, mfrt_dtype_name(dst->dtype));
    return a.status();
  }
  int32_t r = static_cast<int32_t>(e->shape.size());
  if (dst->rank != r) {
    a.fail("tensor '%s': file rank %d, destination rank %d", name, r,
           dst->rank);
    return a.status();
  }
  int64_t off[MFRT_MAX_RANK] = {0};
  for (int32_t i = 0; i < r; ++i) {
    off[i] = offsets ? offsets[i] : 0;
    if (off[i] < 0 || dst->shape[i] > e->shape[i] ||
        off[i] > e->shape[i] - dst->shape[i]) {
      a.fail("tensor '%s': dimension %d: slice [%lld, %lld) outside the "
             "file extent %lld",
             name, i, static_cast<long long>(off[i]),
             static_cast<long long>(off[i] + dst->shape[i]),
             static_cast<long long>(e->shape[i]));
      return a.status();
    }
  }
  int64_t n = numel(dst);
  if (n == 0)
    return MFRT_OK;
  size_t es = e->dtype->size;
  uint64_t base = file->dataStart + e->begin;
  int64_t stride[MFRT_MAX_RANK];
  int64_t s = 1;
  for (int32_t i = r - 1; i >= 0; --i) {
    stride[i] = s;
    s *= e->shape[i];
  }
  int64_t run = r ? dst->shape[r - 1] : 1;
  int64_t idx[MFRT_MAX_RANK] = {0};
  char *out = static_cast<char *>(dst->data);
  for (int64_t done = 0; done < n; done += run) {
    int64_t g = 0;
    for (int32_t i = 0; i < r; ++i)
      g += (off[i] + idx[i]) * stride[i];
    if (!preadAll(file->fd, out + done * es, run * es, base + g * es))
      return setError(MFRT_ERROR_IO,
                      "mfrt_safetensors_read: %s: tensor '%s': read "
                      "failed: %s",
                      file->path.c_str(), name,
                      errno ? std::strerror(errno) : "unexpected end of file");
    for (int32_t i = r - 2; i >= 0; --i) {
      if (++idx[i] < dst->shape[i])
        break;
      idx[i] = 0;
    }
  }
  return MFRT_OK;
}

extern "C" mfrt_status mfrt_safetensors_read(const mfrt_safetensors *file,
                                             const char *name,
                                             const mfrt_tensor *dst) {
  const Entry *e = file && name ? findEntry(file, name) : nullptr;
  if (e && dst && dst->rank == static_cast<int32_t>(e->shape.size()))
    for (int32_t i = 0; i < dst->rank; ++i)
      if (dst->shape[i] != e->shape[i]) {
        std::vector<int64_t> got(dst->shape, dst->shape + dst->rank);
        return setError(MFRT_ERROR_INVALID_ARGUMENT,
                        "mfrt_safetensors_read: tensor '%s': file shape %s, "
                        "destination shape %s",
                        name, formatShape(e->shape).c_str(),
                        formatShape(got).c_str());
      }
  return mfrt_safetensors_read_slice(file, name, nullptr, dst);
}

//===--- writer -----------------------------------------------------------===//

struct mfrt_safetensors_writer {
  struct Item {
    std::string name;
    mfrt_tensor tensor;
  };
  std::vector<Item> items;
  std::vector<std::pair<std::string, std::string>> metadata;
};

extern "C" mfrt_status
mfrt_safetensors_writer_create(mfrt_safetensors_writer **out) {
  if (!out)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_safetensors_writer_create: NULL out");
  *out = new (std::nothrow) mfrt_safetensors_writer;
  return *out ? MFRT_OK : outOfMemory("mfrt_safetensors_writer_create");
}

extern "C" void
mfrt_safetensors_writer_destroy(mfrt_safetensors_writer *writer) {
  delete writer;
}

extern "C" mfrt_status
mfrt_safetensors_writer_add(mfrt_safetensors_writer *writer, const char *name,
                            const mfrt_tensor *tensor) {
  ArgChecker a("mfrt_safetensors_writer_add");
  if (!writer || !name) {
    a.fail("NULL %s", writer ? "name" : "writer");
    return a.status();
  }
  if (!*name || std::strcmp(name, "__metadata__") == 0) {
    a.fail("invalid tensor name '%s'", name);
    return a.status();
  }
  if (!a.tensor(tensor, name))
    return a.status();
  if (!safetensorsName(tensor->dtype)) {
    a.fail("%s: dtype %s has no safetensors name", name,
           mfrt_dtype_name(tensor->dtype));
    return a.status();
  }
  for (const auto &item : writer->items)
    if (item.name == name) {
      a.fail("duplicate tensor name '%s'", name);
      return a.status();
    }
  writer->items.push_back({name, *tensor});
  return MFRT_OK;
}

extern "C" mfrt_status
mfrt_safetensors_writer_set_metadata(mfrt_safetensors_writer *writer,
                                     const char *key, const char *value) {
  if (!writer || !key || !value)
    return setError(MFRT_ERROR_INVALID_ARGUMENT,
                    "mfrt_safetensors_writer_set_metadata: NULL argument");
  for (auto &kv : writer->metadata)
    if (kv.first == key) {
      kv.second = value;
      return MFRT_OK;
    }
  writer->metadata.emplace_back(key, value);
  return MFRT_OK;
}

extern "C" void mfrt_safetensors_set_write_fault(int64_t fail_after_bytes) {
  gWriteFault.store(fail_after_bytes);
}

namespace {

/// Writes to the temporary file, honouring the injected fault.
class TmpWriter {
public:
  explicit TmpWriter(int fd) : fd_(fd), limit_(gWriteFault.load()) {}

  bool write(const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
      size_t chunk = size;
      if (limit_ >= 0) {
        if (written_ >= static_cast<uint64_t>(limit_)) {
          error_ = "injected write fault";
          return false;
        }
        chunk = std::min<uint64_t>(chunk, uint64_t(limit_) - written_);
      }
      ssize_t n = ::write(fd_, p, chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        error_ = std::strerror(errno);
        return false;
      }
      p += n;
      size -= static_cast<size_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
    return true;
  }
  const std::string &error() const { return error_; }

private:
  int fd_;
  int64_t limit_;
  uint64_t written_ = 0;
  std::string error_;
};

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

extern "C" mfrt_status
mfrt_safetensors_writer_write(mfrt_safetensors_writer *writer,
                              const char *path) {
  const char *fn = "mfrt_safetensors_writer_write";
  if (!writer || !path || !*path)
    return setError(MFRT_ERROR_INVALID_ARGUMENT, "%s: NULL or empty %s", fn,
                    writer ? "path" : "writer");
  // Header: metadata first, then tensors in insertion order.
  std::string header = "{";
  bool first = true;
  if (!writer->metadata.empty()) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < writer->metadata.size(); ++i) {
      if (i)
        header += ',';
      json::appendString(header, writer->metadata[i].first);
      header += ':';
      json::appendString(header, writer->metadata[i].second);
    }
    header += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (const auto &item : writer->items) {
    const mfrt_tensor &t = item.tensor;
    uint64_t bytes = uint64_t(numel(&t)) * mfrt_dtype_size(t.dtype);
    if (!first)
      header += ',';
    first = false;
    json::appendString(header, item.name);
    header += ":{\"dtype\":\"";
    header += safetensorsName(t.dtype);
    header += "\",\"shape\":[";
    for (int32_t i = 0; i < t.rank; ++i) {
      if (i)
        header += ',';
      header += std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += '}';
  // Pad with spaces so the data section starts 8-byte aligned.
  while (header.size() % 8 != 0)
    header += ' ';

  std::string tmp = std::string(path) + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return setError(MFRT_ERROR_IO, "%s: %s: cannot create: %s", fn,
                    tmp.c_str(), std::strerror(errno));
  auto abandon = [&](const std::string &why) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return setError(MFRT_ERROR_IO, "%s: %s: %s (previous file left intact)",
                    fn, path, why.c_str());
  };
  TmpWriter out(fd);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>(uint64_t(header.size()) >> (8 * i));
  if (!out.write(len, 8) || !out.write(header.data(), header.size()))
    return abandon("write failed: " + out.error());
  for (const auto &item : writer->items) {
    size_t bytes = size_t(numel(&item.tensor)) *
                   mfrt_dtype_size(item.tensor.dtype);
    if (bytes && !out.write(item.tensor.data, bytes))
      return abandon("write of tensor '" + item.name +
                     "' failed: " + out.error());
  }
  if (::fsync(fd) != 0)
    return abandon(std::string("fsync failed: ") + std::strerror(errno));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return setError(MFRT_ERROR_IO, "%s: %s: close failed: %s", fn, path,
                    std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return setError(MFRT_ERROR_IO, "%s: %s: rename failed: %s", fn, path,
                    std::strerror(err));
  }
  // Make the rename durable; failure here does not undo a complete file.
  int dir = ::open(directoryOf(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return MFRT_OK;
}
