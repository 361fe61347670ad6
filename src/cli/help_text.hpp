#pragma once

#include <string>

namespace hookd::cli {

// What `hookd --help` prints after the commands and options, in the manner of a manual page:
// configuration keys with their variables and defaults, environment, files, exit status.
std::string help_footer();

}  // namespace hookd::cli
