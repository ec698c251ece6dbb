// ELF loader: images built byte by byte here (independent of the loader's own parsing), plus every
// truncation and a deterministic sweep of corruptions of a valid image, which must all end in UserError.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "mem/elf_loader.h"

using trainvp::ElfImage;
using trainvp::UserError;

namespace {

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
    b.at(off) = v & 0xff;
    b.at(off + 1) = v >> 8;
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.at(off + i) = (v >> (8 * i)) & 0xff;
}

// Minimal ELF32 writer: header, program headers, segment bytes, .strtab, .symtab, section headers.
struct ElfBuilder {
    struct Segment {
        uint32_t type = 1;  // PT_LOAD
        uint32_t vaddr, paddr, memsz, flags;
        std::vector<uint8_t> data;
    };
    struct Symbol {
        std::string name;
        uint32_t value;
        uint8_t info;  // (bind << 4) | type
        uint16_t shndx;
    };
    uint16_t type = 2;       // ET_EXEC
    uint16_t machine = 243;  // EM_RISCV
    uint32_t entry = 0x80000000;
    std::vector<Segment> segments;
    std::vector<Symbol> symbols;
    bool sections = true;

    // File offsets of the interesting parts, for corruption tests.
    size_t phoff = 0, shoff = 0, symtab_off = 0, strtab_off = 0;
    std::vector<size_t> data_off;

    std::vector<uint8_t> build() {
        std::vector<uint8_t> b(52, 0);
        phoff = 52;
        b.resize(phoff + 32 * segments.size());
        data_off.clear();
        for (const Segment& s : segments) {
            data_off.push_back(b.size());
            b.insert(b.end(), s.data.begin(), s.data.end());
        }
        strtab_off = b.size();
        std::vector<uint32_t> name_index;
        b.push_back(0);
        for (const Symbol& s : symbols) {
            name_index.push_back(static_cast<uint32_t>(b.size() - strtab_off));
            b.insert(b.end(), s.name.begin(), s.name.end());
            b.push_back(0);
        }
        const size_t strtab_size = b.size() - strtab_off;
        while (b.size() % 4) b.push_back(0);
        symtab_off = b.size();
        b.resize(b.size() + 16 * (symbols.size() + 1));  // entry 0 is the null symbol
        for (size_t i = 0; i < symbols.size(); ++i) {
            const size_t e = symtab_off + 16 * (i + 1);
            put32(b, e, name_index[i]);
            put32(b, e + 4, symbols[i].value);
            b[e + 12] = symbols[i].info;
            put16(b, e + 14, symbols[i].shndx);
        }
        const size_t symtab_size = b.size() - symtab_off;
        shoff = b.size();
        b.resize(b.size() + 40 * 3);  // [0] null, [1] .symtab, [2] .strtab
        put32(b, shoff + 40 + 4, 2);
        put32(b, shoff + 40 + 16, static_cast<uint32_t>(symtab_off));
        put32(b, shoff + 40 + 20, static_cast<uint32_t>(symtab_size));
        put32(b, shoff + 40 + 24, 2);
        put32(b, shoff + 40 + 36, 16);
        put32(b, shoff + 80 + 4, 3);
        put32(b, shoff + 80 + 16, static_cast<uint32_t>(strtab_off));
        put32(b, shoff + 80 + 20, static_cast<uint32_t>(strtab_size));

        const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0};
        std::copy(ident, ident + 16, b.begin());
        put16(b, 16, type);
        put16(b, 18, machine);
        put32(b, 20, 1);
        put32(b, 24, entry);
        put32(b, 28, static_cast<uint32_t>(phoff));
        put32(b, 32, sections ? static_cast<uint32_t>(shoff) : 0);
        put16(b, 40, 52);
        put16(b, 42, 32);
        put16(b, 44, static_cast<uint16_t>(segments.size()));
        put16(b, 46, 40);
        put16(b, 48, sections ? 3 : 0);
        for (size_t i = 0; i < segments.size(); ++i) {
            const size_t p = phoff + 32 * i;
            const Segment& s = segments[i];
            put32(b, p, s.type);
            put32(b, p + 4, static_cast<uint32_t>(data_off[i]));
            put32(b, p + 8, s.vaddr);
            put32(b, p + 12, s.paddr);
            put32(b, p + 16, static_cast<uint32_t>(s.data.size()));
            put32(b, p + 20, s.memsz);
            put32(b, p + 24, s.flags);
            put32(b, p + 28, 4);
        }
        return b;
    }
};

