# End-to-end tests of sample-vmm (tests/sample/test_sample_vmm.c): the built
# binary runs its built-in guest as a child process of the test, which also
# reads the kernel's audit log for its Landlock denials (kernel_audit.c).

add_executable(test_sample_vmm ${CMAKE_CURRENT_SOURCE_DIR}/test_sample_vmm.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vmm_run.c ${CMAKE_CURRENT_SOURCE_DIR}/kernel_audit.c)
target_compile_options(test_sample_vmm PRIVATE ${VMM_SECCOMP_WARNINGS})
target_include_directories(test_sample_vmm PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
target_compile_definitions(test_sample_vmm PRIVATE SAMPLE_VMM="$<TARGET_FILE:sample-vmm>"
  SAMPLE_GUEST="$<TARGET_FILE_DIR:sample-vmm>/sample-guest.bin")
target_link_libraries(test_sample_vmm PRIVATE PkgConfig::CMOCKA)
add_dependencies(test_sample_vmm sample-vmm)

add_test(NAME test_sample_vmm COMMAND test_sample_vmm)
set_tests_properties(test_sample_vmm PROPERTIES TIMEOUT 300 LABELS native)

# The boot test with sample-vmm under valgrind memcheck, filters installed
# (docs/VALGRIND.md).
if(VALGRIND AND NOT VMM_SECCOMP_SANITIZE)
  add_test(NAME memcheck_sample_vmm COMMAND test_sample_vmm)
  set_tests_properties(memcheck_sample_vmm PROPERTIES TIMEOUT 600 LABELS memcheck
    ENVIRONMENT "SAMPLE_VMM_VALGRIND=${VALGRIND}")
endif()

# virtio-vsock end to end (tests/sample/test_virtio_vsock.c): the test is
# the host side of the hybrid vsock, the built-in guest the other.
add_executable(test_virtio_vsock ${CMAKE_CURRENT_SOURCE_DIR}/test_virtio_vsock.c
  ${CMAKE_CURRENT_SOURCE_DIR}/vmm_run.c)
target_compile_options(test_virtio_vsock PRIVATE ${VMM_SECCOMP_WARNINGS})
target_include_directories(test_virtio_vsock PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
target_compile_definitions(test_virtio_vsock PRIVATE SAMPLE_VMM="$<TARGET_FILE:sample-vmm>"
  SAMPLE_GUEST="$<TARGET_FILE_DIR:sample-vmm>/sample-guest.bin")
target_link_libraries(test_virtio_vsock PRIVATE PkgConfig::CMOCKA)
add_dependencies(test_virtio_vsock sample-vmm)
add_test(NAME test_virtio_vsock COMMAND test_virtio_vsock)
set_tests_properties(test_virtio_vsock PROPERTIES TIMEOUT 120 LABELS native)
