// Reader for the firmware images the platform runs: little-endian ELF32 RISC-V executables. SystemC-free.
// Every malformed input is a trainvp::UserError "PATH: reason"; the reader never indexes outside the file.
// An entry point outside every executable (PF_X) PT_LOAD segment is malformed too.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainvp {

struct ElfSegment {
    uint32_t paddr = 0;  // load address (p_paddr; the platform has no MMU, so this is where the bytes go)
    uint32_t vaddr = 0;
    std::vector<uint8_t> data;  // the p_filesz bytes from the file
    uint32_t mem_size = 0;      // p_memsz >= data.size(); the rest is zero-filled (.bss)
    uint32_t flags = 0;         // PF_X = 1, PF_W = 2, PF_R = 4
};

struct ElfImage {
    uint32_t entry = 0;
    std::vector<ElfSegment> segments;         // PT_LOAD segments in program header order
    std::map<std::string, uint32_t> symbols;  // defined symbols from .symtab (empty if stripped)

    std::optional<uint32_t> symbol(const std::string& name) const;
};

ElfImage load_elf(const std::string& path);

// Parses an image already in memory; `path` only names it in error messages.
ElfImage parse_elf(const std::vector<uint8_t>& bytes, const std::string& path);

}  // namespace trainvp
