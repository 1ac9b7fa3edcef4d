#pragma once
// The complexity module in one include: R̃ and its weights (rtilde.hpp), the certified complexity R
// (certified_r.hpp), pruning (prune.hpp), training penalties (penalty.hpp) and λ paths (path.hpp).
// THEORY §2–3; docs/complexity.md.
#include "occam/complexity/certified_r.hpp"
#include "occam/complexity/path.hpp"
#include "occam/complexity/penalty.hpp"
#include "occam/complexity/prune.hpp"
#include "occam/complexity/rtilde.hpp"
