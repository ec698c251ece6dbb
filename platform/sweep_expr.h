// The constraint language of sweep files (docs/exploration.md "Constraints"): a small, safe expression
// evaluator over the values of a point's axes. Numbers (with the size suffixes of scenario keys: 64KiB),
// 'quoted' or "quoted" strings, true/false, key names (dotted: hardware.array.rows), parentheses, unary - and
// !, * / %, + -, < <= > >=, == !=, &&, ||, with C's precedence. Arithmetic is in doubles (/ divides exactly);
// comparisons and logic give 1 or 0; && and || evaluate their right side only when needed. Nothing else:
// no calls, no assignment, no loops, so a sweep file cannot make trainvp do anything but compare numbers.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace trainvp {

// A value of a key or of an expression: a number, or a string (an axis value that is not a number).
struct SweepValue {
    bool is_number = true;
    double number = 0;
    std::string text;  // the string, or the number as written

    static SweepValue of_number(double v);
    static SweepValue of_string(std::string s);
    // The value of an axis or `set:` entry as written in YAML: a number when the whole text is a number,
    // optionally with a size suffix (K, KiB, M, MiB, G, GiB: powers of 1024), else a string.
    static SweepValue parse(const std::string& text);
};

class SweepExpr {
  public:
    // Parses `text`; throws std::invalid_argument "reason at column N" on a syntax error or a name for which
    // `is_known` is false.
    SweepExpr(const std::string& text, const std::function<bool(const std::string&)>& is_known);
    ~SweepExpr();
    SweepExpr(SweepExpr&&) noexcept;
    SweepExpr& operator=(SweepExpr&&) noexcept;

    // Evaluates with `lookup` giving each name's value; throws std::invalid_argument on division by zero,
    // arithmetic or ordering on a string, or a result that is a string.
    bool holds(const std::function<SweepValue(const std::string&)>& lookup) const;

    const std::string& text() const { return text_; }
    // The names the expression reads, in order of first appearance.
    const std::vector<std::string>& names() const { return names_; }

    struct Node;

  private:
    std::string text_;
    std::vector<std::string> names_;
    std::unique_ptr<Node> root_;
};

}  // namespace trainvp
