#include "cpu/insn_tracer.h"

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "cpu/rv32_decode.h"

namespace trainvp {
namespace {

bool writes_rd(rv32::Format f) {
    switch (f) {
        case rv32::Format::s:
        case rv32::Format::b:
        case rv32::Format::none:
            return false;
        default:
            return true;
    }
}

}  // namespace

InsnTracer::InsnTracer(Rv32Core& core, const std::string& path) : core_(core), path_(path) {
    file_ = std::fopen((path_ + ".partial").c_str(), "w");
    if (!file_) throw UserError(path_ + ": cannot create the instruction trace file");
    core_.set_trace_hook(
        [this](const Rv32Core& c, uint32_t pc, uint32_t bits) { on_instruction(c, pc, bits); });
}

InsnTracer::~InsnTracer() {
    try {
        finish();
    } catch (const UserError&) {
        // Destroyed without finish() on an error path; the error that got us here is the one to report.
    }
}

void InsnTracer::complete_pending(const Rv32Core& core) {
    if (!pending_) return;
    // The hook runs before each instruction, so the previous instruction's result is visible now.
    if (pending_rd_ != 0) std::fprintf(file_, "  x%u=%08x", pending_rd_, core.reg(pending_rd_));
    std::fputc('\n', file_);
    pending_ = false;
}

void InsnTracer::on_instruction(const Rv32Core& core, uint32_t pc, uint32_t bits) {
    complete_pending(core);
    const rv32::DecodedInsn d = rv32::decode(bits);
    const rv32::InsnDesc* desc = rv32::insn_desc(d.op);
    const bool compressed = rv32::is_compressed(bits);
    char mnemonic[24];
    std::snprintf(mnemonic, sizeof mnemonic, "%s", desc ? desc->name : "illegal");
    if (compressed)
        std::fprintf(file_, "%08x      %04x  %-12s", pc, bits & 0xffffu, mnemonic);
    else
        std::fprintf(file_, "%08x  %08x  %-12s", pc, bits, mnemonic);
    pending_rd_ = (desc && writes_rd(desc->format)) ? d.rd : 0;
    pending_ = true;
    ++lines_;
}

void InsnTracer::finish() {
    if (!file_) return;
    complete_pending(core_);
    core_.set_trace_hook(nullptr);
    const bool ok = !std::ferror(file_);
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) throw UserError(path_ + ".partial: write failed");
    std::error_code ec;
    std::filesystem::rename(path_ + ".partial", path_, ec);
    if (ec) throw UserError(path_ + ": cannot rename " + path_ + ".partial: " + ec.message());
}

}  // namespace trainvp
