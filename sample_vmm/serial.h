/* SPDX-License-Identifier: Apache-2.0 */
/* A 16550 UART at PORT_SERIAL, output only: what the guest transmits goes
 * to a descriptor, a whole line at a time.  Input is never ready. */
#ifndef SAMPLE_VMM_SERIAL_H
#define SAMPLE_VMM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct serial {
	pthread_mutex_t lock;
	int fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	char line[256];
	unsigned len;
	bool got_first;
	struct timespec first_byte; /* CLOCK_MONOTONIC, for the benchmark */
};

void serial_init(struct serial *s, int fd);

/* A guest access to port PORT_SERIAL + offset (0..7), one byte. */
void serial_io(struct serial *s, unsigned offset, bool is_write, uint8_t *data);

/* Writes out a partial line (at exit). */
void serial_flush(struct serial *s);

#endif
