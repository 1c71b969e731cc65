/* SPDX-License-Identifier: Apache-2.0 */
/* sample-vmm's command line: the options, their checks, --help.  The
 * device options come from the device registry (device.h). */
#ifndef SAMPLE_VMM_OPTIONS_H
#define SAMPLE_VMM_OPTIONS_H

#include "device.h"
#include "guest/abi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MEM_MIN_MIB 8
#define MEM_MAX_MIB 2048
#define MEM_DEFAULT_MIB 64
#define MAX_ROLE_OPTIONS 16
#define MAX_LANDLOCK_RULES 16
#define MAX_DEVICE_TYPES VIRTIO_MMIO_SLOTS /* devices.c checks the registry fits */

struct options {
	unsigned mem_mib;
	unsigned vcpus;
	const char *serial_out;
	const char *guest;
	bool guest_stay;
	bool guest_hostile;
	/* --demo-exploit[=DEVICE]: the device whose thread the demo takes
	 * over, NULL without the option */
	const struct device_type *demo_device;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *api_sock;
	const char *seccomp;
	const char *seccomp_policy;
	bool seccomp_allow_dangerous;
	const char *roles[MAX_ROLE_OPTIONS];
	unsigned nroles;
	bool landlock;
	const char *landlock_rules[MAX_LANDLOCK_RULES];
	unsigned nlandlock_rules;
	uint32_t bench;
	bool bench_split;
	/* device_types[i]'s options' values (device.h's struct device args) */
	const char *device_args[MAX_DEVICE_TYPES][DEVICE_OPTIONS_MAX];
};

/* Is device type i in the machine (always, or its first option given)? */
bool options_has_device(const struct options *o, unsigned i);

/* 0, 1 for --help, or -EINVAL with a message in err.  Values point into
 * argv. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

void options_usage(FILE *f);

#endif
