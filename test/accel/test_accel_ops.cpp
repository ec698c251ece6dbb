// Every opcode and phase against the golden kernels, bit for bit, on random shapes and formats, with
// buffers large enough for one tile and small enough to force tiling. The descriptors go through the ring
// in DRAM and complete by interrupt: a plain TLM testbench without a CPU (the co-simulation case).
#include "accel_bench.h"
#include "kernels/activation.h"
#include "kernels/conv2d.h"
#include "kernels/fully_connected.h"
#include "kernels/loss.h"
#include "kernels/pool.h"
#include "kernels/sgd.h"

using namespace trainvp;
using namespace trainvp::test;

namespace {

const std::vector<num::Format>& format_pool() {
    static const std::vector<num::Format> pool = {
        num::Format{},
        num::Format::parse("fx16.10"),
        num::Format::parse("fx16.8:sr"),
        num::Format::parse("fx8.4"),
        num::Format::parse("fx12.6:rhu"),
        num::Format::parse("bf16"),
        num::Format::parse("fp16:rtz"),
        num::Format::parse("fp8e4m3"),
        num::Format::parse("fp8e5m2:sr"),
        num::Format::parse("int8@-5"),
    };
    return pool;
}

num::Format pick(std::mt19937& rng) {
    return format_pool()[rng() % format_pool().size()];
}
uint32_t rnd(std::mt19937& rng, uint32_t lo, uint32_t hi) {
    return lo + rng() % (hi - lo + 1);
}

// The DRAM image at `addr` equals the golden values encoded in `fmt`.
void check_stored(AccelBench& b, uint32_t addr, const std::vector<float>& golden, const num::Format& fmt) {
    std::vector<uint8_t> expect(golden.size() * accel::container_bytes(fmt)), got(expect.size());
    accel::pack_tensor(golden.data(), golden.size(), fmt, expect.data());
    b.mem.read(addr - kDram, got.data(), got.size());
    REQUIRE(expect == got);
}

accel_desc base_desc(uint8_t opcode, std::mt19937& rng) {
    accel_desc d{};
    d.opcode = opcode;
    d.sr_seed = rng();
    d.sr_step = rng() % 100;
    d.sr_tensor[0] = 17;
    d.sr_tensor[1] = 18;
    d.sr_tensor[2] = 19;
    d.layer_id = static_cast<uint16_t>(opcode);
    return d;
}

num::SrKey key(const accel_desc& d, int i) {
    return num::SrKey{d.sr_seed, d.sr_tensor[i], d.sr_step};
}

void gemm_trials(AccelBench& b, bool conv, int trials, uint32_t seed, bool& tiled, bool& reduction_split,
                 uint32_t max_in = 60, uint32_t max_ci = 3) {
    std::mt19937 rng(seed);
    kern::Workspace ws;
    for (int t = 0; t < trials; ++t) {
        kern::Conv2dShape s;
        const uint32_t N = rnd(rng, 1, 3);
        if (conv) {
            s.in_channels = rnd(rng, 1, max_ci);
            s.in_rows = rnd(rng, 3, 9);
            s.in_cols = rnd(rng, 3, 9);
            s.out_channels = rnd(rng, 1, 5);
            s.pad = rnd(rng, 0, 1);
            s.kernel = rnd(rng, 1, std::min<uint32_t>(3, std::min(s.in_rows, s.in_cols)));
            s.stride = rnd(rng, 1, 2);
        } else {
            s = kern::Conv2dShape{rnd(rng, 1, max_in), 1, 1, rnd(rng, 1, 24), 1, 1, 0};
        }
        const num::Format fx = pick(rng), fw = pick(rng), fy = pick(rng), fg = pick(rng), fdx = pick(rng),
                          fdw = pick(rng);
        const bool bias = rng() % 2;
        const int acc_bits = rng() % 3 == 0 ? 20 : 0;  // narrow accumulators saturate: checked too
        num::AccumulatorSpec acc;
        acc.bits = acc_bits ? acc_bits : 48;
        const kern::MacContext mc{acc, nullptr};
        const auto x = random_values(rng, size_t{N} * s.in_size(), fx);
        const auto w = random_values(rng, s.weight_count(), fw, 0.5);
        const auto bv = random_values(rng, s.out_channels, fw, 0.5);
        const auto g = random_values(rng, size_t{N} * s.out_size(), fg);
        const uint32_t ax = b.put(x, fx), aw = b.put(w, fw), ab = b.put(bv, fw), ag = b.put(g, fg);
        const uint32_t ay = b.alloc(size_t{N} * s.out_size() * 4), adx = b.alloc(size_t{N} * s.in_size() * 4);
        const uint32_t adw = b.alloc(s.weight_count() * 4), adb = b.alloc(s.out_channels * 4);
        const uint8_t op0 = conv ? ACCEL_OP_CONV_FWD : ACCEL_OP_FC_FWD;
        for (int phase = 0; phase < 3; ++phase) {
            accel_desc d = base_desc(static_cast<uint8_t>(op0 + phase), rng);
            d.batch = N;
            if (conv) {
                d.in_channels = s.in_channels, d.in_rows = s.in_rows, d.in_cols = s.in_cols;
                d.out_channels = s.out_channels, d.kernel = s.kernel, d.stride = s.stride, d.pad = s.pad;
            } else {
                d.fc_in = s.in_channels, d.fc_out = s.out_channels;
            }
            d.acc_bits = static_cast<uint8_t>(acc_bits);
            if (bias) d.flags |= ACCEL_FLAG_HAS_BIAS;
            d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_W] = code(fw), d.fmt[ACCEL_OPND_Y] = code(fy);
            d.fmt[ACCEL_OPND_G] = code(fg), d.fmt[ACCEL_OPND_DX] = code(fdx),
            d.fmt[ACCEL_OPND_DW] = code(fdw);
            d.addr_x = ax, d.addr_w = aw, d.addr_b = ab, d.addr_g = ag;
            d.addr_y = ay, d.addr_dx = adx, d.addr_dw = adw, d.addr_db = adb;
            INFO("trial " << t << " phase " << phase << " formats " << fx.to_string() << " " << fw.to_string()
                          << " " << fy.to_string() << " " << fg.to_string() << " " << fdx.to_string() << " "
                          << fdw.to_string());
            REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
            const kern::FcShape fs{s.in_channels, s.out_channels};
            if (phase == 0) {
                std::vector<float> y(size_t{N} * s.out_size());
                const kern::In bin{bias ? bv.data() : nullptr, fw};
                const kern::Out out{y.data(), fy, key(d, 0)};
                if (conv)
                    kern::conv2d_forward(s, N, {x.data(), fx}, {w.data(), fw}, bin, out, mc, ws);
                else
                    kern::fc_forward(fs, N, {x.data(), fx}, {w.data(), fw}, bin, out, mc, ws);
                check_stored(b, ay, y, fy);
            } else if (phase == 1) {
                std::vector<float> dx(size_t{N} * s.in_size());
                const kern::Out out{dx.data(), fdx, key(d, 0)};
                if (conv)
                    kern::conv2d_backward_data(s, N, {g.data(), fg}, {w.data(), fw}, out, mc, ws);
                else
                    kern::fc_backward_data(fs, N, {g.data(), fg}, {w.data(), fw}, out, mc, ws);
                check_stored(b, adx, dx, fdx);
            } else {
                std::vector<float> dw(s.weight_count()), db(s.out_channels);
                const kern::Out odw{dw.data(), fdw, key(d, 0)};
                const kern::Out odb{bias ? db.data() : nullptr, fdw, key(d, 1)};
                if (conv)
                    kern::conv2d_weight_grad(s, N, {g.data(), fg}, {x.data(), fx}, odw, odb, mc, ws);
                else
                    kern::fc_weight_grad(fs, N, {g.data(), fg}, {x.data(), fx}, odw, odb, mc, ws);
                check_stored(b, adw, dw, fdw);
                if (bias) check_stored(b, adb, db, fdw);
            }
            const accel::DescriptorRecord* rec = b.acc.stats().last();
            REQUIRE(rec);
            CHECK(rec->stats.macs > 0);
            CHECK(rec->stats.tlm_read_bytes > ACCEL_DESC_BYTES);
            CHECK(rec->stats.dram_read_bytes >= rec->stats.tlm_read_bytes);  // the plan adds re-reads
            CHECK(rec->stats.tlm_write_bytes == rec->stats.dram_write_bytes);
            if (rec->stats.tiles > 1) tiled = true;
            if (rec->split.find(" x in_channels " + std::to_string(s.in_channels)) == std::string::npos &&
                rec->split.find(" x inputs " + std::to_string(s.in_channels)) == std::string::npos &&
                rec->split.find(" x out_channels " + std::to_string(s.out_channels)) == std::string::npos &&
                rec->split.find(" x outputs " + std::to_string(s.out_channels)) == std::string::npos)
                reduction_split = true;
        }
        b.heap = kHeap;
    }
}

}  // namespace

