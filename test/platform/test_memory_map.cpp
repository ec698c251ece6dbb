// The memory map is written once (platform/hw/memory_map.h). This checks that the map is well formed and
// that docs/memory-map.md states exactly the same regions.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "hw/memory_map.h"

namespace {

struct Region {
    std::string name;
    uint64_t base, size;
};

std::vector<Region> regions() {
    std::vector<Region> out;
#define TRAINVP_REGION(name, base, size, desc) out.push_back({#name, uint64_t{base}, uint64_t{size}});
    TRAINVP_MEMORY_MAP(TRAINVP_REGION)
#undef TRAINVP_REGION
    return out;
}

}  // namespace

TEST_CASE("memory map regions are disjoint and sit below 4 GiB") {
    const auto map = regions();
    REQUIRE(map.size() >= 6);
    for (size_t i = 0; i < map.size(); ++i) {
        CHECK(map[i].size > 0);
        CHECK(map[i].base + map[i].size <= (uint64_t{1} << 32));
        for (size_t j = i + 1; j < map.size(); ++j) {
            const bool disjoint =
                map[i].base + map[i].size <= map[j].base || map[j].base + map[j].size <= map[i].base;
            CHECK(disjoint);
        }
    }
    CHECK(TRAINVP_DRAM_BASE == 0x80000000u);
    CHECK(TRAINVP_HOST_AREA_BASE < TRAINVP_DRAM_BASE + TRAINVP_DRAM_WINDOW);
}

TEST_CASE("docs/memory-map.md lists exactly the regions of the memory map") {
    std::ifstream in(std::string(TRAINVP_DOCS_DIR) + "/memory-map.md");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    // Table rows: | name | 0xBASE | 0xSIZE | description |
    const std::regex row(R"(\|\s*`?(\w+)`?\s*\|\s*(0x[0-9A-Fa-f_]+)\s*\|\s*(0x[0-9A-Fa-f_]+)\s*\|)");
    std::vector<Region> documented;
    const std::string s = text.str();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), row); it != std::sregex_iterator(); ++it) {
        auto number = [](std::string v) {
            v.erase(std::remove(v.begin(), v.end(), '_'), v.end());
            return std::stoull(v, nullptr, 16);
        };
        documented.push_back({(*it)[1], number((*it)[2]), number((*it)[3])});
    }
    const auto map = regions();
    REQUIRE(documented.size() == map.size());
    for (size_t i = 0; i < map.size(); ++i) {
        CHECK(documented[i].name == map[i].name);
        CHECK(documented[i].base == map[i].base);
        CHECK(documented[i].size == map[i].size);
    }
}
