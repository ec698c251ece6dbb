# Debian's riscv64-unknown-elf-gcc 12 with picolibc, targeting the RV32IMAC host of TrainVP.
# -misa-spec=2.2 keeps Zicsr/Zifencei inside the base ISA so `csrr` assembles, while the plain
# rv32imac/ilp32 picolibc multilib is still the one selected.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy)
set(CMAKE_OBJDUMP riscv64-unknown-elf-objdump)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(TRAINVP_RV_ARCH_FLAGS "-march=rv32imac -misa-spec=2.2 -mabi=ilp32")
set(CMAKE_C_FLAGS_INIT "${TRAINVP_RV_ARCH_FLAGS} --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${TRAINVP_RV_ARCH_FLAGS} --specs=picolibc.specs")
# CMake passes CMAKE_C_FLAGS when linking too, so the arch flags and specs reach the linker once.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
