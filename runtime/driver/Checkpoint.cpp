//===- Checkpoint.cpp - sharded Hugging Face checkpoints ------------------===//
//
// Save: every rank plans the same owners from the registry (no messages),
// writes its two shard files into DIR.tmp-<pid>, and the files' sizes and
// SHA-256 are gathered to the root, which writes the index and publishes
// the directory. Load: each rank validates the whole checkpoint, then reads
// the windows of the exported tensors that overlap its slices.
//
//===----------------------------------------------------------------------===//

#include "Checkpoint.h"

#include "Dist.h"
#include "HfLayout.h"

#include "../io/Json.h"
#include "moefold_runtime/mfrt_io.h"
#include "moefold_runtime/mfrt_registry.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moefold::driver {

namespace {

const char *kFormat = "moefold-checkpoint-2";
const char *kIndex = "model.safetensors.index.json";

/// The safetensors dtype string of a runtime dtype.
const char *stDtype(mfrt_dtype d) {
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

std::string shardName(const char *kind, int64_t k, int64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s-%05lld-of-%05lld.safetensors", kind,
                static_cast<long long>(k + 1), static_cast<long long>(n));
  return buf;
}

bool isDir(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

/// mkdir -p.
bool makeDirs(const std::string &dir, std::string &error) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    std::string partial = dir.substr(0, pos);
    if (partial.empty())
      continue;
    if (::mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) {
      error =
          "cannot create directory '" + partial + "': " + std::strerror(errno);
      return false;
    }
  }
  if (!isDir(dir)) {
    error = "'" + dir + "' is not a directory";
    return false;
  }
  return true;
}

