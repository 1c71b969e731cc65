/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The header's sizes, offsets and constants as the C compiler sees them,
 * for the test that compares vmm-seccomp-sys's hand-written declarations
 * with them (tests/layout.rs).  A table, so adding a check is one line.
 */
#include <stddef.h>

#include <vmm_seccomp.h>

struct vmm_seccomp_sys_layout {
	const char *name;
	unsigned long long value;
};

/* clang-format off */
#define SZ(T) { "sizeof " #T, sizeof(struct T) }
#define AL(T) { "alignof " #T, _Alignof(struct T) }
#define OFF(T, F) { #T "." #F, offsetof(struct T, F) }
#define C(N) { #N, (unsigned long long)(N) }
/* clang-format on */

static const struct vmm_seccomp_sys_layout table[] = {
	SZ(vmm_seccomp_violation),
	AL(vmm_seccomp_violation),
	OFF(vmm_seccomp_violation, tid),
	OFF(vmm_seccomp_violation, thread_name),
	OFF(vmm_seccomp_violation, role),
	OFF(vmm_seccomp_violation, mode),
	OFF(vmm_seccomp_violation, arch),
	OFF(vmm_seccomp_violation, arch_name),
	OFF(vmm_seccomp_violation, syscall_nr),
	OFF(vmm_seccomp_violation, syscall_name),
	OFF(vmm_seccomp_violation, args),
	OFF(vmm_seccomp_violation, ioctl_name),
	OFF(vmm_seccomp_violation, layer),
	OFF(vmm_seccomp_violation, unreviewed),
	OFF(vmm_seccomp_violation, role_name),
	OFF(vmm_seccomp_violation, layer_name),
	SZ(vmm_seccomp_thread_info),
	AL(vmm_seccomp_thread_info),
	OFF(vmm_seccomp_thread_info, tid),
	OFF(vmm_seccomp_thread_info, role),
	OFF(vmm_seccomp_thread_info, name),
	OFF(vmm_seccomp_thread_info, filtered),
	SZ(vmm_seccomp_landlock_info),
	AL(vmm_seccomp_landlock_info),
	OFF(vmm_seccomp_landlock_info, abi),
	OFF(vmm_seccomp_landlock_info, enforced),
	OFF(vmm_seccomp_landlock_info, fs_rights),
	OFF(vmm_seccomp_landlock_info, net_rights),
	OFF(vmm_seccomp_landlock_info, scopes),
	OFF(vmm_seccomp_landlock_info, audit),
	{ "sizeof enum vmm_seccomp_role", sizeof(enum vmm_seccomp_role) },
	{ "sizeof enum vmm_seccomp_mode", sizeof(enum vmm_seccomp_mode) },
	{ "sizeof enum vmm_seccomp_landlock", sizeof(enum vmm_seccomp_landlock) },
	C(VMM_SECCOMP_ROLE_PROCESS),
	C(VMM_SECCOMP_ROLE_VMM),
	C(VMM_SECCOMP_ROLE_VCPU),
	C(VMM_SECCOMP_ROLE_API),
	C(VMM_SECCOMP_ROLE_VIRTIO_BLOCK),
	C(VMM_SECCOMP_ROLE_VIRTIO_NET),
	C(VMM_SECCOMP_ROLE_VIRTIO_CONSOLE),
	C(VMM_SECCOMP_ROLE_VIRTIO_RNG),
	C(VMM_SECCOMP_ROLE_VIRTIO_VSOCK),
	C(VMM_SECCOMP_ROLE_VIRTIO_FS),
	C(VMM_SECCOMP_ROLE_VIRTIO_BALLOON),
	C(VMM_SECCOMP_ROLE_VHOST_USER),
	C(VMM_SECCOMP_ROLE_IO_WORKER),
	C(VMM_SECCOMP_ROLE_SIGNAL_HANDLER),
	C(VMM_SECCOMP_ROLE_RUNTIME),
	C(VMM_SECCOMP_ROLE_COUNT),
	C(VMM_SECCOMP_ROLE_MAX),
	C(VMM_SECCOMP_ROLE_NAME_MAX),
	C(VMM_SECCOMP_MODE_ENFORCE),
	C(VMM_SECCOMP_MODE_KILL),
	C(VMM_SECCOMP_MODE_ERRNO),
	C(VMM_SECCOMP_MODE_LOG),
	C(VMM_SECCOMP_MODE_OFF),
	C(VMM_SECCOMP_MODE_COUNT),
	C(VMM_SECCOMP_ALLOW_DANGEROUS),
	C(VMM_SECCOMP_PATH_READ),
	C(VMM_SECCOMP_PATH_WRITE),
	C(VMM_SECCOMP_PATH_CREATE),
	C(VMM_SECCOMP_PATH_SOCKET),
	C(VMM_SECCOMP_PATH_DEVICE),
	C(VMM_SECCOMP_PATH_CONNECT),
	C(VMM_SECCOMP_PATH_RO),
	C(VMM_SECCOMP_PATH_RW),
	C(VMM_SECCOMP_LANDLOCK_REQUIRE),
	C(VMM_SECCOMP_LANDLOCK_IF_AVAILABLE),
	C(VMM_SECCOMP_LANDLOCK_OFF),
};

/* Not in the header: only vmm-seccomp-sys's tests call it. */
const struct vmm_seccomp_sys_layout *vmm_seccomp_sys_layout_table(size_t *n);

const struct vmm_seccomp_sys_layout *vmm_seccomp_sys_layout_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}
