#include "periph/clint.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "common/state_io.h"
#include "periph/clint_regs.h"
#include "periph/reg_access.h"

namespace trainvp {

namespace {
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kLow = 0xffffffffull;

// floor(a * b / c) and ceil(a * b / c) for a < c. Exact whenever a * b fits in 64 bits, which holds for
// every power-of-ten or power-of-two timebase; otherwise long double (64-bit mantissa) is close enough.
uint64_t mul_div_floor(uint64_t a, uint64_t b, uint64_t c) {
    if (b == 0 || a <= kMax / b) return a * b / c;
    return static_cast<uint64_t>(std::floor(static_cast<long double>(a) * b / c));
}
uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t c) {
    if (b == 0 || a <= kMax / b) return (a * b + c - 1) / c;
    return static_cast<uint64_t>(std::ceil(static_cast<long double>(a) * b / c));
}
}  // namespace

void ClintConfig::validate() const {
    check_range(timebase_hz, "clint.timebase_hz", kTimebaseHz);
    if (std::floor(timebase_hz) != timebase_hz)
        throw FieldError({&timebase_hz}, "clint.timebase_hz",
                         "must be a whole number of Hz, got " + value_text(timebase_hz));
    if (!std::isfinite(latency_ns) || latency_ns < 0.0)
        throw std::invalid_argument("clint: latency_ns must be a finite value >= 0, got " +
                                    std::to_string(latency_ns));
}

Clint::Clint(sc_core::sc_module_name name, const ClintConfig& config)
    : sc_module(name),
      bus_in("bus_in"),
      timer_irq("timer_irq"),
      soft_irq("soft_irq"),
      config_(config),
      timer_event_("timer_event"),
      soft_event_("soft_event"),
      log_(this->name()) {
    config_.validate();
    latency_ = sc_core::sc_time(config_.latency_ns, sc_core::SC_NS);
    const uint64_t hz = static_cast<uint64_t>(config_.timebase_hz);
    const uint64_t units =
        static_cast<uint64_t>(std::llround(1.0 / sc_core::sc_get_time_resolution().to_seconds()));
    const uint64_t g = std::gcd(hz, units);
    hz_ = hz / g;
    units_per_s_ = units / g;
    mtime_base_time_ = sc_core::SC_ZERO_TIME;

    bus_in.register_b_transport(this, &Clint::b_transport);
    bus_in.register_transport_dbg(this, &Clint::transport_dbg);
    // Both run once at start-up so the outputs begin low.
    SC_METHOD(update_timer_irq);
    sensitive << timer_event_;
    SC_METHOD(update_soft_irq);
    sensitive << soft_event_;
}

uint64_t Clint::mtime_at(const sc_core::sc_time& t) const {
    // A time before the last mtime write (another initiator further behind in its quantum) sees the written
    // value rather than counting backwards.
    if (t <= mtime_base_time_) return mtime_base_;
    const uint64_t units = (t - mtime_base_time_).value();
    const uint64_t ticks =
        (units / units_per_s_) * hz_ + mul_div_floor(units % units_per_s_, hz_, units_per_s_);
    return mtime_base_ + ticks;
}

bool Clint::time_of_mtime(uint64_t target, sc_core::sc_time& at) const {
    const uint64_t ticks = target - mtime_base_;  // caller guarantees target > mtime_base_
    const uint64_t whole = ticks / hz_;
    if (whole > kMax / units_per_s_) return false;
    const uint64_t units = whole * units_per_s_;
    const uint64_t rest = mul_div_ceil(ticks % hz_, units_per_s_, hz_);
    const uint64_t base = mtime_base_time_.value();
    if (rest > kMax - units || units + rest > kMax - base) return false;
    at = sc_core::sc_time::from_value(base + units + rest);
    return true;
}

void Clint::update_timer_irq() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const bool pending = mtime_at(now) >= mtimecmp_;
    timer_irq.write(pending);
    sc_core::sc_time at;
    if (!pending && time_of_mtime(mtimecmp_, at)) timer_event_.notify(at - now);
}

void Clint::update_soft_irq() {
    soft_irq.write(msip_);
}