/// Files a checkpoint directory may hold (so replacing one never deletes
/// anything else).
bool isCheckpointFile(const std::string &name) {
  auto starts = [&](const char *p) { return name.rfind(p, 0) == 0; };
  auto ends = [&](const char *s) {
    size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  return name == kIndex || name == "checkpoint.safetensors" ||
         ((starts("model-") || starts("optimizer-")) &&
          (ends(".safetensors") || name.find(".safetensors.tmp.") !=
                                       std::string::npos));
}

/// The entries of `dir` (no "." / "..").
bool listDir(const std::string &dir, std::vector<std::string> &names,
             std::string &error) {
  DIR *d = ::opendir(dir.c_str());
  if (!d) {
    error = "cannot read directory '" + dir + "': " + std::strerror(errno);
    return false;
  }
  while (struct dirent *e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..")
      names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return true;
}

/// Refuses a DIR that holds anything but checkpoint files.
bool checkReplaceable(const std::string &dir, std::string &error) {
  std::vector<std::string> names;
  if (!listDir(dir, names, error))
    return false;
  for (const std::string &n : names)
    if (!isCheckpointFile(n)) {
      error = "'" + dir + "' holds '" + n +
              "', which is not part of a checkpoint; refusing to replace it";
      return false;
    }
  return true;
}

/// Removes a directory of checkpoint files.
void removeCheckpointDir(const std::string &dir) {
  std::vector<std::string> names;
  std::string ignored;
  if (!listDir(dir, names, ignored))
    return;
  for (const std::string &n : names)
    if (isCheckpointFile(n))
      ::unlink((dir + "/" + n).c_str());
  ::rmdir(dir.c_str());
}

void fsyncPath(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string parentOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Collective: false on every rank when any failed; `error` is kept only on
/// the first failing rank.
bool together(bool ok, std::string &error) {
  int64_t first = -1;
  if (!dist::anyFailed(!ok, &first))
    return true;
  if (dist::rank() != first)
    error.clear();
  return false;
}

/// Copies between a box of a global tensor in export order (`flat`,
/// contiguous over the box's extents along t.perm) and a buffer `region`
/// that holds the global box [regionLo, regionLo + regionShape). The box is
/// [lo, hi) in global coordinates (a sub-box of t's); dimensions outside
/// t.perm are fixed at lo.
void copyBox(const HfTensor &t, const int64_t *lo, const int64_t *hi,
             char *flat, char *region, const int64_t *regionLo,
             const int64_t *regionShape, int32_t rank, size_t es,
             bool toFlat) {
  int32_t k = static_cast<int32_t>(t.perm.size());
  std::vector<int64_t> stride(rank, 1);
  for (int32_t d = rank - 2; d >= 0; --d)
    stride[d] = stride[d + 1] * regionShape[d + 1];
  int64_t count = 1, base = 0;
  for (int32_t d = 0; d < rank; ++d) {
    base += (lo[d] - regionLo[d]) * stride[d];
    if (std::find(t.perm.begin(), t.perm.end(), d) == t.perm.end())
      continue;
    count *= hi[d] - lo[d];
  }
  std::vector<int64_t> x(k, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = base;
    for (int32_t j = 0; j < k; ++j)
      off += x[j] * stride[t.perm[j]];
    char *r = region + size_t(off) * es, *f = flat + size_t(i) * es;
    if (toFlat)
      std::memcpy(f, r, es);
    else
      std::memcpy(r, f, es);
    for (int32_t j = k - 1; j >= 0; --j) {
      if (++x[j] < hi[t.perm[j]] - lo[t.perm[j]])
        break;
      x[j] = 0;
    }
  }
}

/// Whether rank r's slice of `b` contains the box of `t`.
bool holds(const mfrt_buffer_info *b, int64_t r, const HfTensor &t) {
  int64_t off[MFRT_MAX_RANK] = {};
  mfrt_buffer_slice_offsets(b, r, off);
  for (int32_t d = 0; d < b->tensor.rank; ++d)
    if (t.lo[d] < off[d] || t.hi[d] > off[d] + b->tensor.shape[d])
      return false;
  return true;
}

/// One buffer's share of the save.
struct BufferPlan {
  const mfrt_buffer_info *b = nullptr;
  std::vector<HfTensor> tensors;
  std::vector<int64_t> owner; ///< the rank writing tensors[i]
  bool gather = false;        ///< no rank holds some tensor whole
};

/// The same plan on every rank: a tensor some rank holds whole is written
/// by one of those ranks (round-robin over the tensors, so replicated
/// tensors spread over the ranks); a buffer with a tensor that no rank
/// holds is gathered to one rank (round-robin too), which writes all of it.
/// States of a parameter follow its plan.
std::vector<BufferPlan> planSave(int64_t world) {
  std::vector<BufferPlan> plans;
  std::map<std::string, size_t> planOf; // parameter name -> its plan
  int64_t counter = 0;
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    BufferPlan p;
    p.b = mfrt_registry_buffer(i);
    p.tensors = hfTensors(p.b);
    // A state exported like its parameter (moments, gradient) is written
    // by the same ranks (a gathered one is gathered likewise), so rank k's
    // optimizer shard holds the moments of its model shard's tensors.
    auto param = p.b->of ? planOf.find(p.b->of) : planOf.end();
    if (param != planOf.end() &&
        plans[param->second].tensors.size() == p.tensors.size()) {
      const BufferPlan &q = plans[param->second];
      bool same = true;
      for (size_t t = 0; same && t < p.tensors.size(); ++t)
        same = q.gather || holds(p.b, q.owner[t], p.tensors[t]);
      if (same) {
        p.owner = q.owner;
        p.gather = q.gather;
        plans.push_back(std::move(p));
        continue;
      }
    }
    if (p.b->kind == MFRT_BUFFER_PARAM)
      planOf[p.b->name] = plans.size();
    int64_t first = counter;
    for (const HfTensor &t : p.tensors) {
      std::vector<int64_t> candidates;
      for (int64_t r = 0; r < world; ++r)
        if (holds(p.b, r, t))
          candidates.push_back(r);
      if (candidates.empty())
        p.gather = true;
      p.owner.push_back(candidates.empty()
                            ? 0
                            : candidates[size_t(counter) % candidates.size()]);
      ++counter;
    }
    if (p.gather)
      std::fill(p.owner.begin(), p.owner.end(), first % world);
    plans.push_back(std::move(p));
  }
  return plans;
}

/// The model fingerprint: SHA-256 of the sorted "name dtype shape" lines of
/// every exported parameter tensor (independent of the mesh).
std::string fingerprint() {
  std::vector<std::string> lines;
  for (int64_t i = 0; i < mfrt_registry_count(); ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    if (b->kind != MFRT_BUFFER_PARAM)
      continue;
    for (const HfTensor &t : hfTensors(b)) {
      std::vector<int64_t> s = t.shape();
      lines.push_back(t.name + " " +
                      describeShape(int32_t(s.size()), s.data(),
                                    stDtype(b->tensor.dtype)));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const std::string &l : lines)
    text += l + "\n";
  char hex[65];
  mfrt_sha256_hex(text.data(), text.size(), hex);
  return hex;
}

/// Writes `text` to `path` and fsyncs it.
bool writeFile(const std::string &path, const std::string &text,
               std::string &error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  bool ok = fd >= 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    done += ok ? size_t(n) : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  if (!ok)
    error = "cannot write '" + path + "': " + std::strerror(errno);
  if (fd >= 0 && ::close(fd) != 0 && ok) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    ok = false;
  }
  return ok;
}

/// Makes `tmp` the checkpoint DIR: a plain rename when DIR does not exist,
/// else an atomic exchange (renameat2 RENAME_EXCHANGE) and the old one is
/// removed. Filesystems without the exchange fall back to two renames.
bool publish(const std::string &tmp, const std::string &dir,
             std::string &error) {
  fsyncPath(tmp);
  if (!exists(dir)) {
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      error = "cannot rename '" + tmp + "' to '" + dir +
              "': " + std::strerror(errno);
      return false;
    }
  } else if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(),
                         RENAME_EXCHANGE) == 0) {
    removeCheckpointDir(tmp); // now the previous checkpoint
  } else {
    std::string old = tmp + ".old";
    if (::rename(dir.c_str(), old.c_str()) != 0 ||
        ::rename(tmp.c_str(), dir.c_str()) != 0) {
      error = "cannot replace '" + dir + "': " + std::strerror(errno);
      return false;
    }
    removeCheckpointDir(old);
  }
  fsyncPath(parentOf(dir));
  return true;
}

