#include "train_int8.h"

#include "accel/accel_desc.h"
#include "common/error.h"

namespace trainvp {

namespace {

// The job's code of a tracked role (kern::Role order: weights, activations, errors, weight gradients).
uint16_t job_code(const train_layer& t, kern::Role role) {
    switch (role) {
        case kern::Role::weights:
            return t.fmt_weights;
        case kern::Role::activations:
            return t.fmt_act;
        case kern::Role::errors:
            return t.fmt_err;
        case kern::Role::weight_grads:
            return t.fmt_weight_grads;
        case kern::Role::master_weights:
            break;
    }
    return t.fmt_master;
}

constexpr kern::Role kTrackable[] = {kern::Role::weights, kern::Role::activations, kern::Role::errors,
                                     kern::Role::weight_grads};

// The roles of a layer the firmware tracks when they are int8 (train_scales.c trackable_roles), as the
// golden network does (Layer::tracked): every role of conv and fc, a norm layer's activations and errors,
// an add layer's activations.
bool trackable(const kern::Layer& L, kern::Role r) {
    using K = kern::LayerKind;
    switch (L.spec.kind) {
        case K::conv:
        case K::fc:
            return true;
        case K::norm:
            return r == kern::Role::activations || r == kern::Role::errors;
        case K::add:
            return r == kern::Role::activations;
        default:
            return false;
    }
}

}  // namespace

void check_tracked_int8(const kern::Network& net) {
    for (const kern::Layer& L : net.layers()) {
        for (kern::Role r : kTrackable) {
            const bool tracked = L.tracked[static_cast<int>(r)];
            if (tracked && !trackable(L, r))
                throw UserError(
                    "network: layer " + L.name + " (" + kern::layer_kind_name(L.spec.kind) + ") " +
                    kern::role_name(r) +
                    ": the training firmware tracks no int8 scale for this role of this layer kind");
            if (!trackable(L, r)) continue;
            const bool int8 = L.formats[r].kind == num::FormatKind::int8;
            if (int8 != tracked)
                throw UserError(
                    "network: layer " + L.name + " " + kern::role_name(r) + ": " + L.formats[r].to_string() +
                    (int8 ? " is int8 with a fixed scale; the training firmware tracks the scale of "
                            "every int8 tensor"
                          : " is tracked but not int8"));
        }
    }
}

void read_int8_scales(const Memory& ram, kern::Network& net) {
    if (!net.has_tracked_scales()) return;
    train_job job{};
    ram.read(uint64_t{TRAIN_JOB_BASE} - TRAINVP_DRAM_BASE, &job, sizeof job);
    for (size_t l = 0; l < net.layers().size() && l < job.num_layers; ++l) {
        const kern::Layer& L = net.layers()[l];
        for (kern::Role r : kTrackable) {
            if (!L.tracked[static_cast<int>(r)]) continue;
            const uint16_t code = job_code(job.layers[l], r);
            if (ACCEL_FMT_KIND_OF(code) != ACCEL_FMT_KIND_INT8)
                throw UserError("training job: layer " + L.name + " " + kern::role_name(r) +
                                ": the firmware left a format code that is not int8");
            net.set_tracked_scale(l, r, ACCEL_FMT_FRAC_OF(code));
        }
    }
}

std::string first_scale_difference(const kern::Network& platform, const kern::Network& golden) {
    for (size_t l = 0; l < platform.layers().size() && l < golden.layers().size(); ++l) {
        const kern::Layer& P = platform.layers()[l];
        const kern::Layer& G = golden.layers()[l];
        for (kern::Role r : kTrackable) {
            if (!G.tracked[static_cast<int>(r)]) continue;
            if (P.formats[r].scale_exp != G.formats[r].scale_exp)
                return "final int8 scale of " + G.name + " " + kern::role_name(r) + ": platform " +
                       P.formats[r].to_string() + ", golden " + G.formats[r].to_string();
        }
    }
    return "";
}

}  // namespace trainvp
