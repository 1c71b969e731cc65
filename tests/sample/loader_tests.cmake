# The Linux loader (sample_vmm/loader.c): pure code, tested on synthetic
# images in memory, natively and under valgrind memcheck.
find_program(VALGRIND valgrind)
# tests/ imports cmocka for its own directory only; this is a sibling.
if(NOT TARGET PkgConfig::CMOCKA)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
add_executable(test_loader ${CMAKE_CURRENT_SOURCE_DIR}/test_loader.c
  ${PROJECT_SOURCE_DIR}/sample_vmm/loader.c)
target_compile_options(test_loader PRIVATE ${VMM_SECCOMP_WARNINGS})
target_include_directories(test_loader PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
target_link_libraries(test_loader PRIVATE PkgConfig::CMOCKA)
add_test(NAME test_loader COMMAND test_loader)
set_tests_properties(test_loader PROPERTIES TIMEOUT 300 LABELS native)
if(VMM_SECCOMP_MEMCHECK AND VALGRIND AND NOT VMM_SECCOMP_SANITIZE)
  add_test(NAME memcheck_test_loader
    COMMAND ${VALGRIND} --error-exitcode=1 --leak-check=full -q $<TARGET_FILE:test_loader>)
  set_tests_properties(memcheck_test_loader PROPERTIES TIMEOUT 900 LABELS memcheck)
endif()
