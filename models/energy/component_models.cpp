#include "energy/component_models.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "common/error.h"

namespace trainvp::energy {

namespace {

bool parse_int(const std::string& s, int& out) {
    if (s.empty() || s.size() > 4) return false;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// Optional fraction part of "fx16.12" / "fx8.-2" and scale of "int8@-7": validated, not used by the model.
bool valid_signed(const std::string& s) {
    int v = 0;
    if (!s.empty() && s[0] == '-') return parse_int(s.substr(1), v);
    return parse_int(s, v);
}

struct Anchor {
    double x;
    std::function<double()> y;  // reads the table only when called
};

// Piecewise-linear interpolation through anchors sorted by x. Exactly at an anchor only that anchor is read.
// Outside the anchors: `proportional_ends` scales the nearest anchor by x / x_anchor (the width rule of the
// integer units); otherwise the end segment is extended (needs two anchors).
double piecewise(const std::vector<Anchor>& a, double x, bool proportional_ends) {
    for (const Anchor& p : a)
        if (p.x == x) return p.y();
    if (a.size() == 1 || (proportional_ends && (x < a.front().x || x > a.back().x))) {
        const Anchor& p = x < a.front().x ? a.front() : a.back();
        return p.y() * x / p.x;
    }
    size_t i = 0;
    if (x > a.back().x)
        i = a.size() - 2;
    else if (x > a.front().x)
        while (!(a[i].x < x && x < a[i + 1].x)) ++i;
    const double y0 = a[i].y(), y1 = a[i + 1].y();
    return y0 + (y1 - y0) * (x - a[i].x) / (a[i + 1].x - a[i].x);
}

double mlog(double m) {
    return m * std::log2(m);
}

}  // namespace

OperandType parse_operand(const std::string& text) {
    const std::string name = text.substr(0, text.find(':'));
    auto bad = [&] { return UserError("energy model: unknown number format '" + text + "'"); };
    OperandType t;
    t.name = name;
    auto floating = [&](int width, int mantissa, int exponent) {
        t.floating = true;
        t.width = width;
        t.significand = mantissa + 1;
        t.exponent = exponent;
        return t;
    };
    if (name == "fp32") return floating(32, 23, 8);
    if (name == "fp16") return floating(16, 10, 5);
    if (name == "bf16") return floating(16, 7, 8);
    if (name == "fp8e4m3") return floating(8, 3, 4);
    if (name == "fp8e5m2") return floating(8, 2, 5);
    int width = 0;
    if (name.compare(0, 2, "fx") == 0) {
        const std::string rest = name.substr(2);
        const size_t dot = rest.find('.');
        if (!parse_int(rest.substr(0, dot), width)) throw bad();
        if (dot != std::string::npos && !valid_signed(rest.substr(dot + 1))) throw bad();
    } else if (name.compare(0, 3, "int") == 0) {
        const std::string rest = name.substr(3);
        const size_t at = rest.find('@');
        if (!parse_int(rest.substr(0, at), width)) throw bad();
        if (at != std::string::npos && !valid_signed(rest.substr(at + 1))) throw bad();
    } else {
        throw bad();
    }
    if (width < 1 || width > 128) throw bad();
    t.width = t.significand = width;
    return t;
}

std::pair<OperandType, OperandType> parse_operand_pair(const std::string& text) {
    // Format names contain 'x' themselves ("fx16"), so try every 'x' that splits the text into two names.
    for (size_t pos = text.find('x'); pos != std::string::npos; pos = text.find('x', pos + 1)) {
        try {
            return {parse_operand(text.substr(0, pos)), parse_operand(text.substr(pos + 1))};
        } catch (const UserError&) {
        }
    }
    throw UserError("energy model: '" + text + "' is not an operand pair like fx16.14xfx16.10");
}

double Primitives::int_add(int bits, const std::string& quantity) const {
    if (bits <= 0) return 0.0;
    const std::string prefix = "arithmetic.int_add." + quantity;
    std::vector<Anchor> a;
    for (const std::string& c : t_.children(prefix)) {
        int w = 0;
        parse_int(c.substr(1), w);
        a.push_back({double(w), [this, p = prefix + "." + c] { return t_.value(p); }});
    }
    std::sort(a.begin(), a.end(), [](const Anchor& l, const Anchor& r) { return l.x < r.x; });
    return piecewise(a, bits, true);
}

double Primitives::int_mult(int bits_a, int bits_b, const std::string& quantity) const {
    const std::string prefix = "arithmetic.int_mult." + quantity;
    std::vector<Anchor> a;
    for (const std::string& c : t_.children(prefix)) {
        int w = 0;
        parse_int(c.substr(1), w);
        a.push_back({double(w) * w, [this, p = prefix + "." + c] { return t_.value(p); }});
    }
    std::sort(a.begin(), a.end(), [](const Anchor& l, const Anchor& r) { return l.x < r.x; });
    return piecewise(a, double(bits_a) * bits_b, true);
}

double Primitives::add(const OperandType& f, const std::string& quantity) const {
    if (!f.floating) return int_add(f.width, quantity);
    // E - int_add(e) is piecewise linear in m*log2(m) through the floating-point anchors.
    const std::string prefix = "arithmetic.fp_add." + quantity;
    for (const std::string& c : t_.children(prefix)) {
        const OperandType af = parse_operand(c);
        if (af.significand == f.significand && af.exponent == f.exponent) return t_.value(prefix + "." + c);
    }
    std::vector<Anchor> a;
    for (const std::string& c : t_.children(prefix)) {
        const OperandType af = parse_operand(c);
        a.push_back({mlog(af.significand), [this, af, quantity, p = prefix + "." + c] {
                         return t_.value(p) - int_add(af.exponent, quantity);
                     }});
    }
    std::sort(a.begin(), a.end(), [](const Anchor& l, const Anchor& r) { return l.x < r.x; });
    return piecewise(a, mlog(f.significand), false) + int_add(f.exponent, quantity);
}

double Primitives::mult(const OperandType& x, const OperandType& y, const std::string& quantity) const {
    if (!x.floating && !y.floating) return int_mult(x.width, y.width, quantity);
    // E - int_add(e) is piecewise linear in the significand product ma*mb through the floating-point anchors;
    // a fixed-point operand enters with its full width as significand.
    const std::string prefix = "arithmetic.fp_mult." + quantity;
    for (const std::string& c : t_.children(prefix)) {
        const OperandType af = parse_operand(c);
        auto same = [&](const OperandType& o) {
            return o.floating && o.significand == af.significand && o.exponent == af.exponent;
        };
        if (same(x) && same(y)) return t_.value(prefix + "." + c);
    }
    std::vector<Anchor> a;
    for (const std::string& c : t_.children(prefix)) {
        const OperandType af = parse_operand(c);
        a.push_back({double(af.significand) * af.significand, [this, af, quantity, p = prefix + "." + c] {
                         return t_.value(p) - int_add(af.exponent, quantity);
                     }});
    }
    std::sort(a.begin(), a.end(), [](const Anchor& l, const Anchor& r) { return l.x < r.x; });
    const int exponent = std::max(x.exponent, y.exponent);
    return piecewise(a, double(x.significand) * y.significand, false) + int_add(exponent, quantity);
}

double Primitives::register_energy(uint64_t bits) const {
    return bits ? t_.value("register.energy") * double(bits) : 0.0;
}

double Primitives::register_area(uint64_t bits) const {
    return bits ? t_.value("register.area") * double(bits) : 0.0;
}

double Primitives::mux_energy(uint32_t inputs, uint64_t bits) const {
    if (inputs <= 1 || bits == 0) return 0.0;
    return t_.value("arithmetic.mux2.energy") * double(inputs - 1) * double(bits);
}

double Primitives::mux_area(uint32_t inputs, uint64_t bits) const {
    if (inputs <= 1 || bits == 0) return 0.0;
    return t_.value("arithmetic.mux2.area") * double(inputs - 1) * double(bits);
}

double Primitives::sram(const SramGeometry& g, const std::string& quantity, bool width_rule) const {
    struct Point {
        std::string path;
        double capacity, word;
    };
    std::vector<Point> points;
    for (const std::string& c : t_.children("sram.anchors")) {
        const std::string p = "sram.anchors." + c;
        points.push_back({p, t_.entry(p + ".capacity").value, t_.entry(p + ".word").value});
    }
    std::sort(points.begin(), points.end(),
              [](const Point& l, const Point& r) { return l.capacity < r.capacity; });
    const double word = g.word_bits ? g.word_bits / 8.0 : double(g.word_bytes);
    // An anchor's value moved to the requested word width (CACTI width rule), as a logarithm.
    auto log_value = [&](const Point& p) {
        t_.value(p.path + ".capacity");
        double v = t_.value(p.path + "." + quantity);
        if (width_rule) {
            t_.value(p.path + ".word");
            if (p.word != word) {
                const double f = t_.value("sram.width_fixed_fraction");
                v *= f + (1.0 - f) * word / p.word;
            }
        }
        return std::log(v);
    };
    std::vector<Anchor> a;
    for (const Point& p : points) a.push_back({std::log(p.capacity), [&, p] { return log_value(p); }});
    return std::exp(piecewise(a, std::log(double(g.capacity_bytes)), false));
}

void check_table_semantics(const TechTable& t) {
    auto fail = [&](const std::string& path, const std::string& why) {
        const std::string where = t.has(path) ? t.entry(path).origin : t.origin();
        throw UserError(where + ": " + path + ": " + why);
    };
    for (const char* family : {"int_add", "int_mult"})
        for (const char* q : {"energy", "area"}) {
            const std::string prefix = std::string("arithmetic.") + family + "." + q;
            for (const std::string& c : t.children(prefix)) {
                int w = 0;
                if (c.size() < 2 || c[0] != 'w' || !parse_int(c.substr(1), w) || w < 1 || w > 128)
                    fail(prefix + "." + c, "anchor names are w<bits>, e.g. w16");
                if (t.entry(prefix + "." + c).value <= 0) fail(prefix + "." + c, "must be positive");
            }
        }
    for (const char* family : {"fp_add", "fp_mult"})
        for (const char* q : {"energy", "area"}) {
            const std::string prefix = std::string("arithmetic.") + family + "." + q;
            std::vector<int> significands;
            for (const std::string& c : t.children(prefix)) {
                OperandType f;
                try {
                    f = parse_operand(c);
                } catch (const UserError&) {
                    fail(prefix + "." + c, "anchor names are floating-point formats, e.g. fp16");
                }
                if (!f.floating) fail(prefix + "." + c, "anchor names are floating-point formats, e.g. fp16");
                significands.push_back(f.significand);
            }
            std::sort(significands.begin(), significands.end());
            if (std::adjacent_find(significands.begin(), significands.end()) != significands.end())
                fail(prefix, "floating-point anchors need distinct significand widths");
        }
    std::vector<double> capacities;
    for (const std::string& c : t.children("sram.anchors")) {
        const std::string p = "sram.anchors." + c;
        for (const char* k : {"capacity", "word", "read_energy", "write_energy", "area"})
            if (t.entry(p + "." + k).value <= 0) fail(p + "." + k, "must be positive");
        capacities.push_back(t.entry(p + ".capacity").value);
    }
    std::sort(capacities.begin(), capacities.end());
    if (std::adjacent_find(capacities.begin(), capacities.end()) != capacities.end())
        fail("sram.anchors", "SRAM anchors need distinct capacities");
    if (t.entry("sram.width_fixed_fraction").value > 1) fail("sram.width_fixed_fraction", "must be 0..1");
}

}  // namespace trainvp::energy
