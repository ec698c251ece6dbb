// Instruction trace (--trace-insn): one line per executed instruction with pc, instruction bits,
// mnemonic and the register it wrote. Installing it switches the core to its slow loop.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "cpu/rv32_core.h"

namespace trainvp {

class InsnTracer {
  public:
    // Writes to PATH.partial and renames it to PATH in finish(), so a trace file is never half-written.
    // Throws UserError if the file cannot be created.
    InsnTracer(Rv32Core& core, const std::string& path);
    ~InsnTracer();
    InsnTracer(const InsnTracer&) = delete;
    InsnTracer& operator=(const InsnTracer&) = delete;

    // Completes the last line, closes and publishes the file; UserError naming it if a write or the rename
    // failed. Called by the destructor (errors ignored) if not before.
    void finish();
    uint64_t lines() const { return lines_; }

  private:
    void on_instruction(const Rv32Core& core, uint32_t pc, uint32_t bits);
    void complete_pending(const Rv32Core& core);

    Rv32Core& core_;
    std::string path_;
    std::FILE* file_ = nullptr;
    uint64_t lines_ = 0;
    bool pending_ = false;    // a line was started and waits for the written register's value
    uint8_t pending_rd_ = 0;  // 0: the instruction writes no register
};

}  // namespace trainvp
