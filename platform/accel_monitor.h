// GDB `monitor accel ...`: the accelerator's buffers and registers from a debugger, through the accelerator's
// debug socket (transport_dbg: no side effects, no simulated time) and its register peek.
#pragma once

#include "accel/accelerator.h"
#include "cpu/gdb_server.h"

namespace trainvp {

// Registers `accel` with these subcommands:
//   accel read BUFFER OFFSET LENGTH      hex dump of LENGTH (<= 4096) bytes of a buffer
//   accel write BUFFER OFFSET HEXBYTES   writes the bytes (e.g. 0102a0ff) at OFFSET
//   accel regs                           every register as the firmware would read it
// BUFFER is weight, activation or gradient (a "_buffer" suffix is accepted); numbers are decimal or 0x hex.
void register_accel_monitor(gdb::MonitorCommands& monitor, Accelerator& accel);

}  // namespace trainvp
