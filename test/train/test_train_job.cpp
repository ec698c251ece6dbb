// The platform's training-job writer (platform/train_job_writer.h) and the golden comparison of
// --check-golden (platform/train_run.h), without firmware: layout, DRAM images, read-back, errors.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "accel/accel_format.h"
#include "common/error.h"
#include "train_job_writer.h"
#include "train_run.h"
#include "trainvp/train_descs.h"

using namespace trainvp;
using kern::LayerKind;

namespace {

kern::NetworkSpec small_cnn(const char* format) {
    kern::NetworkSpec spec;
    spec.channels = 1;
    spec.rows = spec.cols = 8;
    kern::LayerSpec conv, relu, pool, fc;
    conv.kind = LayerKind::conv;
    conv.out_channels = 4;
    conv.kernel = 3;
    conv.pad = 1;
    relu.kind = LayerKind::relu;
    pool.kind = LayerKind::maxpool;
    fc.kind = LayerKind::fc;
    fc.out = 4;
    spec.layers = {conv, relu, pool, fc};
    for (kern::Role r :
         {kern::Role::weights, kern::Role::activations, kern::Role::errors, kern::Role::weight_grads})
        spec.formats[r] = kern::parse_format_request(format);
    return spec;
}

kern::TrainConfig config(double momentum = 0.9) {
    kern::TrainConfig cfg;
    cfg.batch = 6;
    cfg.epochs = 2;
    cfg.momentum = momentum;
    cfg.seed = 5;
    return cfg;
}

struct Data {
    std::vector<uint8_t> images, labels;
    kern::DataView view;
    explicit Data(uint32_t count) : images(count * 64), labels(count) {
        for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>(i * 37 % 251);
        for (uint32_t i = 0; i < count; ++i) labels[i] = static_cast<uint8_t>(i % 4);
        view = kern::DataView{images.data(), labels.data(), count, 1, 8, 8};
    }
};

MemoryConfig ram_config(uint64_t mib) {
    MemoryConfig c;
    c.size_bytes = mib << 20;
    return c;
}

uint64_t off(uint32_t addr) {
    return uint64_t{addr} - TRAINVP_DRAM_BASE;
}

}  // namespace

TEST_CASE("train job layout: aligned, disjoint regions in allocation order above the job", "[train_job]") {
    const kern::Trainer trainer(small_cnn("fx16"), config());
    const TrainJobImage img = plan_train_job(trainer, 20, 10, 16);
    const train_job& j = img.job;
    CHECK(j.magic == TRAIN_JOB_MAGIC);
    CHECK(j.version == TRAIN_JOB_VERSION);
    CHECK(j.bytes == sizeof(train_job));
    CHECK(j.num_layers == 4);
    CHECK(j.num_classes == 4);
    CHECK(j.steps_per_epoch == 4);  // 20 samples in batches of 6: 6, 6, 6, 2
    CHECK(j.input_size == 64);
    CHECK(j.layers[0].kind == TRAIN_LAYER_CONV);
    CHECK(j.layers[2].kind == TRAIN_LAYER_MAXPOOL);
    CHECK(j.layers[2].pool == 2);
    CHECK(j.layers[3].fc_in == 64);
    CHECK(j.layers[3].fc_out == 4);
    num::Format f;
    REQUIRE(accel::format_from_code(j.layers[0].fmt_weights, f));
    CHECK(f == trainer.network().layers()[0].formats.weights);

    // Every region (address, bytes) in the order the writer allocates them.
    const unsigned e = 2;  // fx16 container
    std::vector<std::pair<uint32_t, uint64_t>> regions = {
        {j.addr_train_images, 20 * 64 * e},   {j.addr_train_labels, 20},
        {j.addr_test_images, 10 * 64 * e},    {j.addr_test_labels, 10},
        {j.addr_batch_input, 6 * 64 * e},     {j.addr_batch_labels, 6},
        {j.addr_loss_grad, 6 * 4 * e},        {j.addr_loss_result, 16},
        {j.addr_ring, 16 * ACCEL_DESC_BYTES}, {j.addr_results, sizeof(train_results)},
        {j.addr_step_losses, 8 * 4 * 2}};
    const auto& net = trainer.network();
    for (size_t l = 0; l < net.layers().size(); ++l) {
        const kern::Layer& L = net.layers()[l];
        const train_layer& t = j.layers[l];
        regions.push_back({t.addr_y, uint64_t{6} * L.out.size() * e});
        if (l > 0) regions.push_back({t.addr_dx, uint64_t{6} * L.in.size() * e});
        if (L.spec.kind == LayerKind::maxpool)
            regions.push_back({t.addr_argmax, uint64_t{6} * L.out.size() * 4});
        if (!L.weight) continue;
        CHECK(t.weight_count == L.weight->values.size());
        CHECK(t.has_bias == 1);
        for (uint32_t a : {t.addr_w, t.addr_w_master, t.addr_w_grad, t.addr_w_velocity})
            regions.push_back({a, uint64_t{t.weight_count} * (a == t.addr_w || a == t.addr_w_grad ? e : 4)});
        for (uint32_t a : {t.addr_b, t.addr_b_master, t.addr_b_grad, t.addr_b_velocity})
            regions.push_back({a, uint64_t{t.bias_count} * (a == t.addr_b || a == t.addr_b_grad ? e : 4)});
    }
    uint64_t prev_end = uint64_t{TRAIN_JOB_BASE} + sizeof(train_job);
    for (size_t i = 0; i < regions.size(); ++i) {
        INFO("region " << i << " at " << hex32(regions[i].first));
        CHECK(regions[i].first % 64 == 0);
        CHECK(regions[i].first >= prev_end);
        prev_end = uint64_t{regions[i].first} + regions[i].second;
    }
    CHECK(img.end >= prev_end);
}

