// The files a run writes (report, weights, instruction trace, UART output): checked before any work is
// done, so a typo fails in a second instead of after the simulation; and at the end each written on its
// own, so one that fails never keeps the others from being written.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace trainvp {

// Throws UserError "WHAT PATH: reason" unless PATH can be written by replacing it: its directory exists and
// a file can be created in it (tried, so read-only mounts and /proc count), and PATH is absent or a regular
// file (a directory or a device is refused: the file is renamed into place and would replace it).
void check_output_file(const std::string& what, const std::string& path);

// Throws UserError "WHAT PATH: reason" unless PATH is an existing directory.
void check_directory(const std::string& what, const std::string& path);

// Throws UserError "WHAT PATH: reason" unless PATH is an existing regular file.
void check_input_file(const std::string& what, const std::string& path);

// The output writes at the end of a run. Each runs even when an earlier one failed; a failure is printed
// as one "trainvp: error: ..." line and remembered.
class OutputWrites {
  public:
    // Runs `write`; returns false (after printing "trainvp: error: WHAT not written: message") if it threw.
    bool attempt(const std::string& what, const std::function<void()>& write);
    bool failed() const { return !errors_.empty(); }
    const std::vector<std::string>& errors() const { return errors_; }

  private:
    std::vector<std::string> errors_;
};

}  // namespace trainvp
