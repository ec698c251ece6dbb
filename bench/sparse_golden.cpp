// bench_sparse_golden: trains a junction-pipelined sparse MLP (Dey et al.) with the golden model on MNIST
// and prints accuracy, speed and simulated time; or prints the pipeline schedule table. A driver for
// bench/sparse-golden.sh and docs/sparse.md until `trainvp golden` runs the sparse engine (issue 14 part B).
//
//   bench_sparse_golden [options]            train and report
//   bench_sparse_golden --schedule-table L SAMPLES CYCLES
// Options (defaults: the RTL's FPGA configuration, tb_DNN_top.sv):
//   --data DIR             MNIST IDX files (default data/mnist)
//   --net fpga|smallnet    starting configuration (smallnet needs 64 inputs: MNIST is not usable)
//   --neurons A,B,C  --fanout A,B  --z A,B  --bits W.I  --act sigmoid,sigmoid  --proctime P
//   --connectivity clash-free|random  --type 1|2|3  --dither  --zero-starts  --seed S
//   --hazard rtl|forwarded  --schedule pipelined|sequential
//   --epochs N  --train-limit N  --test-limit N  --etapos A,B,...  (per epoch, the last repeats)
//   --clock-mhz F          engine clock for the simulated time (default 15, the FPGA build)
//   --quiet                one summary line only
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/dataset.h"
#include "sparse/junction_trainer.h"

using namespace trainvp;
using namespace trainvp::sparse;