TEST_CASE("train job in DRAM: converted images, labels and parameters, read back bit for bit",
          "[train_job]") {
    const kern::Trainer trainer(small_cnn("fx12:sr"), config());
    const Data train(20), test(10);
    Memory ram("ram", ram_config(32));
    const TrainJobImage img = write_train_job(ram, trainer, train.view, test.view, 16);
    const train_job& j = img.job;

    train_job stored{};
    ram.read(off(TRAIN_JOB_BASE), &stored, sizeof stored);
    CHECK(std::memcmp(&stored, &j, sizeof stored) == 0);

    // Image 7 of the training set as the golden trainer converts it, packed in the input format.
    const num::Format& in_fmt = trainer.network().input_format();
    std::vector<float> x(64);
    trainer.load_image(train.view, 7, x.data());
    std::vector<uint8_t> expect(64 * accel::container_bytes(in_fmt)), got(expect.size());
    accel::pack_tensor(x.data(), 64, in_fmt, expect.data());
    ram.read(off(j.addr_train_images) + 7 * expect.size(), got.data(), got.size());
    CHECK(got == expect);
    std::vector<uint8_t> labels(10);
    ram.read(off(j.addr_test_labels), labels.data(), labels.size());
    CHECK(labels == test.labels);

    const train_results results = read_train_results(ram, j);
    CHECK(results.magic == 0);  // zeroed until the firmware starts
    CHECK(read_step_losses(ram, j, 3) == std::vector<double>(3, 0.0));

    // A network initialised differently takes on exactly the stored parameters.
    kern::TrainConfig other = config();
    other.seed = 99;
    kern::Trainer copy(small_cnn("fx12:sr"), other);
    uint64_t tensors = 0, values = 0;
    CHECK_FALSE(first_parameter_difference(copy.network(), trainer.network(), tensors, values).empty());
    read_parameters(ram, j, copy.network());
    CHECK(first_parameter_difference(copy.network(), trainer.network(), tensors, values).empty());
    CHECK(tensors == 12);  // conv1 and fc1, weight and bias, working + master + velocity
    CHECK(values == 3 * (4 * 9 + 4 + 4 * 64 + 4));
}