/// Adds `hex` (64 chars) and `size` to `words` (9 int64).
void packFile(const char *hex, uint64_t size, int64_t *words) {
  words[0] = int64_t(size);
  std::memcpy(&words[1], hex, 64);
}

} // namespace

std::string indexFile(const std::string &dir) { return dir + "/" + kIndex; }

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

bool saveCheckpoint(const std::string &dir,
                    const std::map<std::string, std::string> &metadata,
                    std::string &error) {
  int64_t me = dist::rank(), world = dist::worldSize();
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  // Agree on the temporary directory: DIR.tmp-<root's pid>.
  std::vector<int64_t> pids(size_t(world), 0);
  {
    int64_t pid = ::getpid();
    mfrt_tensor t{};
    t.data = &pid;
    t.dtype = MFRT_I64;
    t.rank = 1;
    t.shape[0] = 1;
    if (!together(dist::allGather(t, pids.data(), error), error))
      return false;
  }
  std::string tmp = path + ".tmp-" + std::to_string(pids[0]);
  bool ok = true;
  if (me == 0) {
    ok = makeDirs(parentOf(path), error);
    if (ok && exists(path))
      ok = isDir(path) ? checkReplaceable(path, error)
                       : (error = "'" + path + "' is not a directory", false);
    // Temporaries of saves that were killed before they published.
    std::vector<std::string> siblings;
    std::string parent = parentOf(path), prefix =
        path.substr(path.find_last_of('/') + 1) + ".tmp-";
    if (ok && listDir(parent, siblings, error))
      for (const std::string &n : siblings)
        if (n.rfind(prefix, 0) == 0 && isDir(parent + "/" + n))
          removeCheckpointDir(parent + "/" + n);
    if (ok && ::mkdir(tmp.c_str(), 0777) != 0) {
      error = "cannot create directory '" + tmp + "': " + std::strerror(errno);
      ok = false;
    }
  }
  if (!together(ok, error))
    return false;

  // Each rank writes the tensors it owns; gathers run on every rank in
  // registry order.
  std::vector<BufferPlan> plans = planSave(world);
  std::string files[2] = {shardName("model", me, world),
                          shardName("optimizer", me, world)};
  mfrt_safetensors_writer *writers[2] = {nullptr, nullptr};
  std::deque<std::vector<char>> staging; // alive until the writes
  std::deque<std::string> names;
  ok = mfrt_safetensors_writer_create(&writers[0]) == MFRT_OK &&
       mfrt_safetensors_writer_create(&writers[1]) == MFRT_OK;
  for (const BufferPlan &p : plans) {
    const mfrt_buffer_info *b = p.b;
    int32_t rank = b->tensor.rank;
    size_t es = mfrt_dtype_size(b->tensor.dtype);
    const char *region = static_cast<const char *>(b->tensor.data);
    int64_t regionLo[MFRT_MAX_RANK] = {};
    const int64_t *regionShape = b->tensor.shape;
    mfrt_buffer_slice_offsets(b, me, regionLo);
    std::vector<char> global;
    if (p.gather) {
      size_t localBytes = size_t(mfrt_tensor_numel(&b->tensor)) * es;
      std::vector<char> all(localBytes * size_t(world));
      if (!dist::allGather(b->tensor, all.data(), error)) {
        ok = false; // the collective failed on every rank
        break;
      }
      if (p.owner[0] != me)
        continue;
      size_t n = es;
      for (int32_t d = 0; d < rank; ++d)
        n *= size_t(b->global_shape[d]);
      global.assign(n, 0);
      int64_t zero[MFRT_MAX_RANK] = {};
      HfTensor identity;
      for (int32_t d = 0; d < rank; ++d)
        identity.perm.push_back(d);
      for (int64_t r = 0; r < world; ++r) {
        int64_t lo[MFRT_MAX_RANK] = {}, hi[MFRT_MAX_RANK] = {};
        mfrt_buffer_slice_offsets(b, r, lo);
        for (int32_t d = 0; d < rank; ++d)
          hi[d] = lo[d] + b->tensor.shape[d];
        copyBox(identity, lo, hi, all.data() + size_t(r) * localBytes,
                global.data(), zero, b->global_shape, rank, es,
                /*toFlat=*/false);
      }
      region = global.data();
      std::fill(regionLo, regionLo + MFRT_MAX_RANK, 0);
      regionShape = b->global_shape;
    }
    for (size_t i = 0; ok && i < p.tensors.size(); ++i) {
      if (p.owner[i] != me)
        continue;
      const HfTensor &t = p.tensors[i];
      std::vector<int64_t> shape = t.shape();
      mfrt_tensor out{};
      out.dtype = b->tensor.dtype;
      out.rank = int32_t(shape.size());
      size_t n = es;
      for (size_t d = 0; d < shape.size(); ++d) {
        out.shape[d] = shape[d];
        n *= size_t(shape[d]);
      }
      staging.emplace_back(n);
      copyBox(t, t.lo.data(), t.hi.data(), staging.back().data(),
              const_cast<char *>(region), regionLo, regionShape, rank, es,
              /*toFlat=*/true);
      out.data = staging.back().data();
      names.push_back(t.name);
      ok = mfrt_safetensors_writer_add(
               writers[b->kind == MFRT_BUFFER_PARAM ? 0 : 1],
               names.back().c_str(), &out) == MFRT_OK;
      if (!ok)
        error = mfrt_last_error();
    }
  }
  for (int f = 0; f < 2; ++f) {
    if (!ok || !writers[f])
      break;
    std::string file = tmp + "/" + files[f];
    ok = mfrt_safetensors_writer_set_metadata(writers[f], "format", kFormat) ==
             MFRT_OK &&
         mfrt_safetensors_writer_write(writers[f], file.c_str()) == MFRT_OK;
    if (!ok)
      error = "rank " + std::to_string(me) + ": " + mfrt_last_error();
  }
  mfrt_safetensors_writer_destroy(writers[0]);
  mfrt_safetensors_writer_destroy(writers[1]);
  staging.clear();

  // Sizes and checksums of every rank's files, to the root.
  int64_t mine[18] = {};
  for (int f = 0; ok && f < 2; ++f) {
    char hex[65];
    uint64_t size = 0;
    ok = mfrt_sha256_file((tmp + "/" + files[f]).c_str(), hex, &size) ==
         MFRT_OK;
    if (!ok)
      error = mfrt_last_error();
    else
      packFile(hex, size, mine + 9 * f);
  }
  if (!together(ok, error)) {
    if (me == 0)
      removeCheckpointDir(tmp);
    return false;
  }
  std::vector<int64_t> all(size_t(18 * world));
  {
    mfrt_tensor t{};
    t.data = mine;
    t.dtype = MFRT_I64;
    t.rank = 1;
    t.shape[0] = 18;
    if (!together(dist::allGather(t, all.data(), error), error)) {
      if (me == 0)
        removeCheckpointDir(tmp);
      return false;
    }
  }

  if (me == 0) {
    std::string text = "{\n  \"metadata\": {";
    uint64_t totalSize = 0;
    for (const BufferPlan &p : plans)
      if (p.b->kind == MFRT_BUFFER_PARAM)
        for (const HfTensor &t : p.tensors) {
          uint64_t n = mfrt_dtype_size(p.b->tensor.dtype);
          for (int64_t e : t.shape())
            n *= uint64_t(e);
          totalSize += n;
        }
    text += "\n    \"total_size\": " + std::to_string(totalSize);
    // The caller's metadata, then the compiled model's (model file, mesh,
    // hf_architecture of an imported model, ...) where the caller has none.
    std::map<std::string, std::string> meta = metadata;
    for (int64_t m = 0; m < mfrt_registry_metadata_count(); ++m) {
      const char *key = nullptr, *value = nullptr;
      mfrt_registry_metadata_at(m, &key, &value);
      if (key && value && !meta.count(key))
        meta[key] = value;
    }
    meta["format"] = kFormat;
    meta["fingerprint"] = fingerprint();
    meta["world"] = std::to_string(world);
    for (const auto &kv : meta) {
      text += ",\n    ";
      mfrt::json::appendString(text, kv.first);
      text += ": ";
      mfrt::json::appendString(text, kv.second);
    }
    text += "\n  },\n  \"files\": {";
    for (int64_t r = 0; r < world; ++r)
      for (int f = 0; f < 2; ++f) {
        const int64_t *w = &all[size_t(18 * r + 9 * f)];
        text += r || f ? ",\n    " : "\n    ";
        mfrt::json::appendString(text, shardName(f ? "optimizer" : "model",
                                                 r, world));
        text += ": {\"size\": " + std::to_string(w[0]) + ", \"sha256\": \"" +
                std::string(reinterpret_cast<const char *>(&w[1]), 64) +
                "\"}";
      }
    for (int f = 0; f < 2; ++f) {
      text += f ? "\n  },\n  \"optimizer_map\": {" : "\n  },\n  \"weight_map\": {";
      bool firstEntry = true;
      for (const BufferPlan &p : plans) {
        if ((p.b->kind == MFRT_BUFFER_PARAM) != (f == 0))
          continue;
        for (size_t i = 0; i < p.tensors.size(); ++i) {
          text += firstEntry ? "\n    " : ",\n    ";
          firstEntry = false;
          mfrt::json::appendString(text, p.tensors[i].name);
          text += ": ";
          mfrt::json::appendString(
              text, shardName(f ? "optimizer" : "model", p.owner[i], world));
        }
      }
    }
    text += "\n  }\n}\n";
    ok = writeFile(tmp + "/" + kIndex, text, error) &&
         publish(tmp, path, error);
    if (!ok)
      removeCheckpointDir(tmp);
  }
  return together(ok, error);
}

