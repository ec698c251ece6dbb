# Prepares a semihosting sandbox, runs the command after -- through expect-exit.cmake, then checks what
# the firmware left in (and next to) the sandbox.
#   cmake -DCASE=hello|escape -DWORK_DIR=<dir> -DEXPECT_EXIT=<code> [-DEXPECT_REGEX=<regex>]
#         -P semihost.cmake -- <trainvp run ... --semihost-dir WORK_DIR/box ...>
# Layout: WORK_DIR/box is the sandbox; WORK_DIR/outside.txt sits next to it, outside.
if(NOT DEFINED CASE OR NOT DEFINED WORK_DIR)
    message(FATAL_ERROR "semihost: CASE and WORK_DIR must be set")
endif()

set(box ${WORK_DIR}/box)
set(outside_text "outside the sandbox\n")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${box})
file(WRITE ${WORK_DIR}/outside.txt "${outside_text}")

if(CASE STREQUAL "hello")
    file(WRITE ${box}/input.txt "TrainVP semihosting input\n")
elseif(CASE STREQUAL "escape")
    file(WRITE ${box}/inside.txt "inside\n")
    file(CREATE_LINK ${WORK_DIR}/outside.txt ${box}/link.txt SYMBOLIC)
else()
    message(FATAL_ERROR "semihost: unknown CASE '${CASE}'")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/expect-exit.cmake)

file(READ ${WORK_DIR}/outside.txt outside_now)
if(NOT outside_now STREQUAL outside_text)
    message(FATAL_ERROR "semihost: ${WORK_DIR}/outside.txt was changed through the sandbox")
endif()
if(CASE STREQUAL "hello")
    file(READ ${box}/output.txt written)
    if(NOT written STREQUAL "written by semihost_hello\n")
        message(FATAL_ERROR "semihost: output.txt holds \"${written}\"")
    endif()
elseif(EXISTS ${WORK_DIR}/planted.txt)
    message(FATAL_ERROR "semihost: the firmware created ${WORK_DIR}/planted.txt outside the sandbox")
endif()
