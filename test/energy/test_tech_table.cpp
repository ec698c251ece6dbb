// Technology tables: the built-in tables are the files in models/energy/tech, user files with the same schema
// load, bad files are refused with file, line and key, and --set overrides address every entry.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "energy/component_models.h"
#include "energy/technology.h"
#include "energy_test_util.h"

using namespace trainvp::energy;
using energy_test::line_of;
using energy_test::read_text;
using energy_test::replace_once;
using energy_test::tech_file;
using energy_test::write_temp;
using trainvp::UserError;

TEST_CASE("the built-in tables are the files in models/energy/tech", "[energy][table]") {
    const std::vector<std::string> names = builtin_table_names();
    REQUIRE(names == std::vector<std::string>{"45nm", "scaling-stillmaker2017"});
    for (const std::string& n : names) {
        INFO(n);
        CHECK(std::string(builtin_table_text(n)) == read_text(tech_file(n)));
    }
    CHECK(builtin_table_text("nope") == nullptr);
}

TEST_CASE("every entry of the built-in tables has a value, a known unit and a source", "[energy][table]") {
    for (const TechTable& t : {reference_table(), scaling_table()}) {
        INFO(t.name());
        REQUIRE(t.entries().size() > 20);
        for (const auto& [path, e] : t.entries()) {
            INFO(path);
            CHECK(e.path == path);
            CHECK(!e.unit.empty());
            CHECK(e.source.size() > 10);
            CHECK(e.origin.rfind("built-in ", 0) == 0);
        }
    }
    // A few entries read back exactly as printed in the file, with their units.
    const TechTable t = reference_table();
    CHECK(t.value("arithmetic.int_mult.energy.w32") == 3.1);
    CHECK(t.entry("arithmetic.int_mult.energy.w32").unit == "pJ");
    CHECK(t.entry("leakage.per_area").unit == "nW/um2");
    CHECK(t.entry("dram.ddr4.read").scaling == Scaling::none);
    CHECK(t.entry("register.area").scaling == Scaling::area);
    CHECK(t.entry("sram.anchors.cacti_4k.capacity").scaling == Scaling::none);
}

TEST_CASE("the reference table loads by name and from its file", "[energy][table]") {
    const TechTable by_name = load_technology("45nm");
    const TechTable by_path = load_technology(tech_file("45nm"));
    const TechTable relative = load_technology("45nm.yaml", TRAINVP_ENERGY_TECH_DIR);
    REQUIRE(by_name.entries().size() == by_path.entries().size());
    for (const auto& [path, e] : by_name.entries()) {
        INFO(path);
        CHECK(by_path.value(path) == e.value);
        CHECK(relative.value(path) == e.value);
    }
    CHECK(by_path.origin() == tech_file("45nm"));
    CHECK_THROWS_WITH(load_technology("/nonexistent/table.yaml"),
                      Catch::Contains("/nonexistent/table.yaml") && Catch::Contains("cannot read"));
    CHECK_THROWS_AS(load_technology(""), UserError);
}