TEST_CASE("a training job larger than the DRAM is a UserError naming ram.size", "[train_job]") {
    const kern::Trainer trainer(small_cnn("fp32"), config(0.0));
    const Data big(40000);  // 40000 x 64 x 4 bytes = 9.8 MiB of images beyond the 16 MiB firmware area
    Memory ram("ram", ram_config(24));
    REQUIRE_THROWS_WITH(write_train_job(ram, trainer, big.view, big.view),
                        Catch::Contains("ram.size is 24 MiB") && Catch::Contains("needs 36 MiB"));
    Memory enough("enough", ram_config(40));
    CHECK_NOTHROW(write_train_job(enough, trainer, big.view, big.view));
}

TEST_CASE("first_parameter_difference names the tensor, copy and element", "[train_job]") {
    const kern::Trainer a(small_cnn("fx16"), config());
    kern::Trainer b(small_cnn("fx16"), config());
    uint64_t tensors = 0, values = 0;
    CHECK(first_parameter_difference(a.network(), b.network(), tensors, values).empty());
    CHECK(tensors == 12);
    b.network().layers()[3].weight->master[3] += 1.0f;
    const std::string d = first_parameter_difference(a.network(), b.network(), tensors, values);
    CHECK_THAT(d, Catch::StartsWith("final fc1.weight.master[3] differs: platform "));
    b.network().layers()[0].bias->values[1] = -0.0f;  // +0 and -0 differ in their bits
    CHECK_THAT(first_parameter_difference(a.network(), b.network(), tensors, values),
               Catch::StartsWith("final conv1.bias[1] differs"));
}

TEST_CASE("is_training_scenario: a network section makes a training run", "[train_job]") {
    CHECK(is_training_scenario(YAML::Load("network: {preset: lenet5}\nname: x")));
    CHECK_FALSE(is_training_scenario(YAML::Load("name: hello\ncpu: {clock_hz: 1e8}")));
}

namespace {

// stem conv -> norm -> r0 relu -> conv a (reads r0) -> add (a, r0) -> global_avgpool -> fc: r0 is read by a
// and by the add, so its error is the sum of a's input error and the add's output error.
kern::NetworkSpec residual_graph() {
    kern::NetworkSpec spec;
    spec.channels = 1;
    spec.rows = spec.cols = 8;
    auto layer = [](LayerKind k, const char* name, std::vector<std::string> inputs = {}) {
        kern::LayerSpec s;
        s.kind = k;
        s.name = name;
        s.inputs = std::move(inputs);
        if (k == LayerKind::conv) s.out_channels = 4, s.kernel = 3, s.pad = 1;
        if (k == LayerKind::norm) s.groups = 2;
        if (k == LayerKind::fc) s.out = 4;
        return s;
    };
    spec.layers = {layer(LayerKind::conv, "stem"),
                   layer(LayerKind::norm, "n"),
                   layer(LayerKind::relu, "r0"),
                   layer(LayerKind::conv, "a", {"r0"}),
                   layer(LayerKind::add, "sum", {"a", "r0"}),
                   layer(LayerKind::global_avgpool, "gap"),
                   layer(LayerKind::fc, "out")};
    return spec;
}

}  // namespace

TEST_CASE("a graph's job: inputs, norm buffers and the error of a layer read twice", "[train_job][graph]") {
    const kern::Trainer trainer(residual_graph(), config());
    const TrainJobImage img = plan_train_job(trainer, 12, 6, 64);
    const train_job& j = img.job;
    REQUIRE(j.num_layers == 7);
    const train_layer &stem = j.layers[0], &n = j.layers[1], &r0 = j.layers[2], &a = j.layers[3],
                      &sum = j.layers[4], &gap = j.layers[5], &out = j.layers[6];
    CHECK(stem.input[0] == -1);
    CHECK(n.kind == TRAIN_LAYER_NORM);
    CHECK(n.groups == 2);
    CHECK(n.addr_stats != 0);
    CHECK(n.addr_stats % 8 == 0);
    CHECK((n.weight_count == 4 && n.bias_count == 4 && n.has_bias == 1));
    CHECK((sum.kind == TRAIN_LAYER_ADD && sum.num_inputs == 2 && sum.input[0] == 3 && sum.input[1] == 2));
    CHECK(gap.kind == TRAIN_LAYER_GLOBAL_AVGPOOL);
    CHECK(stem.addr_dx == 0);  // reads the network input: no input error
    CHECK(sum.addr_dx == 0);   // an add passes its error on unchanged
    // The loss gradient, then errors used in place, and r0's summed error (a's dx + the add's error).
    CHECK(out.err_mode == TRAIN_ERR_IN_PLACE);
    CHECK(out.addr_g == j.addr_loss_grad);
    CHECK(gap.addr_g == out.addr_dx);
    CHECK(sum.addr_g == gap.addr_dx);
    CHECK(a.addr_g == sum.addr_g);
    CHECK(r0.err_mode == TRAIN_ERR_SUM2);
    CHECK(r0.addr_part[0] == a.addr_dx);
    CHECK(r0.addr_part[1] == sum.addr_g);
    CHECK(r0.addr_g == r0.addr_dy);
    CHECK(r0.addr_dy != 0);
    CHECK(n.addr_g == r0.addr_dx);
}

