/* Trap dispatch: per-cause handler tables and the default reports for anything unhandled. */
#include "trainvp/trap.h"

#include <stddef.h>
#include <unistd.h>

#include "trainvp/csr.h"
#include "trainvp/hal.h"

_Static_assert(offsetof(struct trap_frame, mepc) == TRAP_FRAME_MEPC, "frame layout");
_Static_assert(offsetof(struct trap_frame, mcause) == TRAP_FRAME_MCAUSE, "frame layout");
_Static_assert(offsetof(struct trap_frame, mtval) == TRAP_FRAME_MTVAL, "frame layout");
_Static_assert(offsetof(struct trap_frame, mstatus) == TRAP_FRAME_MSTATUS, "frame layout");
_Static_assert(offsetof(struct trap_frame, vector) == TRAP_FRAME_VECTOR, "frame layout");
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "frame layout");

static trap_handler_t exception_handlers[TRAP_MAX_CAUSE];
static trap_handler_t interrupt_handlers[TRAP_MAX_CAUSE];

void trap_install(void) {
    csr_write(CSR_MTVEC, (uint32_t)(uintptr_t)&trap_entry);
}

void trap_install_vectored(void) {
    csr_write(CSR_MTVEC, (uint32_t)(uintptr_t)trap_vector_table | MTVEC_MODE_VECTORED);
}

/* Installed before main() (picolibc's crt0 runs constructors first), so even a program that never
 * calls trap_install() reports its faults instead of jumping to mtvec's reset value. */
__attribute__((constructor)) static void trap_install_at_startup(void) {
    trap_install();
}

static trap_handler_t set_handler(trap_handler_t* table, uint32_t cause, trap_handler_t handler) {
    if (cause >= TRAP_MAX_CAUSE) return NULL;
    trap_handler_t previous = table[cause];
    table[cause] = handler;
    return previous;
}

trap_handler_t trap_set_exception_handler(uint32_t cause, trap_handler_t handler) {
    return set_handler(exception_handlers, cause, handler);
}

trap_handler_t trap_set_interrupt_handler(uint32_t cause, trap_handler_t handler) {
    return set_handler(interrupt_handlers, cause, handler);
}

uint32_t trap_instruction_at(uint32_t addr) {
    const volatile uint16_t* parcel = (const volatile uint16_t*)(uintptr_t)addr;
    uint32_t low = parcel[0];
    if ((low & 3u) != 3u) return low;
    return low | ((uint32_t)parcel[1] << 16);
}

uint32_t trap_instruction_length(uint32_t insn) {
    return (insn & 3u) == 3u ? 4u : 2u;
}

void trap_skip_instruction(struct trap_frame* frame) {
    frame->mepc += trap_instruction_length(trap_instruction_at(frame->mepc));
}

const char* trap_cause_name(uint32_t mcause) {
    static const char* const exceptions[] = {
        "instruction address misaligned",
        "instruction access fault",
        "illegal instruction",
        "breakpoint",
        "load address misaligned",
        "load access fault",
        "store/AMO address misaligned",
        "store access fault",
        "environment call from U-mode",
        "environment call from S-mode",
        "reserved",
        "environment call from M-mode",
        "instruction page fault",
        "load page fault",
        "reserved",
        "store/AMO page fault",
    };
    uint32_t code = mcause & MCAUSE_CODE_MASK;
    if (mcause & MCAUSE_INTERRUPT) {
        switch (code) {
            case IRQ_M_SOFT:
                return "machine software interrupt";
            case IRQ_M_TIMER:
                return "machine timer interrupt";
            case IRQ_M_EXT:
                return "machine external interrupt";
            default:
                return "interrupt";
        }
    }
    return code < sizeof exceptions / sizeof exceptions[0] ? exceptions[code] : "exception";
}

static void report_unhandled(const struct trap_frame* frame) {
    console_puts("trainvp: unhandled ");
    console_puts(trap_cause_name(frame->mcause));
    console_puts(": mcause ");
    console_put_hex32(frame->mcause);
    console_puts(" mepc ");
    console_put_hex32(frame->mepc);
    console_puts(" mtval ");
    console_put_hex32(frame->mtval);
    console_putc('\n');
}

void trap_dispatch(struct trap_frame* frame) {
    uint32_t code = frame->mcause & MCAUSE_CODE_MASK;
    trap_handler_t* table = (frame->mcause & MCAUSE_INTERRUPT) ? interrupt_handlers : exception_handlers;
    if (code < TRAP_MAX_CAUSE && table[code] != NULL) {
        table[code](frame);
        return;
    }
    report_unhandled(frame);
    /* _exit, not exit: no atexit handlers or stdio flushing from inside a trap. */
    if (frame->mcause & MCAUSE_INTERRUPT) _exit(TRAP_EXIT_UNHANDLED_IRQ + (int)(code & 0x3f));
    _exit(TRAP_EXIT_UNHANDLED_EXCEPTION + (int)(code & 0x3f));
}