TEST_CASE("conv phases equal the kernels bit for bit", "[accel][ops]") {
    AccelBench b;
    bool tiled = false, split = false;
    b.run([&] {
        b.setup_ring();
        gemm_trials(b, true, 12, 1, tiled, split);
    });
    CHECK_FALSE(tiled);
}

TEST_CASE("conv phases equal the kernels when small buffers force tiling", "[accel][ops][tiling]") {
    AccelBench b(small_buffers(4096));
    bool tiled = false, split = false;
    b.run([&] {
        b.setup_ring();
        gemm_trials(b, true, 12, 2, tiled, split);
    });
    CHECK(tiled);
}

TEST_CASE("fc phases equal the kernels bit for bit", "[accel][ops]") {
    AccelBench b;
    bool tiled = false, split = false;
    b.run([&] {
        b.setup_ring();
        gemm_trials(b, false, 12, 3, tiled, split);
    });
}

TEST_CASE("fc phases equal the kernels when small buffers force tiling", "[accel][ops][tiling]") {
    AccelBench b(small_buffers(1024));
    bool tiled = false, split = false;
    b.run([&] {
        b.setup_ring();
        gemm_trials(b, false, 12, 4, tiled, split);
    });
    CHECK(tiled);
}

namespace {

void pool_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    kern::Workspace ws;
    for (int t = 0; t < trials; ++t) {
        kern::PoolShape s;
        const uint32_t N = rnd(rng, 1, 3);
        s.channels = rnd(rng, 1, 4);
        s.in_rows = rnd(rng, 2, 9);
        s.in_cols = rnd(rng, 2, 9);
        s.size = rnd(rng, 1, std::min<uint32_t>(3, std::min(s.in_rows, s.in_cols)));
        s.stride = rnd(rng, 1, 3);
        const num::Format fx = pick(rng), fy = rng() % 2 ? fx : pick(rng), fg = pick(rng), fdx = pick(rng);
        const auto x = random_values(rng, size_t{N} * s.in_size(), fx);
        const auto g = random_values(rng, size_t{N} * s.out_size(), fg);
        const uint32_t ax = b.put(x, fx), ag = b.put(g, fg), ay = b.alloc(size_t{N} * s.out_size() * 4);
        const uint32_t aarg = b.alloc(size_t{N} * s.out_size() * 4),
                       adx = b.alloc(size_t{N} * s.in_size() * 4);
        for (uint8_t opc :
             {ACCEL_OP_MAXPOOL_FWD, ACCEL_OP_MAXPOOL_BWD, ACCEL_OP_AVGPOOL_FWD, ACCEL_OP_AVGPOOL_BWD}) {
            accel_desc d = base_desc(opc, rng);
            d.batch = N, d.in_channels = s.channels, d.in_rows = s.in_rows, d.in_cols = s.in_cols;
            d.kernel = s.size, d.stride = s.stride;
            d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_Y] = code(fy);
            d.fmt[ACCEL_OPND_G] = code(fg), d.fmt[ACCEL_OPND_DX] = code(fdx);
            d.addr_x = ax, d.addr_y = ay, d.addr_g = ag, d.addr_dx = adx, d.addr_aux = aarg;
            INFO("trial " << t << " opcode " << int(opc));
            REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
            std::vector<float> y(size_t{N} * s.out_size()), dx(size_t{N} * s.in_size());
            std::vector<uint32_t> arg(y.size());
            kern::maxpool_forward(s, N, x.data(), y.data(), arg.data());
            if (opc == ACCEL_OP_MAXPOOL_FWD) {
                check_stored(b, ay, y, fy);
                std::vector<uint32_t> got(arg.size());
                b.mem.read(aarg - kDram, got.data(), got.size() * 4);
                REQUIRE(got == arg);
            } else if (opc == ACCEL_OP_MAXPOOL_BWD) {
                kern::maxpool_backward(s, N, {g.data(), fg}, arg.data(), {dx.data(), fdx, key(d, 0)}, ws);
                check_stored(b, adx, dx, fdx);
            } else if (opc == ACCEL_OP_AVGPOOL_FWD) {
                kern::avgpool_forward(s, N, {x.data(), fx}, {y.data(), fy, key(d, 0)});
                check_stored(b, ay, y, fy);
            } else {
                kern::avgpool_backward(s, N, {g.data(), fg}, {dx.data(), fdx, key(d, 0)}, ws);
                check_stored(b, adx, dx, fdx);
            }
        }
        b.heap = kHeap;
    }
}