TEST_CASE("graphs the platform cannot run are refused with the layer's name", "[train_job][graph]") {
    // Beyond TRAIN_JOB_MAX_INPUTS inputs and TRAIN_JOB_MAX_PARTS readers (one ADD of four addends).
    kern::NetworkSpec five = residual_graph();
    five.layers[4].inputs = {"a", "r0", "a", "r0", "a"};
    REQUIRE_THROWS_WITH(
        plan_train_job(kern::Trainer(five, config()), 12, 6, 64),
        Catch::Contains("layer sum") && Catch::Contains("adds at most 4 inputs") && Catch::Contains("has 5"));
    kern::NetworkSpec concat = residual_graph();
    concat.layers[4].kind = LayerKind::concat;
    concat.layers[4].inputs = {"a", "r0", "a", "r0", "a"};
    REQUIRE_THROWS_WITH(
        plan_train_job(kern::Trainer(concat, config()), 12, 6, 64),
        Catch::Contains("layer sum") && Catch::Contains("at most 4 inputs") && Catch::Contains("has 5"));
    // r0 read by a, three inputs of the add and a concat: five error parts.
    kern::NetworkSpec readers = residual_graph();
    readers.layers[4].inputs = {"r0", "r0", "r0", "a"};
    kern::LayerSpec cat;
    cat.kind = LayerKind::concat;
    cat.name = "cat";
    cat.inputs = {"sum", "r0"};
    readers.layers.insert(readers.layers.begin() + 5, cat);
    REQUIRE_THROWS_WITH(plan_train_job(kern::Trainer(readers, config()), 12, 6, 64),
                        Catch::Contains("layer r0") && Catch::Contains("read 5 times") &&
                            Catch::Contains("at most 4 readers"));
    readers.layers.erase(readers.layers.begin() + 5);  // a and three add slots: four readers
    CHECK(plan_train_job(kern::Trainer(readers, config()), 12, 6, 64).job.layers[2].err_mode ==
          TRAIN_ERR_SUM4);
}

