// Stand-alone front end of golden_command for the kernel tests and scripts (the product command is
// `trainvp golden`): golden_driver SCENARIO.yaml [--set key=value]... [--out FILE] [--weights FILE]
// [--no-progress].
#include <cstdio>
#include <string>

#include "common/error.h"
#include "config_schema.h"
#include "golden.h"

int main(int argc, char* argv[]) {
    try {
        std::string scenario;
        std::vector<std::string> sets;
        trainvp::GoldenOptions opts;
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw trainvp::UserError(a + ": missing value");
                return argv[++i];
            };
            if (a == "--set")
                sets.push_back(value());
            else if (a == "--out")
                opts.json_out = value();
            else if (a == "--weights")
                opts.weights_out = value();
            else if (a == "--no-progress")
                opts.progress = false;
            else if (scenario.empty() && a[0] != '-')
                scenario = a;
            else
                throw trainvp::UserError("unexpected argument '" + a + "'");
        }
        if (scenario.empty())
            throw trainvp::UserError("usage: golden_driver SCENARIO.yaml [--set k=v]... [--out FILE]");
        YAML::Node root = trainvp::load_yaml_file(scenario);
        for (const auto& s : sets) trainvp::apply_override(root, s);
        return trainvp::golden_command(scenario, root, opts);
    } catch (const trainvp::UserError& e) {
        std::fprintf(stderr, "golden_driver: error: %s\n", e.what());
        return 2;
    }
}
