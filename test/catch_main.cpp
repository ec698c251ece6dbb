// Catch2 runner for test executables. libsystemc calls sc_main from the kernel's entry point; our own
// main() silences SystemC's banner first (it prints when the kernel starts, which can precede sc_main).
// SystemC-free tests link the same runner.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <systemc>

int main(int argc, char* argv[]) {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