TEST_CASE("fan-in, fan-out and layers reading the network input: parts, addends and input addresses",
          "[train_job][graph]") {
    // stem -> n -> r0; a = conv(input); sum = add(r0, a, r0) (a shortcut from the network input, r0 read
    // twice by the add); cat = concat(sum, input); gap; out.
    kern::NetworkSpec spec = residual_graph();
    spec.layers[3].inputs = {"input"};
    spec.layers[4].inputs = {"r0", "a", "r0"};
    kern::LayerSpec cat;
    cat.kind = LayerKind::concat;
    cat.name = "cat";
    cat.inputs = {"sum", "input"};
    spec.layers.insert(spec.layers.begin() + 5, cat);
    const kern::Trainer trainer(spec, config());
    const TrainJobImage img = plan_train_job(trainer, 12, 6, 64);
    const train_job& j = img.job;
    CHECK((j.input_c == 1 && j.input_h == 8 && j.input_w == 8));
    const train_layer &r0 = j.layers[2], &a = j.layers[3], &sum = j.layers[4], &c = j.layers[5];
    CHECK((sum.num_inputs == 3 && sum.input[0] == 2 && sum.input[1] == 3 && sum.input[2] == 2));
    CHECK((a.input[0] == -1 && a.addr_dx == 0));  // reads the network input: no input error
    CHECK((c.num_inputs == 2 && c.input[1] == -1 && c.addr_dx != 0 && c.out_c == 5));
    // r0's error: the add's error twice (its slots 0 and 2), summed in one ADD of two parts.
    CHECK(r0.err_mode == TRAIN_ERR_SUM2);
    CHECK((r0.addr_part[0] == sum.addr_g && r0.addr_part[1] == sum.addr_g));

    std::vector<accel_desc> descs(train_descs_step_bound(&j));
    descs.resize(train_descs_step(&j, 6, descs.data()));
    const uint32_t image_bytes = 64 * 4;
    bool add_seen = false, cat_back = false;
    for (const accel_desc& d : descs) {
        if (d.layer_id == 4 && d.opcode == ACCEL_OP_ADD) {  // the add: x, x2 and x3 (ADD_X3)
            add_seen = true;
            CHECK(d.flags == ACCEL_FLAG_ADD_X3);
            CHECK((d.addr_x == r0.addr_y && d.addr_g == a.addr_y && d.addr_dx == r0.addr_y));
        }
        if (d.layer_id == 3 && d.opcode == ACCEL_OP_CONV_FWD) CHECK(d.addr_x == j.addr_batch_input);
        if (d.layer_id == 3 && d.opcode == ACCEL_OP_CONV_WGRAD) CHECK(d.addr_x == j.addr_batch_input);
        CHECK(!(d.layer_id == 3 && d.opcode == ACCEL_OP_CONV_BWD_DATA));
        // The concat's backward copies only sum's slice, never into the network input's block.
        if (d.layer_id == 5 && d.opcode == ACCEL_OP_DMA_COPY &&
            d.sr_tensor[0] == kern::tensor_id(5, kern::Slot::dx)) {
            cat_back = true;
            CHECK(d.addr_y < c.addr_dx + j.batch * 4 * 64 * 4);
        }
    }
    CHECK((add_seen && cat_back));

    // Evaluation from test sample 3: every reader of the network input reads the test images from there.
    CHECK(train_descs_input_first_only(&j) == 0);
    std::vector<accel_desc> eval(train_descs_eval_bound(&j));
    eval.resize(train_descs_eval(&j, 2, 3, eval.data()));
    uint32_t readers = 0;
    for (const accel_desc& d : eval) {
        if (d.layer_id == 0 || (d.layer_id == 3 && d.opcode == ACCEL_OP_CONV_FWD)) {
            CHECK(d.addr_x == j.addr_test_images + 3 * image_bytes);
            ++readers;
        }
        if (d.layer_id == 5 && d.addr_x >= j.addr_test_images && d.addr_x < j.addr_test_labels) {
            CHECK(d.addr_x >= j.addr_test_images + 3 * image_bytes);
            ++readers;
        }
    }
    CHECK(readers == 4);  // stem, a, and the concat's copy of each of the two samples
    CHECK(eval.back().addr_labels == j.addr_test_labels + 3);
    const TrainJobImage plain = plan_train_job(kern::Trainer(residual_graph(), config()), 12, 6, 64);
    CHECK(train_descs_input_first_only(&plain.job));
}

