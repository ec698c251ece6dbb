#include "sweep_expr.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace trainvp {
namespace {

// Deeper nesting than this is refused rather than risking the parser's stack on a hostile file.
constexpr int kMaxDepth = 64;

[[noreturn]] void syntax(const std::string& reason, size_t column) {
    throw std::invalid_argument(reason + " at column " + std::to_string(column + 1));
}

std::string number_text(double v) {
    std::ostringstream os;
    os.precision(17);
    os << v;
    for (int p = 1; p <= 17; ++p) {  // the shortest text that reads back to v
        std::ostringstream t;
        t.precision(p);
        t << v;
        if (std::strtod(t.str().c_str(), nullptr) == v) return t.str();
    }
    return os.str();
}

// A number with an optional binary size suffix; `end` is set past what was read. False when `text` at
// `pos` does not start with a number.
bool read_number(const std::string& text, size_t pos, double& value, size_t& end) {
    const char* start = text.c_str() + pos;
    if (!std::isdigit(static_cast<unsigned char>(*start)) && *start != '.') return false;
    char* stop = nullptr;
    errno = 0;
    value = std::strtod(start, &stop);
    if (stop == start || errno != 0 || !std::isfinite(value)) return false;
    end = pos + static_cast<size_t>(stop - start);
    static const std::pair<const char*, double> units[] = {{"KiB", 1024.0},       {"MiB", 1048576.0},
                                                           {"GiB", 1073741824.0}, {"K", 1024.0},
                                                           {"M", 1048576.0},      {"G", 1073741824.0}};
    for (const auto& [name, scale] : units) {
        const std::string u(name);
        if (text.compare(end, u.size(), u) == 0) {
            const size_t after = end + u.size();
            if (after < text.size() &&
                (std::isalnum(static_cast<unsigned char>(text[after])) || text[after] == '_'))
                continue;
            value *= scale;
            end = after;
            break;
        }
    }
    return true;
}

enum class Op { num, str, name, neg, plus, lnot, mul, div, mod, add, sub, lt, le, gt, ge, eq, ne, land, lor };

}  // namespace

SweepValue SweepValue::of_number(double v) {
    SweepValue s;
    s.is_number = true;
    s.number = v;
    s.text = number_text(v);
    return s;
}

SweepValue SweepValue::of_string(std::string str) {
    SweepValue s;
    s.is_number = false;
    s.text = std::move(str);
    return s;
}

SweepValue SweepValue::parse(const std::string& text) {
    double v = 0;
    size_t end = 0;
    size_t start = 0;
    const bool negative = !text.empty() && (text[0] == '-' || text[0] == '+');
    if (negative) start = 1;
    if (read_number(text, start, v, end) && end == text.size()) {
        SweepValue s;
        s.number = text[0] == '-' ? -v : v;
        s.text = text;
        return s;
    }
    return of_string(text);
}

struct SweepExpr::Node {
    Op op = Op::num;
    SweepValue value;  // num, str
    std::string name;  // name
    std::unique_ptr<Node> a, b;
};

namespace {

using Node = SweepExpr::Node;

std::unique_ptr<Node> leaf(Op op) {
    auto n = std::make_unique<Node>();
    n->op = op;
    return n;
}

std::unique_ptr<Node> join(Op op, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto n = leaf(op);
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
}

class Parser {
  public:
    Parser(const std::string& text, const std::function<bool(const std::string&)>& is_known,
           std::vector<std::string>& names)
        : t_(text), is_known_(is_known), names_(names) {}

    std::unique_ptr<Node> parse() {
        skip();
        if (p_ >= t_.size()) syntax("empty expression", 0);
        auto n = parse_or(0);
        skip();
        if (p_ < t_.size())
            syntax("unexpected '" + t_.substr(p_, 1) + "'" + (t_[p_] == '=' ? " (compare with ==)" : ""), p_);
        return n;
    }

