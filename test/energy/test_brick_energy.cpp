// The brick PE's actions and area (docs/energy.md "Actions", "Area"), priced by hand from tech/45nm.yaml:
// 8x8 multiply 0.2 pJ / 282 um2 (a 4x4 brick is 16/64 of it), 32-bit add 0.1 pJ / 137 um2 (proportional
// beyond), register 0.009 pJ / 5.98 um2 per bit, 2:1 multiplexer 0.000921 pJ / 2.22 um2 per bit.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "energy/energy_model.h"
#include "energy/technology.h"

using namespace trainvp::energy;

namespace {

EnergyConfig brick_config() {
    EnergyConfig cfg;
    cfg.brick.enabled = true;
    cfg.brick.brick_bits = 4;
    cfg.brick.bricks = 4;
    cfg.brick.acc_bits = 38;
    cfg.brick.shift_range = 29;  // fp16: five shifter stages
    return cfg;
}

}  // namespace

TEST_CASE("brick PE actions have their hand-computed prices", "[energy][bricks]") {
    const EnergyModel m(reference_table(), brick_config());
    CHECK(m.price_pj({"pe_array", "brick_product", "4"}) == Approx(0.2 * 16 / 64));
    CHECK(m.price_pj({"pe_array", "brick_acc", "38"}) ==
          Approx(5 * 38 * 0.000921 + 0.1 * 38 / 32 + 38 * 0.009));
    CHECK(m.price_pj({"pe_array", "brick_combine", "48"}) == Approx(0.1 * 48 / 32 + 48 * 0.009));
    // Not a brick PE: the brick actions do not exist.
    const EnergyModel uniform(reference_table(), EnergyConfig{});
    CHECK_THROWS_WITH(uniform.price_pj({"pe_array", "brick_product", "4"}),
                      Catch::Contains("not a brick PE"));
}

TEST_CASE("brick PE area: the bricks replace the multiplier", "[energy][bricks][area]") {
    const EnergyModel bricks(reference_table(), brick_config());
    const EnergyModel uniform(reference_table(), EnergyConfig{});
    const double brick = 282.0 * 16 / 64 + 5 * 2.22 * 38 + 137.0 * 38 / 32 + 5.98 * 38;
    const double mult16 = 282 + (256.0 - 64) * (3495 - 282) / (1024 - 64);  // the fx16 x fx16 multiplier
    for (Variant v : {Variant::training, Variant::inference_only})
        CHECK(bricks.area(v).components.at("pe_array").area_um2 -
                  uniform.area(v).components.at("pe_array").area_um2 ==
              Approx(256 * (4 * brick - mult16)));
}