void elementwise_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int t = 0; t < trials; ++t) {
        const uint32_t n = rnd(rng, 1, 3000);
        const num::Format fx = pick(rng), fg = pick(rng), fdx = pick(rng);
        const auto x = random_values(rng, n, fx);
        const auto g = random_values(rng, n, fg);
        const uint32_t ax = b.put(x, fx), ag = b.put(g, fg), ay = b.alloc(n * 4), adx = b.alloc(n * 4);
        // ReLU forward, then backward with the stored output as the mask.
        accel_desc d = base_desc(ACCEL_OP_RELU_FWD, rng);
        d.count = n, d.fmt[ACCEL_OPND_X] = d.fmt[ACCEL_OPND_Y] = code(fx), d.addr_x = ax, d.addr_y = ay;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> y(n), dx(n);
        kern::relu_forward(n, x.data(), y.data());
        check_stored(b, ay, y, fx);
        d = base_desc(ACCEL_OP_RELU_BWD, rng);
        d.count = n, d.fmt[ACCEL_OPND_Y] = code(fx), d.fmt[ACCEL_OPND_G] = d.fmt[ACCEL_OPND_DX] = code(fg);
        d.addr_y = ay, d.addr_g = ag, d.addr_dx = adx;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        kern::relu_backward(n, y.data(), g.data(), dx.data());
        check_stored(b, adx, dx, fg);
        // Format conversion.
        d = base_desc(ACCEL_OP_DMA_COPY, rng);
        d.count = n, d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_Y] = code(fdx), d.addr_x = ax,
        d.addr_y = adx;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> c(x);
        num::quantize_array(c.data(), n, fdx, key(d, 0), 0, nullptr);
        check_stored(b, adx, c, fdx);
        b.heap = kHeap;
    }
}

