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

# One end-to-end test program per device (tests/sample/test_<device>.c),
# built like test_sample_vmm on vmm_run.c.  test_virtio_net: the guest's
# ARP request answered by the kernel of a network namespace of the test's
# own (CAP_SYS_ADMIN, CAP_NET_ADMIN and /dev/net/tun, else those cases
# skip), or by the test on a socket pair.
foreach(device virtio_net virtio_console virtio_balloon virtio_vsock)
  add_executable(test_${device} ${CMAKE_CURRENT_SOURCE_DIR}/test_${device}.c
    ${CMAKE_CURRENT_SOURCE_DIR}/vmm_run.c)
  target_compile_options(test_${device} PRIVATE ${VMM_SECCOMP_WARNINGS})
  target_include_directories(test_${device} PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
  target_compile_definitions(test_${device} PRIVATE SAMPLE_VMM="$<TARGET_FILE:sample-vmm>")
  target_link_libraries(test_${device} PRIVATE PkgConfig::CMOCKA)
  add_dependencies(test_${device} sample-vmm)
  add_test(NAME test_${device} COMMAND test_${device})
  set_tests_properties(test_${device} PROPERTIES TIMEOUT 300 LABELS native)
endforeach()
