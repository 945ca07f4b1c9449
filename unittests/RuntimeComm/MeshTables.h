//===- MeshTables.h - hand-written group tables of folded meshes -*- C++
//-*-===//
//
// The rank groups the compiler passes to mfrt_comm_create_group, written out
// by hand for the meshes the comm tests run on (docs/placement.md: dense view
// [dp, tp], expert view [edp, ep, etp], last axis fastest, groups ordered by
// coordinate). CommMeshTablesTest checks them against the compiler's own
// MeshLayout::getGroups, so the runtime tests exercise exactly the groups the
// compiler will hand over.
//
//===----------------------------------------------------------------------===//

#ifndef MOEFOLD_UNITTESTS_RUNTIMECOMM_MESHTABLES_H
#define MOEFOLD_UNITTESTS_RUNTIMECOMM_MESHTABLES_H

#include <cstdint>
#include <string>
#include <vector>

namespace comm_test {

using Group = std::vector<int64_t>;

struct AxisTable {
  const char *view; // "dense" or "expert"
  const char *axis; // "dp", "tp", "edp", "ep"
  std::vector<Group> groups;
};

struct MeshTable {
  const char *name; // "w8-tp2-ep4"
  int64_t world, tp, ep;
  std::vector<AxisTable> axes;
};

inline const std::vector<MeshTable> &meshTables() {
  static const std::vector<MeshTable> tables = {
      {"w1-tp1-ep1",
       1,
       1,
       1,
       {{"dense", "dp", {{0}}},
        {"dense", "tp", {{0}}},
        {"expert", "edp", {{0}}},
        {"expert", "ep", {{0}}}}},
      // world 2 = tp2 = ep2: everything on one pair.
      {"w2-tp2-ep2",
       2,
       2,
       2,
       {{"dense", "dp", {{0}, {1}}},
        {"dense", "tp", {{0, 1}}},
        {"expert", "edp", {{0}, {1}}},
        {"expert", "ep", {{0, 1}}}}},
      // world 2, no TP: EP spans the DP ranks.
      {"w2-tp1-ep2",
       2,
       1,
       2,
       {{"dense", "dp", {{0, 1}}},
        {"dense", "tp", {{0}, {1}}},
        {"expert", "edp", {{0}, {1}}},
        {"expert", "ep", {{0, 1}}}}},
      // world 4 = tp4 = ep4: the cross-lane case, EP over the TP lanes.
      {"w4-tp4-ep4",
       4,
       4,
       4,
       {{"dense", "dp", {{0}, {1}, {2}, {3}}},
        {"dense", "tp", {{0, 1, 2, 3}}},
        {"expert", "edp", {{0}, {1}, {2}, {3}}},
        {"expert", "ep", {{0, 1, 2, 3}}}}},
      // world 4 = tp2*dp2 = ep4: EP crosses TP lanes and DP ranks.
      {"w4-tp2-ep4",
       4,
       2,
       4,
       {{"dense", "dp", {{0, 2}, {1, 3}}},
        {"dense", "tp", {{0, 1}, {2, 3}}},
        {"expert", "edp", {{0}, {1}, {2}, {3}}},
        {"expert", "ep", {{0, 1, 2, 3}}}}},
      {"w4-tp2-ep2",
       4,
       2,
       2,
       {{"dense", "dp", {{0, 2}, {1, 3}}},
        {"dense", "tp", {{0, 1}, {2, 3}}},
        {"expert", "edp", {{0, 2}, {1, 3}}},
        {"expert", "ep", {{0, 1}, {2, 3}}}}},
      // world 8 = tp2*dp4 = ep4*edp2 (the DESIGN.md example).
      {"w8-tp2-ep4",
       8,
       2,
       4,
       {{"dense", "dp", {{0, 2, 4, 6}, {1, 3, 5, 7}}},
        {"dense", "tp", {{0, 1}, {2, 3}, {4, 5}, {6, 7}}},
        {"expert", "edp", {{0, 4}, {1, 5}, {2, 6}, {3, 7}}},
        {"expert", "ep", {{0, 1, 2, 3}, {4, 5, 6, 7}}}}},
      // world 8 = tp4*dp2 = ep4*edp2: EP groups coincide with TP groups.
      {"w8-tp4-ep4",
       8,
       4,
       4,
       {{"dense", "dp", {{0, 4}, {1, 5}, {2, 6}, {3, 7}}},
        {"dense", "tp", {{0, 1, 2, 3}, {4, 5, 6, 7}}},
        {"expert", "edp", {{0, 4}, {1, 5}, {2, 6}, {3, 7}}},
        {"expert", "ep", {{0, 1, 2, 3}, {4, 5, 6, 7}}}}},
      // world 8 = tp2*dp4 = ep8: EP over the whole world.
      {"w8-tp2-ep8",
       8,
       2,
       8,
       {{"dense", "dp", {{0, 2, 4, 6}, {1, 3, 5, 7}}},
        {"dense", "tp", {{0, 1}, {2, 3}, {4, 5}, {6, 7}}},
        {"expert", "edp", {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}},
        {"expert", "ep", {{0, 1, 2, 3, 4, 5, 6, 7}}}}},
  };
  return tables;
}

/// The group of `axis` that contains `rank` (empty if none does).
inline Group groupOf(const AxisTable &axis, int64_t rank) {
  for (const Group &g : axis.groups)
    for (int64_t r : g)
      if (r == rank)
        return g;
  return {};
}

} // namespace comm_test

#endif // MOEFOLD_UNITTESTS_RUNTIMECOMM_MESHTABLES_H
