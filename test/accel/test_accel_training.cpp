// A whole SGD step chained through the accelerator, descriptor by descriptor as the firmware will issue it
// (forward, loss gradient, backward, update), equals Network::train_step of the golden trainer bit for bit:
// every parameter, master copy and velocity, and the loss.
#include <map>

#include "accel_bench.h"
#include "kernels/network.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

struct LayerBufs {
    uint32_t y = 0, dx = 0, argmax = 0;
    uint32_t w = 0, wm = 0, wg = 0, wv = 0, b = 0, bm = 0, bg = 0, bv = 0;
};

struct Driver {
    AccelBench& bench;
    kern::Network& net;
    uint32_t batch;
    std::vector<LayerBufs> bufs;
    uint32_t input = 0, labels = 0, loss_grad = 0, loss_rec = 0;

    uint32_t put_param(const std::vector<float>& v, const num::Format& f) { return bench.put(v, f); }

    void load(const std::vector<float>& x, const std::vector<uint8_t>& lab) {
        input = bench.put(x, net.input_format());
        labels = bench.put_bytes(lab.data(), lab.size());
        loss_grad = bench.alloc(size_t{batch} * net.num_classes() * 4);
        loss_rec = bench.alloc(16);
        for (const kern::Layer& L : net.layers()) {
            LayerBufs b;
            b.y = bench.alloc(size_t{batch} * L.out.size() * 4);
            b.dx = bench.alloc(size_t{batch} * L.in.size() * 4);
            b.argmax = bench.alloc(size_t{batch} * L.out.size() * 4);
            if (L.weight) {
                const kern::LayerFormats& F = L.formats;
                b.w = put_param(L.weight->values, F.weights);
                b.wm = put_param(L.weight->master, F.master_weights);
                b.wg = bench.alloc(L.weight->values.size() * 4);
                b.wv = put_param(L.weight->velocity.empty() ? std::vector<float>(L.weight->values.size())
                                                            : L.weight->velocity,
                                 F.master_weights);
            }
            if (L.bias) {
                const kern::LayerFormats& F = L.formats;
                b.b = put_param(L.bias->values, F.weights);
                b.bm = put_param(L.bias->master, F.master_weights);
                b.bg = bench.alloc(L.bias->values.size() * 4);
                b.bv = put_param(
                    L.bias->velocity.empty() ? std::vector<float>(L.bias->values.size()) : L.bias->velocity,
                    F.master_weights);
            }
            bufs.push_back(b);
        }
    }

    accel_desc desc(uint8_t opcode, size_t l, kern::Slot s0, uint64_t seed, uint32_t step) {
        accel_desc d{};
        d.opcode = opcode;
        d.layer_id = static_cast<uint16_t>(l);
        d.batch = batch;
        d.sr_seed = seed;
        d.sr_step = step;
        d.sr_tensor[0] = kern::tensor_id(l, s0);
        d.acc_bits = static_cast<uint8_t>(net.spec().accumulator.bits);
        return d;
    }
    void run(const accel_desc& d) { REQUIRE(bench.submit(d) == ACCEL_IRQ_DONE); }

    void shape(accel_desc& d, const kern::Layer& L) {
        if (L.spec.kind == kern::LayerKind::fc) {
            d.fc_in = L.fc.in, d.fc_out = L.fc.out;
        } else if (L.spec.kind == kern::LayerKind::conv) {
            d.in_channels = L.in.c, d.in_rows = L.in.h, d.in_cols = L.in.w, d.out_channels = L.out.c;
            d.kernel = L.conv.kernel, d.stride = L.conv.stride, d.pad = L.conv.pad;
        } else {
            d.in_channels = L.in.c, d.in_rows = L.in.h, d.in_cols = L.in.w;
            d.kernel = L.pool.size, d.stride = L.pool.stride;
        }
        if (L.bias) d.flags |= ACCEL_FLAG_HAS_BIAS;
    }