bool Clint::read_register(uint64_t offset, const sc_core::sc_time& at, uint64_t& value) const {
    switch (offset) {
        case CLINT_REG_MSIP:
            value = msip_ ? 1 : 0;
            return true;
        case CLINT_REG_MTIMECMP_LO:
            value = mtimecmp_;
            return true;
        case CLINT_REG_MTIMECMP_HI:
            value = mtimecmp_ >> 32;
            return true;
        case CLINT_REG_MTIME_LO:
            value = mtime_at(at);
            return true;
        case CLINT_REG_MTIME_HI:
            value = mtime_at(at) >> 32;
            return true;
        default:
            return false;
    }
}

bool Clint::write_register(uint64_t offset, uint64_t value, uint64_t mask, const sc_core::sc_time& at,
                           const sc_core::sc_time& delay) {
    switch (offset) {
        case CLINT_REG_MSIP:
            msip_ = value & 1;
            soft_event_.cancel();
            soft_event_.notify(delay);
            return true;
        case CLINT_REG_MTIMECMP_LO:
        case CLINT_REG_MTIMECMP_HI: {
            const unsigned shift = offset == CLINT_REG_MTIMECMP_HI ? 32 : 0;
            mtimecmp_ = (mtimecmp_ & ~(mask << shift)) | ((value & mask) << shift);
            break;
        }
        case CLINT_REG_MTIME_LO:
        case CLINT_REG_MTIME_HI: {
            const unsigned shift = offset == CLINT_REG_MTIME_HI ? 32 : 0;
            const uint64_t now = mtime_at(at);
            mtime_base_ = (now & ~(mask << shift)) | ((value & mask) << shift);
            mtime_base_time_ = at;
            break;
        }
        default:
            return false;
    }
    // Re-evaluate the comparison when the write takes effect; the method reschedules itself from there.
    timer_event_.cancel();
    timer_event_.notify(delay);
    return true;
}

void Clint::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    std::string why;
    const tlm::tlm_response_status status = check_register_access(trans, true, why);
    if (status != tlm::TLM_OK_RESPONSE) return reject_access(log_, trans, status, why);
    const uint64_t offset = trans.get_address();
    const bool dword = trans.get_data_length() == 8;
    if (dword && offset != CLINT_REG_MTIMECMP_LO && offset != CLINT_REG_MTIME_LO)
        return reject_access(log_, trans, tlm::TLM_BURST_ERROR_RESPONSE,
                             "64-bit access to a 32-bit register");

    const sc_core::sc_time at = sc_core::sc_time_stamp() + delay;
    uint64_t value = 0;
    if (!read_register(offset, at, value))
        return reject_access(log_, trans, tlm::TLM_ADDRESS_ERROR_RESPONSE, "no register at this offset");
    if (trans.is_write()) {
        write_register(offset, payload_value(trans), dword ? kMax : kLow, at, delay);
    } else if (trans.is_read()) {
        set_payload_value(trans, dword ? value : value & kLow);
    }
    delay += latency_;
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Clint::transport_dbg(tlm::tlm_generic_payload& trans) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    return debug_read_words(trans, [this, &now](uint64_t offset, uint32_t& word) {
        uint64_t value = 0;
        if (!read_register(offset, now, value)) return false;
        word = static_cast<uint32_t>(value);
        return true;
    });
}

void Clint::save_state(StateWriter& w) const {
    w.u64(mtime_base_);
    w.u64(mtime_base_time_.value());
    w.u64(mtimecmp_);
    w.boolean(msip_);
}

// Before the simulation the start-up runs of update_timer_irq and update_soft_irq drive the lines and
// schedule the compare; during it they are run again now.
void Clint::restore_state(StateReader& r) {
    const uint64_t base = r.u64(), base_time = r.u64(), cmp = r.u64();
    const bool msip = r.boolean();
    mtime_base_ = base;
    mtime_base_time_ = sc_core::sc_time::from_value(base_time);
    mtimecmp_ = cmp;
    msip_ = msip;
    if (sc_core::sc_is_running()) {
        timer_event_.cancel();
        timer_event_.notify(sc_core::SC_ZERO_TIME);
        soft_event_.cancel();
        soft_event_.notify(sc_core::SC_ZERO_TIME);
    }
}

}  // namespace trainvp