void loss_and_sgd_trials(AccelBench& b, int trials, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int t = 0; t < trials; ++t) {
        const uint32_t N = rnd(rng, 1, 40), classes = rnd(rng, 2, 12);
        const num::Format fx = pick(rng), fdx = pick(rng);
        const auto z = random_values(rng, size_t{N} * classes, fx, 4.0);
        std::vector<uint8_t> labels(N);
        for (auto& l : labels) l = static_cast<uint8_t>(rng() % classes);
        const uint32_t az = b.put(z, fx), al = b.put_bytes(labels.data(), N), aux = b.alloc(16);
        const uint32_t adx = b.alloc(size_t{N} * classes * 4);
        accel_desc d = base_desc(ACCEL_OP_SOFTMAX_XENT, rng);
        d.batch = N, d.fc_out = classes, d.flags = ACCEL_FLAG_LOSS_GRAD;
        d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_DX] = code(fdx);
        d.addr_x = az, d.addr_labels = al, d.addr_aux = aux, d.addr_dx = adx;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> gz(size_t{N} * classes);
        const kern::LossResult r =
            kern::softmax_cross_entropy(N, classes, z.data(), labels.data(), {gz.data(), fdx, key(d, 0)});
        check_stored(b, adx, gz, fdx);
        accel_loss_result rec;
        b.mem.read(aux - kDram, &rec, sizeof rec);
        CHECK(rec.loss_sum == r.loss_sum);
        CHECK(rec.correct == r.correct);
        CHECK(rec.count == N);

        // SGD with and without momentum and weight decay.
        const uint32_t n = rnd(rng, 1, 2000);
        const num::Format fg = pick(rng), fm = rng() % 2 ? num::Format{} : num::Format::parse("fx24.16:sr"),
                          fw = pick(rng);
        const auto grad = random_values(rng, n, fg);
        auto master = random_values(rng, n, fm, 1.0);
        auto velocity = rng() % 2 ? random_values(rng, n, fm, 0.1) : std::vector<float>(n, 0.0f);
        const uint32_t ag = b.put(grad, fg), am = b.put(master, fm), av = b.put(velocity, fm),
                       aw = b.alloc(n * 4);
        d = base_desc(ACCEL_OP_SGD_UPDATE, rng);
        d.count = n, d.batch = rnd(rng, 1, 64);
        d.lr = 0.05 * (1 + rng() % 4), d.momentum = rng() % 2 ? 0.9 : 0.0,
        d.weight_decay = rng() % 2 ? 1e-4 : 0.0;
        d.fmt[ACCEL_OPND_DW] = code(fg), d.fmt[ACCEL_OPND_MASTER] = code(fm), d.fmt[ACCEL_OPND_W] = code(fw);
        d.addr_dw = ag, d.addr_master = am, d.addr_velocity = av, d.addr_w = aw;
        REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
        std::vector<float> w(n);
        kern::sgd_update(n, grad.data(), {master.data(), fm, key(d, 0)}, velocity.data(), key(d, 1),
                         {w.data(), fw, key(d, 2)},
                         kern::SgdParams{d.lr, d.momentum, d.weight_decay, d.batch});
        check_stored(b, am, master, fm);
        check_stored(b, aw, w, fw);
        if (d.momentum != 0.0) check_stored(b, av, velocity, fm);
        b.heap = kHeap;
    }
}

}  // namespace