    void step(const kern::SgdParams& p, uint64_t seed, uint32_t step_no) {
        const auto& layers = net.layers();
        // Forward.
        uint32_t cur = input;
        num::Format cur_fmt = net.input_format();
        for (size_t l = 0; l < layers.size(); ++l) {
            const kern::Layer& L = layers[l];
            const LayerBufs& B = bufs[l];
            const bool gemm = L.spec.kind == kern::LayerKind::conv || L.spec.kind == kern::LayerKind::fc;
            uint8_t opc = L.spec.kind == kern::LayerKind::conv      ? ACCEL_OP_CONV_FWD
                          : L.spec.kind == kern::LayerKind::fc      ? ACCEL_OP_FC_FWD
                          : L.spec.kind == kern::LayerKind::relu    ? ACCEL_OP_RELU_FWD
                          : L.spec.kind == kern::LayerKind::maxpool ? ACCEL_OP_MAXPOOL_FWD
                                                                    : ACCEL_OP_AVGPOOL_FWD;
            accel_desc d = desc(opc, l, kern::Slot::act, seed, step_no);
            shape(d, L);
            d.count = batch * L.in.size();
            d.fmt[ACCEL_OPND_X] = code(cur_fmt);
            d.fmt[ACCEL_OPND_Y] = code(L.act_format);
            if (gemm) d.fmt[ACCEL_OPND_W] = code(L.formats.weights);
            d.addr_x = cur, d.addr_y = B.y, d.addr_w = B.w, d.addr_b = B.b, d.addr_aux = B.argmax;
            run(d);
            cur = B.y;
            cur_fmt = L.act_format;
        }
        // Loss gradient.
        const kern::Layer& last = layers.back();
        accel_desc d = desc(ACCEL_OP_SOFTMAX_XENT, layers.size(), kern::Slot::dx, seed, step_no);
        d.fc_out = net.num_classes();
        d.flags = ACCEL_FLAG_LOSS_GRAD;
        d.fmt[ACCEL_OPND_X] = code(last.act_format), d.fmt[ACCEL_OPND_DX] = code(last.err_format);
        d.addr_x = bufs.back().y, d.addr_labels = labels, d.addr_aux = loss_rec, d.addr_dx = loss_grad;
        run(d);
        // Backward.
        uint32_t g = loss_grad;
        for (size_t l = layers.size(); l-- > 0;) {
            const kern::Layer& L = layers[l];
            const LayerBufs& B = bufs[l];
            const uint32_t x = l ? bufs[l - 1].y : input;
            const num::Format xf = l ? layers[l - 1].act_format : net.input_format();
            auto common = [&](accel_desc& e) {
                shape(e, L);
                e.count = batch * L.in.size();
                e.fmt[ACCEL_OPND_X] = code(xf), e.fmt[ACCEL_OPND_G] = code(L.err_format);
                e.fmt[ACCEL_OPND_DX] = code(L.in_err_format), e.fmt[ACCEL_OPND_Y] = code(L.act_format);
                e.addr_x = x, e.addr_g = g, e.addr_dx = B.dx, e.addr_y = B.y, e.addr_w = B.w,
                e.addr_aux = B.argmax;
                e.addr_dw = B.wg, e.addr_db = B.bg;
            };
            const bool conv = L.spec.kind == kern::LayerKind::conv;
            switch (L.spec.kind) {
                case kern::LayerKind::conv:
                case kern::LayerKind::fc: {
                    if (l > 0) {
                        accel_desc e = desc(conv ? ACCEL_OP_CONV_BWD_DATA : ACCEL_OP_FC_BWD_DATA, l,
                                            kern::Slot::dx, seed, step_no);
                        common(e);
                        e.fmt[ACCEL_OPND_W] = code(L.formats.weights);
                        run(e);
                    }
                    accel_desc e = desc(conv ? ACCEL_OP_CONV_WGRAD : ACCEL_OP_FC_WGRAD, l, kern::Slot::dw,
                                        seed, step_no);
                    e.sr_tensor[1] = kern::tensor_id(l, kern::Slot::db);
                    common(e);
                    e.fmt[ACCEL_OPND_DW] = code(L.formats.weight_grads);
                    run(e);
                    break;
                }
                case kern::LayerKind::relu:
                case kern::LayerKind::maxpool:
                case kern::LayerKind::avgpool: {
                    if (l == 0) break;
                    const uint8_t opc = L.spec.kind == kern::LayerKind::relu      ? ACCEL_OP_RELU_BWD
                                        : L.spec.kind == kern::LayerKind::maxpool ? ACCEL_OP_MAXPOOL_BWD
                                                                                  : ACCEL_OP_AVGPOOL_BWD;
                    accel_desc e = desc(opc, l, kern::Slot::dx, seed, step_no);
                    common(e);
                    run(e);
                    break;
                }
                default:  // graph layers: not in this chain test
                    break;
            }
            g = B.dx;
        }
        // Update.
        for (size_t l = 0; l < layers.size(); ++l) {
            const kern::Layer& L = layers[l];
            if (!L.weight) continue;
            const LayerBufs& B = bufs[l];
            auto sgd = [&](size_t n, uint32_t grad, uint32_t master, uint32_t vel, uint32_t w, kern::Slot sm,
                           kern::Slot sv, kern::Slot sw, double wd) {
                accel_desc e = desc(ACCEL_OP_SGD_UPDATE, l, sm, seed, step_no);
                e.sr_tensor[1] = kern::tensor_id(l, sv);
                e.sr_tensor[2] = kern::tensor_id(l, sw);
                e.count = static_cast<uint32_t>(n);
                e.lr = p.lr, e.momentum = p.momentum, e.weight_decay = wd;
                e.fmt[ACCEL_OPND_DW] = code(L.formats.weight_grads);
                e.fmt[ACCEL_OPND_MASTER] = code(L.formats.master_weights);
                e.fmt[ACCEL_OPND_W] = code(L.formats.weights);
                e.addr_dw = grad, e.addr_master = master, e.addr_velocity = vel, e.addr_w = w;
                run(e);
            };
            sgd(L.weight->values.size(), B.wg, B.wm, B.wv, B.w, kern::Slot::w_master, kern::Slot::w_velocity,
                kern::Slot::w, p.weight_decay);
            if (L.bias)
                sgd(L.bias->values.size(), B.bg, B.bm, B.bv, B.b, kern::Slot::b_master,
                    kern::Slot::b_velocity, kern::Slot::b, 0.0);
        }
    }

