/* Machine external interrupt dispatch through the PLIC: claim, the source's handler, complete. */
#include "trainvp/plic.h"

#include <stddef.h>

#include "trainvp/csr.h"
#include "trainvp/trap.h"

volatile uint32_t plic_claims;
volatile uint32_t plic_spurious;
volatile uint32_t plic_last_mcause;
volatile uint32_t plic_last_source;
volatile int32_t plic_last_vector;

static plic_handler_t handlers[TRAINVP_IRQ_COUNT];

/* Claims until the PLIC has nothing left (PLIC spec 1.0.0 section 9: a handler may serve several sources
 * per trap). A level source still high at completion interrupts again, which the loop serves at once. The
 * bound keeps a line that never drops from locking up the trap. */
static void plic_dispatch(struct trap_frame* frame) {
    plic_last_mcause = frame->mcause;
    plic_last_vector = frame->vector;
    for (unsigned round = 0; round < TRAINVP_IRQ_COUNT; ++round) {
        const uint32_t source = plic_claim();
        if (source == 0) {
            if (round == 0) ++plic_spurious;
            return;
        }
        plic_last_source = source;
        if (source < TRAINVP_IRQ_COUNT && handlers[source] != NULL) {
            ++plic_claims;
            handlers[source](source);
        } else {
            ++plic_spurious;
        }
        plic_complete(source);
    }
}

int plic_attach(uint32_t source, uint32_t priority, plic_handler_t handler) {
    if (source == 0 || source >= TRAINVP_IRQ_COUNT || priority == 0 || priority > PLIC_PRIORITY_MAX ||
        handler == NULL)
        return -1;
    handlers[source] = handler;
    trap_set_interrupt_handler(IRQ_M_EXT, plic_dispatch);
    plic_set_priority(source, priority);
    plic_enable(source);
    csr_set(CSR_MIE, MIE_MEIE);
    return 0;
}

void plic_detach(uint32_t source) {
    if (source == 0 || source >= TRAINVP_IRQ_COUNT) return;
    plic_disable(source);
    handlers[source] = NULL;
}
