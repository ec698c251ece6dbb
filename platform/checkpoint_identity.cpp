#include "checkpoint_identity.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <sstream>

#include "common/state_io.h"
#include "kernels/network.h"

namespace trainvp {

namespace {

std::string exact(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%a", v);
    return b;
}

uint64_t text_hash(const std::string& s, uint64_t seed = 0xcbf29ce484222325ull) {
    return hash64(s.data(), s.size(), seed);
}

}  // namespace

std::string training_identity_text(const TrainingScenario& sc) {
    std::ostringstream os;
    const kern::TrainConfig& t = sc.training;
    const kern::Network net(sc.network, t.batch, t.momentum != 0.0);
    os << describe_network(net);
    for (const kern::Layer& L : net.layers()) {
        const kern::LayerSpec& s = L.spec;
        os << L.name << ": " << kern::layer_kind_name(s.kind) << " out_channels " << s.out_channels
           << " kernel " << s.kernel << " stride " << s.stride << " pad " << s.pad << " out " << s.out
           << " size " << s.size << " pool_stride " << s.pool_stride << " bias " << s.bias << " act "
           << L.act_format.to_string() << " err " << L.err_format.to_string() << " in_err "
           << L.in_err_format.to_string() << "\n";
    }
    os << "training: epochs " << t.epochs << " batch " << t.batch << " lr " << exact(t.lr) << " momentum "
       << exact(t.momentum) << " weight_decay " << exact(t.weight_decay) << " seed " << t.seed << " init "
       << static_cast<int>(t.init);
    if (t.lr_decay_every) os << " lr_decay every " << t.lr_decay_every << " factor " << exact(t.lr_decay_factor);
    os << "\n";
    os << "data: " << sc.data.kind << " train_limit " << sc.data.train_limit << " test_limit "
       << sc.data.test_limit << "\n";
    return os.str();
}

std::string platform_identity_text(const ConfigSchema& schema) {
    std::ostringstream dumped;
    schema.dump(dumped);
    YAML::Node root = YAML::Load(dumped.str());
    for (const char* key : {"name", "description", "firmware"}) root.remove(key);
    if (root["uart"]) root["uart"].remove("output");
    if (root["sim"]) root["sim"].remove("max_time");
    // A simulation-speed switch: the same times and results either way (train.dma_dmi).
    if (root["hardware"] && root["hardware"]["dma"]) root["hardware"]["dma"].remove("dmi");
    YAML::Emitter out;
    out << root;
    return out.c_str();
}

uint64_t run_config_hash(const ConfigSchema& schema, const TrainingScenario& scenario) {
    return text_hash(training_identity_text(scenario), text_hash(platform_identity_text(schema)));
}

uint64_t golden_config_hash(const TrainingScenario& scenario) {
    return text_hash(training_identity_text(scenario));
}

uint64_t firmware_hash(const ElfImage& image) {
    StateWriter w;
    w.u32(image.entry);
    for (const ElfSegment& s : image.segments) {
        w.u32(s.paddr);
        w.u32(s.mem_size);
        w.vec(s.data);
    }
    return hash64(w.data().data(), w.size());
}

uint64_t datasets_hash(const Dataset& train, const Dataset& test) {
    Hash64 h;
    for (const Dataset* d : {&train, &test}) {
        const uint32_t dims[4] = {d->count, d->channels, d->rows, d->cols};
        h.update(dims, sizeof dims);
        h.update(d->images.data(), d->images.size());
        h.update(d->labels.data(), d->labels.size());
    }
    return h.digest();
}

}  // namespace trainvp
