# PE-array timing models (analytic and cycle-stepped), the phase-to-GEMM mapping and the timing parameter
# table: plain C++17 without SystemC, so they are tested on their own (STYLE.md "Function apart from timing").
# Included by models/accel/CMakeLists.txt and, when built without it, by test/accel_timing/CMakeLists.txt.
if(NOT TARGET trainvp_accel_timing)
    set(TRAINVP_ACCEL_TIMING_DIR ${CMAKE_CURRENT_LIST_DIR})
    add_library(trainvp_accel_timing STATIC
        ${TRAINVP_ACCEL_TIMING_DIR}/timing_params.cpp
        ${TRAINVP_ACCEL_TIMING_DIR}/array_timing.cpp
        ${TRAINVP_ACCEL_TIMING_DIR}/array_cycle_model.cpp
        ${TRAINVP_ACCEL_TIMING_DIR}/gemm_mapping.cpp
        ${TRAINVP_ACCEL_TIMING_DIR}/pe_config.cpp
        ${TRAINVP_ACCEL_TIMING_DIR}/scalesim_timing.cpp)
    add_library(TrainVP::accel_timing ALIAS trainvp_accel_timing)
    target_include_directories(trainvp_accel_timing PUBLIC $<BUILD_INTERFACE:${TRAINVP_ROOT}/models>)
    target_link_libraries(trainvp_accel_timing PUBLIC trainvp_kernels PRIVATE trainvp_warnings)
endif()
