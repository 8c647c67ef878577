#include "reports/replay.hpp"
