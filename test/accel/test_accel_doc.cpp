// Consistency of the single-source tables (accel_regs.h, accel_desc.h): unique, aligned register offsets;
// unique opcodes, error codes and flags; a contiguous descriptor layout; the same layout in C; and
// docs/accelerator.md containing exactly what accel-doc prints.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"

extern "C" {
size_t accel_c_desc_size(void);
size_t accel_c_offset_lr(void);
size_t accel_c_offset_addr_x(void);
unsigned accel_c_reg_doorbell(void);
unsigned accel_c_fmt_fx16_8(void);
}

TEST_CASE("register offsets are unique, word aligned and inside the register span", "[accel][doc]") {
    std::set<unsigned> offsets;
    std::set<std::string> names;
    int n = 0;
#define CHECK_REG(name, offset, access, reset, desc) \
    CHECK((offset) % 4 == 0);                        \
    CHECK((offset) < ACCEL_REG_SPAN);                \
    CHECK(offsets.insert(offset).second);            \
    CHECK(names.insert(#name).second);               \
    ++n;
    ACCEL_REGS(CHECK_REG)
#undef CHECK_REG
    CHECK(n >= 30);
}

TEST_CASE("opcodes, error codes, flags and operand slots are unique and dense", "[accel][doc]") {
    std::set<int> values;
#define CHECK_DENSE(name, value, desc) CHECK(values.insert(value).second);
    ACCEL_OPCODES(CHECK_DENSE)
    CHECK(values.size() == ACCEL_OP_COUNT);
    CHECK(*values.rbegin() == ACCEL_OP_COUNT - 1);
    values.clear();
    ACCEL_ERRORS(CHECK_DENSE)
    CHECK(values.size() == ACCEL_ERR_COUNT);
    values.clear();
    ACCEL_FLAGS(CHECK_DENSE)
    CHECK(values.size() == 7);
    CHECK(*values.rbegin() == 6);
    CHECK(ACCEL_FLAGS_ALL == (1u << values.size()) - 1u);  // the descriptor check accepts exactly these
    values.clear();
    ACCEL_OPERANDS(CHECK_DENSE)
    CHECK(values.size() == 8);
    values.clear();
    ACCEL_FMT_KINDS(CHECK_DENSE)
    CHECK(values.size() == ACCEL_FMT_KIND_COUNT);
#undef CHECK_DENSE
}

TEST_CASE("the descriptor fields tile its 160 bytes, in C as in C++", "[accel][doc]") {
    size_t next = 0;
#define CHECK_FIELD(field, offset, bytes, desc) \
    CHECK((offset) == next);                    \
    next = (offset) + (bytes);
    ACCEL_DESC_FIELDS(CHECK_FIELD)
#undef CHECK_FIELD
    CHECK(next == ACCEL_DESC_BYTES);
    CHECK(accel_c_desc_size() == sizeof(accel_desc));
    CHECK(accel_c_offset_lr() == offsetof(accel_desc, lr));
    CHECK(accel_c_offset_addr_x() == offsetof(accel_desc, addr_x));
    CHECK(accel_c_reg_doorbell() == ACCEL_REG_DOORBELL);
    CHECK(accel_c_fmt_fx16_8() == ACCEL_FMT(ACCEL_FMT_KIND_FIXED, ACCEL_RND_RNE, 16, 8));
}

TEST_CASE("docs/accelerator.md holds exactly the tables accel-doc prints", "[accel][doc]") {
    std::string generated;
    FILE* p = popen(TRAINVP_ACCEL_DOC, "r");
    REQUIRE(p);
    std::array<char, 4096> buf;
    size_t got;
    while ((got = fread(buf.data(), 1, buf.size(), p)) > 0) generated.append(buf.data(), got);
    REQUIRE(pclose(p) == 0);
    REQUIRE(generated.find("| 0x090 | `DOORBELL` |") != std::string::npos);

    std::ifstream in(std::string(TRAINVP_DOCS_DIR) + "/accelerator.md");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const std::string doc = text.str();
    const std::string begin = "<!-- accel-doc begin -->\n", end = "<!-- accel-doc end -->";
    const size_t b = doc.find(begin), e = doc.find(end);
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    INFO("regenerate with: accel-doc, and paste between the markers of docs/accelerator.md");
    CHECK(doc.substr(b + begin.size(), e - b - begin.size()) == generated);
}
