#include "platform.h"

#include "accel/controller.h"
#include "array_model.h"
#include "common/error.h"
#include "common/log.h"
#include "hw/memory_map.h"

namespace trainvp {

Platform::Platform(const sc_core::sc_module_name& name, const PlatformConfig& cfg)
    : sc_module(name),
      cpu("cpu", cfg.cpu),
      bus("bus", cfg.bus),
      ram("ram", cfg.ram),
      uart0("uart0", cfg.uart),
      clint("clint", cfg.clint),
      plic("plic"),
      simctrl("simctrl"),
      accel("accel", accelerator_config(cfg), accelerator_parts(accelerator_config(cfg))),
      device_irq_("device_irq", TRAINVP_IRQ_COUNT) {
    cpu.mem_out.bind(bus.bus_in);

    // DRAM first: the router decodes regions in map order, and DRAM takes nearly every bus transaction (the
    // accelerator's DMA bursts).
    bus.map(ram.bus_in, {TRAINVP_DRAM_BASE, cfg.ram.size_bytes}, "dram");
    bus.map(clint.bus_in, {TRAINVP_CLINT_BASE, TRAINVP_CLINT_SIZE}, "clint");
    bus.map(plic.bus_in, {TRAINVP_PLIC_BASE, TRAINVP_PLIC_SIZE}, "plic");
    bus.map(uart0.bus_in, {TRAINVP_UART0_BASE, TRAINVP_UART0_SIZE}, "uart0");
    bus.map(simctrl.bus_in, {TRAINVP_SIMCTRL_BASE, TRAINVP_SIMCTRL_SIZE}, "simctrl");
    bus.map(accel.regs_in, {TRAINVP_ACCEL_BASE, TRAINVP_ACCEL_SIZE}, "accel");
    accel.dma_out.bind(bus.bus_in);

    clint.timer_irq.bind(timer_irq_);
    clint.soft_irq.bind(soft_irq_);
    cpu.irq_timer.bind(timer_irq_);
    cpu.irq_software.bind(soft_irq_);
    plic.irq_out.bind(external_irq_);
    cpu.irq_external.bind(external_irq_);
    for (unsigned i = 0; i < TRAINVP_IRQ_COUNT; ++i) plic.irq_in[i].bind(device_irq_[i]);
    accel.irq.bind(device_irq_[TRAINVP_IRQ_ACCEL]);
}

void Platform::trace_sideband(sc_core::sc_trace_file* file) {
    sc_core::sc_trace(file, timer_irq_, "cpu.irq_timer");
    sc_core::sc_trace(file, soft_irq_, "cpu.irq_software");
    sc_core::sc_trace(file, external_irq_, "cpu.irq_external");
    for (unsigned i = 0; i < TRAINVP_IRQ_COUNT; ++i) {
        const std::string line = i == TRAINVP_IRQ_ACCEL   ? "accel"
                                 : i == TRAINVP_IRQ_UART0 ? "uart0"
                                                          : "line" + std::to_string(i);
        sc_core::sc_trace(file, device_irq_[i], "plic.irq_" + line);
    }
    accel.controller().trace_sideband(file);
}

void Platform::load_firmware(const ElfImage& image, const std::string& path) {
    const uint64_t ram_end = uint64_t{TRAINVP_DRAM_BASE} + ram.size();
    for (const ElfSegment& seg : image.segments) {
        const uint64_t begin = seg.paddr;
        const uint64_t end = begin + seg.mem_size;
        if (begin < TRAINVP_DRAM_BASE || end > ram_end) {
            throw UserError(path + ": segment " + hex32(begin) + ".." + hex32(end) + " lies outside DRAM " +
                            hex32(TRAINVP_DRAM_BASE) + ".." + hex32(ram_end));
        }
        const uint64_t offset = begin - TRAINVP_DRAM_BASE;
        ram.write(offset, seg.data.data(), seg.data.size());
        const std::vector<uint8_t> zeros(seg.mem_size - seg.data.size(), 0);
        ram.write(offset + seg.data.size(), zeros.data(), zeros.size());
    }
    cpu.set_reset_pc(image.entry);
}

}  // namespace trainvp
