#include "accel/sparse_engine.h"

#include <algorithm>
#include <stdexcept>

#include "accel/accel_protocol.h"
#include "sparse/junction_trainer.h"
#include "sparse/pipeline_schedule.h"

namespace trainvp {

using accel::SparseCommand;

namespace accel {

bool sparse_config_from_record(const accel_sparse_config& rec, sparse::SparseNetConfig& out,
                               std::string& why) {
    if (rec.layers < 2 || rec.layers > ACCEL_SPARSE_MAX_LAYERS) {
        why =
            "layers " + std::to_string(rec.layers) + " outside 2.." + std::to_string(ACCEL_SPARSE_MAX_LAYERS);
        return false;
    }
    const uint32_t jn = rec.layers - 1;
    for (uint32_t l = rec.layers; l < ACCEL_SPARSE_MAX_LAYERS; ++l)
        if (rec.neurons[l])
            return why = "neurons[" + std::to_string(l) + "] beyond the layers is not 0", false;
    for (uint32_t j = jn; j + 1 < ACCEL_SPARSE_MAX_LAYERS; ++j)
        if (rec.fanout[j] || rec.z[j] || rec.activation[j])
            return why = "junction " + std::to_string(j) + " beyond the layers is not 0", false;
    if (rec.reserved) return why = "reserved word is not 0", false;
    if (rec.connectivity > 1 || rec.delta_hazard > 1 || rec.dither > 1 || rec.zero_starts > 1)
        return why = "a connectivity, delta-hazard, dither or zero-starts code is not 0 or 1", false;
    sparse::SparseNetConfig c;
    c.neurons.assign(rec.neurons, rec.neurons + rec.layers);
    c.fanout.assign(rec.fanout, rec.fanout + jn);
    c.z.assign(rec.z, rec.z + jn);
    c.activation.clear();
    for (uint32_t j = 0; j < jn; ++j) {
        if (rec.activation[j] > 1)
            return why = "activation code of junction " + std::to_string(j) + " is not 0 or 1", false;
        c.activation.push_back(rec.activation[j] == ACCEL_SPARSE_ACT_RELU ? sparse::Activation::relu
                                                                          : sparse::Activation::sigmoid);
    }
    c.format = sparse::FixedFormat{rec.total_bits, rec.int_bits};
    c.input_bits = rec.input_bits;
    c.proctime = rec.proctime;
    c.connectivity = rec.connectivity == ACCEL_SPARSE_CONN_RANDOM ? sparse::Connectivity::random
                                                                  : sparse::Connectivity::clash_free;
    c.interleaver_type = rec.interleaver_type;
    c.dither = rec.dither != 0;
    c.zero_starts = rec.zero_starts != 0;
    c.delta_hazard = rec.delta_hazard == ACCEL_SPARSE_DELTA_RTL ? sparse::DeltaHazard::rtl
                                                                : sparse::DeltaHazard::forwarded;
    c.seed = rec.seed;
    out = c;
    return true;
}

accel_sparse_config sparse_config_record(const sparse::SparseNetConfig& c) {
    accel_sparse_config r{};
    r.layers = c.layers();
    for (uint32_t l = 0; l < c.layers() && l < ACCEL_SPARSE_MAX_LAYERS; ++l) r.neurons[l] = c.neurons[l];
    for (uint32_t j = 0; j < c.junctions() && j + 1 < ACCEL_SPARSE_MAX_LAYERS; ++j) {
        r.fanout[j] = j < c.fanout.size() ? c.fanout[j] : 0;
        r.z[j] = j < c.z.size() ? c.z[j] : 0;
        r.activation[j] = j < c.activation.size() && c.activation[j] == sparse::Activation::relu
                              ? ACCEL_SPARSE_ACT_RELU
                              : ACCEL_SPARSE_ACT_SIGMOID;
    }
    r.total_bits = static_cast<uint8_t>(c.format.width);
    r.int_bits = static_cast<uint8_t>(c.format.int_bits);
    r.input_bits = static_cast<uint8_t>(c.input_bits);
    r.proctime = static_cast<uint8_t>(c.proctime);
    r.connectivity = c.connectivity == sparse::Connectivity::random ? ACCEL_SPARSE_CONN_RANDOM
                                                                    : ACCEL_SPARSE_CONN_CLASH_FREE;
    r.interleaver_type = static_cast<uint8_t>(c.interleaver_type);
    r.dither = c.dither;
    r.zero_starts = c.zero_starts;
    r.delta_hazard =
        c.delta_hazard == sparse::DeltaHazard::rtl ? ACCEL_SPARSE_DELTA_RTL : ACCEL_SPARSE_DELTA_FORWARDED;
    r.seed = c.seed;
    return r;
}

}  // namespace accel

namespace {

// The engine's memories are host arrays: a network above this many edges is refused as a configuration
// error rather than an allocation that could exhaust the host (the fully connected 1024-64-32 network of the
// paper has 67,584).
constexpr uint64_t kMaxEdges = uint64_t{1} << 24;

}  // namespace

SparseEngine::SparseEngine(sc_core::sc_module_name name, double clock_hz)
    : sc_module(name),
      cmd_in("cmd_in"),
      period_(sc_core::sc_time(1.0 / clock_hz, sc_core::SC_SEC)),
      log_(this->name()) {
    cmd_in.register_b_transport(this, &SparseEngine::command);
}

SparseEngine::~SparseEngine() = default;

const sparse::SparseNetConfig& SparseEngine::config() const {
    if (!net_) throw std::logic_error("SparseEngine::config(): not configured");
    return net_->config();
}

std::vector<int32_t> SparseEngine::parameters() const {
    std::vector<int32_t> all, w, b;
    for (const auto& j : junctions_) {
        j->read_parameters(w, b);
        all.insert(all.end(), w.begin(), w.end());
        all.insert(all.end(), b.begin(), b.end());
    }
    return all;
}

uint64_t SparseEngine::parameter_digest() const {
    if (!net_) return 0;
    for (uint32_t j = 0; j < junctions_.size(); ++j)
        junctions_[j]->read_parameters(net_->junction(j).weights, net_->junction(j).biases);
    return net_->parameter_digest();
}

SparseEngineCounters SparseEngine::counters() const {
    SparseEngineCounters c = counters_;
    for (const auto& j : junctions_) {
        const JunctionCounters& jc = j->counters();
        c.bank_conflicts += jc.bank_conflicts;
        c.lost_sums += jc.lost_sums;
        c.macs += jc.macs;
        c.weight_reads += jc.weight_reads;
        c.weight_writes += jc.weight_writes;
        c.act_reads += jc.act_reads;
    }
    return c;
}

std::vector<JunctionCounters> SparseEngine::junction_counters() const {
    std::vector<JunctionCounters> v;
    for (const auto& j : junctions_) v.push_back(j->counters());
    return v;
}

void SparseEngine::command(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    SparseCommand* cmd = accel::command_of<SparseCommand>(trans);
    if (!cmd) return log_.warning("transaction without a SparseCommand refused");
    cmd->error = ACCEL_ERR_NONE;
    cmd->result = accel_sparse_result{};
    bool ok = true;
    if (cmd->kind == SparseCommand::Kind::configure) {
        ok = configure(*cmd);
    } else if (!net_) {
        cmd->error = ACCEL_ERR_SPARSE_CONFIG;
        cmd->why = "the sparse engine is not configured (no SPARSE_CONFIG yet)";
        ok = false;
    } else if ((ok = check_samples(*cmd))) {
        const SparseEngineCounters before = counters();
        if (cmd->kind == SparseCommand::Kind::train)
            train(*cmd);
        else
            infer(*cmd);
        collect(*cmd, before);
        delay += period_ * static_cast<double>(cmd->result.clocks);
    }
    trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

bool SparseEngine::configure(SparseCommand& cmd) {
    try {
        cmd.config.validate();
        if (cmd.config.total_edges() > kMaxEdges)
            throw std::invalid_argument("neurons/fanout: " + std::to_string(cmd.config.total_edges()) +
                                        " edges, more than the engine's " + std::to_string(kMaxEdges));
        auto net = std::make_unique<sparse::SparseNetwork>(cmd.config);
        net->init_glorot(cmd.config.seed);
        net_ = std::move(net);
    } catch (const std::invalid_argument& e) {
        cmd.error = ACCEL_ERR_SPARSE_CONFIG;
        cmd.why = e.what();
        return false;
    }
    const sparse::SparseNetConfig& c = net_->config();
    junctions_.clear();
    uint32_t slowest = 0;
    for (uint32_t j = 0; j < c.junctions(); ++j) {
        junctions_.push_back(std::make_unique<SparseJunction>(c, net_->junction(j), j));
        slowest = std::max(slowest, junctions_.back()->stream_clocks());
    }
    cycle_clocks_ = slowest + 2 + c.proctime;  // DNN_top.sv cpc, stalls included
    // layer_block.sv: the input layer keeps 2L - 1 collections, layer h 2(L - h) - 1 (the output layer 1).
    const uint32_t L = c.layers();
    layers_.assign(L, LayerMemory{});
    for (uint32_t l = 0; l < L; ++l) {
        LayerMemory& m = layers_[l];
        m.size = c.neurons[l];
        m.collections = 2 * (L - l) - 1;
        m.act.assign(uint64_t{m.collections} * m.size, 0);
        if (l > 0) {
            m.adot.assign(uint64_t{m.collections} * m.size, 0);
            m.delta[0].assign(m.size, 0);
            m.delta[1].assign(m.size, 0);
        }
    }
    log_.info("configured ", c.summary(), ": ", cycle_clocks_, " clocks per junction cycle");
    return true;
}

bool SparseEngine::check_samples(SparseCommand& cmd) const {
    const sparse::SparseNetConfig& c = net_->config();
    auto fail = [&](uint32_t code, uint64_t index, const std::string& why) {
        cmd.error = code;
        cmd.error_index = index;
        cmd.why = why;
        return false;
    };
    if (cmd.sample_bytes == 0 || cmd.sample_bytes > c.neurons[0])
        return fail(ACCEL_ERR_SHAPE, 0,
                    "fc_in " + std::to_string(cmd.sample_bytes) + " is not in 1.." +
                        std::to_string(c.neurons[0]) + " (the input layer)");
    if (cmd.kind == SparseCommand::Kind::train && cmd.etapos > c.format.frac_bits() + 1)
        return fail(ACCEL_ERR_BAD_ARGUMENT, 0,
                    "etapos " + std::to_string(cmd.etapos) +
                        " is above frac_bits + 1 = " + std::to_string(c.format.frac_bits() + 1));
    if (cmd.labels)
        for (uint32_t i = 0; i < cmd.count; ++i)
            if (cmd.labels[i] >= c.neurons.back())
                return fail(ACCEL_ERR_BAD_LABEL, i,
                            "label " + std::to_string(cmd.labels[i]) + " of sample " + std::to_string(i) +
                                " needs more than the " + std::to_string(c.neurons.back()) + " outputs");
    if (c.input_bits < 8)
        for (uint64_t i = 0; i < uint64_t{cmd.count} * cmd.sample_bytes; ++i)
            if (cmd.inputs[i] >> c.input_bits)
                return fail(ACCEL_ERR_BAD_ARGUMENT, i / cmd.sample_bytes,
                            "an input value of sample " + std::to_string(i / cmd.sample_bytes) +
                                " does not fit input_bits = " + std::to_string(c.input_bits));
    return true;
}

void SparseEngine::load_input(const uint8_t* x, uint32_t bytes, int32_t* act0) const {
    // layer_block.sv input_layer_block; inputs beyond the sample are 0 (MNIST's 784 pixels padded to 1024).
    const sparse::FixedArith fx(net_->config().format);
    for (uint32_t i = 0; i < layers_[0].size; ++i)
        act0[i] = i < bytes ? fx.input_activation(x[i], net_->config().input_bits) : 0;
}

void SparseEngine::train(SparseCommand& cmd) {
    const sparse::SparseNetConfig& c = net_->config();
    const sparse::FixedArith fx(c.format);
    const uint32_t L = c.layers(), J = c.junctions();
    const uint32_t group = std::max(1u, c.z[J - 1] / c.fanin(J - 1));  // outputs per clock (DNN.sv max logic)
    const sparse::PipelineTiming timing(L, 1);
    const uint64_t n = cmd.count, cycles = timing.total_cycles(n);
    for (uint64_t T = 0; T < cycles; ++T) {
        // The collection pointers rotate once per junction cycle: rFF = T, wFF = T + 1, rUP = T + 2 (modulo
        // each layer's collection count; memory_ctr.sv counters).
        if (T < n) load_input(cmd.inputs + T * cmd.sample_bytes, cmd.sample_bytes, layers_[0].act_at(T + 1));
        for (uint32_t j = 0; j < J; ++j) {
            LayerMemory& left = layers_[j];
            LayerMemory& right = layers_[j + 1];
            JunctionCycleIo io;
            if (timing.ff_sample(T, j, n) >= 0) {
                io.ff_left = left.act_at(T);
                io.ff_act = right.act_at(T + 1);
                io.ff_adot = right.adot_at(T + 1);
            }
            if (timing.up_sample(T, j, n) >= 0) {
                io.up_left = left.act_at(T + 2);
                io.delta_right = right.delta[(T + 1) % 2].data();
                io.etapos = cmd.etapos;
                if (j > 0) {
                    io.bp_adot = left.adot_at(T + 2);
                    io.delta_left = left.delta[T % 2].data();
                }
            }
            junctions_[j]->run_cycle(io);
        }
        // The output error a - y of the sample whose last FF streamed out in this cycle (costterm_set).
        const int64_t s = timing.ff_sample(T, J - 1, n);
        if (s >= 0) {
            LayerMemory& out = layers_[L - 1];
            const int32_t* a = out.act_at(T + 1);
            const uint32_t label = cmd.labels[s];
            for (uint32_t r = 0; r < out.size; ++r) out.delta[T % 2][r] = fx.cost_term(a[r], r == label);
            counters_.cost_terms += out.size;
            cmd.result.correct += sparse::rtl_argmax(a, out.size, group) == label;
        }
    }
    cmd.result.junction_cycles = cycles;
    counters_.samples_trained += n;
    if (cmd.parameters) *cmd.parameters = parameters();
}

void SparseEngine::infer(SparseCommand& cmd) {
    const sparse::SparseNetConfig& c = net_->config();
    const uint32_t J = c.junctions();
    const uint32_t group = std::max(1u, c.z[J - 1] / c.fanin(J - 1));
    std::vector<int32_t> left(c.neurons[0]), right;
    if (cmd.predictions) cmd.predictions->assign(cmd.count, 0);
    for (uint32_t i = 0; i < cmd.count; ++i) {
        left.resize(c.neurons[0]);
        load_input(cmd.inputs + uint64_t{i} * cmd.sample_bytes, cmd.sample_bytes, left.data());
        for (uint32_t j = 0; j < J; ++j) {
            right.assign(c.neurons[j + 1], 0);
            junctions_[j]->forward(left.data(), right.data());
            left.swap(right);
        }
        const uint32_t p = sparse::rtl_argmax(left.data(), static_cast<uint32_t>(left.size()), group);
        if (cmd.predictions) (*cmd.predictions)[i] = p;
        if (cmd.labels) cmd.result.correct += p == cmd.labels[i];
    }
    // FF alone: a sample enters every junction cycle and leaves L - 1 cycles later.
    cmd.result.junction_cycles = cmd.count == 0 ? 0 : uint64_t{cmd.count} + c.layers() - 1;
    counters_.samples_inferred += cmd.count;
}

void SparseEngine::collect(SparseCommand& cmd, const SparseEngineCounters& before) {
    const SparseEngineCounters after = counters();
    accel_sparse_result& r = cmd.result;
    r.samples = cmd.count;
    r.clocks = r.junction_cycles * cycle_clocks_;
    r.stall_clocks = r.junction_cycles * (cycle_clocks_ - net_->config().cycle_clocks());
    r.bank_conflicts = after.bank_conflicts - before.bank_conflicts;
    r.lost_sums = after.lost_sums - before.lost_sums;
    counters_.junction_cycles += r.junction_cycles;
    counters_.clocks += r.clocks;
    counters_.stall_clocks += r.stall_clocks;
}

}  // namespace trainvp