ElfBuilder typical() {
    ElfBuilder e;
    e.entry = 0x80000004;
    e.segments.push_back({1, 0x80000000, 0x80000000, 8, 5, {0x13, 0, 0, 0, 0x6f, 0, 0, 0}});
    e.segments.push_back({6, 0, 0, 0, 0, {}});                               // PT_NOTE-like, ignored
    e.segments.push_back({1, 0x00001000, 0x80400000, 16, 6, {1, 2, 3, 4}});  // LMA != VMA, .bss tail
    e.symbols.push_back({"_start", 0x80000004, 0x12, 1});                    // GLOBAL FUNC
    e.symbols.push_back({"helper", 0x80000100, 0x02, 1});                    // LOCAL FUNC
    e.symbols.push_back({"helper", 0x80000200, 0x12, 1});                    // a GLOBAL of the same name wins
    e.symbols.push_back({"extern_sym", 0, 0x10, 0});                         // undefined: skipped
    e.symbols.push_back({"file.c", 0, 0x04, 0xfff1});                        // STT_FILE: skipped
    e.symbols.push_back({"tohost", 0x80001000, 0x11, 2});                    // GLOBAL OBJECT
    return e;
}

std::string temp_path(const std::string& tag) {
    return "/tmp/trainvp_elf_test_" + std::to_string(::getpid()) + "_" + tag + ".elf";
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Expects a UserError whose message is "PATH: <reason containing `reason`>" on one line.
void require_user_error(const std::vector<uint8_t>& bytes, const std::string& reason) {
    try {
        trainvp::parse_elf(bytes, "fw.elf");
        FAIL("no error for a file that should fail with: " << reason);
    } catch (const UserError& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.rfind("fw.elf: ", 0) == 0);
        CHECK(msg.find('\n') == std::string::npos);
        CHECK(msg.find(reason) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("elf loader reads entry, PT_LOAD segments and symbols", "[elf]") {
    ElfBuilder e = typical();
    const std::string path = temp_path("good");
    write_file(path, e.build());
    const ElfImage img = trainvp::load_elf(path);
    std::remove(path.c_str());

    CHECK(img.entry == 0x80000004);
    REQUIRE(img.segments.size() == 2);
    CHECK(img.segments[0].paddr == 0x80000000);
    CHECK(img.segments[0].vaddr == 0x80000000);
    CHECK(img.segments[0].data == std::vector<uint8_t>{0x13, 0, 0, 0, 0x6f, 0, 0, 0});
    CHECK(img.segments[0].mem_size == 8);
    CHECK(img.segments[0].flags == 5);
    CHECK(img.segments[1].paddr == 0x80400000);
    CHECK(img.segments[1].vaddr == 0x00001000);
    CHECK(img.segments[1].data == std::vector<uint8_t>{1, 2, 3, 4});
    CHECK(img.segments[1].mem_size == 16);

    CHECK(img.symbol("_start") == 0x80000004u);
    CHECK(img.symbol("helper") == 0x80000200u);
    CHECK(img.symbol("tohost") == 0x80001000u);
    CHECK_FALSE(img.symbol("extern_sym").has_value());
    CHECK_FALSE(img.symbol("file.c").has_value());
    CHECK_FALSE(img.symbol("missing").has_value());
    CHECK(img.symbols.size() == 3);
}

TEST_CASE("elf loader accepts a stripped image without a section table", "[elf]") {
    ElfBuilder e = typical();
    e.sections = false;
    const ElfImage img = trainvp::parse_elf(e.build(), "fw.elf");
    CHECK(img.segments.size() == 2);
    CHECK(img.symbols.empty());
}

TEST_CASE("elf loader reports missing files and directories", "[elf]") {
    REQUIRE_THROWS_AS(trainvp::load_elf("/nonexistent/dir/fw.elf"), UserError);
    REQUIRE_THROWS_WITH(trainvp::load_elf("/nonexistent/dir/fw.elf"),
                        Catch::StartsWith("/nonexistent/dir/fw.elf: cannot open"));
    REQUIRE_THROWS_WITH(trainvp::load_elf("/tmp"),
                        Catch::StartsWith("/tmp: ") && Catch::Contains("directory"));
}

TEST_CASE("elf loader rejects files that are not RV32 little-endian executables", "[elf]") {
    std::vector<uint8_t> good = typical().build();

    require_user_error({}, "not an ELF file");
    require_user_error({'#', '!', '/', 'b', 'i', 'n'}, "not an ELF file");

    auto bad = good;
    bad[4] = 2;
    require_user_error(bad, "ELFCLASS64");
    bad = good;
    bad[4] = 7;
    require_user_error(bad, "ELF class");
    bad = good;
    bad[5] = 2;
    require_user_error(bad, "big-endian");

    ElfBuilder e = typical();
    e.machine = 62;  // x86-64
    require_user_error(e.build(), "not a RISC-V");
    e = typical();
    e.type = 3;
    require_user_error(e.build(), "ET_DYN");
    e.type = 1;  // relocatable object
    require_user_error(e.build(), "not an executable");
}

TEST_CASE("elf loader rejects inconsistent headers and tables", "[elf]") {
    ElfBuilder e = typical();
    const std::vector<uint8_t> good = e.build();

    require_user_error(std::vector<uint8_t>(good.begin(), good.begin() + 40), "truncated ELF header");

    auto bad = good;
    put32(bad, 28, static_cast<uint32_t>(good.size() - 8));  // e_phoff near the end
    require_user_error(bad, "program header table");
    bad = good;
    put16(bad, 44, 0);
    require_user_error(bad, "no program headers");
    bad = good;
    put16(bad, 42, 16);
    require_user_error(bad, "program header size");

    bad = good;
    put32(bad, e.phoff + 4, static_cast<uint32_t>(good.size() - 2));  // segment 0 data past the end
    require_user_error(bad, "segment 0 data");
    bad = good;
    put32(bad, e.phoff + 64 + 12, 0);  // segment 2 p_filesz huge: offset + size overflows 32 bits
    put32(bad, e.phoff + 64 + 16, 0xfffffff0u);
    put32(bad, e.phoff + 64 + 20, 0xfffffff0u);
    require_user_error(bad, "segment 2 data");
    bad = good;
    put32(bad, e.phoff + 64 + 20, 2);  // segment 2 p_memsz < p_filesz
    require_user_error(bad, "exceeds p_memsz");
    bad = good;
    put32(bad, e.phoff + 12, 0xfffffffcu);  // segment 0 wraps the 32-bit address space
    require_user_error(bad, "32-bit address space");
    bad = good;
    put32(bad, e.phoff, 6);
    put32(bad, e.phoff + 64, 6);
    require_user_error(bad, "no loadable");

    bad = good;
    put32(bad, 32, static_cast<uint32_t>(good.size() - 20));  // e_shoff past the end
    require_user_error(bad, "section header table");
    bad = good;
    put16(bad, 46, 20);
    require_user_error(bad, "section header size");
    bad = good;
    put32(bad, e.shoff + 40 + 16, static_cast<uint32_t>(good.size()));  // .symtab data past the end
    require_user_error(bad, "symbol table");
    bad = good;
    put32(bad, e.shoff + 40 + 36, 24);
    require_user_error(bad, "entry size");
    bad = good;
    put32(bad, e.shoff + 40 + 24, 7);  // sh_link to a section that does not exist
    require_user_error(bad, "bad section");
    bad = good;
    put32(bad, e.shoff + 40 + 24, 1);  // sh_link to itself, not a string table
    require_user_error(bad, "not a string table");
    bad = good;
    put32(bad, e.shoff + 80 + 20, 0x10000);  // .strtab size past the end
    require_user_error(bad, "string table");
    bad = good;
    put32(bad, e.symtab_off + 16, 0x7000);  // symbol 1 name outside .strtab
    require_user_error(bad, "outside .strtab");
    bad = good;
    put32(bad, e.shoff + 80 + 20, 3);  // .strtab cut inside "_start": name not terminated
    require_user_error(bad, "unterminated");
}

TEST_CASE("elf loader rejects an entry point outside every executable segment", "[elf]") {
    ElfBuilder e = typical();
    e.entry = 0x12345678;  // nowhere near a segment
    require_user_error(e.build(),
                       "entry point 0x12345678 is outside every executable (PF_X) PT_LOAD segment");
    require_user_error(e.build(), "[0x80000000, 0x80000008)");  // names where code is
    e.entry = 0x80000008;                                       // one past the end of the code segment
    require_user_error(e.build(), "entry point 0x80000008 is outside");
    e.entry = 0x00001000;  // inside a loaded segment, but a writable data one (flags RW)
    require_user_error(e.build(), "entry point 0x00001000 is outside");
    e.entry = 0x80400000;  // the data segment's load address (LMA): the entry is a virtual address
    require_user_error(e.build(), "entry point 0x80400000 is outside");
    e.segments[0].flags = 4;  // no executable segment at all
    e.entry = 0x80000000;
    require_user_error(e.build(), "no executable (PF_X) PT_LOAD segment");

    // The first and last byte of the code segment, and the zero-filled tail of an executable segment (loaded
    // memory: a fetch there is an illegal instruction the firmware can see, not a fault outside RAM).
    ElfBuilder ok = typical();
    ok.entry = 0x80000000;
    CHECK(trainvp::parse_elf(ok.build(), "fw.elf").entry == 0x80000000);
    ok.entry = 0x80000007;
    CHECK(trainvp::parse_elf(ok.build(), "fw.elf").entry == 0x80000007);
    ok.segments[0].memsz = 0x100;
    ok.entry = 0x800000f0;
    CHECK(trainvp::parse_elf(ok.build(), "fw.elf").entry == 0x800000f0);
}

TEST_CASE("elf loader survives every truncation of a valid image", "[elf]") {
    const std::vector<uint8_t> good = typical().build();
    size_t errors = 0;
    for (size_t n = 0; n < good.size(); ++n) {
        const std::vector<uint8_t> cut(good.begin(), good.begin() + n);
        try {
            trainvp::parse_elf(cut, "cut.elf");
        } catch (const UserError& e) {
            ++errors;
            CHECK(std::string(e.what()).rfind("cut.elf: ", 0) == 0);
        }
    }
    // The section headers come last, so every strict prefix is malformed.
    CHECK(errors == good.size());
}

TEST_CASE("elf loader survives random corruption without leaving its buffer", "[elf]") {
    const std::vector<uint8_t> good = typical().build();
    std::mt19937 rng(12345);
    std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    size_t parsed = 0, rejected = 0;
    for (int round = 0; round < 20000; ++round) {
        std::vector<uint8_t> bad = good;
        for (int k = 0; k < 1 + round % 4; ++k) bad[pos(rng)] = static_cast<uint8_t>(byte(rng));
        try {
            const ElfImage img = trainvp::parse_elf(bad, "fuzz.elf");
            for (const auto& s : img.segments) REQUIRE(s.data.size() <= s.mem_size);
            ++parsed;
        } catch (const UserError&) {
            ++rejected;
        }
    }
    CHECK(parsed + rejected == 20000);
    CHECK(rejected > 0);
    CHECK(parsed > 0);
}

#ifdef TRAINVP_TEST_REAL_ELF
TEST_CASE("elf loader reads an executable linked by the RISC-V GNU toolchain", "[elf]") {
    const ElfImage img = trainvp::load_elf(TRAINVP_TEST_REAL_ELF);
    REQUIRE(img.symbol("_start").has_value());
    CHECK(img.entry == *img.symbol("_start"));
    CHECK(img.entry == 0x80000000);
    REQUIRE(img.symbol("answer").has_value());
    REQUIRE(img.symbol("scratch").has_value());

    // Find the bytes at an address the way the platform will copy them: segment by segment, at p_paddr.
    auto byte_at = [&](uint32_t addr) -> int {
        for (const auto& s : img.segments) {
            if (addr < s.paddr || addr - s.paddr >= s.mem_size) continue;
            const uint32_t off = addr - s.paddr;
            return off < s.data.size() ? s.data[off] : 0;
        }
        return -1;
    };
    auto word_at = [&](uint32_t addr) {
        uint32_t w = 0;
        for (int i = 3; i >= 0; --i) w = (w << 8) | static_cast<uint32_t>(byte_at(addr + i));
        return w;
    };
    CHECK(word_at(img.entry) == 0x02a00513u);      // addi a0, zero, 42
    CHECK(word_at(img.entry + 4) == 0xffdff06fu);  // jal zero, -4
    CHECK(word_at(*img.symbol("answer")) == 0x12345678u);
    CHECK(byte_at(*img.symbol("scratch") + 63) == 0);  // .bss is covered by p_memsz and zero-filled
    for (const auto& s : img.segments) CHECK(s.data.size() <= s.mem_size);
}
#endif
