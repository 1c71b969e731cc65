/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The signals that end the VMM (SIGTERM, SIGINT, SIGHUP), collected by one
 * thread in role signal_handler through a signalfd: the process blocks
 * them before it starts any thread, so every thread inherits the mask and
 * no handler ever interrupts a vCPU or a device.  The thread tells the VMM
 * loop with vmm_request_exit().
 */
#ifndef SAMPLE_VMM_SIGNALS_H
#define SAMPLE_VMM_SIGNALS_H

#include <stddef.h>

struct vmm;

struct signals {
	int sfd;     /* signalfd of the blocked set */
	int stop_fd; /* eventfd: the VMM asks the thread to end */
	struct vmm *vmm;
};

/* Main thread, before any other thread exists: blocks the set in the
 * calling thread (which every thread then inherits).  0 or -errno, message
 * in err. */
int signals_block(char *err, size_t errlen);

/* Opens the signalfd and the stop eventfd (sfd and stop_fd -1 on error).
 * Borrows vmm.  0 or -errno, message in err. */
int signals_init(struct signals *s, struct vmm *vmm, char *err, size_t errlen);

/* The thread's body (argument: the struct signals). */
void *signals_thread(void *s);

/* Makes signals_thread() return (any thread). */
void signals_stop(struct signals *s);

/* Closes the descriptors; accepts a struct signals never set up (sfd and
 * stop_fd -1). */
void signals_free(struct signals *s);

#endif
