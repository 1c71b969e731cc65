# The Linux loader (sample_vmm/loader.c): pure code, tested on synthetic
# images in memory.
vmm_seccomp_test(test_loader ${PROJECT_SOURCE_DIR}/sample_vmm/loader.c)
target_include_directories(test_loader PRIVATE ${PROJECT_SOURCE_DIR}/sample_vmm)
