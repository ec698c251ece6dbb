#include "array_model.h"

#include "common/error.h"
#if TRAINVP_HAVE_RTL_ARRAY
#include "rtl/rtl_pe_array.h"
#endif

namespace trainvp {

namespace {

const char* const kNoRtl =
    "rtl: this trainvp was built without the Verilated array (verilator not found, or -DTRAINVP_RTL=OFF)";

}  // namespace

AcceleratorParts accelerator_parts(const AcceleratorConfig& config) {
    AcceleratorParts parts;
    if (config.array_model != ArrayModel::rtl) return parts;
#if TRAINVP_HAVE_RTL_ARRAY
    parts.pe_array = rtl::make_rtl_pe_array;
#else
    throw UserError(std::string("hardware.array.model: ") + kNoRtl);
#endif
    return parts;
}

void check_array_model(const AcceleratorConfig& config, const kern::Network& net,
                       const ConfigSchema& schema) {
    if (config.array_model != ArrayModel::rtl) return;
    const std::string where = schema.location("hardware.array.model") + ": key 'hardware.array.model': ";
#if TRAINVP_HAVE_RTL_ARRAY
    std::string problem = rtl::rtl_array_problem(config);
    if (!problem.empty()) throw UserError(where + "rtl: " + problem);
    problem = rtl::rtl_format_problem(net.input_format());
    if (!problem.empty()) throw UserError(where + "rtl: the network input: " + problem);
    for (const kern::Layer& L : net.layers()) {
        if (L.spec.kind != kern::LayerKind::conv && L.spec.kind != kern::LayerKind::fc) continue;
        for (kern::Role r : {kern::Role::weights, kern::Role::activations, kern::Role::errors}) {
            problem = rtl::rtl_format_problem(L.formats[r]);
            if (!problem.empty())
                throw UserError(where + "rtl: layer " + L.name + " " + kern::role_name(r) + ": " + problem);
        }
    }
    // The RTL array runs the kernels' compact GEMMs: for a strided convolution's backward passes that is the
    // array that skips the dilated error map's zeros (docs/accelerator-timing.md "Stride zeros").
    for (const kern::Layer& L : net.layers())
        if (L.spec.kind == kern::LayerKind::conv && L.spec.stride > 1 && !config.skip_stride_zeros)
            throw UserError(where + "rtl: layer " + L.name + " has stride " + std::to_string(L.spec.stride) +
                            ": the RTL array runs its backward passes without the stride zeros; set "
                            "hardware.array.skip_stride_zeros: true (or use array.model native for the dense "
                            "array)");
#else
    (void)net;
    throw UserError(where + kNoRtl);
#endif
}

}  // namespace trainvp
