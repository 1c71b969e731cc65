/* SPDX-License-Identifier: Apache-2.0 */
#include "signals.h"

#include "vmm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

int signals_block(char *err, size_t errlen)
{
	sigset_t set;
	int rc;

	stop_set(&set);
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc) {
		snprintf(err, errlen, "blocking SIGTERM, SIGINT, SIGHUP: %s", strerror(rc));
		return -rc;
	}
	return 0;
}

int signals_init(struct signals *s, struct vmm *vmm, char *err, size_t errlen)
{
	sigset_t set;
	int rc;

	s->vmm = vmm;
	stop_set(&set);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->sfd < 0 || s->stop_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", s->sfd < 0 ? "signalfd" : "eventfd",
			 strerror(errno));
		signals_free(s);
		return rc;
	}
	return 0;
}

void *signals_thread(void *arg)
{
	struct signals *s = arg;
	struct pollfd pfd[2] = { { .fd = s->sfd, .events = POLLIN },
				 { .fd = s->stop_fd, .events = POLLIN } };

	for (;;) {
		struct signalfd_siginfo si;
		char why[64];

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sample-vmm: signals: poll: %s\n", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (read(s->sfd, &si, sizeof(si)) != sizeof(si))
			continue; /* EAGAIN: another reader took it, or none pending */
		snprintf(why, sizeof(why), "%s: shutting down",
			 si.ssi_signo == SIGTERM  ? "SIGTERM"
			 : si.ssi_signo == SIGINT ? "SIGINT"
						  : "SIGHUP");
		vmm_request_exit(s->vmm, 0, why);
	}
	return NULL;
}

void signals_stop(struct signals *s)
{
	uint64_t one = 1;

	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "sample-vmm: signals: stop: %s\n", strerror(errno));
}

void signals_free(struct signals *s)
{
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->sfd = s->stop_fd = -1;
}