namespace {

std::vector<uint32_t> parse_list(const std::string& text) {
    std::vector<uint32_t> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(static_cast<uint32_t>(std::stoul(item)));
    return out;
}

std::vector<SampleView> views(const Dataset& d) {
    std::vector<SampleView> v(d.count);
    for (uint32_t i = 0; i < d.count; ++i)
        v[i] = SampleView{d.image(i), static_cast<uint32_t>(d.image_bytes()), d.labels[i]};
    return v;
}

int run(int argc, char** argv) {
    SparseNetConfig cfg = SparseNetConfig::fpga_mnist();
    std::string data_dir = "data/mnist";
    uint32_t epochs = 1, train_limit = 0, test_limit = 0;
    std::vector<uint32_t> etapos{4};
    TrainSchedule schedule = TrainSchedule::pipelined;
    double clock_mhz = 15.0;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--schedule-table") {
            if (i + 3 >= argc) throw std::invalid_argument("--schedule-table needs L SAMPLES CYCLES");
            const uint32_t layers = static_cast<uint32_t>(std::stoul(argv[i + 1]));
            const PipelineTiming t(layers, 1);
            std::fputs(t.markdown(std::stoull(argv[i + 2]), std::stoull(argv[i + 3])).c_str(), stdout);
            return 0;
        } else if (a == "--data") {
            data_dir = value();
        } else if (a == "--net") {
            const std::string n = value();
            if (n == "fpga")
                cfg = SparseNetConfig::fpga_mnist();
            else if (n == "smallnet")
                cfg = SparseNetConfig::smallnet();
            else
                throw std::invalid_argument("unknown --net " + n);
        } else if (a == "--neurons") {
            cfg.neurons = parse_list(value());
        } else if (a == "--fanout") {
            cfg.fanout = parse_list(value());
        } else if (a == "--z") {
            cfg.z = parse_list(value());
        } else if (a == "--bits") {
            const std::string v = value();
            const size_t dot = v.find('.');
            if (dot == std::string::npos) throw std::invalid_argument("--bits wants WIDTH.INT_BITS");
            cfg.format.width = std::stoi(v.substr(0, dot));
            cfg.format.int_bits = std::stoi(v.substr(dot + 1));
        } else if (a == "--act") {
            cfg.activation.clear();
            std::stringstream ss(value());
            std::string item;
            while (std::getline(ss, item, ',')) cfg.activation.push_back(parse_activation(item));
        } else if (a == "--proctime") {
            cfg.proctime = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--connectivity") {
            cfg.connectivity = parse_connectivity(value());
        } else if (a == "--type") {
            cfg.interleaver_type = std::stoi(value());
        } else if (a == "--dither") {
            cfg.dither = true;
        } else if (a == "--zero-starts") {
            cfg.zero_starts = true;
        } else if (a == "--seed") {
            cfg.seed = std::stoull(value());
        } else if (a == "--hazard") {
            cfg.delta_hazard = parse_delta_hazard(value());
        } else if (a == "--schedule") {
            const std::string s = value();
            if (s == "pipelined")
                schedule = TrainSchedule::pipelined;
            else if (s == "sequential")
                schedule = TrainSchedule::sequential;
            else
                throw std::invalid_argument("unknown --schedule " + s);
        } else if (a == "--epochs") {
            epochs = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--train-limit") {
            train_limit = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--test-limit") {
            test_limit = static_cast<uint32_t>(std::stoul(value()));
        } else if (a == "--etapos") {
            etapos = parse_list(value());
        } else if (a == "--clock-mhz") {
            clock_mhz = std::stod(value());
        } else if (a == "--quiet") {
            quiet = true;
        } else {
            throw std::invalid_argument("unknown option " + a);
        }
    }
    if (cfg.activation.size() != cfg.junctions() && cfg.activation.size() == 2 && cfg.junctions() != 2)
        cfg.activation.assign(cfg.junctions(), Activation::sigmoid);

    const Dataset train = load_mnist_idx(data_dir + "/train-images-idx3-ubyte",
                                         data_dir + "/train-labels-idx1-ubyte", train_limit);
    const Dataset test = load_mnist_idx(data_dir + "/t10k-images-idx3-ubyte",
                                        data_dir + "/t10k-labels-idx1-ubyte", test_limit);
    SparseNetwork net(cfg);
    net.init_glorot(cfg.seed);
    JunctionTrainer trainer(net, schedule);
    const std::vector<SampleView> train_v = views(train), test_v = views(test);

    uint64_t stale = 0, dropped = 0;
    for (uint32_t j = 1; j < net.junctions(); ++j) {
        stale += net.junction(j).delta.stale_reads;
        dropped += net.junction(j).delta.dropped;
    }
    if (!quiet) {
        std::printf("network      %s\n", cfg.summary().c_str());
        std::printf(
            "hazard       %s delta memory, %s schedule; BP stale reads %llu, dropped contributions %llu "
            "per sample\n",
            to_string(cfg.delta_hazard), to_string(schedule), static_cast<unsigned long long>(stale),
            static_cast<unsigned long long>(dropped));
        std::printf("weights      %llu (fully connected %llu, %.1fx fewer)\n",
                    static_cast<unsigned long long>(cfg.total_edges()),
                    static_cast<unsigned long long>(cfg.dense_edges()),
                    static_cast<double>(cfg.dense_edges()) / static_cast<double>(cfg.total_edges()));
        std::printf(
            "clocks       %u per junction cycle (%u weight clocks, %llu stall clocks, 2 + proctime %u)\n",
            net.cycle_clocks(), cfg.weight_clocks(), static_cast<unsigned long long>(net.stall_clocks()),
            cfg.proctime);
        const std::string limits = cfg.rtl_limits();
        if (!limits.empty())
            std::printf("note         not runnable by the authors' RTL: %s\n", limits.c_str());
        std::printf("data         %u training, %u test images (%s)\n", train.count, test.count,
                    data_dir.c_str());
    }
    double last_test = 0, total_seconds = 0;
    uint64_t total_images = 0;
    TrainStats last{};
    for (uint32_t e = 0; e < epochs; ++e) {
        const uint8_t code = static_cast<uint8_t>(etapos[std::min<size_t>(e, etapos.size() - 1)]);
        const std::vector<uint8_t> codes(train_v.size(), code);
        const auto t0 = std::chrono::steady_clock::now();
        last = trainer.train(train_v, codes);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        total_seconds += seconds;
        total_images += train_v.size();
        const uint64_t correct = trainer.count_correct(test_v);
        last_test = 100.0 * static_cast<double>(correct) / test_v.size();
        if (!quiet)
            std::printf(
                "epoch %2u     etapos %u  train (on the fly) %6.2f %%  test %6.2f %%  %.0f images/s  "
                "simulated %.2f ms at %.0f MHz (%llu junction cycles)\n",
                e + 1, code, 100.0 * static_cast<double>(last.correct) / last.samples, last_test,
                static_cast<double>(train_v.size()) / seconds,
                static_cast<double>(last.clocks) / (clock_mhz * 1e3), clock_mhz,
                static_cast<unsigned long long>(last.junction_cycles));
    }
    // One key=value line for scripts (bench/sparse-golden.sh).
    std::printf(
        "result test=%.2f train=%.2f epochs=%u images_per_s=%.0f cycle_clocks=%u epoch_ms=%.3f weights=%llu "
        "dense=%llu stalls=%llu dropped=%llu\n",
        last_test, 100.0 * static_cast<double>(last.correct) / static_cast<double>(last.samples), epochs,
        static_cast<double>(total_images) / total_seconds, net.cycle_clocks(),
        static_cast<double>(last.clocks) / (clock_mhz * 1e3),
        static_cast<unsigned long long>(cfg.total_edges()),
        static_cast<unsigned long long>(cfg.dense_edges()),
        static_cast<unsigned long long>(net.stall_clocks()), static_cast<unsigned long long>(dropped));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_sparse_golden: %s\n", e.what());
        return 2;
    }
}
