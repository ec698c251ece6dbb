// Catch2 runner for test executables. libsystemc provides main() and calls sc_main, so the
// session starts from sc_main; SystemC-free tests link the same runner.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
