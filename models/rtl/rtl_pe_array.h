// The RTL systolic array as the accelerator's PE array (docs/accelerator.md "Putting a customer's RTL into
// TrainVP"): RtlPeArray is a module with the PE array's sockets whose every GEMM is computed by the Verilated
// rtl/systolic_array.sv, clock edge by clock edge, and timed by the RTL's clock. It wraps the built-in
// PeArray (operand staging, kernels' tiling, rounding) with an RtlGemmEngine in place of the kernels'
// arithmetic. Integer formats only (fixed point and int8 of at most the array's 16 operand bits) and the
// array sizes this build Verilated (verilated_arrays.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "accel/accelerator.h"
#include "accel/pe_array.h"
#include "common/log.h"
#include "numerics/format.h"
#include "rtl/array_pins.h"

namespace trainvp::rtl {

// Runs each kernel GEMM on the array, oriented as the native phase mapping does (the weight-like operand as
// A, on the rows in output stationary: C^T = B^T . A^T when the kernel holds it as B), with the values' raw
// integers; the results are gemm_accumulate's bit for bit (saturation included).
class RtlGemmEngine final : public PeGemmEngine {
  public:
    RtlGemmEngine(std::unique_ptr<ArrayPins> pins, timing::Dataflow dataflow);

    // Throws std::runtime_error for a real-domain GEMM or operands that do not fit the array's inputs.
    void gemm(const kern::MacConfig& cfg, size_t M, size_t N, size_t K, const double* A, size_t lda,
              const double* B, size_t ldb, double* acc, size_t ldc, kern::WeightSide weight) override;
    void begin_tile() override { tile_cycles_ = 0; }
    uint64_t tile_cycles() const override { return tile_cycles_; }

    uint64_t gemms() const { return gemms_; }
    uint64_t cycles() const { return cycles_; }  // every GEMM's compute cycles since construction
    uint64_t preload_cycles() const { return preload_cycles_; }

  private:
    std::unique_ptr<ArrayPins> pins_;
    timing::Dataflow dataflow_;
    std::vector<int32_t> a_, b_;
    std::vector<int64_t> c_;
    uint64_t tile_cycles_ = 0, gemms_ = 0, cycles_ = 0, preload_cycles_ = 0;
};

class RtlPeArray : public sc_core::sc_module {
  public:
    // Throws UserError when this build has no Verilated array of config.rows x config.cols.
    RtlPeArray(sc_core::sc_module_name name, const AcceleratorConfig& config);

    PeArray& array() { return *array_; }
    const RtlGemmEngine& engine() const { return *engine_; }

  private:
    // Info message: the GEMMs the RTL ran and their cycles.
    void end_of_simulation() override;

    std::unique_ptr<RtlGemmEngine> engine_;
    std::unique_ptr<PeArray> array_;
    Logger log_;
};

// AcceleratorParts::pe_array factory for `hardware.array.model: rtl`.
ComputePart make_rtl_pe_array(const char* name, const AcceleratorConfig& config);

// Why the RTL array cannot run this configuration or format, or "" when it can. Checked before simulation.
std::string rtl_array_problem(const AcceleratorConfig& config);
std::string rtl_format_problem(const num::Format& f);

}  // namespace trainvp::rtl