TEST_CASE("a concat's job: one error block per input, and the parts its producers read",
          "[train_job][graph]") {
    kern::NetworkSpec spec = residual_graph();
    spec.layers[4].kind = LayerKind::concat;  // cat(a, r0): 4 + 4 channels of 8 x 8
    spec.layers[4].name = "cat";
    const kern::Trainer trainer(spec, config());
    const TrainJobImage img = plan_train_job(trainer, 12, 6, 64);
    const train_job& j = img.job;
    const train_layer &r0 = j.layers[2], &a = j.layers[3], &cat = j.layers[4], &gap = j.layers[5];
    CHECK((cat.kind == TRAIN_LAYER_CONCAT && cat.num_inputs == 2 && cat.input[0] == 3 && cat.input[1] == 2));
    CHECK((cat.in_c == 4 && cat.out_c == 8 && cat.out_h == 8 && cat.out_w == 8));
    CHECK(cat.fmt_in_err == cat.fmt_err);
    const uint32_t block = j.batch * 4 * 64 * 4;  // batch x C_0 x H x W fp32 errors
    REQUIRE(cat.addr_dx != 0);
    CHECK(gap.addr_dx >= cat.addr_dx + 2 * block);  // both blocks are the concat's (bump allocation)
    CHECK(cat.addr_g == gap.addr_dx);
    // a reads only its block (slot 0) in its own error format: used in place.
    CHECK(a.err_mode == TRAIN_ERR_IN_PLACE);
    CHECK(a.addr_g == cat.addr_dx);
    // r0 is read by a (slot 0) and by the concat (slot 1): a's input error plus the concat's second block.
    CHECK(r0.err_mode == TRAIN_ERR_SUM2);
    CHECK(r0.addr_part[0] == a.addr_dx);
    CHECK(r0.addr_part[1] == cat.addr_dx + block);
    CHECK(r0.fmt_part[1] == cat.fmt_err);

    // The firmware's sequences: per input and sample a DMA_COPY whose rounding index is the golden's
    // element index i * out + offset, and the reverse copies into the blocks.
    const uint32_t bound = train_descs_step_bound(&j);
    CHECK(bound == 1 + 6 * 6 + 1 + 2 * 2 * j.batch);
    CHECK(train_descs_eval_bound(&j) == 1 + 6 + 2 * j.batch);
    std::vector<accel_desc> descs(bound);
    const uint32_t n = 5;  // a last, smaller batch
    descs.resize(train_descs_step(&j, n, descs.data()));
    CHECK(descs.size() <= bound);
    std::vector<uint32_t> fwd_base, bwd_from, bwd_to;
    for (const accel_desc& d : descs) {
        if (d.layer_id != 4) {
            CHECK(d.sr_index_base == 0);
            continue;
        }
        REQUIRE(d.opcode == ACCEL_OP_DMA_COPY);
        CHECK(d.count == 256);
        if (d.sr_tensor[0] == kern::tensor_id(4, kern::Slot::act)) {
            CHECK(d.addr_y == cat.addr_y + 4 * d.sr_index_base);
            fwd_base.push_back(d.sr_index_base);
        } else {
            CHECK(d.sr_tensor[0] == kern::tensor_id(4, kern::Slot::dx));
            bwd_from.push_back((d.addr_x - cat.addr_g) / 4);
            bwd_to.push_back((d.addr_y - cat.addr_dx) / 4);
        }
    }
    CHECK(fwd_base == std::vector<uint32_t>{0, 512, 1024, 1536, 2048, 256, 768, 1280, 1792, 2304});
    const uint32_t b1 = j.batch * 256;  // the second input's block starts after batch samples of the first
    CHECK(bwd_from == std::vector<uint32_t>{0, 512, 1024, 1536, 2048, 256, 768, 1280, 1792, 2304});
    CHECK(bwd_to ==
          std::vector<uint32_t>{0, 256, 512, 768, 1024, b1, b1 + 256, b1 + 512, b1 + 768, b1 + 1024});
}

TEST_CASE("ResNet-20 with its norm, relu and add layers fits the job", "[train_job][graph]") {
    kern::NetworkSpec spec;
    spec.channels = 3;
    spec.rows = spec.cols = 32;
    spec.layers = kern::resnet_layers(3);
    kern::TrainConfig cfg = config();
    cfg.batch = 2;
    const kern::Trainer trainer(spec, cfg);
    const TrainJobImage img = plan_train_job(trainer, 4, 2, 64);
    CHECK(img.job.num_layers == trainer.network().layers().size());
    CHECK(img.job.num_layers > 32);  // the old limit
    CHECK(img.job.num_layers <= TRAIN_JOB_MAX_LAYERS);
    uint32_t sums = 0, norms = 0;
    for (uint32_t l = 0; l < img.job.num_layers; ++l) {
        sums += img.job.layers[l].err_mode == TRAIN_ERR_SUM2;
        norms += img.job.layers[l].kind == TRAIN_LAYER_NORM;
    }
    CHECK(sums == 9);  // every block's input is read by its first conv (or projection) and by its add
    CHECK(norms == 21);
}
