#include "accel/timing_params.h"

#include <string>

#include "common/error.h"

namespace trainvp::timing {

namespace {

constexpr uint32_t kMaxParamValue = 1u << 20;

}  // namespace

const std::vector<TimingParamInfo>& timing_param_table() {
    static const std::vector<TimingParamInfo> table = {
#define TRAINVP_TIMING_PARAM_ROW(name, value, unit, source) {#name, value, unit, source},
        TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_ROW)
#undef TRAINVP_TIMING_PARAM_ROW
    };
    return table;
}

void TimingParams::validate() const {
#define TRAINVP_TIMING_PARAM_CHECK(name, value, unit, source)                                  \
    if (name > kMaxParamValue)                                                                 \
        throw UserError("timing parameter " #name " = " + std::to_string(name) + " exceeds " + \
                        std::to_string(kMaxParamValue));
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_CHECK)
#undef TRAINVP_TIMING_PARAM_CHECK
    auto positive = [](uint32_t v, const char* name) {
        if (v == 0) throw UserError(std::string("timing parameter ") + name + " must be at least 1");
    };
    positive(bank_access_cycles, "bank_access_cycles");
    positive(vector_ops_per_column, "vector_ops_per_column");
}

void TimingParams::set(const std::string& key, uint64_t value) {
    if (value > UINT32_MAX)
        throw UserError("timing parameter " + key + " = " + std::to_string(value) +
                        " does not fit in 32 bits");
#define TRAINVP_TIMING_PARAM_SET(name, v, unit, source) \
    if (key == #name) {                                 \
        name = static_cast<uint32_t>(value);            \
        return;                                         \
    }
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_SET)
#undef TRAINVP_TIMING_PARAM_SET
    throw UserError("unknown timing parameter '" + key + "'");
}

uint32_t TimingParams::get(const std::string& key) const {
#define TRAINVP_TIMING_PARAM_GET(name, v, unit, source) \
    if (key == #name) return name;
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_GET)
#undef TRAINVP_TIMING_PARAM_GET
    throw UserError("unknown timing parameter '" + key + "'");
}

TimingParams TimingParams::ideal() {
    TimingParams p;
    p.operand_edge_stages = 0;
    p.acc_writeback_cycles = 0;
    p.fold_switch_cycles = 0;
    p.gemm_setup_cycles = 0;
    p.vector_pipeline_cycles = 0;
    return p;
}

}  // namespace trainvp::timing
