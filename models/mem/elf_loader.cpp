#include "mem/elf_loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.h"

namespace trainvp {

namespace {

// Values from the System V gABI (ELF32) and the RISC-V psABI.
constexpr uint8_t kElfClass32 = 1;
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1;
constexpr uint8_t kElfData2Msb = 2;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEtDyn = 3;
constexpr uint16_t kEmRiscv = 243;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPfX = 1;
constexpr uint32_t kShtSymtab = 2;
constexpr uint32_t kShtStrtab = 3;
constexpr uint16_t kShnUndef = 0;
constexpr uint8_t kSttSection = 3;
constexpr uint8_t kSttFile = 4;
constexpr uint8_t kStbGlobal = 1;

constexpr uint64_t kEhdrSize = 52;
constexpr uint64_t kPhdrSize = 32;
constexpr uint64_t kShdrSize = 40;
constexpr uint64_t kSymSize = 16;

// Bounds-checked little-endian view of the file: every read names what it was reading when it fails.
class Reader {
  public:
    Reader(const std::vector<uint8_t>& bytes, const std::string& path) : bytes_(bytes), path_(path) {}

    [[noreturn]] void fail(const std::string& reason) const { throw UserError(path_ + ": " + reason); }

    uint64_t size() const { return bytes_.size(); }
    bool contains(uint64_t offset, uint64_t length) const {
        return offset <= bytes_.size() && length <= bytes_.size() - offset;
    }
    void require(uint64_t offset, uint64_t length, const std::string& what) const {
        if (!contains(offset, length))
            fail(what + " (offset " + std::to_string(offset) + ", " + std::to_string(length) +
                 " bytes) is beyond the end of the file (" + std::to_string(bytes_.size()) + " bytes)");
    }
    uint8_t u8(uint64_t offset) const {
        require(offset, 1, "field");
        return bytes_[offset];
    }
    uint16_t u16(uint64_t offset) const {
        require(offset, 2, "field");
        return static_cast<uint16_t>(bytes_[offset] | (bytes_[offset + 1] << 8));
    }
    uint32_t u32(uint64_t offset) const {
        require(offset, 4, "field");
        return static_cast<uint32_t>(bytes_[offset]) | (static_cast<uint32_t>(bytes_[offset + 1]) << 8) |
               (static_cast<uint32_t>(bytes_[offset + 2]) << 16) |
               (static_cast<uint32_t>(bytes_[offset + 3]) << 24);
    }
    const uint8_t* at(uint64_t offset) const { return bytes_.data() + offset; }