  private:
    void skip() {
        while (p_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[p_]))) ++p_;
    }
    bool accept(const char* tok) {
        skip();
        const std::string s(tok);
        if (t_.compare(p_, s.size(), s) != 0) return false;
        // "<" must not take the first half of "<=", "=" is never an operator on its own.
        if (s.size() == 1 && p_ + 1 < t_.size() && t_[p_ + 1] == '=' && (s == "<" || s == ">" || s == "!"))
            return false;
        p_ += s.size();
        return true;
    }
    void depth_check(int depth) const {
        if (depth > kMaxDepth) syntax("nested too deeply", p_);
    }

    std::unique_ptr<Node> parse_or(int d) {
        auto n = parse_and(d);
        while (accept("||")) n = join(Op::lor, std::move(n), parse_and(d));
        return n;
    }
    std::unique_ptr<Node> parse_and(int d) {
        auto n = parse_eq(d);
        while (accept("&&")) n = join(Op::land, std::move(n), parse_eq(d));
        return n;
    }
    std::unique_ptr<Node> parse_eq(int d) {
        auto n = parse_rel(d);
        for (;;) {
            if (accept("=="))
                n = join(Op::eq, std::move(n), parse_rel(d));
            else if (accept("!="))
                n = join(Op::ne, std::move(n), parse_rel(d));
            else
                return n;
        }
    }
    std::unique_ptr<Node> parse_rel(int d) {
        auto n = parse_add(d);
        for (;;) {
            if (accept("<="))
                n = join(Op::le, std::move(n), parse_add(d));
            else if (accept(">="))
                n = join(Op::ge, std::move(n), parse_add(d));
            else if (accept("<"))
                n = join(Op::lt, std::move(n), parse_add(d));
            else if (accept(">"))
                n = join(Op::gt, std::move(n), parse_add(d));
            else
                return n;
        }
    }
    std::unique_ptr<Node> parse_add(int d) {
        auto n = parse_mul(d);
        for (;;) {
            if (accept("+"))
                n = join(Op::add, std::move(n), parse_mul(d));
            else if (accept("-"))
                n = join(Op::sub, std::move(n), parse_mul(d));
            else
                return n;
        }
    }
    std::unique_ptr<Node> parse_mul(int d) {
        auto n = parse_unary(d);
        for (;;) {
            if (accept("*"))
                n = join(Op::mul, std::move(n), parse_unary(d));
            else if (accept("/"))
                n = join(Op::div, std::move(n), parse_unary(d));
            else if (accept("%"))
                n = join(Op::mod, std::move(n), parse_unary(d));
            else
                return n;
        }
    }
    std::unique_ptr<Node> parse_unary(int d) {
        depth_check(d);
        for (const auto& [tok, op] :
             {std::pair{"-", Op::neg}, std::pair{"+", Op::plus}, std::pair{"!", Op::lnot}}) {
            if (accept(tok)) {
                auto n = leaf(op);
                n->a = parse_unary(d + 1);
                return n;
            }
        }
        return parse_primary(d);
    }
    std::unique_ptr<Node> parse_primary(int d) {
        skip();
        if (p_ >= t_.size()) syntax("expression ends early", p_);
        const char c = t_[p_];
        if (accept("(")) {
            depth_check(d + 1);
            auto n = parse_or(d + 1);
            if (!accept(")")) syntax("expected ')'", p_);
            return n;
        }
        double v = 0;
        size_t end = 0;
        if (read_number(t_, p_, v, end)) {
            if (end < t_.size() && (std::isalpha(static_cast<unsigned char>(t_[end])) || t_[end] == '_'))
                syntax("unknown number suffix '" + t_.substr(end, 1) + "'", end);
            auto n = leaf(Op::num);
            n->value = SweepValue::of_number(v);
            p_ = end;
            return n;
        }
        if (c == '\'' || c == '"') {
            const size_t close = t_.find(c, p_ + 1);
            if (close == std::string::npos) syntax("unterminated string", p_);
            auto n = leaf(Op::str);
            n->value = SweepValue::of_string(t_.substr(p_ + 1, close - p_ - 1));
            p_ = close + 1;
            return n;
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            const size_t start = p_;
            while (p_ < t_.size() &&
                   (std::isalnum(static_cast<unsigned char>(t_[p_])) || t_[p_] == '_' || t_[p_] == '.'))
                ++p_;
            const std::string name = t_.substr(start, p_ - start);
            if (name == "true" || name == "false") {
                auto n = leaf(Op::num);
                n->value = SweepValue::of_number(name == "true" ? 1 : 0);
                return n;
            }
            if (!is_known_(name)) syntax("'" + name + "' is not an axis or a set: key", start);
            bool seen = false;
            for (const auto& s : names_) seen = seen || s == name;
            if (!seen) names_.push_back(name);
            auto n = leaf(Op::name);
            n->name = name;
            return n;
        }
        syntax("unexpected '" + std::string(1, c) + "'", p_);
    }

    const std::string& t_;
    const std::function<bool(const std::string&)>& is_known_;
    std::vector<std::string>& names_;
    size_t p_ = 0;
};

