// The sweep file of `trainvp sweep`: the constraint language, the file's keys and their errors, and the
// points (product order, ranges, zip, constraints, sampling, labels).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "common/error.h"
#include "sweep_expr.h"
#include "sweep_points.h"
#include "sweep_spec.h"
#include "sweep_test_util.h"

using namespace trainvp;
using namespace sweep_test;

namespace {

bool eval(const std::string& text, const std::map<std::string, std::string>& vars = {}) {
    const SweepExpr e(text, [&](const std::string& n) { return vars.count(n) > 0; });
    return e.holds([&](const std::string& n) { return SweepValue::parse(vars.at(n)); });
}

std::string expr_error(const std::string& text, const std::map<std::string, std::string>& vars = {}) {
    try {
        eval(text, vars);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

std::string parse_error(const std::string& yaml) {
    try {
        parse(yaml);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

std::vector<std::string> dirs(const SweepPlan& plan) {
    std::vector<std::string> out;
    for (const auto& p : plan.points) out.push_back(p.dir);
    return out;
}

}  // namespace

TEST_CASE("constraint expressions: arithmetic, comparison, logic and precedence") {
    CHECK(eval("1 + 2 * 3 == 7"));
    CHECK(eval("(1 + 2) * 3 == 9"));
    CHECK(eval("7 / 2 == 3.5"));
    CHECK(eval("10 % 4 == 2"));
    CHECK(eval("-3 + 5 == 2"));
    CHECK(eval("2 - 3 - 4 == -5"));  // left to right
    CHECK(eval("!0"));
    CHECK_FALSE(eval("!1"));
    CHECK(eval("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2"));
    CHECK_FALSE(eval("2 < 2"));
    CHECK(eval("0 || 1"));
    CHECK_FALSE(eval("0 || 0"));
    CHECK(eval("1 || 0 && 0"));  // && binds tighter
    CHECK(eval("true && !false"));
    CHECK(eval("1e3 == 1000"));
    CHECK(eval("64KiB == 65536 && 1MiB == 1024 * 1K"));
}

TEST_CASE("constraint expressions read axis values, numbers and strings") {
    const std::map<std::string, std::string> v = {
        {"hardware.array.rows", "16"}, {"cols", "32"}, {"dataflow", "os"}, {"size", "32KiB"}};
    CHECK(eval("hardware.array.rows * cols <= 1024", v));
    CHECK_FALSE(eval("hardware.array.rows * cols < 512", v));
    CHECK(eval("dataflow == 'os' && dataflow != \"ws\"", v));
    CHECK_FALSE(eval("dataflow == 16", v));
    CHECK(eval("size <= 64KiB && size == 32768", v));
    // && and || skip their right side: no division by zero here.
    CHECK_FALSE(eval("0 && 1 / 0"));
    CHECK(eval("1 || 1 / 0"));
}

TEST_CASE("constraint expressions refuse bad input with the column") {
    const std::map<std::string, std::string> v = {{"rows", "16"}, {"dataflow", "os"}};
    CHECK(expr_error("rows *", v) == "expression ends early at column 7");
    CHECK(expr_error("rows = 16", v) == "unexpected '=' (compare with ==) at column 6");
    CHECK(expr_error("(rows", v) == "expected ')' at column 6");
    CHECK(expr_error("'abc", v) == "unterminated string at column 1");
    CHECK(expr_error("rows 16", v) == "unexpected '1' at column 6");
    CHECK(expr_error("", v) == "empty expression at column 1");
    CHECK(expr_error("3x", v) == "unknown number suffix 'x' at column 2");
    CHECK(expr_error("rowz > 1", v) == "'rowz' is not an axis or a set: key at column 1");
    CHECK(expr_error("rows & 1", v) == "unexpected '&' at column 6");
    CHECK(expr_error("rows / 0 > 1", v) == "division by zero");
    CHECK(expr_error("rows % 0 > 1", v) == "remainder by zero");
    CHECK(expr_error("dataflow * 2 > 1", v) == "'*' applied to the string 'os'");
    CHECK(expr_error("dataflow < 'ws'", v) == "'<' applied to the string 'os'");
    CHECK(expr_error("dataflow", v) == "the result is the string 'os', not a comparison");
    CHECK(expr_error(std::string(100, '(') + "1" + std::string(100, ')'), v).rfind("nested too deeply", 0) ==
          0);
    CHECK(expr_error(std::string(100, '-') + "1", v).rfind("nested too deeply", 0) == 0);
}

TEST_CASE("sweep values: numbers with size suffixes, anything else a string") {
    CHECK(SweepValue::parse("16").is_number);
    CHECK(SweepValue::parse("-2.5").number == -2.5);
    CHECK(SweepValue::parse("128KiB").number == 131072);
    CHECK(SweepValue::parse("2M").number == 2097152);
    CHECK_FALSE(SweepValue::parse("os").is_number);
    CHECK_FALSE(SweepValue::parse("fx16:sr").is_number);
    CHECK_FALSE(SweepValue::parse("16x").is_number);
    CHECK_FALSE(SweepValue::parse("nan").is_number);
}

TEST_CASE("a sweep file: every key read") {
    const SweepSpec s = parse(
        "name: demo\n"
        "description: d\n"
        "base: {name: b, hardware: {array: {rows: 4}}}\n"
        "command: golden\n"
        "set: {training.epochs: 1, data.train_limit: 64}\n"
        "axes:\n"
        "  - {key: hardware.array.rows, name: r, values: [8, 16]}\n"
        "  - {key: hardware.array.cols, values: [8, 16]}\n"
        "  - {key: hardware.weight_buffer.size, log2_range: {from: 16KiB, to: 64KiB}}\n"
        "  - {key: ram.bytes_per_ns, range: {from: 0.1, to: 0.3, step: 0.1}}\n"
        "zip: [[r, cols]]\n"
        "constraints: [\"r * cols <= 256\"]\n"
        "sample: {count: 3, seed: 7}\n"
        "options: [--max-sim-time, 5s]\n");
    CHECK(s.name == "demo");
    CHECK(s.command == "golden");
    CHECK(s.base_file.empty());
    CHECK(s.sets.size() == 2);
    CHECK(s.sets[1].key == "data.train_limit");
    CHECK(s.sets[1].value == "64");
    REQUIRE(s.axes.size() == 4);
    CHECK(s.axes[0].name == "r");
    CHECK(s.axes[1].name == "cols");  // the key's last segment by default
    CHECK(s.axes[2].values == std::vector<std::string>{"16KiB", "32KiB", "64KiB"});
    CHECK(s.axes[3].values == std::vector<std::string>{"0.1", "0.2", "0.3"});
    CHECK(s.axes[3].line == 10);
    REQUIRE(s.dims.size() == 3);  // r and cols zipped
    CHECK(s.dims[0] == std::vector<size_t>{0, 1});
    CHECK(s.constraints.size() == 1);
    CHECK(s.constraints[0].line == 12);
    REQUIRE(s.sample);
    CHECK(s.sample->count == 3);
    CHECK(s.sample->seed == 7);
    CHECK(s.options == std::vector<std::string>{"--max-sim-time", "5s"});
}

TEST_CASE("a sweep file: default names and a base file") {
    TempDir t;
    write(t.path / "scen/base.yaml", "name: base\nhardware: {array: {rows: 4}}\n");
    write(t.path / "sweeps/s.yaml",
          "base: ../scen/base.yaml\n"
          "axes:\n"
          "  - {key: hardware.weight_buffer.size, values: [1KiB]}\n"
          "  - {key: hardware.activation_buffer.size, values: [2KiB]}\n"
          "  - {key: hardware.array.rows, values: [4]}\n");
    const SweepSpec s = load_sweep_file((t.path / "sweeps/s.yaml").string());
    CHECK(s.name == "s");
    CHECK(s.command == "run");
    CHECK(s.base_file == (t.path / "scen/base.yaml").string());
    CHECK(s.base_dir == (t.path / "scen").string());
    // Two axes end in "size": both keep their whole key.
    CHECK(s.axes[0].name == "hardware.weight_buffer.size");
    CHECK(s.axes[1].name == "hardware.activation_buffer.size");
    CHECK(s.axes[2].name == "rows");
}

TEST_CASE("a sweep file: every error names the file, line and key") {
    using Catch::Matchers::Contains;
    using Catch::Matchers::StartsWith;
    CHECK_THAT(parse_error("base: {name: b}\naxis: []\n"),
               StartsWith("t/sweep.yaml:2: key 'axis': unknown key"));
    CHECK_THAT(parse_error("axes: []\n"), StartsWith("t/sweep.yaml: key 'base': missing"));
    CHECK_THAT(
        parse_error("base: nowhere.yaml\n"),
        StartsWith("t/sweep.yaml:1: key 'base': scenario file '") && Contains("nowhere.yaml' not found"));
    CHECK_THAT(parse_error(inline_sweep("command: simulate\n")),
               StartsWith("t/sweep.yaml:2: key 'command': 'simulate' is not one of: run, golden, estimate"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': missing 'key'"));
    CHECK_THAT(
        parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1], range: {from: 1, to: 2, step: 1}}\n")),
        StartsWith("t/sweep.yaml:3: key 'axes[0]': give exactly one of 'values', 'range' or 'log2_range'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': give exactly one of"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    values: []\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].values': expected a non-empty list"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1, 2, 1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0]': value '1' appears twice"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a..b, values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].key': 'a..b' is not a scenario key"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, name: 'x y', values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].name': 'x y' is not a name"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, bogus: 1, values: [1]}\n")),
               StartsWith("t/sweep.yaml:3: key 'axes[0].bogus': unknown key"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4, step: 0}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.step': step 0 never reaches 'to'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4, step: -1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.step': step -1 goes away from 'to'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 0, to: 1e9, step: 1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range': more than 10000 values"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: x, to: 4, step: 1}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range.from': 'x' is not a number"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    range: {from: 1, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].range': missing 'step'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    log2_range: {from: 0, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].log2_range.from': must be greater than 0"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - key: a.b\n    log2_range: {from: 8, to: 4}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[0].log2_range.to': is below 'from'"));
    CHECK_THAT(parse_error(inline_sweep("axes:\n  - {key: a.b, values: [1]}\n  - {key: a.b, values: [2]}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[1].key': 'a.b' is already an axis (axes[0])"));
    CHECK_THAT(parse_error(inline_sweep(
                   "axes:\n  - {key: a.b, values: [1]}\n  - {key: c.b, name: b, values: [2]}\n")),
               StartsWith("t/sweep.yaml:4: key 'axes[1].name': 'b' is already the name of axes[0]"));
    CHECK_THAT(parse_error(inline_sweep("set: {a.b: 1}\naxes:\n  - {key: a.b, values: [1]}\n")),
               StartsWith("t/sweep.yaml:2: key 'set.a.b': is also axis 'b'"));
    CHECK_THAT(parse_error(inline_sweep("set: [a]\n")),
               StartsWith("t/sweep.yaml:2: key 'set': expected a map"));
    const std::string two = "axes:\n  - {key: a.r, values: [1, 2]}\n  - {key: a.c, values: [1, 2, 3]}\n";
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r, z]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': 'z' is not an axis"));
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r, c]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': axis 'c' has 3 values, axis 'r' 2"));
    CHECK_THAT(parse_error(inline_sweep(two + "zip: [[r]]\n")),
               StartsWith("t/sweep.yaml:5: key 'zip[0]': expected a list of two or more axis names"));
    CHECK_THAT(
        parse_error(inline_sweep("axes:\n  - {key: a.r, values: [1, 2]}\n  - {key: a.c, values: [1, 2]}\n"
                                 "  - {key: a.d, values: [1, 2]}\nzip: [[r, c], [d, r]]\n")),
        StartsWith("t/sweep.yaml:6: key 'zip[1]': axis 'r' is already in zip[0]"));
    CHECK_THAT(parse_error(inline_sweep(two + "constraints:\n  - r * c <= 4\n  - r *\n")),
               StartsWith("t/sweep.yaml:7: key 'constraints[1]': 'r *': expression ends early at column 4"));
    CHECK_THAT(
        parse_error(inline_sweep(two + "constraints: [rows > 1]\n")),
        StartsWith("t/sweep.yaml:5: key 'constraints[0]': 'rows > 1': 'rows' is not an axis or a set: key"));
    CHECK_THAT(parse_error(inline_sweep("sample: {count: 0}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample.count': '0' is not an integer >= 1"));
    CHECK_THAT(parse_error(inline_sweep("sample: {seed: 3}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample': missing 'count'"));
    CHECK_THAT(parse_error(inline_sweep("sample: {count: 2, sed: 3}\n")),
               StartsWith("t/sweep.yaml:2: key 'sample.sed': unknown key"));
    CHECK_THAT(parse_error(inline_sweep("options: [--no-progress, --report, x.json]\n")),
               StartsWith("t/sweep.yaml:2: key 'options[1]': '--report' is set by the sweep itself"));
    CHECK_THAT(parse_error(inline_sweep("options: [--set=a.b=1]\n")),
               StartsWith("t/sweep.yaml:2: key 'options[0]': '--set' is set by the sweep itself"));
    CHECK_THAT(parse_error(inline_sweep("options: --no-progress\n")),
               StartsWith("t/sweep.yaml:2: key 'options': expected a list"));
    CHECK_THAT(parse_error("- a\n"), StartsWith("t/sweep.yaml: a sweep file is a YAML map"));
}

TEST_CASE("a sweep file that is not YAML names the file and line") {
    TempDir t;
    write(t.path / "bad.yaml", "base: {name: b}\naxes: [\n");
    try {
        load_sweep_file((t.path / "bad.yaml").string());
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK_THAT(e.what(),
                   Catch::Matchers::StartsWith((t.path / "bad.yaml").string() + ":3: invalid YAML"));
    }
    CHECK_THROWS_WITH(load_sweep_file((t.path / "none.yaml").string()),
                      Catch::Matchers::EndsWith("none.yaml: cannot open sweep file"));
}

TEST_CASE("points: the product in file order, the first axis slowest") {
    const SweepPlan plan =
        plan_sweep(parse(inline_sweep("set: {training.epochs: 1}\n"
                                      "axes:\n  - {key: hardware.array.rows, name: rows, values: [8, 16]}\n"
                                      "  - {key: hardware.array.dataflow, values: [os, ws, is]}\n")));
    CHECK(plan.product == 6);
    CHECK(plan.dropped == 0);
    CHECK_FALSE(plan.sampled);
    CHECK(dirs(plan) == std::vector<std::string>{"0000-rows=8,dataflow=os", "0001-rows=8,dataflow=ws",
                                                 "0002-rows=8,dataflow=is", "0003-rows=16,dataflow=os",
                                                 "0004-rows=16,dataflow=ws", "0005-rows=16,dataflow=is"});
    CHECK(plan.points[4].overrides == std::vector<std::string>{"training.epochs=1", "hardware.array.rows=16",
                                                               "hardware.array.dataflow=ws"});
    CHECK(plan.points[4].index == 4);
}

TEST_CASE("points: ranges, powers of two, zip and constraints") {
    const SweepPlan plan = plan_sweep(
        parse(inline_sweep("axes:\n"
                           "  - {key: a.rows, log2_range: {from: 4, to: 32}}\n"
                           "  - {key: a.cols, log2_range: {from: 4, to: 32}}\n"
                           "  - {key: b.size, range: {from: 32KiB, to: 96KiB, step: 32KiB}}\n"
                           "zip: [[rows, cols]]\n"
                           "constraints: [\"rows * cols <= 256 || size == 96KiB\", \"size != 64KiB\"]\n")));
    CHECK(plan.product == 12);  // 4 zipped shapes x 3 sizes
    CHECK(dirs(plan) ==
          std::vector<std::string>{"0000-rows=4,cols=4,size=32KiB", "0001-rows=4,cols=4,size=96KiB",
                                   "0002-rows=8,cols=8,size=32KiB", "0003-rows=8,cols=8,size=96KiB",
                                   "0004-rows=16,cols=16,size=32KiB", "0005-rows=16,cols=16,size=96KiB",
                                   "0006-rows=32,cols=32,size=96KiB"});
    CHECK(plan.dropped == 5);
}

TEST_CASE("points: a constraint that cannot be evaluated names its line and the point") {
    const SweepSpec s =
        parse(inline_sweep("axes:\n  - {key: a.rows, values: [4, 0]}\nconstraints: [\"8 / rows > 1\"]\n"));
    CHECK_THROWS_WITH(plan_sweep(s),
                      "t/sweep.yaml:4: key 'constraints[0]': '8 / rows > 1': division by zero (at rows=0)");
}

TEST_CASE("points: sampling is seeded, without replacement, and keeps file order") {
    const std::string axes =
        "axes:\n  - {key: a.x, range: {from: 0, to: 19, step: 1}}\n  - {key: a.y, range: {from: 0, to: 9, "
        "step: 1}}\n"
        "constraints: [\"(x + y) % 3 != 0\"]\n";
    const SweepPlan all = plan_sweep(parse(inline_sweep(axes)));
    CHECK(all.points.size() == 133);  // 200 less the 67 with x + y divisible by 3
    const SweepPlan a = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 11}\n")));
    const SweepPlan b = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 11}\n")));
    const SweepPlan c = plan_sweep(parse(inline_sweep(axes + "sample: {count: 25, seed: 12}\n")));
    REQUIRE(a.points.size() == 25);
    CHECK(a.sampled);
    CHECK(dirs(a) == dirs(b));
    CHECK(dirs(a) != dirs(c));
    std::set<std::vector<size_t>> seen;
    std::vector<std::string> all_labels;
    for (const auto& p : all.points) all_labels.push_back(p.label);
    size_t last = 0;
    for (size_t i = 0; i < a.points.size(); ++i) {
        CHECK(seen.insert(a.points[i].choice).second);  // no point twice
        const auto at = std::find(all_labels.begin(), all_labels.end(), a.points[i].label);
        REQUIRE(at != all_labels.end());  // only points the constraints keep
        const size_t pos = static_cast<size_t>(at - all_labels.begin());
        if (i) CHECK(pos > last);  // in the product's order
        last = pos;
        CHECK(a.points[i].index == i);
    }
    // Asking for more than there are gives them all.
    CHECK(plan_sweep(parse(inline_sweep(axes + "sample: {count: 500}\n"))).points.size() == 133);
}

TEST_CASE("points: a product too large to enumerate is sampled by drawing, deterministically") {
    std::string axes = "axes:\n";
    for (const char* k : {"a", "b", "c", "d", "e", "f", "g"})
        axes += std::string("  - {key: k.") + k + ", range: {from: 0, to: 9, step: 1}}\n";
    CHECK_THROWS_WITH(
        plan_sweep(parse(inline_sweep(axes))),
        Catch::Matchers::Contains("the axes make 10000000 points, more than 1000000: add 'sample:"));
    const std::string sampled = axes + "constraints: [\"a < 5\"]\nsample: {count: 40, seed: 3}\n";
    const SweepPlan p1 = plan_sweep(parse(inline_sweep(sampled)));
    const SweepPlan p2 = plan_sweep(parse(inline_sweep(sampled)));
    REQUIRE(p1.points.size() == 40);
    CHECK(dirs(p1) == dirs(p2));
    CHECK(p1.product == 10000000);
    for (const auto& p : p1.points) CHECK(p.choice[0] < 5);
    CHECK(std::is_sorted(p1.points.begin(), p1.points.end(),
                         [](const SweepPoint& x, const SweepPoint& y) { return x.choice < y.choice; }));
    CHECK_THROWS_WITH(
        plan_sweep(parse(inline_sweep(axes + "constraints: [\"a > 20\"]\nsample: {count: 2}\n"))),
        Catch::Matchers::Contains("key 'sample.count': only 0 of 2000 points drawn satisfy"));
}

TEST_CASE("point labels are directory-safe, long ones end in a hash") {
    CHECK(sweep_label({{"rows", "16"}, {"fmt", "fx12:sr"}}) == "rows=16,fmt=fx12_sr");
    CHECK(sweep_label({{"p", "a/b c"}}) == "p=a_b_c");
    const std::string a = sweep_label({{"x", std::string(100, 'a')}});
    const std::string b = sweep_label({{"x", std::string(99, 'a') + "b"}});
    CHECK(a.size() == 64);
    CHECK(a != b);
    CHECK(a.substr(0, 50) == b.substr(0, 50));
    CHECK(sweep_label({}) == "");
}

TEST_CASE("SplitMix64 draws are uniform in range and repeatable") {
    uint64_t s1 = 5, s2 = 5;
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 7000; ++i) {
        const uint64_t v = sweep_random_below(s1, 7);
        REQUIRE(v < 7);
        CHECK(v == sweep_random_below(s2, 7));
        ++counts[v];
    }
    for (int c : counts) CHECK((c > 850 && c < 1150));
}
