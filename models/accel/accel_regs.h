/* Register map of the training accelerator: the single source for the model (models/accel), the firmware
 * (sw/driver) and the register table in docs/accelerator.md (printed by `accel-doc`). C99 and C++17.
 * Offsets are from the accelerator's base (TRAINVP_ACCEL_BASE in hw/memory_map.h). Every register is a
 * 32-bit word; accesses of another size or alignment get a TLM error response. */
#ifndef TRAINVP_ACCEL_REGS_H
#define TRAINVP_ACCEL_REGS_H

#include <stdint.h>

/* Access kinds: RO read-only (writes are ignored with a warning), RW read/write, W1C write 1 to clear,
 * WO write-only command (reads return 0). CFG marks RO registers whose value comes from the configuration
 * (AcceleratorConfig); their reset column is 0 in the table and the model reports the configured value. */
#define ACCEL_ACCESS_RO 0
#define ACCEL_ACCESS_RW 1
#define ACCEL_ACCESS_W1C 2
#define ACCEL_ACCESS_WO 3
#define ACCEL_ACCESS_CFG 4

#define ACCEL_ID_VALUE 0x54564131u      /* "TVA1" read as a little-endian word: 'T' in bits 31:24 */
#define ACCEL_VERSION_VALUE 0x00010000u /* major 1, minor 0 */

/* X(name, offset, access, reset, description) */
#define ACCEL_REGS(X)                                                                                      \
    X(ID, 0x000, RO, ACCEL_ID_VALUE, "identification: 0x54564131")                                         \
    X(VERSION, 0x004, RO, ACCEL_VERSION_VALUE, "major [31:16], minor [15:0]")                              \
    X(CAP_ARRAY, 0x008, CFG, 0, "PE array: rows [15:0], columns [31:16]")                                  \
    X(CAP_DATAFLOW, 0x00C, CFG, 0, "dataflows supported [7:0] (ACCEL_DATAFLOW_*), active one [15:8]")      \
    X(CAP_FORMATS, 0x010, CFG, 0, "supported format kinds, bit k = ACCEL_FMT_KIND k")                      \
    X(CAP_WBUF_BYTES, 0x014, CFG, 0, "weight buffer capacity in bytes")                                    \
    X(CAP_ABUF_BYTES, 0x018, CFG, 0, "activation buffer capacity in bytes")                                \
    X(CAP_GBUF_BYTES, 0x01C, CFG, 0, "gradient buffer capacity in bytes")                                  \
    X(CAP_MAX_DIM, 0x020, CFG, 0, "largest value of any descriptor dimension field")                       \
    X(CAP_MAX_ACC_BITS, 0x024, CFG, 0, "widest accumulator (descriptor acc_bits)")                         \
    X(CAP_DESC_BYTES, 0x028, CFG, 0, "descriptor size in bytes (ring stride)")                             \
    X(CAP_CLOCK_KHZ, 0x02C, CFG, 0, "accelerator clock in kHz")                                            \
    X(CTRL, 0x040, RW, 0x00000001u, "bit 0 ENABLE (fetch descriptors), bit 1 SOFT_RESET (write 1: reset)") \
    X(STATUS, 0x044, RO, 0x00000002u, "bit 0 BUSY, bit 1 IDLE, bit 2 ERROR (cleared by reset)")            \
    X(ERR_CODE, 0x048, RO, 0, "first error since reset (ACCEL_ERR_*), 0 = none")                           \
    X(ERR_ADDR, 0x04C, RO, 0, "faulting address, or the descriptor's address")                             \
    X(ERR_DESC, 0x050, RO, 0, "ring index of the descriptor that failed")                                  \
    X(IRQ_ENABLE, 0x060, RW, 0, "bit 0 DONE, bit 1 ERROR: drive the irq output")                           \
    X(IRQ_STATUS, 0x064, W1C, 0, "bit 0 DONE, bit 1 ERROR: pending events, write 1 to clear")              \
    X(RING_BASE, 0x080, RW, 0, "DRAM address of descriptor 0 (8-byte aligned); not while busy")            \
    X(RING_SIZE, 0x084, RW, 0, "ring entries (0 = not configured); not while busy")                        \
    X(RING_HEAD, 0x088, RO, 0, "next descriptor the hardware executes")                                    \
    X(RING_TAIL, 0x08C, RW, 0, "one past the last descriptor software has published; a write starts")      \
    X(DOORBELL, 0x090, WO, 0, "write N: publish N more descriptors (TAIL += N) and start")                 \
    X(PERF_CTRL, 0x0A0, WO, 0, "bit 0 SNAPSHOT: copy the counters into PERF_*, bit 1 CLEAR: zero them")    \
    X(PERF_CYCLES_LO, 0x0B0, RO, 0, "snapshot: busy cycles [31:0]")                                        \
    X(PERF_CYCLES_HI, 0x0B4, RO, 0, "snapshot: busy cycles [63:32]")                                       \
    X(PERF_COMPUTE_LO, 0x0B8, RO, 0, "snapshot: PE-array compute cycles [31:0]")                           \
    X(PERF_COMPUTE_HI, 0x0BC, RO, 0, "snapshot: PE-array compute cycles [63:32]")                          \
    X(PERF_STALL_LO, 0x0C0, RO, 0, "snapshot: stall cycles (all reasons) [31:0]")                          \
    X(PERF_STALL_HI, 0x0C4, RO, 0, "snapshot: stall cycles (all reasons) [63:32]")                         \
    X(PERF_MACS_LO, 0x0C8, RO, 0, "snapshot: multiply-accumulates [31:0]")                                 \
    X(PERF_MACS_HI, 0x0CC, RO, 0, "snapshot: multiply-accumulates [63:32]")                                \
    X(PERF_DMA_RD_LO, 0x0D0, RO, 0, "snapshot: DRAM bytes read [31:0]")                                    \
    X(PERF_DMA_RD_HI, 0x0D4, RO, 0, "snapshot: DRAM bytes read [63:32]")                                   \
    X(PERF_DMA_WR_LO, 0x0D8, RO, 0, "snapshot: DRAM bytes written [31:0]")                                 \
    X(PERF_DMA_WR_HI, 0x0DC, RO, 0, "snapshot: DRAM bytes written [63:32]")                                \
    X(PERF_DESC_LO, 0x0E0, RO, 0, "snapshot: descriptors completed [31:0]")                                \
    X(PERF_DESC_HI, 0x0E4, RO, 0, "snapshot: descriptors completed [63:32]")                               \
    X(SCRATCH, 0x0F0, RW, 0, "scratch word for software (no effect)")

