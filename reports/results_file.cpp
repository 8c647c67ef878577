#include "reports/results_file.hpp"