  private:
    const std::vector<uint8_t>& bytes_;
    const std::string& path_;
};

void check_header(const Reader& r) {
    static const uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
    if (r.size() < 4 || std::memcmp(r.at(0), kMagic, 4) != 0) r.fail("not an ELF file (bad magic)");
    if (r.size() < 6) r.fail("truncated ELF header");
    const uint8_t cls = r.u8(4);
    if (cls == kElfClass64) r.fail("ELFCLASS64 file; TrainVP runs RV32 (ELFCLASS32) executables");
    if (cls != kElfClass32) r.fail("unknown ELF class " + std::to_string(cls));
    const uint8_t data = r.u8(5);
    if (data == kElfData2Msb) r.fail("big-endian ELF file; RISC-V is little-endian");
    if (data != kElfData2Lsb) r.fail("unknown ELF data encoding " + std::to_string(data));
    if (r.size() < kEhdrSize) r.fail("truncated ELF header");
    const uint16_t machine = r.u16(18);
    if (machine != kEmRiscv) r.fail("not a RISC-V executable (e_machine " + std::to_string(machine) + ")");
    const uint16_t type = r.u16(16);
    if (type == kEtDyn) r.fail("position-independent executable (ET_DYN); link the firmware as ET_EXEC");
    if (type != kEtExec) r.fail("not an executable (e_type " + std::to_string(type) + ")");
}

std::vector<ElfSegment> read_segments(const Reader& r) {
    const uint32_t phoff = r.u32(28);
    const uint16_t phentsize = r.u16(42);
    const uint16_t phnum = r.u16(44);
    if (phnum == 0) r.fail("no program headers");
    if (phentsize < kPhdrSize) r.fail("bad program header size " + std::to_string(phentsize));
    r.require(phoff, uint64_t{phentsize} * phnum, "program header table");

    std::vector<ElfSegment> segments;
    for (uint16_t i = 0; i < phnum; ++i) {
        const uint64_t ph = phoff + uint64_t{phentsize} * i;
        if (r.u32(ph) != kPtLoad) continue;
        const std::string name = "segment " + std::to_string(i);
        ElfSegment seg;
        const uint32_t offset = r.u32(ph + 4);
        seg.vaddr = r.u32(ph + 8);
        seg.paddr = r.u32(ph + 12);
        const uint32_t filesz = r.u32(ph + 16);
        seg.mem_size = r.u32(ph + 20);
        seg.flags = r.u32(ph + 24);
        if (filesz > seg.mem_size)
            r.fail(name + ": p_filesz " + std::to_string(filesz) + " exceeds p_memsz " +
                   std::to_string(seg.mem_size));
        if (uint64_t{seg.paddr} + seg.mem_size > (1ull << 32))
            r.fail(name + ": extends beyond the 32-bit address space");
        r.require(offset, filesz, name + " data");
        if (seg.mem_size == 0) continue;
        seg.data.assign(r.at(offset), r.at(offset) + filesz);
        segments.push_back(std::move(seg));
    }
    if (segments.empty()) r.fail("no loadable (PT_LOAD) segments");
    return segments;
}

// The CPU starts at e_entry (a virtual address), so it must lie in loaded code; anything else would fault at
// the first fetch, before any firmware could report it.
void check_entry(const Reader& r, uint32_t entry, const std::vector<ElfSegment>& segments) {
    std::string executable;
    for (const ElfSegment& seg : segments) {
        if (!(seg.flags & kPfX)) continue;
        if (entry >= seg.vaddr && entry - seg.vaddr < seg.mem_size) return;
        char range[48];
        std::snprintf(range, sizeof range, "%s[0x%08x, 0x%08llx)", executable.empty() ? "" : ", ", seg.vaddr,
                      static_cast<unsigned long long>(uint64_t{seg.vaddr} + seg.mem_size));
        executable += range;
    }
    char where[16];
    std::snprintf(where, sizeof where, "0x%08x", entry);
    if (executable.empty())
        r.fail(std::string("entry point ") + where + ": the file has no executable (PF_X) PT_LOAD segment");
    r.fail(std::string("entry point ") + where +
           " is outside every executable (PF_X) PT_LOAD segment: " + executable);
}

// Reads a NUL-terminated name from a string table without running past its end.
std::string read_name(const Reader& r, uint64_t strtab_off, uint64_t strtab_size, uint32_t index) {
    if (index >= strtab_size) r.fail("symbol name offset " + std::to_string(index) + " is outside .strtab");
    const char* begin = reinterpret_cast<const char*>(r.at(strtab_off + index));
    const void* nul = std::memchr(begin, 0, strtab_size - index);
    if (!nul) r.fail("unterminated symbol name in .strtab");
    return std::string(begin, static_cast<const char*>(nul));
}

std::map<std::string, uint32_t> read_symbols(const Reader& r) {
    std::map<std::string, uint32_t> symbols;
    const uint32_t shoff = r.u32(32);
    const uint16_t shentsize = r.u16(46);
    const uint16_t shnum = r.u16(48);
    // No section table (stripped) or extended numbering (e_shnum 0): no symbols; loading does not need them.
    if (shoff == 0 || shnum == 0) return symbols;
    if (shentsize < kShdrSize) r.fail("bad section header size " + std::to_string(shentsize));
    r.require(shoff, uint64_t{shentsize} * shnum, "section header table");

    auto section = [&](uint32_t index) { return shoff + uint64_t{shentsize} * index; };
    for (uint16_t i = 0; i < shnum; ++i) {
        const uint64_t sh = section(i);
        if (r.u32(sh + 4) != kShtSymtab) continue;
        const uint32_t sym_off = r.u32(sh + 16);
        const uint32_t sym_size = r.u32(sh + 20);
        const uint32_t link = r.u32(sh + 24);
        const uint32_t entsize = r.u32(sh + 36);
        if (entsize != kSymSize) r.fail("bad symbol table entry size " + std::to_string(entsize));
        r.require(sym_off, sym_size, "symbol table");
        if (link == 0 || link >= shnum) r.fail("symbol table links to bad section " + std::to_string(link));
        const uint64_t strsh = section(link);
        if (r.u32(strsh + 4) != kShtStrtab)
            r.fail("symbol table links to a section that is not a string table");
        const uint32_t str_off = r.u32(strsh + 16);
        const uint32_t str_size = r.u32(strsh + 20);
        r.require(str_off, str_size, "string table");

        for (uint64_t s = sym_off; s + kSymSize <= uint64_t{sym_off} + sym_size; s += kSymSize) {
            const uint32_t name_index = r.u32(s);
            const uint8_t info = r.u8(s + 12);
            const uint16_t shndx = r.u16(s + 14);
            const uint8_t type = info & 0xf;
            if (name_index == 0 || shndx == kShnUndef || type == kSttSection || type == kSttFile) continue;
            const std::string name = read_name(r, str_off, str_size, name_index);
            const uint32_t value = r.u32(s + 4);
            // A global definition wins over a local one of the same name (static helpers in several files).
            auto [it, inserted] = symbols.emplace(name, value);
            if (!inserted && (info >> 4) == kStbGlobal) it->second = value;
        }
        break;  // the gABI allows one SHT_SYMTAB per file
    }
    return symbols;
}

}  // namespace

std::optional<uint32_t> ElfImage::symbol(const std::string& name) const {
    auto it = symbols.find(name);
    if (it == symbols.end()) return std::nullopt;
    return it->second;
}

ElfImage parse_elf(const std::vector<uint8_t>& bytes, const std::string& path) {
    const Reader r(bytes, path);
    check_header(r);
    ElfImage image;
    image.entry = r.u32(24);
    image.segments = read_segments(r);
    check_entry(r, image.entry, image.segments);
    image.symbols = read_symbols(r);
    return image;
}

ElfImage load_elf(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw UserError(path + ": is a directory, not an ELF file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot open: " + std::strerror(errno));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw UserError(path + ": read error");
    return parse_elf(bytes, path);
}

}  // namespace trainvp
