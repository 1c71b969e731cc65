/* SPDX-License-Identifier: Apache-2.0 */
/* A program with known syscalls per thread, for `vmm-seccomp profile`'s
 * test: thread "vcpu0" asks whether stdin is a terminal (ioctl TCGETS) and
 * for the working directory (getcwd: in no built-in policy); thread
 * "virtio-rng" reads random bytes; the main thread calls uname. */
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

static void *vcpu(void *arg)
{
	struct termios t;
	char buf[256];

	(void)arg;
	prctl(PR_SET_NAME, "vcpu0");
	ioctl(0, TCGETS, &t);
	syscall(SYS_getcwd, buf, sizeof(buf));
	return NULL;
}

static void *rng(void *arg)
{
	unsigned char buf[16];

	(void)arg;
	prctl(PR_SET_NAME, "virtio-rng");
	return getrandom(buf, sizeof(buf), 0) == sizeof(buf) ? NULL : (void *)1;
}

/* Each thread names itself first, as threads entering a role do. */
static void *run(void *(*fn)(void *))
{
	pthread_t t;
	void *ret = (void *)1;

	if (pthread_create(&t, NULL, fn, NULL))
		return ret;
	pthread_join(t, &ret);
	return ret;
}

int main(void)
{
	struct utsname u;

	if (uname(&u))
		return 1;
	if (run(vcpu) || run(rng))
		return 2;
	return 0;
}
