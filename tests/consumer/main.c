/* A program outside the tree, built against the installed library. */
#include <vmm_seccomp.h>

#include <stdio.h>

int main(void)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	int rc = ctx ? vmm_seccomp_compile(ctx) : -1;

	printf("compiled: %d, vcpu role: %s\n", rc, vmm_seccomp_role_name(VMM_SECCOMP_ROLE_VCPU));
	vmm_seccomp_free(ctx);
	return rc != 0;
}
