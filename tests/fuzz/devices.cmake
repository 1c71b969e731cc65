# The sample VMM's virtio devices as fuzz targets: tests/fuzz/fuzz_device.c
# compiled once per device named in FUZZ_DEVICES (virtio_blk: the device
# type "virtio-blk", target fuzz_virtio_blk), each device also needing a
# line in that file's table.  Seeds in seeds/<device>/, inputs that once
# crashed it in regressions-<device>/ (tools/fuzz-devices.sh keeps them).
#
# Included twice: from the top CMakeLists.txt inside if(VMM_SECCOMP_FUZZ),
# where it defines the libFuzzer binaries (clang), and from
# tests/CMakeLists.txt, where it defines the replay binaries
# (tests/fuzz/replay.c's main over the seeds and regressions) and their
# tests, fuzz_replay_<device> and memcheck_fuzz_replay_<device>.
set(FUZZ_DEVICES virtio_blk virtio_rng)

# What a device needs: the transport, guest memory, the registry (whose
# list names every device type, so every device file: globbed, a new one is
# picked up), vm.c for the transport's KVM registrations (not called: the
# fuzzed VM has no descriptor), and the Landlock hooks' sc_*() helpers
# (seccomp.c, which escapes JSON with http.c and calls the library).
file(GLOB FUZZ_DEVICE_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sample_vmm/virtio_*.c)
set(FUZZ_DEVICE_SOURCES ${FUZZ_DEVICE_FILES})
foreach(f devices.c memory.c vm.c seccomp.c http.c)
  list(APPEND FUZZ_DEVICE_SOURCES ${PROJECT_SOURCE_DIR}/sample_vmm/${f})
endforeach()

if(CMAKE_CURRENT_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  # libFuzzer: the device code instrumented for coverage, once for all
  # targets; integer comparisons traced (trace-cmp, unlike the text
  # targets): a request's type, a sector, an index are binary words the
  # fuzzer has to guess.
  add_library(fuzz_devices_objs OBJECT ${FUZZ_DEVICE_SOURCES})
  target_include_directories(fuzz_devices_objs PUBLIC ${PROJECT_SOURCE_DIR}/sample_vmm)
  target_compile_options(fuzz_devices_objs PRIVATE ${VMM_SECCOMP_WARNINGS}
    -fsanitize=fuzzer-no-link)
  target_link_libraries(fuzz_devices_objs PUBLIC vmm_seccomp_objs)
  foreach(dev ${FUZZ_DEVICES})
    string(REPLACE "_" "-" type ${dev})
    add_executable(fuzz_${dev} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_device.c)
    target_compile_definitions(fuzz_${dev} PRIVATE FUZZ_DEVICE="${type}")
    target_compile_options(fuzz_${dev} PRIVATE ${VMM_SECCOMP_WARNINGS} -fsanitize=fuzzer)
    target_link_options(fuzz_${dev} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${dev} PRIVATE fuzz_devices_objs vmm_seccomp_objs)
  endforeach()
else()
  add_library(fuzz_replay_devices_objs OBJECT ${FUZZ_DEVICE_SOURCES})
  target_include_directories(fuzz_replay_devices_objs PUBLIC ${PROJECT_SOURCE_DIR}/sample_vmm)
  target_compile_options(fuzz_replay_devices_objs PRIVATE ${VMM_SECCOMP_WARNINGS})
  target_link_libraries(fuzz_replay_devices_objs PUBLIC vmm_seccomp_objs)
  foreach(dev ${FUZZ_DEVICES})
    string(REPLACE "_" "-" type ${dev})
    set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/seeds/${dev}
      ${PROJECT_SOURCE_DIR}/tests/fuzz/regressions-${dev})
    add_executable(fuzz_replay_${dev} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c
      ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_device.c)
    target_compile_definitions(fuzz_replay_${dev} PRIVATE FUZZ_DEVICE="${type}")
    target_compile_options(fuzz_replay_${dev} PRIVATE ${VMM_SECCOMP_WARNINGS})
    target_link_libraries(fuzz_replay_${dev} PRIVATE fuzz_replay_devices_objs vmm_seccomp_objs)
    add_test(NAME fuzz_replay_${dev} COMMAND fuzz_replay_${dev} ${corpus})
    set_tests_properties(fuzz_replay_${dev} PROPERTIES TIMEOUT 300 LABELS native)
    if(VMM_SECCOMP_MEMCHECK AND VALGRIND AND NOT VMM_SECCOMP_SANITIZE)
      add_test(NAME memcheck_fuzz_replay_${dev} COMMAND ${VALGRIND} --error-exitcode=1
        --leak-check=full -q $<TARGET_FILE:fuzz_replay_${dev}> ${corpus})
      set_tests_properties(memcheck_fuzz_replay_${dev} PROPERTIES TIMEOUT 600 LABELS memcheck)
    endif()
  endforeach()
endif()
