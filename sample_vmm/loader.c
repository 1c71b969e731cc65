/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until the Linux loader lands. */
#include "loader.h"

#include <errno.h>
#include <stdio.h>

int loader_probe(const void *image, size_t len, struct kernel_info *ki, char *err, size_t errlen)
{
	(void)image;
	(void)len;
	(void)ki;
	snprintf(err, errlen, "the Linux loader is not implemented yet");
	return -ENOSYS;
}

int loader_load_linux(void *mem, size_t mem_size, const void *kernel, size_t klen,
		      const void *initrd, size_t ilen, const char *cmdline,
		      struct linux_boot *out, char *err, size_t errlen)
{
	(void)mem;
	(void)mem_size;
	(void)kernel;
	(void)klen;
	(void)initrd;
	(void)ilen;
	(void)cmdline;
	(void)out;
	snprintf(err, errlen, "the Linux loader is not implemented yet");
	return -ENOSYS;
}
