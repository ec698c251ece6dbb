// --vcd FILE: the side-band signals (interrupt lines, accelerator busy and IRQ_STATUS) as a SystemC VCD
// waveform (sc_trace) for GTKWave and the like. SystemC writes FILE.partial.vcd during the run; finish()
// keeps the changes inside the --vcd-window (with every signal's value at its start) and renames the result
// to FILE, so FILE is written whole or not at all.
#pragma once

#include <string>
#include <systemc>

#include "trace_recorder.h"

namespace trainvp {

class Platform;

class VcdRecorder {
  public:
    // Opens the SystemC trace file and adds the platform's side-band signals. Before the simulation starts.
    VcdRecorder(const std::string& path, const TraceWindow& window, Platform& soc);
    ~VcdRecorder();
    VcdRecorder(const VcdRecorder&) = delete;
    VcdRecorder& operator=(const VcdRecorder&) = delete;

    // Closes the SystemC file, writes FILE; throws UserError if that fails.
    void finish();

  private:
    std::string path_, tmp_base_;
    TraceWindow window_;
    sc_core::sc_trace_file* file_ = nullptr;
};

// The VCD text `in` with only the changes in `window`: the header as it is, then at the window's start every
// signal's value there, then the changes up to the window's end. Exposed for the tests.
std::string vcd_window(const std::string& in, const TraceWindow& window);

}  // namespace trainvp