    void check_parameters() {
        for (size_t l = 0; l < net.layers().size(); ++l) {
            const kern::Layer& L = net.layers()[l];
            if (!L.weight) continue;
            const LayerBufs& B = bufs[l];
            auto same = [&](uint32_t addr, const std::vector<float>& v, const num::Format& f) {
                std::vector<uint8_t> expect(v.size() * accel::container_bytes(f)), got(expect.size());
                accel::pack_tensor(v.data(), v.size(), f, expect.data());
                bench.mem.read(addr - kDram, got.data(), got.size());
                return expect == got;
            };
            INFO("layer " << L.name);
            CHECK(same(B.w, L.weight->values, L.formats.weights));
            CHECK(same(B.wm, L.weight->master, L.formats.master_weights));
            if (!L.weight->velocity.empty()) CHECK(same(B.wv, L.weight->velocity, L.formats.master_weights));
            if (L.bias) {
                CHECK(same(B.b, L.bias->values, L.formats.weights));
                CHECK(same(B.bm, L.bias->master, L.formats.master_weights));
            }
        }
    }
};

void train_and_compare(AccelBench& bench, kern::NetworkSpec spec, const kern::SgdParams& p, uint32_t batch,
                       int steps) {
    kern::Network net(spec, batch, p.momentum != 0.0);
    net.init(kern::InitKind::he_uniform, 11);
    std::mt19937 rng(5);
    std::vector<float> x(size_t{batch} * net.input_size());
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (auto& v : x) v = num::quantize(u(rng), net.input_format());
    std::vector<uint8_t> labels(batch);
    for (auto& l : labels) l = static_cast<uint8_t>(rng() % net.num_classes());
    Driver drv{bench, net, batch, {}};
    drv.load(x, labels);
    bench.setup_ring();
    for (int s = 0; s < steps; ++s) {
        drv.step(p, 11, static_cast<uint32_t>(s));
        const kern::LossResult r =
            net.train_step(x.data(), labels.data(), batch, p, 11, static_cast<uint32_t>(s));
        accel_loss_result rec;
        bench.mem.read(drv.loss_rec - kDram, &rec, sizeof rec);
        CHECK(rec.loss_sum == r.loss_sum);
        CHECK(rec.correct == r.correct);
    }
    drv.check_parameters();
}

kern::NetworkSpec lenet(const std::string& fmt, const std::string& master) {
    kern::NetworkSpec spec;
    spec.layers = kern::lenet5_layers();
    for (kern::Role r :
         {kern::Role::weights, kern::Role::activations, kern::Role::errors, kern::Role::weight_grads})
        spec.formats[r] = kern::parse_format_request(fmt);
    spec.formats[kern::Role::master_weights] = kern::parse_format_request(master);
    return spec;
}

}  // namespace

TEST_CASE("LeNet-5 SGD steps in fx16 through the accelerator equal the golden trainer", "[accel][training]") {
    AccelBench b(AcceleratorConfig{}, dram_config(32u << 20));
    kern::SgdParams p;
    p.lr = 0.1;
    b.run([&] { train_and_compare(b, lenet("fx16", "fx24"), p, 8, 2); });
}

TEST_CASE("LeNet-5 with stochastic rounding, momentum and weight decay, tiled, equals the golden trainer",
          "[accel][training][tiling]") {
    AccelBench b(small_buffers(16384), dram_config(32u << 20));
    kern::SgdParams p;
    p.lr = 0.05, p.momentum = 0.9, p.weight_decay = 5e-4;
    b.run([&] { train_and_compare(b, lenet("fx12:sr", "fx24:sr"), p, 6, 2); });
    CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
}

TEST_CASE("an fp32 MLP through the accelerator equals the golden trainer", "[accel][training]") {
    AccelBench b(AcceleratorConfig{}, dram_config(32u << 20));
    kern::NetworkSpec spec;
    spec.layers = kern::mlp_layers();
    kern::SgdParams p;
    p.lr = 0.1, p.momentum = 0.5;
    b.run([&] { train_and_compare(b, spec, p, 5, 2); });
}
