# Test registration shared by tests/ and plugin/ (included before either).

# lockstep_boost_test(NAME TARGET [NEEDS label...] [LABELS label...] [TIMEOUT s])
# Registers the Boost.Test executable TARGET as ctest entry NAME. Each NEEDS label names the cases
# that carry it (tests/unit/common/preconditions.h): they run as an entry of their own,
# NAME.label, which ctest reports as skipped when the precondition fails on this machine (it
# prints "SKIPPED <case>: <reason>"); NAME runs every other case.
function(lockstep_boost_test name target)
    cmake_parse_arguments(T "" "TIMEOUT" "NEEDS;LABELS" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    set(excluded "")
    foreach(need ${T_NEEDS})
        list(APPEND excluded "!@${need}")
        add_test(NAME ${name}.${need}
            COMMAND ${target} --run_test=@${need})
        set_tests_properties(${name}.${need} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
            SKIP_REGULAR_EXPRESSION "SKIPPED [^:]*: ")
    endforeach()
    if(excluded)
        list(JOIN excluded ":" filter)
        add_test(NAME ${name} COMMAND ${target} --run_test=${filter})
    else()
        add_test(NAME ${name} COMMAND ${target})
    endif()
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# lockstep_skipped_test(NAME REASON [LABELS label...])
# A test that cannot be built or run with this configuration: a ctest entry that prints why and
# is reported as skipped, so it shows in every run instead of disappearing.
function(lockstep_skipped_test name reason)
    cmake_parse_arguments(T "" "" "LABELS" ${ARGN})
    add_test(NAME ${name} COMMAND sh -c "echo \"SKIPPED: $1\"; exit 77" sh "${reason}")
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" SKIP_RETURN_CODE 77)
    message(STATUS "${name}: skipped (${reason})")
endfunction()
