# Tests of the sample VMM's API server: the pure parser and routing
# (test_http), and the server live under role `api` (test_api).
vmm_seccomp_test(test_http ${PROJECT_SOURCE_DIR}/sample_vmm/http.c
  ${PROJECT_SOURCE_DIR}/sample_vmm/api.c ${PROJECT_SOURCE_DIR}/sample_vmm/util.c)
vmm_seccomp_test(test_api ${PROJECT_SOURCE_DIR}/sample_vmm/http.c
  ${PROJECT_SOURCE_DIR}/sample_vmm/api.c ${PROJECT_SOURCE_DIR}/sample_vmm/util.c
  ${PROJECT_SOURCE_DIR}/tests/live_util.c)
# after the library's include directories: sample_vmm/seccomp.h must not
# hide libseccomp's <seccomp.h>
target_include_directories(test_http PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
target_include_directories(test_api PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
