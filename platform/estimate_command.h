// `trainvp estimate SCENARIO.yaml`: the PE array's compute cycles of the scenario's network under TrainVP's
// native array model and SCALE-Sim v2's, per layer and phase, without running firmware
// (docs/user-guide.md "Estimating compute cycles"; the models in docs/accelerator-timing.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/array_timing.h"
#include "kernels/network.h"

namespace trainvp {

// One GEMM of one layer's phase over the whole batch (untiled), as gemm_mapping.h maps it.
struct EstimateRow {
    std::string layer;  // the network's layer name
    std::string phase;  // "forward", "backward_data", "weight_grad"
    timing::GemmShape gemm;
    uint64_t native = 0;    // analytic_gemm compute cycles: fill, stream and drain, no overheads or stalls
    uint64_t scalesim = 0;  // SCALE-Sim v2's total cycles (timing::scalesim)
};

// Every conv and fc layer's forward, backward-data (not for the first weighted layer: no error flows into
// the input) and weight-gradient GEMM for `batch` samples on `array`; the backward GEMMs of strided
// convolutions on the dilated error map, or without its zeros with `skip_stride_zeros`.
std::vector<EstimateRow> estimate_network(const kern::Network& net, uint32_t batch,
                                          const timing::ArrayConfig& array, bool skip_stride_zeros = false);

// The rows and their totals per phase and overall, as `trainvp estimate --report` writes them.
nlohmann::ordered_json estimate_json(const std::vector<EstimateRow>& rows, const timing::ArrayConfig& array,
                                     uint32_t batch);

int estimate_command(int argc, char* argv[]);

}  // namespace trainvp
