# vmm_seccomp_fuzz_target(<name> SOURCES <file>... [INCLUDES <dir>...]
#   [LIBRARIES <lib>...] [DEFINITIONS <def>...] [FUZZ_OPTIONS <flag>...]
#   [REPLAY <test name>] CORPUS <dir or file>...)
#
# One fuzz target, from the sources holding its LLVMFuzzerTestOneInput:
#  - with VMM_SECCOMP_FUZZ (clang), the libFuzzer binary fuzz_<name> in the
#    top of the build tree, which tools/fuzz.sh <name> runs;
#  - with VMM_SECCOMP_TESTS, the replay binary fuzz_replay_<name> (the
#    same sources and tests/fuzz/replay.c's main), run in the suite over
#    every CORPUS entry (its seeds and the inputs that once crashed it) as
#    the test REPLAY (default fuzz_replay_<name>), and under valgrind
#    memcheck as memcheck_<REPLAY>.
# DEFINITIONS are compile definitions of both binaries (one harness built
# as several targets).  FUZZ_OPTIONS go to the libFuzzer binary's compile only (e.g. leaving out
# trace-cmp).  Sources are paths relative to the project's top.
function(vmm_seccomp_fuzz_target name)
  cmake_parse_arguments(PARSE_ARGV 1 FT "" "REPLAY"
    "SOURCES;INCLUDES;LIBRARIES;DEFINITIONS;FUZZ_OPTIONS;CORPUS")
  if(NOT FT_REPLAY)
    set(FT_REPLAY fuzz_replay_${name})
  endif()
  list(TRANSFORM FT_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)
  list(TRANSFORM FT_INCLUDES PREPEND ${PROJECT_SOURCE_DIR}/)
  list(TRANSFORM FT_CORPUS PREPEND ${PROJECT_SOURCE_DIR}/)

  if(VMM_SECCOMP_FUZZ)
    add_executable(fuzz_${name} ${FT_SOURCES})
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer ${FT_FUZZ_OPTIONS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_include_directories(fuzz_${name} PRIVATE ${FT_INCLUDES})
    target_link_libraries(fuzz_${name} PRIVATE ${FT_LIBRARIES})
    target_compile_definitions(fuzz_${name} PRIVATE ${FT_DEFINITIONS})
  endif()

  if(VMM_SECCOMP_TESTS)
    add_executable(${FT_REPLAY} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c ${FT_SOURCES})
    target_compile_options(${FT_REPLAY} PRIVATE ${VMM_SECCOMP_WARNINGS})
    target_include_directories(${FT_REPLAY} PRIVATE ${FT_INCLUDES})
    target_link_libraries(${FT_REPLAY} PRIVATE ${FT_LIBRARIES})
    target_compile_definitions(${FT_REPLAY} PRIVATE ${FT_DEFINITIONS})
    add_test(NAME ${FT_REPLAY} COMMAND ${FT_REPLAY} ${FT_CORPUS})
    set_tests_properties(${FT_REPLAY} PROPERTIES TIMEOUT 300 LABELS native)
    find_program(VALGRIND valgrind)
    if(VMM_SECCOMP_MEMCHECK AND VALGRIND AND NOT VMM_SECCOMP_SANITIZE)
      add_test(NAME memcheck_${FT_REPLAY} COMMAND ${VALGRIND} --error-exitcode=1
        --leak-check=full -q $<TARGET_FILE:${FT_REPLAY}> ${FT_CORPUS})
      set_tests_properties(memcheck_${FT_REPLAY} PROPERTIES TIMEOUT 600 LABELS memcheck)
    endif()
  endif()
endfunction()