const char* op_text(Op op) {
    switch (op) {
        case Op::neg:
            return "-";
        case Op::plus:
            return "+";
        case Op::mul:
            return "*";
        case Op::div:
            return "/";
        case Op::mod:
            return "%";
        case Op::add:
            return "+";
        case Op::sub:
            return "-";
        case Op::lt:
            return "<";
        case Op::le:
            return "<=";
        case Op::gt:
            return ">";
        case Op::ge:
            return ">=";
        default:
            return "?";
    }
}

double number_of(const SweepValue& v, Op op) {
    if (!v.is_number)
        throw std::invalid_argument(std::string("'") + op_text(op) + "' applied to the string '" + v.text +
                                    "'");
    return v.number;
}

bool truth(const SweepValue& v, const char* where) {
    if (!v.is_number)
        throw std::invalid_argument(std::string(where) + " the string '" + v.text +
                                    "' (compare it: key == 'text')");
    return v.number != 0;
}

SweepValue eval(const Node& n, const std::function<SweepValue(const std::string&)>& lookup) {
    auto num = SweepValue::of_number;
    switch (n.op) {
        case Op::num:
        case Op::str:
            return n.value;
        case Op::name:
            return lookup(n.name);
        case Op::neg:
            return num(-number_of(eval(*n.a, lookup), n.op));
        case Op::plus:
            return num(number_of(eval(*n.a, lookup), n.op));
        case Op::lnot:
            return num(truth(eval(*n.a, lookup), "'!' applied to") ? 0 : 1);
        case Op::land:
            return num(truth(eval(*n.a, lookup), "'&&' applied to") &&
                       truth(eval(*n.b, lookup), "'&&' applied to"));
        case Op::lor:
            return num(truth(eval(*n.a, lookup), "'||' applied to") ||
                       truth(eval(*n.b, lookup), "'||' applied to"));
        case Op::eq:
        case Op::ne: {
            const SweepValue a = eval(*n.a, lookup), b = eval(*n.b, lookup);
            const bool same =
                a.is_number == b.is_number && (a.is_number ? a.number == b.number : a.text == b.text);
            return num(same == (n.op == Op::eq));
        }
        default:
            break;
    }
    const double a = number_of(eval(*n.a, lookup), n.op), b = number_of(eval(*n.b, lookup), n.op);
    switch (n.op) {
        case Op::mul:
            return num(a * b);
        case Op::div:
            if (b == 0) throw std::invalid_argument("division by zero");
            return num(a / b);
        case Op::mod:
            if (b == 0) throw std::invalid_argument("remainder by zero");
            return num(std::fmod(a, b));
        case Op::add:
            return num(a + b);
        case Op::sub:
            return num(a - b);
        case Op::lt:
            return num(a < b);
        case Op::le:
            return num(a <= b);
        case Op::gt:
            return num(a > b);
        case Op::ge:
            return num(a >= b);
        default:
            throw std::logic_error("sweep expression: unknown operator");
    }
}

}  // namespace

SweepExpr::SweepExpr(const std::string& text, const std::function<bool(const std::string&)>& is_known)
    : text_(text) {
    Parser parser(text_, is_known, names_);
    root_ = parser.parse();
}

SweepExpr::~SweepExpr() = default;
SweepExpr::SweepExpr(SweepExpr&&) noexcept = default;
SweepExpr& SweepExpr::operator=(SweepExpr&&) noexcept = default;

bool SweepExpr::holds(const std::function<SweepValue(const std::string&)>& lookup) const {
    const SweepValue v = eval(*root_, lookup);
    if (!v.is_number)
        throw std::invalid_argument("the result is the string '" + v.text + "', not a comparison");
    if (std::isnan(v.number)) throw std::invalid_argument("the result is not a number");
    return v.number != 0;
}

}  // namespace trainvp
