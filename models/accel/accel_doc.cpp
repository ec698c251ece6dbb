// accel-doc: prints the accelerator's register, descriptor, opcode, flag, format and error tables as
// markdown from the single-source headers; docs/accelerator.md embeds the output between markers, and
// test_accel_doc checks that the two agree.
#include <cstdio>

#include "accel/accel_desc.h"
#include "accel/accel_regs.h"

namespace {

const char* access_name(int access) {
    switch (access) {
        case ACCEL_ACCESS_RO:
            return "RO";
        case ACCEL_ACCESS_RW:
            return "RW";
        case ACCEL_ACCESS_W1C:
            return "W1C";
        case ACCEL_ACCESS_WO:
            return "WO";
        default:
            return "RO (config)";
    }
}

}  // namespace

int main() {
    std::printf("### Registers\n\n| Offset | Name | Access | Reset | Description |\n|---|---|---|---|---|\n");
#define ROW(name, offset, access, reset, desc)                                                  \
    std::printf("| 0x%03x | `%s` | %s | 0x%08x | %s |\n", static_cast<unsigned>(offset), #name, \
                access_name(ACCEL_ACCESS_##access), static_cast<unsigned>(reset), desc);
    ACCEL_REGS(ROW)
#undef ROW
    std::printf(
        "\n### Descriptor (%u bytes, little-endian)\n\n| Offset | Bytes | Field | Description |\n"
        "|---|---|---|---|\n",
        ACCEL_DESC_BYTES);
#define ROW(field, offset, bytes, desc) std::printf("| %d | %d | `%s` | %s |\n", offset, bytes, #field, desc);
    ACCEL_DESC_FIELDS(ROW)
#undef ROW
    std::printf("\n### Opcodes\n\n| Value | Opcode | Operation |\n|---|---|---|\n");
#define ROW(name, value, desc) std::printf("| 0x%02x | `%s` | %s |\n", value, #name, desc);
    ACCEL_OPCODES(ROW)
#undef ROW
    std::printf("\n### Flags\n\n| Bit | Flag | Meaning |\n|---|---|---|\n");
#define ROW(name, bit, desc) std::printf("| %d | `%s` | %s |\n", bit, #name, desc);
    ACCEL_FLAGS(ROW)
#undef ROW
    std::printf("\n### Operand format slots (`fmt[]`)\n\n| Slot | Name | Operands |\n|---|---|---|\n");
#define ROW(name, index, desc) std::printf("| %d | `%s` | %s |\n", index, #name, desc);
    ACCEL_OPERANDS(ROW)
#undef ROW
    std::printf("\n### Format kinds (code bits 2:0)\n\n| Value | Kind | Meaning |\n|---|---|---|\n");
#define ROW(name, value, desc) std::printf("| %d | `%s` | %s |\n", value, #name, desc);
    ACCEL_FMT_KINDS(ROW)
    std::printf("\n### Rounding (code bits 4:3)\n\n| Value | Rounding | Meaning |\n|---|---|---|\n");
    ACCEL_ROUNDINGS(ROW)
    std::printf("\n### Error codes (`ERR_CODE`)\n\n| Code | Name | Meaning |\n|---|---|---|\n");
    ACCEL_ERRORS(ROW)
#undef ROW
    return 0;
}
