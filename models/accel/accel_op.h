// A descriptor decoded and checked against the capabilities: shapes, formats and the DRAM range of every
// operand. SystemC-free; the controller executes what decode_descriptor() accepts.
#pragma once

#include <cstdint>
#include <string>

#include "accel/accel_config.h"
#include "accel/accel_desc.h"
#include "accel/accel_regs.h"
#include "kernels/conv2d.h"
#include "kernels/global_pool.h"
#include "kernels/group_norm.h"
#include "kernels/pool.h"
#include "numerics/accumulator.h"
#include "numerics/format.h"

namespace trainvp::accel {

// The DRAM operands a descriptor may name (addr_* fields).
enum class Opnd : uint8_t { x, w, b, y, g, dx, dw, db, aux, labels, master, velocity, count };
const char* operand_name(Opnd o);  // "x", "w", ...
constexpr int kOperandCount = static_cast<int>(Opnd::count);

struct Operand {
    bool used = false;
    bool read = false, write = false;
    uint64_t address = 0;
    uint64_t elements = 0;
    unsigned elem_bytes = 4;
    num::Format fmt;  // tensors; argmax and labels are raw u32 / u8
    BufferId buffer = BufferId::activation;
    uint64_t bytes() const { return elements * elem_bytes; }
};

struct DecodedOp {
    accel_desc desc{};
    uint64_t desc_address = 0;
    num::Format fmt[ACCEL_OPND_COUNT];
    Operand operands[kOperandCount];
    kern::Conv2dShape conv;  // conv, and fc as a 1x1 convolution of a 1x1 image with fc_in channels
    kern::PoolShape pool;
    kern::GlobalPoolShape gpool;  // GAVGPOOL_*
    kern::GroupNormShape norm;    // NORM_*
    uint32_t batch = 1;
    uint64_t count = 0;    // element-wise ops
    uint32_t classes = 0;  // loss
    num::AccumulatorSpec acc;
    bool has_bias = false;

    Operand& op(Opnd o) { return operands[static_cast<int>(o)]; }
    const Operand& op(Opnd o) const { return operands[static_cast<int>(o)]; }
    bool is_gemm() const;  // conv/fc phases
    bool is_fc() const;
};

struct DecodeError {
    uint32_t code = ACCEL_ERR_NONE;
    uint64_t address = 0;
    std::string why;
};

// Decodes and validates `desc` fetched from `desc_address`. On failure returns false with the error code,
// the address to report in ERR_ADDR and a reason for the warning.
bool decode_descriptor(const accel_desc& desc, uint64_t desc_address, const AcceleratorConfig& cfg,
                       DecodedOp& op, DecodeError& err);

const char* opcode_name(uint32_t opcode);  // "CONV_FWD", ...; "?" for unknown
const char* error_name(uint32_t code);     // "SHAPE", ...; "?" for unknown

}  // namespace trainvp::accel
