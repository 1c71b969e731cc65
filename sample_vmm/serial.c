/* SPDX-License-Identifier: Apache-2.0 */
#include "serial.h"

#include <errno.h>
#include <unistd.h>

#define UART_RBR_THR 0
#define UART_IER 1
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define LCR_DLAB 0x80
#define LSR_THRE_TEMT 0x60 /* transmitter holding register and shift register empty */
#define MSR_DCD_DSR_CTS 0xb0
#define IIR_NONE 0x01
#define MCR_LOOP 0x10

/* In loopback mode the modem inputs mirror the outputs: DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD.  Linux's 8250 driver probes the port this way. */
static uint8_t loopback_msr(uint8_t mcr)
{
	return (uint8_t)(((mcr & 0x1) << 5) | ((mcr & 0x2) << 3) | ((mcr & 0x4) << 4) |
			 ((mcr & 0x8) << 4));
}

void serial_init(struct serial *s, int fd)
{
	pthread_mutex_init(&s->lock, NULL);
	s->fd = fd;
	s->ier = s->lcr = s->scr = s->dll = s->dlm = 0;
	s->mcr = 0x08; /* OUT2 */
	s->len = 0;
	s->got_first = false;
}

/* Called with the lock held.  A failing output (a closed pipe) loses the
 * text but never stops the guest. */
static void flush_locked(struct serial *s)
{
	unsigned off = 0;

	while (off < s->len) {
		ssize_t n = write(s->fd, s->line + off, s->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (unsigned)n;
	}
	s->len = 0;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (!s->got_first) {
		s->got_first = true;
		clock_gettime(CLOCK_MONOTONIC, &s->first_byte);
	}
	s->line[s->len++] = (char)c;
	if (c == '\n' || s->len == sizeof(s->line))
		flush_locked(s);
}

void serial_io(struct serial *s, unsigned offset, bool is_write, uint8_t *data)
{
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		switch (offset) {
		case UART_RBR_THR:
			if (s->lcr & LCR_DLAB)
				s->dll = *data;
			else
				transmit(s, *data);
			break;
		case UART_IER:
			if (s->lcr & LCR_DLAB)
				s->dlm = *data;
			else
				s->ier = *data & 0x0f;
			break;
		case UART_LCR:
			s->lcr = *data;
			break;
		case UART_MCR:
			s->mcr = *data & 0x1f;
			break;
		case UART_SCR:
			s->scr = *data;
			break;
		default: /* FCR, LSR, MSR: ignored */
			break;
		}
	} else {
		switch (offset) {
		case UART_RBR_THR:
			*data = (s->lcr & LCR_DLAB) ? s->dll : 0;
			break;
		case UART_IER:
			*data = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
			break;
		case UART_IIR_FCR:
			*data = IIR_NONE;
			break;
		case UART_LCR:
			*data = s->lcr;
			break;
		case UART_MCR:
			*data = s->mcr;
			break;
		case UART_LSR:
			*data = LSR_THRE_TEMT;
			break;
		case UART_MSR:
			*data = (s->mcr & MCR_LOOP) ? loopback_msr(s->mcr) : MSR_DCD_DSR_CTS;
			break;
		default:
			*data = s->scr;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}