enum accel_reg_offset {
#define ACCEL_REG_ENUM(name, offset, access, reset, desc) ACCEL_REG_##name = offset,
    ACCEL_REGS(ACCEL_REG_ENUM)
#undef ACCEL_REG_ENUM
        ACCEL_REG_SPAN = 0x100 /* bytes of register space decoded */
};

/* CTRL */
#define ACCEL_CTRL_ENABLE (1u << 0)
#define ACCEL_CTRL_SOFT_RESET (1u << 1)
/* STATUS */
#define ACCEL_STATUS_BUSY (1u << 0)
#define ACCEL_STATUS_IDLE (1u << 1)
#define ACCEL_STATUS_ERROR (1u << 2)
/* IRQ_ENABLE / IRQ_STATUS */
#define ACCEL_IRQ_DONE (1u << 0)
#define ACCEL_IRQ_ERROR (1u << 1)
/* PERF_CTRL */
#define ACCEL_PERF_SNAPSHOT (1u << 0)
#define ACCEL_PERF_CLEAR (1u << 1)
/* CAP_ARRAY */
#define ACCEL_CAP_ARRAY_ROWS(v) ((v)&0xffffu)
#define ACCEL_CAP_ARRAY_COLS(v) (((v) >> 16) & 0xffffu)
/* CAP_DATAFLOW: bit per dataflow; the active one in [15:8] */
#define ACCEL_DATAFLOW_OS 0 /* output stationary */
#define ACCEL_DATAFLOW_WS 1 /* weight stationary */
#define ACCEL_DATAFLOW_IS 2 /* input stationary */
#define ACCEL_CAP_DATAFLOW_ACTIVE(v) (((v) >> 8) & 0xffu)

/* Error codes: X(name, value, description). ERR_ADDR holds the address named in the description. */
#define ACCEL_ERRORS(X)                                                                                      \
    X(NONE, 0, "no error")                                                                                   \
    X(UNKNOWN_OPCODE, 1, "descriptor opcode not in ACCEL_OPCODES; ERR_ADDR = descriptor address")            \
    X(MISALIGNED, 2,                                                                                         \
      "operand or ring address not aligned to its element container; ERR_ADDR = that address")               \
    X(ADDR_RANGE, 3, "operand outside the DRAM window the accelerator may address; ERR_ADDR = its start")    \
    X(SHAPE, 4, "shape zero or beyond the capabilities, or no tile fits the buffers; ERR_ADDR = descriptor") \
    X(FORMAT, 5, "operand format code invalid or not supported; ERR_ADDR = descriptor address")              \
    X(QUEUE_FULL, 6,                                                                                         \
      "DOORBELL/RING_TAIL would pass RING_HEAD (more than RING_SIZE-1 pending); ERR_ADDR = 0")               \
    X(TAIL_INVALID, 7, "RING_TAIL written with a value >= RING_SIZE; ERR_ADDR = the value written")          \
    X(CONFIG_BUSY, 8, "RING_BASE/RING_SIZE/CTRL.ENABLE written while busy; ERR_ADDR = register offset")      \
    X(DMA_BUS, 9, "DMA transfer answered with a TLM error; ERR_ADDR = address of the failed burst")          \
    X(RING_UNCONFIGURED, 10, "doorbell with RING_SIZE = 0; ERR_ADDR = 0")                                    \
    X(BAD_LABEL, 11, "loss descriptor with a label >= classes; ERR_ADDR = address of that label")            \
    X(BAD_ARGUMENT, 12,                                                                                      \
      "reserved field non-zero, acc_bits out of range, or bad stride; ERR_ADDR = descriptor")                \
    X(SPARSE_CONFIG, 13,                                                                                     \
      "sparse engine: configuration record invalid, or SPARSE_TRAIN/INFER before SPARSE_CONFIG; ERR_ADDR = " \
      "the record (or descriptor) address")

enum accel_error_code {
#define ACCEL_ERR_ENUM(name, value, desc) ACCEL_ERR_##name = value,
    ACCEL_ERRORS(ACCEL_ERR_ENUM)
#undef ACCEL_ERR_ENUM
        ACCEL_ERR_COUNT
};

#endif
