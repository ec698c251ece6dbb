// Placeholder: semihosting lands with its own change.
#include "host_services.h"

namespace trainvp {
std::unique_ptr<HostService> attach_semihosting(Platform&, const HostServiceOptions&, GuestExit&) {
    return nullptr;
}
}  // namespace trainvp
