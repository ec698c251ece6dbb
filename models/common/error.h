// Errors caused by user input (scenario files, command lines, ELF files, datasets). The tools catch them,
// print the one-line message and exit non-zero; they never indicate a model bug.
#pragma once

#include <stdexcept>

namespace trainvp {

struct UserError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace trainvp