namespace {

/// An open checkpoint: the parsed index and its shards.
struct Index {
  std::string dir, path;
  mfrt::json::Value root;
  std::map<std::string, std::string> weightMap, optimizerMap, metadata;
  std::map<std::string, mfrt_safetensors *> shards;
  ~Index() {
    for (auto &kv : shards)
      mfrt_safetensors_close(kv.second);
  }
};

bool readText(const std::string &path, std::string &text, int &err) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    err = errno;
    return false;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    text.append(buf, n);
  bool ok = !std::ferror(f);
  err = errno;
  std::fclose(f);
  return ok;
}

/// Reads an object of strings (`what` names it in errors).
bool stringMap(const Index &ix, const char *what,
               std::map<std::string, std::string> &out, std::string &error) {
  const mfrt::json::Value *v = ix.root.find(what);
  if (!v || v->kind != mfrt::json::Value::Kind::Object) {
    error = ix.path + ": \"" + what + "\" is missing or not an object";
    return false;
  }
  for (const auto &m : v->object) {
    if (m.second.kind == mfrt::json::Value::Kind::String)
      out[m.first] = m.second.string;
    else if (m.second.kind == mfrt::json::Value::Kind::Number &&
             m.second.isInteger)
      out[m.first] = std::to_string(m.second.integer);
    else {
      error = ix.path + ": \"" + what + "\": value of \"" + m.first +
              "\" is not a string";
      return false;
    }
  }
  return true;
}