TEST_CASE("conv and fc phases split the reduction when one channel does not fit, bit for bit",
          "[accel][ops][tiling]") {
    AccelBench b(small_buffers(2048));
    bool tiled = false, split = false;
    b.run([&] {
        b.setup_ring();
        gemm_trials(b, false, 6, 9, tiled, split, 1500);
        gemm_trials(b, true, 6, 10, tiled, split, 60, 24);
    });
    CHECK(tiled);
    CHECK(split);
}

TEST_CASE("pooling phases equal the kernels bit for bit", "[accel][ops]") {
    AccelBench b;
    b.run([&] {
        b.setup_ring();
        pool_trials(b, 10, 5);
    });
}

TEST_CASE("pooling phases equal the kernels with tiling", "[accel][ops][tiling]") {
    AccelBench b(small_buffers(1024));
    b.run([&] {
        b.setup_ring();
        pool_trials(b, 10, 6);
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("relu, relu mask and format conversion equal the kernels", "[accel][ops]") {
    AccelBench b(small_buffers(2048));
    b.run([&] {
        b.setup_ring();
        elementwise_trials(b, 10, 7);
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

// A DMA_COPY into a slice of a larger tensor (a concatenation's channel block) rounds its element i with
// index sr_index_base + i: pieces copied with their offsets equal one copy of the whole tensor, even when
// small buffers split each piece into tiles; without the base every piece would reuse the indices 0.. .
TEST_CASE("DMA_COPY with sr_index_base rounds as the slice of the larger tensor", "[accel][ops][tiling]") {
    AccelBench b(small_buffers(2048));
    b.run([&] {
        b.setup_ring();
        std::mt19937 rng(31);
        for (const char* out : {"fx16.8:sr", "fp8e5m2:sr", "bf16:sr"}) {
            const num::Format fx{}, fy = num::Format::parse(out);
            const uint32_t n = 3001;
            const auto x = random_values(rng, n, fx);
            const uint32_t ax = b.put(x, fx), ay = b.alloc(n * 4);
            const uint32_t cut[] = {0, 7, 1500, 2999, n};
            accel_desc d{};
            for (size_t p = 0; p + 1 < std::size(cut); ++p) {
                d = base_desc(ACCEL_OP_DMA_COPY, rng);
                d.sr_seed = 99, d.sr_step = 5;
                d.count = cut[p + 1] - cut[p];
                d.sr_index_base = cut[p];
                d.fmt[ACCEL_OPND_X] = code(fx), d.fmt[ACCEL_OPND_Y] = code(fy);
                d.addr_x = ax + cut[p] * 4, d.addr_y = ay + cut[p] * accel::container_bytes(fy);
                REQUIRE(b.submit(d) == ACCEL_IRQ_DONE);
            }
            std::vector<float> whole(x), from_zero(x);
            num::quantize_array(whole.data(), n, fy, key(d, 0), 0, nullptr);
            check_stored(b, ay, whole, fy);
            // The base matters: the last piece rounded from index 0 differs somewhere.
            const uint32_t last = cut[std::size(cut) - 2];
            num::quantize_array(from_zero.data() + last, n - last, fy, key(d, 0), 0, nullptr);
            CHECK(!std::equal(from_zero.begin() + last, from_zero.end(), whole.begin() + last));
            b.heap = kHeap;
        }
        CHECK(b.acc.stats().total().tiles > b.acc.stats().total().descriptors);
    });
}

TEST_CASE("softmax cross-entropy and SGD updates equal the kernels", "[accel][ops]") {
    AccelBench b(small_buffers(4096));
    b.run([&] {
        b.setup_ring();
        loss_and_sgd_trials(b, 10, 8);
    });
}
