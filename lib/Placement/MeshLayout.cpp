#include "moefold/Placement/MeshLayout.h"
int moefold::placement::placeholder() { return 0; }