/// Parses the index and checks every shard's size and SHA-256.
bool openIndex(Index &ix, std::string &error) {
  std::string text;
  int err = 0;
  if (!readText(ix.path, text, err)) {
    if (err == ENOENT && exists(ix.dir + "/checkpoint.safetensors"))
      error = ix.dir +
              ": a single-file checkpoint (checkpoint.safetensors, format "
              "moefold-checkpoint-1), which this version does not read; "
              "expected " + kIndex;
    else
      error = ix.path + ": cannot open: " + std::strerror(err) +
              (err == ENOENT ? " (not a checkpoint directory, or a save "
                               "that never finished)"
                             : "");
    return false;
  }
  std::string perr;
  if (!mfrt::json::parse(text.data(), text.size(), ix.root, perr)) {
    error = ix.path + ": not valid JSON: " + perr;
    return false;
  }
  if (ix.root.kind != mfrt::json::Value::Kind::Object) {
    error = ix.path + ": not a JSON object";
    return false;
  }
  if (!stringMap(ix, "metadata", ix.metadata, error))
    return false;
  auto format = ix.metadata.find("format");
  if (format == ix.metadata.end() || format->second != kFormat) {
    error = ix.path + ": not a moefold checkpoint (metadata format is " +
            (format == ix.metadata.end() ? std::string("missing")
                                         : "'" + format->second + "'") +
            ", expected '" + kFormat + "')";
    return false;
  }
  if (!stringMap(ix, "weight_map", ix.weightMap, error) ||
      !stringMap(ix, "optimizer_map", ix.optimizerMap, error))
    return false;
  const mfrt::json::Value *files = ix.root.find("files");
  if (!files || files->kind != mfrt::json::Value::Kind::Object) {
    error = ix.path + ": \"files\" is missing or not an object";
    return false;
  }
  for (const auto &m : files->object) {
    const std::string &name = m.first;
    const mfrt::json::Value *size = m.second.find("size"),
                            *sha = m.second.find("sha256");
    if (!size || !size->isInteger || !sha ||
        sha->kind != mfrt::json::Value::Kind::String ||
        name.find('/') != std::string::npos) {
      error = ix.path + ": entry \"" + name +
              "\" of \"files\" needs a file name, an integer \"size\" and "
              "a string \"sha256\"";
      return false;
    }
    std::string file = ix.dir + "/" + name;
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) {
      error = ix.path + ": shard '" + name + "' is missing: " +
              std::strerror(errno);
      return false;
    }
    if (int64_t(st.st_size) != size->integer) {
      error = ix.path + ": shard '" + name + "' is " +
              std::to_string(st.st_size) + " bytes but the index says " +
              std::to_string(size->integer) + " (truncated or overwritten)";
      return false;
    }
    char hex[65];
    if (mfrt_sha256_file(file.c_str(), hex, nullptr) != MFRT_OK) {
      error = mfrt_last_error();
      return false;
    }
    if (sha->string != hex) {
      error = ix.path + ": shard '" + name + "' has SHA-256 " + hex +
              " but the index says " + sha->string + " (corrupt)";
      return false;
    }
    mfrt_safetensors *f = nullptr;
    if (mfrt_safetensors_open(file.c_str(), &f) != MFRT_OK) {
      error = mfrt_last_error();
      return false;
    }
    ix.shards[name] = f;
  }
  for (const auto *map : {&ix.weightMap, &ix.optimizerMap})
    for (const auto &kv : *map)
      if (!ix.shards.count(kv.second)) {
        error = ix.path + ": tensor '" + kv.first + "' is mapped to '" +
                kv.second + "', which \"files\" does not list";
        return false;
      }
  return true;
}

} // namespace

