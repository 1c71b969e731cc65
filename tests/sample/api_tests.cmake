# Tests of the sample VMM's API server: the pure parser and routing
# (test_http), and the server live under role `api` (test_api).  Declared
# like tests/CMakeLists.txt declares its own: natively (label native) and,
# unless sanitizing, under valgrind memcheck (label memcheck).
# Imported targets are per directory: tests/'s PkgConfig::CMOCKA is not seen here.
if(NOT TARGET PkgConfig::CMOCKA)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
find_program(VALGRIND valgrind)

function(sample_api_test name)
  add_executable(${name} ${name}.c ${PROJECT_SOURCE_DIR}/sample_vmm/http.c
    ${PROJECT_SOURCE_DIR}/sample_vmm/api.c ${ARGN})
  target_compile_options(${name} PRIVATE ${VMM_SECCOMP_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm
    ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/vmm_seccomp)
  target_link_libraries(${name} PRIVATE vmm_seccomp_objs PkgConfig::CMOCKA)
  if(HAVE_VALGRIND_H)
    target_compile_definitions(${name} PRIVATE HAVE_VALGRIND_H)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS native)
  if(VMM_SECCOMP_MEMCHECK AND VALGRIND AND NOT VMM_SECCOMP_SANITIZE)
    add_test(NAME memcheck_${name}
      COMMAND ${VALGRIND} --error-exitcode=1 --leak-check=full -q
              --suppressions=${PROJECT_SOURCE_DIR}/tests/valgrind.supp $<TARGET_FILE:${name}>)
    set_tests_properties(memcheck_${name} PROPERTIES TIMEOUT 900 LABELS memcheck)
  endif()
endfunction()

sample_api_test(test_http)
sample_api_test(test_api ${PROJECT_SOURCE_DIR}/tests/live_util.c)
