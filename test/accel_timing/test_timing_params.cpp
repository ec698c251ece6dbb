// The timing parameter table: every constant has a unit and a source, the struct's defaults are the table's,
// and configuration overrides go through names that are checked.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>

#include "accel/array_timing.h"
#include "accel/timing_params.h"
#include "common/error.h"

using namespace trainvp;
using namespace trainvp::timing;

TEST_CASE("timing parameter table: every entry has a unique name, a unit and a source") {
    const auto& table = timing_param_table();
    REQUIRE(table.size() >= 7);
    std::set<std::string> names;
    for (const auto& row : table) {
        INFO(row.name);
        CHECK(names.insert(row.name).second);
        CHECK(std::string(row.unit).size() > 0);
        // A source is a citation or says it is an assumption and why.
        CHECK(std::string(row.source).size() > 20);
    }
}

TEST_CASE("timing parameter table: TimingParams defaults equal the table and set/get round-trip") {
    TimingParams p;
    for (const auto& row : timing_param_table()) {
        INFO(row.name);
        CHECK(p.get(row.name) == row.default_value);
        p.set(row.name, row.default_value + 3);
        CHECK(p.get(row.name) == row.default_value + 3);
    }
    CHECK_THROWS_AS(p.set("no_such_parameter", 1), UserError);
    CHECK_THROWS_AS(p.get("no_such_parameter"), UserError);
    CHECK_THROWS_AS(p.set("bank_access_cycles", uint64_t{1} << 40), UserError);
    // The buffers' geometry is their own configuration (hardware.*_buffer), not a timing parameter.
    CHECK_THROWS_AS(p.set("buffer_banks", 8), UserError);
}

TEST_CASE("timing parameters: validate rejects zero where a zero would divide, ideal() zeroes overheads") {
    TimingParams p;
    p.validate();
    p.vector_ops_per_column = 0;
    CHECK_THROWS_AS(p.validate(), std::invalid_argument);
    p = TimingParams{};
    p.bank_access_cycles = 0;
    CHECK_THROWS_AS(p.validate(), std::invalid_argument);
    p = TimingParams{};
    p.fold_switch_cycles = 5u << 20;
    CHECK_THROWS_AS(p.validate(), std::invalid_argument);

    const TimingParams ideal = TimingParams::ideal();
    CHECK(ideal.operand_edge_stages == 0);
    CHECK(ideal.acc_writeback_cycles == 0);
    CHECK(ideal.fold_switch_cycles == 0);
    CHECK(ideal.gemm_setup_cycles == 0);
    CHECK(ideal.vector_pipeline_cycles == 0);
    CHECK(ideal.bank_access_cycles == 1);
}

TEST_CASE("array and buffer configuration: validate and dataflow names") {
    ArrayConfig cfg;
    cfg.validate();
    cfg.rows = 0;
    CHECK_THROWS_AS(cfg.validate(), UserError);
    CHECK(parse_dataflow("ws") == Dataflow::weight_stationary);
    CHECK(parse_dataflow("output_stationary") == Dataflow::output_stationary);
    CHECK(std::string(dataflow_name(Dataflow::input_stationary)) == "is");
    CHECK_THROWS_AS(parse_dataflow("row_stationary"), UserError);

    BufferBandwidth bw;
    bw.validate();
    bw.b.ports = 0;
    CHECK_THROWS_AS(bw.validate(), UserError);

    GemmShape s;
    s.k = 0;
    CHECK_THROWS_AS(s.validate(), UserError);
    s.k = 1;
    s.c_bytes = 17;
    CHECK_THROWS_AS(s.validate(), UserError);
}

TEST_CASE("timing parameter table: docs/accelerator-timing.md lists every parameter with its default") {
    std::ifstream doc(TRAINVP_TIMING_DOC);
    REQUIRE(doc.good());
    std::set<std::string> rows;
    for (std::string line; std::getline(doc, line);)
        if (line.rfind("| ", 0) == 0) rows.insert(line);
    for (const auto& row : timing_param_table()) {
        const std::string prefix =
            std::string("| ") + row.name + " | " + std::to_string(row.default_value) + " | ";
        bool found = false;
        for (const std::string& line : rows) found = found || line.rfind(prefix, 0) == 0;
        INFO(prefix);
        CHECK(found);
    }
}
