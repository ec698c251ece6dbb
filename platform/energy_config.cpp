#include "energy_config.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "common/error.h"
#include "config_schema.h"
#include "energy/technology.h"

namespace trainvp {

namespace fs = std::filesystem;

namespace {

// The shortest text that reads back as the same double.
std::string number_text(double v) {
    char buf[40];
    for (int digits = 6; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    return buf;
}

std::string base_dir_of(const ConfigSchema& schema) {
    return schema.file().empty() ? std::string() : fs::path(schema.file()).parent_path().string();
}

}  // namespace

const energy::TechTable& EnergySettings::table(const std::string& base_dir) const {
    std::string key = technology + "\n" + base_dir;
    for (const auto& [path, v] : overrides) key += "\n" + path + "=" + number_text(v);
    if (!cache_ || key != cache_key_) {
        auto t = std::make_shared<energy::TechTable>(energy::load_technology(technology, base_dir));
        for (const auto& [path, v] : overrides) t->set(path, v, "energy." + path);
        cache_ = std::move(t);
        cache_key_ = std::move(key);
    }
    return *cache_;
}

void register_energy_keys(ConfigSchema& s, EnergySettings& e) {
    s.add("energy.technology", &e.technology,
          "technology table: 45nm, <N>nm or <N>nm-lp (scaled from 45 nm), or a table file");
    s.add("energy.dram_kind", &e.dram_kind, "DRAM priced: an entry under dram.* of the table (ddr4, lpddr4)");
    s.add("energy.pe_operand_format", &e.pe_operand_format,
          "widest operand format the PE multipliers are built for (area), e.g. fx16, bf16, fp32");
    s.add("energy.pe_accumulator_format", &e.pe_accumulator_format,
          "PE accumulator format (area), e.g. fx48, fp32");
    s.add("energy.vector_format", &e.vector_format, "vector unit datapath format (area)");
    // One key per entry of the built-in table; the dump shows the value in use (scaled, overridden), so a
    // dumped scenario reads back to the same table.
    const energy::TechTable reference = energy::reference_table();
    for (const auto& [path, entry] : reference.entries()) {
        if (path == "node" || path == "vdd") continue;  // set by the technology, not by hand
        const std::string p = path;
        s.add(
            "energy." + p, "technology table entry (" + entry.unit + "); default: the technology's",
            [&e, p](const std::string& text) {
                char* end = nullptr;
                const double v = std::strtod(text.c_str(), &end);
                if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
                    throw std::invalid_argument("not a number");
                e.overrides[p] = v;
            },
            [&e, &s, p]() -> std::string {
                auto it = e.overrides.find(p);
                if (it != e.overrides.end()) return number_text(it->second);
                try {
                    const energy::TechTable& t = e.table(base_dir_of(s));
                    return t.has(p) ? number_text(t.value(p)) : number_text(0);
                } catch (const std::exception&) {
                    return number_text(energy::reference_table().value(p));
                }
            });
    }
}

energy::EnergyConfig energy_config(const EnergySettings& e, const AcceleratorConfig& a) {
    energy::EnergyConfig c;
    c.rows = a.rows;
    c.cols = a.cols;
    c.pe_operand_format = e.pe_operand_format;
    c.pe_accumulator_format = e.pe_accumulator_format;
    c.vector_format = e.vector_format;
    auto geometry = [](const SramConfig& s) {
        return energy::BufferGeometry{s.capacity_bytes, s.banks, s.word_bytes, s.ports};
    };
    c.weight_buffer = geometry(a.weight_buffer);
    c.activation_buffer = geometry(a.activation_buffer);
    c.gradient_buffer = geometry(a.gradient_buffer);
    c.dram_kind = e.dram_kind;
    c.clock_hz = a.clock_hz;
    if (a.pe.kind == kern::MacArith::bricks) {  // a NeuroFlix-style brick PE (docs/energy.md "Actions")
        c.brick.enabled = true;
        c.brick.brick_bits = a.pe.brick_bits;
        c.brick.bricks = a.pe.bricks;
        c.brick.acc_bits = a.pe.brick_acc_bits;
        c.brick.shift_range = a.pe.shift_range();
    }
    return c;
}

void check_energy_config(const EnergySettings& e, const AcceleratorConfig& accel,
                         const ConfigSchema& schema) {
    auto fail = [&](const std::string& key, std::string why) {
        if (why.compare(0, key.size() + 2, key + ": ") == 0) why = why.substr(key.size() + 2);  // named once
        throw UserError(schema.location(key) + ": key '" + key + "': " + why);
    };
    const std::string base = base_dir_of(schema);
    try {
        energy::load_technology(e.technology, base);
    } catch (const UserError& err) {
        fail("energy.technology", err.what());
    }
    for (const auto& [path, v] : e.overrides) {
        try {
            energy::TechTable t = energy::load_technology(e.technology, base);
            energy::apply_overrides(t, {{path, number_text(v)}});
        } catch (const UserError& err) {
            fail("energy." + path, err.what());
        }
    }
    const struct {
        const char* key;
        const std::string& value;
    } formats[] = {{"energy.pe_operand_format", e.pe_operand_format},
                   {"energy.pe_accumulator_format", e.pe_accumulator_format},
                   {"energy.vector_format", e.vector_format}};
    for (const auto& f : formats) {
        try {
            energy::parse_operand(f.value);
        } catch (const UserError& err) {
            fail(f.key, err.what());
        }
    }
    try {
        energy::EnergyModel model(e.table(base), energy_config(e, accel));
    } catch (const UserError& err) {
        fail("energy.dram_kind", err.what());
    }
}

}  // namespace trainvp
