// The TrainVP SoC: RV32 host CPU, interconnect, DRAM and peripherals, assembled from a PlatformConfig and
// mapped from the single memory map (platform/hw/memory_map.h).
#pragma once

#include <systemc>

#include "accel/accelerator.h"
#include "bus/router.h"
#include "cpu/cpu_runner.h"
#include "mem/elf_loader.h"
#include "mem/memory.h"
#include "periph/clint.h"
#include "periph/plic.h"
#include "periph/simctrl.h"
#include "periph/uart.h"
#include "platform_config.h"

namespace trainvp {

class Platform : public sc_core::sc_module {
  public:
    Platform(const sc_core::sc_module_name& name, const PlatformConfig& cfg);

    // Copies the ELF's PT_LOAD segments into DRAM and sets the CPU's reset pc. A segment outside the
    // populated DRAM throws UserError naming the file and the address range.
    void load_firmware(const ElfImage& image, const std::string& path);

    // Adds the side-band signals to a waveform file (--vcd): the CPU's three interrupt inputs, the PLIC's
    // device lines, the accelerator's busy flag and IRQ_STATUS. Before the simulation starts.
    void trace_sideband(sc_core::sc_trace_file* file);

    CpuRunner cpu;
    Router bus;
    Memory ram;
    Uart uart0;
    Clint clint;
    Plic plic;
    SimCtrl simctrl;
    Accelerator accel;

  private:
    sc_core::sc_signal<bool> timer_irq_{"timer_irq"};
    sc_core::sc_signal<bool> soft_irq_{"soft_irq"};
    sc_core::sc_signal<bool> external_irq_{"external_irq"};
    sc_core::sc_vector<sc_core::sc_signal<bool>> device_irq_;
};

}  // namespace trainvp
