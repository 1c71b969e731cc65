/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Devices as kvmtool registers them: each virtio device is one file that
 * defines a `struct device_type`, and one line of DEVICE_LIST in
 * devices.c registers it.  The registration gives it its command-line
 * options, its MMIO slot (its place in the list: abi.h's
 * VIRTIO_MMIO_SLOT_BASE/GSI), its own thread in its seccomp role, its
 * Landlock rules, its entry in GET /vm and in a Linux guest's command
 * line.  A device knows nothing of the VMM around it: it is given the VM,
 * its options' values and the guest's memory.
 */
#ifndef SAMPLE_VMM_DEVICE_H
#define SAMPLE_VMM_DEVICE_H

#include "virtio_mmio.h"
#include "vm.h"

#include "vmm_seccomp.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct sc_landlock;

#define DEVICE_OPTIONS_MAX 3
#define DEVICE_WORKERS_MAX 4

struct device_option {
	const char *name; /* the long option without "--"; NULL ends the list */
	bool has_arg;
	/* its --help text: the value's name, a tab, what it does (lines
	 * joined by \n): "PATH\tdisk image ..." */
	const char *usage;
};

struct device;

struct device_type {
	const char *name;   /* "virtio-net": its thread, API entry, --demo-exploit=NAME */
	uint32_t device_id; /* virtio device ID */
	enum vmm_seccomp_role role;
	bool always; /* present without an option (virtio-rng) */
	/* options[0] adds the device; the others modify it */
	struct device_option options[DEVICE_OPTIONS_MAX];
	/* The options' values are checked here, before anything is set up
	 * (may be NULL).  0 or -EINVAL with a message naming the option. */
	int (*check)(const struct device *d, char *err, size_t errlen);
	/* Before the baseline: the Landlock rules what create() opens needs
	 * (may be NULL), added with sc_add_path_rule()/sc_add_file_rule(). */
	int (*landlock)(const struct device *d, struct vmm_seccomp *sc, struct sc_landlock *ll,
			char *err, size_t errlen);
	/* Main thread, before the role threads: opens the host side, sets
	 * d->mmio up with device_mmio_init(), and d->state.  0 or -errno with a
	 * message naming the option; on error nothing is left open. */
	int (*create)(struct device *d, struct vm *vm, char *err, size_t errlen);
	/* After the thread was joined: closes what create() opened. */
	void (*destroy)(struct device *d);
	/* Makes the device's workers' bodies return (after the device thread
	 * was joined; may be NULL if it has none). */
	void (*stop_workers)(struct device *d);
	/* Extra JSON members for GET /vm (",\"read_only\":true"; may be NULL):
	 * its length, or -1 if it does not fit. */
	int (*info)(const struct device *d, char *buf, size_t len);
};

/* A thread of a device's besides its queue thread, set up by create():
 * started after the queue thread in its own role, stopped after it. */
struct device_worker {
	char name[16]; /* its thread's name (at most 15 characters) */
	enum vmm_seccomp_role role;
	void *(*fn)(void *);
	void *arg;
	pthread_t thread;
	bool started;
};

struct device {
	const struct device_type *type;
	unsigned slot;
	/* the options' values: NULL if not given, "" for an option without
	 * one (borrowed from argv) */
	const char *args[DEVICE_OPTIONS_MAX];
	struct virtio_mmio *mmio; /* set by create() */
	void *state;		  /* the device's own, set by create() */
	pthread_t thread;
	bool created, started;
	struct device_worker workers[DEVICE_WORKERS_MAX]; /* set by create() */
	unsigned nworkers;
};

/* The registered types, in slot order, NULL-terminated (devices.c). */
extern const struct device_type *const device_types[];

/* The type named `name` ("virtio-net"), or NULL. */
const struct device_type *device_type_find(const char *name);

/* virtio_mmio_init() at d's slot, under d's type's name. */
int device_mmio_init(struct device *d, struct vm *vm, uint64_t features,
		     const struct virtio_ops *ops, void *priv, char *err, size_t errlen);

#endif
