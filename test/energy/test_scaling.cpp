// Node scaling (Stillmaker & Baas 2017): the data reproduce the paper's published example, the factors are
// monotonic in the node, intermediate nodes interpolate, off-chip entries stay fixed.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "energy/component_models.h"
#include "energy/energy_model.h"
#include "energy/technology.h"

using namespace trainvp::energy;
using trainvp::UserError;

TEST_CASE("the energy fits reproduce the worked example of the authors' erratum", "[energy][scaling]") {
    // Erratum to Stillmaker & Baas 2017, section 4.2.1: EnergyFactor(HP 32 nm, 0.9 V) = 0.4571 and
    // EnergyFactor(65 nm, 1.3 V) = 2.604, so 1 pJ/op at 65 nm and 1.3 V is 0.1755 pJ/op at 32 nm and 0.9 V.
    const TechTable s = scaling_table();
    auto factor = [&](const std::string& key, double v) {
        return s.value("energy." + key + ".a") * v * v + s.value("energy." + key + ".b") * v +
               s.value("energy." + key + ".c");
    };
    CHECK(factor("hp32", 0.9) == Approx(0.4571).margin(1e-4));
    CHECK(factor("n65", 1.3) == Approx(2.604).margin(1e-3));
    CHECK(node_factors(s, 65, 1.3, 32, 0.9, "hp").energy == Approx(0.1755).margin(1e-4));
}

TEST_CASE("45nm is the reference table itself", "[energy][scaling]") {
    const NodeFactors f = node_factors(scaling_table(), 45, 0.9, 45, 0.9, "hp");
    CHECK(f.energy == 1.0);
    CHECK(f.area == 1.0);
    const TechTable t = load_technology("45nm");
    CHECK(t.name() == "45nm");
    CHECK(t.value("arithmetic.int_add.energy.w8") == 0.03);
}

TEST_CASE("scaling by node is monotonic in energy and area", "[energy][scaling]") {
    const std::vector<std::string> nodes = {"65nm", "45nm", "32nm", "28nm", "22nm",
                                            "20nm", "16nm", "14nm", "10nm", "7nm"};
    EnergyConfig cfg;
    for (const char* flavour : {"", "-lp"}) {
        double prev_mac = 1e30, prev_sram = 1e30, prev_area = 1e30, prev_leak = 1e30, prev_cpu = 1e30;
        for (const std::string& n : nodes) {
            INFO(n << flavour);
            const TechTable t = load_technology(n + flavour);
            const EnergyModel m(t, cfg);
            const double mac = m.price_pj({"pe_array", "mac", "fx16.8xfx16.8"});
            const double sram = m.price_pj({"weight_buffer", "sram_read", ""});
            const double cpu = m.price_pj({"cpu", "cpu_insn", "alu"});
            const EnergyResult a = m.area();
            CHECK(mac < prev_mac);
            CHECK(sram < prev_sram);
            CHECK(cpu < prev_cpu);
            CHECK(a.area_um2() < prev_area);
            // Leakage power of the whole accelerator also falls (area falls faster than leakage density
            // rises).
            CHECK(a.leakage_w() < prev_leak);
            prev_mac = mac, prev_sram = sram, prev_area = a.area_um2(), prev_leak = a.leakage_w(),
            prev_cpu = cpu;
        }
    }
}

TEST_CASE("a node between two fits interpolates linearly in nm", "[energy][scaling]") {
    // Area factor 45 -> 28 nm: between 32 nm (0.46) and 20 nm (0.21), a third of the way from 32 to 20.
    const NodeFactors f = node_factors(scaling_table(), 45, 0.9, 28, 0.9, "hp");
    CHECK(f.area == Approx(0.46 + (0.21 - 0.46) * (28.0 - 32.0) / (20.0 - 32.0)));
    auto hp = [](double a, double b, double c) { return a * 0.81 + b * 0.9 + c; };
    const double e32 = hp(0.8367, -0.4341, 0.1701), e20 = hp(0.373, -0.1582, 0.04104);
    const double e45 = hp(1.018, -0.3107, 0.1539);
    CHECK(f.energy == Approx((e32 + (e20 - e32) / 3.0) / e45));

    // The scaled table: energies times the energy factor, areas times the area factor, leakage densities
    // times energy/area, DRAM (scaling: none) and dimensionless entries unchanged.
    const TechTable ref = reference_table();
    const TechTable t = load_technology("28nm");
    CHECK(t.name() == "28nm");
    CHECK(t.value("node") == 28);
    CHECK(t.value("vdd") == 0.9);
    CHECK(t.value("arithmetic.int_mult.energy.w32") == Approx(3.1 * f.energy));
    CHECK(t.value("arithmetic.int_mult.area.w32") == Approx(3495 * f.area));
    CHECK(t.value("register.area") == Approx(5.98 * f.area));
    CHECK(t.value("leakage.per_area") == Approx(12.6 * f.energy / f.area));
    CHECK(t.value("dram.ddr4.read") == ref.value("dram.ddr4.read"));
    CHECK(t.value("sram.anchors.cacti_4k.capacity") == 4096);
    CHECK(t.value("cpu.data_memory") == 8192);
    CHECK(t.entry("arithmetic.int_mult.energy.w32").origin.find("Stillmaker") == std::string::npos);
    CHECK(t.entry("node").origin.find("scaled from 45nm") != std::string::npos);
}

TEST_CASE("the supply voltage of a scaled node changes energy, not area", "[energy][scaling]") {
    const TechTable low = load_technology("7nm", "", 0.7);
    const TechTable iso = load_technology("7nm");
    CHECK(low.value("vdd") == 0.7);
    CHECK(low.value("arithmetic.int_add.energy.w32") < iso.value("arithmetic.int_add.energy.w32"));
    CHECK(low.value("arithmetic.int_add.area.w32") == iso.value("arithmetic.int_add.area.w32"));
    CHECK_THROWS_WITH(load_technology(std::string(TRAINVP_ENERGY_TECH_DIR) + "/45nm.yaml", "", 0.8),
                      Catch::Contains("only applies to a built-in node"));
}

TEST_CASE("nodes outside the scaling data and unknown flavours are refused", "[energy][scaling]") {
    CHECK_THROWS_WITH(load_technology("5nm"), Catch::Contains("5nm") && Catch::Contains("outside"));
    CHECK_THROWS_WITH(load_technology("90nm"), Catch::Contains("90nm") && Catch::Contains("outside"));
    CHECK_THROWS_AS(node_factors(scaling_table(), 45, 0.9, 16, 0.9, "ulp"), UserError);
    CHECK(scaling_nodes(scaling_table()) == std::vector<double>{65, 45, 32, 20, 16, 14, 10, 7});
}

TEST_CASE("the node table of docs/energy.md is what the model computes", "[energy][scaling][doc]") {
    std::ifstream doc(TRAINVP_ENERGY_DOC);
    REQUIRE(doc);
    std::string line;
    int rows = 0;
    const TechTable s = scaling_table();
    while (std::getline(doc, line)) {
        // Rows like "| 28 nm | 0.532 | 0.377 |".
        double nm = 0, energy = 0, area = 0;
        if (std::sscanf(line.c_str(), "| %lf nm | %lf | %lf |", &nm, &energy, &area) != 3) continue;
        INFO(line);
        const NodeFactors f = node_factors(s, 45, 0.9, nm, 0.9, "hp");
        CHECK(f.energy == Approx(energy).margin(0.0051));
        CHECK(f.area == Approx(area).margin(0.0051));
        ++rows;
    }
    CHECK(rows == 7);
}