bool loadCheckpoint(const std::string &dir,
                    std::map<std::string, std::string> &metadata,
                    std::string &error, int64_t rank) {
  Index ix;
  ix.dir = dir;
  ix.path = indexFile(dir);
  if (!openIndex(ix, error))
    return false;

  // Every exported tensor present with the model's dtype and shape.
  struct Source {
    const HfTensor *t;
    mfrt_safetensors *file;
  };
  int64_t n = mfrt_registry_count();
  std::vector<std::vector<HfTensor>> tensors(n);
  std::vector<std::vector<Source>> sources(n);
  std::map<std::string, bool> expected;
  for (int64_t i = 0; i < n; ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    tensors[i] = hfTensors(b);
    const auto &map =
        b->kind == MFRT_BUFFER_PARAM ? ix.weightMap : ix.optimizerMap;
    const char *dtype = stDtype(b->tensor.dtype);
    for (const HfTensor &t : tensors[i]) {
      expected[t.name] = true;
      std::vector<int64_t> want = t.shape();
      std::string wantText =
          describeShape(int32_t(want.size()), want.data(), dtype);
      auto it = map.find(t.name);
      int64_t at = 0;
      if (it == map.end() ||
          mfrt_safetensors_find(ix.shards[it->second], t.name.c_str(), &at) !=
              MFRT_OK) {
        error = ix.path + ": tensor '" + t.name + "' (" + wantText +
                ", moefold buffer '" + b->name + "') is missing";
        return false;
      }
      const char *fileDtype = nullptr;
      int32_t fileRank = 0;
      const int64_t *shape = nullptr;
      mfrt_safetensors_info(ix.shards[it->second], at, nullptr, &fileDtype,
                            &fileRank, &shape);
      std::string haveText = describeShape(fileRank, shape, fileDtype);
      if (haveText != wantText) {
        error = ix.path + ": tensor '" + t.name + "' has shape " + haveText +
                " but the model's is " + wantText;
        return false;
      }
      sources[i].push_back({&t, ix.shards[it->second]});
    }
  }
  auto fp = ix.metadata.find("fingerprint");
  if (fp == ix.metadata.end() || fp->second != fingerprint()) {
    std::string extra;
    for (const auto &kv : ix.weightMap)
      if (!expected.count(kv.first)) {
        extra = "; tensor '" + kv.first + "' is not one of this model's";
        break;
      }
    error = ix.path + ": written by a different model (fingerprint " +
            (fp == ix.metadata.end() ? std::string("missing")
                                     : fp->second.substr(0, 16)) +
            ", this model's " + fingerprint().substr(0, 16) + ")" + extra;
    return false;
  }

  // Read into copies first so a read error leaves the model untouched.
  std::vector<std::vector<char>> data(n);
  for (int64_t i = 0; i < n; ++i) {
    const mfrt_buffer_info *b = mfrt_registry_buffer(i);
    int32_t r = b->tensor.rank;
    size_t es = mfrt_dtype_size(b->tensor.dtype);
    data[i].resize(size_t(mfrt_tensor_numel(&b->tensor)) * es);
    int64_t off[MFRT_MAX_RANK] = {};
    mfrt_buffer_slice_offsets(b, rank, off);
    for (const Source &s : sources[i]) {
      // This rank's part of the tensor's box, and the window it is in the
      // exported tensor.
      int64_t lo[MFRT_MAX_RANK] = {}, hi[MFRT_MAX_RANK] = {};
      bool empty = false;
      for (int32_t d = 0; d < r; ++d) {
        lo[d] = std::max(s.t->lo[d], off[d]);
        hi[d] = std::min(s.t->hi[d], off[d] + b->tensor.shape[d]);
        empty = empty || lo[d] >= hi[d];
      }
      if (empty)
        continue;
      mfrt_tensor window{};
      window.dtype = b->tensor.dtype;
      window.rank = int32_t(s.t->perm.size());
      int64_t woff[MFRT_MAX_RANK] = {};
      size_t bytes = es;
      for (int32_t k = 0; k < window.rank; ++k) {
        int32_t d = s.t->perm[k];
        woff[k] = lo[d] - s.t->lo[d];
        window.shape[k] = hi[d] - lo[d];
        bytes *= size_t(window.shape[k]);
      }
      std::vector<char> buf(bytes);
      window.data = buf.data();
      if (mfrt_safetensors_read_slice(s.file, s.t->name.c_str(), woff,
                                      &window) != MFRT_OK) {
        error = mfrt_last_error();
        return false;
      }
      copyBox(*s.t, lo, hi, buf.data(), data[i].data(), off, b->tensor.shape,
              r, es, /*toFlat=*/false);
    }
  }
  for (int64_t i = 0; i < n; ++i)
    if (!data[i].empty())
      std::memcpy(mfrt_registry_buffer(i)->tensor.data, data[i].data(),
                  data[i].size());
  metadata = ix.metadata;
  return true;
}

} // namespace moefold::driver
