// State that a part of the accelerator keeps between descriptors, for checkpoints (docs/user-guide.md
// "Checkpoints and resuming", docs/accelerator.md "Checkpoints"). The module that owns the state saves and
// restores it: the controller its registers, ring, error state, performance counters and statistics, each
// buffer its contents and counters, the DMA engine its counters. A replacement part (AcceleratorParts) that
// keeps state between descriptors implements this too; the Accelerator finds it with dynamic_cast. A
// replacement buffer that does not is saved through its transport_dbg; a compute part that does not keeps
// nothing between descriptors.
#pragma once

namespace trainvp {
class StateWriter;
class StateReader;
}  // namespace trainvp

namespace trainvp::accel {

class PartState {
  public:
    // Saved only between descriptors (Controller::quiescent()).
    virtual void save_state(StateWriter& w) const = 0;
    // Before the simulation starts, or while it runs with the accelerator quiescent. Throws StateError for an
    // image this part cannot hold (another size, a damaged count).
    virtual void restore_state(StateReader& r) = 0;

  protected:
    PartState() = default;
    PartState(const PartState&) = default;
    PartState& operator=(const PartState&) = default;
    ~PartState() = default;
};

}  // namespace trainvp::accel
