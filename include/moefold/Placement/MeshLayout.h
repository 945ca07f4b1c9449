// PLACEHOLDER: replaced by the placement algebra.
#ifndef MOEFOLD_PLACEMENT_MESHLAYOUT_H
#define MOEFOLD_PLACEMENT_MESHLAYOUT_H
namespace moefold::placement {
int placeholder();
}
#endif
