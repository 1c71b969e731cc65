/* SPDX-License-Identifier: Apache-2.0 */
#include "kernel_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RATELIMIT "/proc/sys/kernel/printk_ratelimit"

struct audit_request {
	struct nlmsghdr nlh;
	struct audit_status status;
};

/* Sends one request; 0 once the kernel acknowledged it (and, for AUDIT_GET,
 * filled *reply), or -errno. */
static int audit_call(int fd, uint16_t type, const struct audit_status *status,
		      struct audit_status *reply)
{
	struct audit_request req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192];
	bool acked = false, got = type != AUDIT_GET;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(status ? sizeof(*status) : 0);
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nlh.nlmsg_seq = type;
	if (status)
		req.status = *status;
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	while (!acked || !got) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0)
			return -errno;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					return e->error;
				acked = true;
			} else if (h->nlmsg_type == AUDIT_GET && reply) {
				memcpy(reply, NLMSG_DATA(h), sizeof(*reply));
				got = true;
			}
		}
	}
	return 0;
}

static int enable_audit(char *why, size_t len)
{
	struct audit_status set = { .mask = AUDIT_STATUS_ENABLED, .enabled = 1 }, now = { 0 };
	struct timeval tv = { 2, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	int rc;

	if (fd < 0) {
		snprintf(why, len, "no audit netlink socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rc = audit_call(fd, AUDIT_SET, &set, NULL);
	if (rc == 0)
		rc = audit_call(fd, AUDIT_GET, NULL, &now);
	close(fd);
	if (rc < 0) {
		snprintf(why, len, "enabling audit (AUDIT_SET enabled=1) failed: %s",
			 strerror(-rc));
		return -1;
	}
	if (now.enabled != 1) {
		snprintf(why, len, "audit stays at enabled=%u (locked?)", now.enabled);
		return -1;
	}
	if (now.pid) {
		snprintf(why, len,
			 "an audit daemon (pid %u) takes the records: they do not reach the "
			 "kernel log",
			 now.pid);
		return -1;
	}
	return 0;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_int(const char *path, int v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f, "%d\n", v) < 0 ? -1 : 0;
	return fclose(f) || rc ? -1 : 0;
}

int kaudit_start(struct kaudit *a, char *why, size_t len)
{
	a->kmsg_fd = -1;
	a->ratelimit_saved = -1;
	if (geteuid() != 0) {
		snprintf(why, len, "not root (enabling audit needs CAP_AUDIT_CONTROL)");
		return -1;
	}
	if (enable_audit(why, len))
		return -1;
	a->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (a->kmsg_fd < 0) {
		snprintf(why, len, "/dev/kmsg: %s", strerror(errno));
		return -1;
	}
	if (lseek(a->kmsg_fd, 0, SEEK_END) < 0) {
		snprintf(why, len, "/dev/kmsg: seeking to the end: %s", strerror(errno));
		close(a->kmsg_fd);
		a->kmsg_fd = -1;
		return -1;
	}
	a->ratelimit_saved = read_int(RATELIMIT);
	if (a->ratelimit_saved > 0 && write_int(RATELIMIT, 0)) {
		snprintf(why, len, "%s: cannot turn the rate limit off: %s", RATELIMIT,
			 strerror(errno));
		kaudit_stop(a);
		return -1;
	}
	return 0;
}

char *kaudit_read(struct kaudit *a, int *lost)
{
	size_t used = 0, cap = 1 << 16;
	char *out = malloc(cap), rec[8192];

	*lost = 0;
	if (!out)
		return NULL;
	for (;;) {
		ssize_t n = read(a->kmsg_fd, rec, sizeof(rec) - 1);
		const char *msg, *end;
		size_t m;

		if (n < 0 && errno == EPIPE) {
			(*lost)++; /* overwritten before it was read */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "PRIORITY,SEQUENCE,TIMESTAMP,FLAGS;MESSAGE\n" and dictionary lines */
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		end = strchr(msg, '\n');
		m = end ? (size_t)(end - msg) : strlen(msg);
		if (used + m + 2 > cap) {
			char *bigger = realloc(out, cap * 2 + m);

			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
			cap = cap * 2 + m;
		}
		memcpy(out + used, msg, m);
		used += m;
		out[used++] = '\n';
	}
	out[used] = '\0';
	return out;
}

void kaudit_stop(struct kaudit *a)
{
	if (a->ratelimit_saved > 0)
		write_int(RATELIMIT, a->ratelimit_saved);
	a->ratelimit_saved = -1;
	if (a->kmsg_fd >= 0)
		close(a->kmsg_fd);
	a->kmsg_fd = -1;
}

/* The value of `key` ("domain=", "audit(") in a line, up to a space, ')'
 * or the end, into buf. */
static bool field(const char *line, size_t linelen, const char *key, char *buf, size_t len)
{
	const char *p = line, *end = line + linelen;
	size_t n;

	for (;;) {
		p = memmem(p, (size_t)(end - p), key, strlen(key));
		if (!p)
			return false;
		/* a whole key: "pid=" is not the end of "ppid=" */
		if (p == line || p[-1] == ' ' || p[-1] == ':')
			break;
		p++;
	}
	p += strlen(key);
	for (n = 0; p + n < end && p[n] != ' ' && p[n] != ')'; n++)
		;
	if (n >= len)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool contains(const char *line, size_t linelen, const char *what)
{
	return memmem(line, linelen, what, strlen(what)) != NULL;
}

/* Up to MAX_KEYS strings: the domains and events of one process. */
#define MAX_KEYS 256
struct keys {
	size_t n;
	char k[MAX_KEYS][40];
};

static void keys_add(struct keys *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->k[i], k))
			return;
	if (s->n < MAX_KEYS)
		snprintf(s->k[s->n++], sizeof(s->k[0]), "%s", k);
}

static bool keys_has(const struct keys *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->k[i], k))
			return true;
	return false;
}

static void copy_line(char *first, size_t len, const char *line, size_t linelen)
{
	if (!len)
		return;
	snprintf(first, len, "%.*s", (int)linelen, line);
}

int kaudit_landlock_denials(const char *log, pid_t pid, char *first, size_t len)
{
	static struct keys domains, events;
	char want[32], v[40], stamp[40];
	const char *line, *next;
	int count = 0;

	domains.n = events.n = 0;
	snprintf(want, sizeof(want), "%d", (int)pid);
	for (line = log; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (!field(line, n, "pid=", v, sizeof(v)) || strcmp(v, want) != 0)
			continue;
		if (contains(line, n, "type=1424 ") && field(line, n, "domain=", v, sizeof(v)))
			keys_add(&domains, v);
		if (contains(line, n, "type=1300 ") &&
		    field(line, n, "audit(", stamp, sizeof(stamp)))
			keys_add(&events, stamp);
	}
	if (first && len)
		first[0] = '\0';
	for (line = log; *line; line = next) {
		size_t n = strcspn(line, "\n");
		bool mine;

		next = line + n + (line[n] == '\n');
		if (!contains(line, n, "type=1423 "))
			continue;
		mine = (field(line, n, "domain=", v, sizeof(v)) && keys_has(&domains, v)) ||
		       (field(line, n, "audit(", stamp, sizeof(stamp)) && keys_has(&events, stamp));
		if (mine && count++ == 0)
			copy_line(first, len, line, n);
	}
	return count;
}

int kaudit_seccomp_records(const char *log, pid_t pid, char *first, size_t len)
{
	const char *line, *next;
	char want[32], v[40];
	int count = 0;

	if (first && len)
		first[0] = '\0';
	snprintf(want, sizeof(want), "%d", (int)pid);
	for (line = log; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (contains(line, n, "type=1326 ") && field(line, n, "pid=", v, sizeof(v)) &&
		    !strcmp(v, want) && count++ == 0)
			copy_line(first, len, line, n);
	}
	return count;
}

int kaudit_records_lost(const char *log, char *first, size_t len)
{
	static const char *const signs[] = {
		"kauditd_printk_skb: ", /* "N callbacks suppressed" */
		"audit_lost=",
		"backlog limit exceeded",
		"hold queue overflow",
	};
	const char *line, *next;
	int count = 0;

	if (first && len)
		first[0] = '\0';
	for (line = log; *line; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		for (size_t i = 0; i < sizeof(signs) / sizeof(signs[0]); i++) {
			if (contains(line, n, signs[i])) {
				if (count++ == 0)
					copy_line(first, len, line, n);
				break;
			}
		}
	}
	return count;
}

char *kaudit_read_until(struct kaudit *a, kaudit_count_fn count, pid_t control, char *first,
			size_t len, int *seen, char *dropped, size_t dlen)
{
	char *log = NULL;
	size_t used = 0;
	int lost = 0;

	*seen = 0;
	for (int t = 0; t < 5000 && !*seen; t += 50) {
		int l = 0;
		char *more = kaudit_read(a, &l), *all;
		size_t n;

		if (!more)
			goto err_free;
		lost += l;
		n = strlen(more);
		all = realloc(log, used + n + 1);
		if (!all) {
			free(more);
			goto err_free;
		}
		memcpy(all + used, more, n + 1);
		used += n;
		log = all;
		free(more);
		*seen = count(log, control, first, len);
		if (!*seen)
			usleep(50000);
	}
	if (!log)
		return NULL;
	if (lost)
		snprintf(dropped, dlen, "kernel log overwritten before it was read");
	else if (!kaudit_records_lost(log, dropped, dlen) && dlen)
		dropped[0] = '\0';
	return log;

err_free:
	free(log);
	return NULL;
}

pid_t kaudit_denied_open(const char *path)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);

		if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_landlock_restrict_self, fd, 0))
			_exit(2);
		_exit(open(path, O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return pid;
}
