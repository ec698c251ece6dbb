#include "accel/timing_params.h"

#include <string>

#include "common/config_field.h"
#include "common/error.h"

namespace trainvp::timing {

const std::vector<TimingParamInfo>& timing_param_table() {
    static const std::vector<TimingParamInfo> table = {
#define TRAINVP_TIMING_PARAM_ROW(name, value, min, max, unit, source) {#name, value, min, max, unit, source},
        TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_ROW)
#undef TRAINVP_TIMING_PARAM_ROW
    };
    return table;
}

void TimingParams::validate() const {
#define TRAINVP_TIMING_PARAM_CHECK(name, value, min, max, unit, source) \
    check_range<uint32_t>(name, "timing." #name, {min, max});
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_CHECK)
#undef TRAINVP_TIMING_PARAM_CHECK
}

void TimingParams::set(const std::string& key, uint64_t value) {
    if (value > UINT32_MAX)
        throw UserError("timing parameter " + key + " = " + std::to_string(value) +
                        " does not fit in 32 bits");
#define TRAINVP_TIMING_PARAM_SET(name, v, min, max, unit, source) \
    if (key == #name) {                                           \
        name = static_cast<uint32_t>(value);                      \
        return;                                                   \
    }
    TRAINVP_ACCEL_TIMING_PARAMS(TRAINVP_TIMING_PARAM_SET)
#undef TRAINVP_TIMING_PARAM_SET
    throw UserError("unknown timing parameter '" + key + "'");
}

uint32_t TimingParams::get(const std::string& key) const {
#define TRAINVP_TIMING_PARAM_GET(name, v, min, max, unit, source) \
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