namespace {

// Loads the reference file with one textual change and returns the error message ("" if it loaded).
std::string error_of(const std::string& tag, const std::string& from, const std::string& to,
                     std::string* file) {
    const std::string text = replace_once(read_text(tech_file("45nm")), from, to);
    *file = write_temp(tag, text);
    try {
        load_technology(*file);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("bad table files are refused with the file, line and key", "[energy][table]") {
    struct Case {
        const char* tag;
        std::string from, to;
        std::string key, why;
        std::string line_marker;  // where the named line starts in the changed text ("": the replacement)
    };
    const std::vector<Case> cases = {
        {"negative", "w8: {value: 0.03,", "w8: {value: -0.03,", "arithmetic.int_add.energy.w8", "negative",
         ""},
        {"not-a-number", "w16: {value: 0.05,", "w16: {value: 0.05x,", "arithmetic.int_add.energy.w16",
         "not a number", ""},
        {"no-unit", "w32: {value: 0.1, unit: pJ,", "w32: {value: 0.1,", "arithmetic.int_add.energy.w32",
         "missing 'unit'", ""},
        {"no-source", "{value: 12.6, unit: nW/um2, source:", "{value: 12.6, unit: nW/um2, note:",
         "leakage.per_area", "unknown key 'note'", ""},
        {"empty-source", "registers_per_hop: {value: 1, unit: count, source: \"assumption",
         "registers_per_hop: {value: 1, unit: count, source: \"\"}\n  x: {value: 1, unit: count, source: \"a",
         "interconnect.registers_per_hop", "empty source", ""},
        {"unknown-unit", "area: {value: 5.98, unit: um2/bit,", "area: {value: 5.98, unit: mm2/bit,",
         "register.area", "unknown unit 'mm2/bit'", ""},
        {"wrong-unit", "area: {value: 5.98, unit: um2/bit,", "area: {value: 5.98, unit: um2,",
         "register.area", "should be 'um2/bit'", ""},
        {"unknown-entry", "\nregister:\n", "\nregister:\n  width: {value: 1, unit: count, source: \"x\"}\n",
         "register.width", "unknown entry", "  width: {value: 1"},
        {"missing-entry", "  divide_adds_per_bit:", "  # divide_adds_per_bit:", "cpu.divide_adds_per_bit",
         "missing entry", "cpu:\n  instruction_overhead"},
        {"bad-scaling", "unit: pJ/bit, scaling: none,", "unit: pJ/bit, scaling: area,", "dram.ddr4.read",
         "scaling may only be 'none'", ""},
        {"schema", "schema: trainvp-energy-technology/1", "schema: trainvp-energy-technology/0", "schema",
         "is not 'trainvp-energy-technology/1'", ""},
        {"syntax", "w8: {value: 0.2,", "w8: {value: 0.2]", "", "YAML syntax error", ""},
        {"one-fp-anchor", "      fp16: {value: 0.4,", "      # fp16: {value: 0.4,",
         "arithmetic.fp_add.energy", "at least 2 anchors", "    energy:\n      # fp16"},
        {"bad-anchor-name", "      w16: {value: 67,", "      x16: {value: 67,", "arithmetic.int_add.area.x16",
         "anchor names are w<bits>", ""},
    };
    for (const Case& c : cases) {
        INFO(c.tag);
        std::string file;
        const std::string message = error_of(c.tag, c.from, c.to, &file);
        REQUIRE(!message.empty());
        const int line = line_of(read_text(file), c.line_marker.empty() ? c.to : c.line_marker);
        REQUIRE(line > 0);
        CHECK_THAT(message, Catch::Contains(file + ":" + std::to_string(line) + ":"));
        if (!c.key.empty()) CHECK_THAT(message, Catch::Contains(c.key));
        CHECK_THAT(message, Catch::Contains(c.why));
        std::remove(file.c_str());
    }
}

TEST_CASE("a user table may add anchors, and they take part in the interpolation", "[energy][table]") {
    const std::string text = replace_once(read_text(tech_file("45nm")), "      w32: {value: 0.1, unit: pJ,",
                                          "      w24: {value: 0.09, unit: pJ, source: \"test anchor\"}\n"
                                          "      w32: {value: 0.1, unit: pJ,");
    const std::string file = write_temp("extra-anchor", text);
    const TechTable user = load_technology(file);
    const TechTable ref = reference_table();
    CHECK(Primitives(user).int_add_energy(24) == 0.09);
    CHECK(Primitives(ref).int_add_energy(24) == Approx(0.075));
    CHECK(Primitives(user).int_add_energy(20) == Approx(0.05 + (0.09 - 0.05) * 4 / 8));
    std::remove(file.c_str());
}

TEST_CASE("overrides address any entry by its dotted path", "[energy][table][overrides]") {
    TechTable t = reference_table();
    apply_overrides(t, {{"energy.arithmetic.int_mult.energy.w8", "0.25"}, {"register.energy", "1e-2"}});
    CHECK(t.value("arithmetic.int_mult.energy.w8") == 0.25);
    CHECK(t.value("register.energy") == 0.01);
    CHECK(t.entry("register.energy").origin == "--set energy.register.energy");
    CHECK(t.value("arithmetic.int_mult.energy.w32") == 3.1);  // the others untouched
    CHECK_THROWS_WITH(
        apply_overrides(t, {{"energy.arithmetic.int_mult.energy.w9", "1"}}),
        Catch::Contains("energy.arithmetic.int_mult.energy.w9") && Catch::Contains("no such entry"));
    CHECK_THROWS_WITH(apply_overrides(t, {{"register.energy", "cheap"}}),
                      Catch::Contains("energy.register.energy") && Catch::Contains("not a number"));
    CHECK_THROWS_WITH(apply_overrides(t, {{"register.energy", "-1"}}), Catch::Contains(">= 0"));
    CHECK_THROWS_AS(apply_overrides(t, {{"register", "1"}}), UserError);  // a group, not an entry
}
