/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API server live: in a forked child with the process baseline
 * enforced, the server runs in a thread of role `api` under its real
 * filter, and the child's main thread (baseline only) is its client over
 * the Unix socket.  The parent asserts that the child exited 0 (every
 * check passed) with no violation report: the server stayed inside role
 * `api` whatever the clients did.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api.h"
#include "http.h"
#include "live_util.h"
#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHILD_TIMEOUT_S 240
#define CONNECT_TIMEOUT_S 5

/* ---- in the child: checks, the server, fake operations ---- */

static int failures;

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "check failed at %s:%d: %s (errno %d)\n", __FILE__, \
				__LINE__, #cond, errno);                                    \
			failures++;                                                         \
		}                                                                           \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000 }, NULL);
}

struct fake {
	pthread_mutex_t lock;
	bool paused;
	int actions;
	char last_action[16];
	size_t info_size; /* vm_info pads its JSON to this size */
	struct api_server *stop_on_shutdown;
};

static struct fake fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int fake_vm_info(void *arg, char *buf, size_t len)
{
	struct fake *f = arg;
	int n;

	pthread_mutex_lock(&f->lock);
	n = snprintf(buf, len, "{\"state\":\"%s\",\"pad\":\"%*s\"}",
		     f->paused ? "paused" : "running", (int)f->info_size, "");
	pthread_mutex_unlock(&f->lock);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int fake_seccomp_info(void *arg, char *buf, size_t len)
{
	(void)arg;
	return snprintf(buf, len, "{\"mode\":\"enforce\",\"role\":\"api\"}");
}

static int fake_action(void *arg, const char *action)
{
	struct fake *f = arg;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	f->actions++;
	snprintf(f->last_action, sizeof(f->last_action), "%s", action);
	if (!strcmp(action, "pause"))
		rc = f->paused ? -EBUSY : (f->paused = true, 0);
	else if (!strcmp(action, "resume"))
		rc = !f->paused ? -EBUSY : (f->paused = false, 0);
	else if (!strcmp(action, "shutdown") && f->stop_on_shutdown)
		api_server_stop(f->stop_on_shutdown); /* as the VMM loop would, later */
	else if (strcmp(action, "shutdown"))
		rc = -EINVAL;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static const struct api_ops fake_ops = {
	.vm_info = fake_vm_info,
	.seccomp_info = fake_seccomp_info,
	.action = fake_action,
	.arg = &fake,
};

struct server {
	struct vmm_seccomp *ctx;
	struct api_server *api;
	pthread_t thread;
};

static const char *sock_path; /* set by the parent before forking */

/* The baseline on the whole (single-threaded) child, Landlock reaching
 * only the socket's directory (api_socket_dir()), then the server in a
 * thread of role api, which reaches no path: the sample VMM's order. */
static int server_start(struct server *srv)
{
	char err[PATH_MAX + 256], dir[PATH_MAX];
	int rc;

	if (api_socket_dir(sock_path, dir, sizeof(dir), err, sizeof(err))) {
		fprintf(stderr, "api_socket_dir: %s\n", err);
		return -1;
	}
	srv->ctx = vmm_seccomp_new();
	if (!srv->ctx ||
	    vmm_seccomp_allow_path(srv->ctx, VMM_SECCOMP_ROLE_PROCESS, dir,
				   VMM_SECCOMP_PATH_CREATE | VMM_SECCOMP_PATH_SOCKET) ||
	    vmm_seccomp_apply_process(srv->ctx)) {
		fprintf(stderr, "apply: %s\n", vmm_seccomp_last_error(srv->ctx));
		return -1;
	}
	rc = api_server_new(&srv->api, sock_path, &fake_ops, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "api_server_new: %s\n", err);
		return -1;
	}
	rc = vmm_seccomp_thread_create(srv->ctx, &srv->thread, NULL, VMM_SECCOMP_ROLE_API, "api",
				       api_server_run, srv->api);
	if (rc) {
		fprintf(stderr, "thread_create: %s\n", vmm_seccomp_last_error(srv->ctx));
		return -1;
	}
	return 0;
}

static void server_finish(struct server *srv, bool stop)
{
	struct timespec until;

	if (stop)
		api_server_stop(srv->api);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	CHECK(pthread_timedjoin_np(srv->thread, NULL, &until) == 0);
	api_server_free(srv->api);
	vmm_seccomp_free(srv->ctx);
}

/* ---- in the child: a minimal HTTP client ---- */

struct client {
	int fd;
	size_t len;
	char buf[64 * 1024];
};

struct response {
	int status;
	bool close_conn;
	size_t body_len;
	char body[API_BODY_MAX + 1];
};

static struct client *client_open(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* A full accept queue makes connect wait: EAGAIN after a while, not
	 * a hang until the child's timeout. */
	if (c->fd >= 0)
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO,
			   &(struct timeval){ .tv_sec = CONNECT_TIMEOUT_S },
			   sizeof(struct timeval));
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "connect %s: errno %d\n", sock_path, errno);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

static void client_close(struct client *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

/* Sends it all; false if the server closed first (no SIGPIPE). */
static bool client_send(struct client *c, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

static bool client_send_str(struct client *c, const char *s)
{
	return client_send(c, s, strlen(s));
}

/* Reads more; 1 data, 0 end of stream (EOF or reset), -1 timeout, -2 full. */
static int client_fill(struct client *c, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int64_t left = deadline - now_ms();
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -2;
	if (left < 0 || poll(&p, 1, (int)left) != 1)
		return -1;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n > 0) {
		c->len += (size_t)n;
		return 1;
	}
	return 0;
}

/*
 * The next response: its status, or -1 (the server closed before a
 * response began), -2 (timeout), -3 (malformed, or closed mid-response).
 */
static int client_response(struct client *c, int timeout_ms, struct response *r)
{
	int64_t deadline = now_ms() + timeout_ms;

	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
		int rc;

		if (end) {
			size_t hlen = (size_t)(end - c->buf) + 4, blen = 0;
			char head[1024];

			if (hlen >= sizeof(head) || memcmp(c->buf, "HTTP/1.1 ", 9))
				return -3;
			memcpy(head, c->buf, hlen);
			head[hlen] = '\0';
			cl = strstr(head, "\r\nContent-Length: ");
			if (cl)
				blen = strtoul(cl + 18, NULL, 10);
			else if (atoi(head + 9) != 204)
				return -3;
			if (blen > API_BODY_MAX)
				return -3;
			if (c->len >= hlen + blen) {
				r->status = atoi(head + 9);
				r->close_conn = strstr(head, "\r\nConnection: close\r\n") != NULL;
				memcpy(r->body, c->buf + hlen, blen);
				r->body[blen] = '\0';
				r->body_len = blen;
				c->len -= hlen + blen;
				memmove(c->buf, c->buf + hlen + blen, c->len);
				return r->status;
			}
		}
		rc = client_fill(c, deadline);
		if (rc == -1)
			return -2;
		if (rc != 1)
			return c->len ? -3 : -1;
	}
}

/* True if the server closes the connection within timeout_ms, with
 * nothing more to read. */
static bool client_sees_close(struct client *c, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int rc;

	while ((rc = client_fill(c, deadline)) == 1)
		;
	return rc == 0 && c->len == 0;
}

/* One request on a connection of its own: the status of its response.
 * The server never refuses a newcomer (it evicts the idlest connection
 * instead), so there is nothing to retry. */
static int one_request(const char *req, struct response *r)
{
	struct client *c = client_open();
	int status;

	if (!c)
		return -10;
	client_send_str(c, req);
	status = client_response(c, 5000, r);
	client_close(c);
	return status;
}

static const char *const GET_VM = "GET /vm HTTP/1.1\r\nHost: localhost\r\n\r\n";
static const char *const PUT_PAUSE = "PUT /actions HTTP/1.1\r\nContent-Length: 18\r\n\r\n"
				     "{\"action\":\"pause\"}";
static const char *const PUT_RESUME = "PUT /actions HTTP/1.1\r\nContent-Length: 19\r\n\r\n"
				      "{\"action\":\"resume\"}";

/* The server answers a plain request: it is alive and not stuck. */
static void check_alive(void)
{
	struct response r;

	CHECK(one_request(GET_VM, &r) == 200);
	CHECK(strstr(r.body, "\"state\":") != NULL);
}

/* ---- the parent's side ---- */

struct tmp {
	char dir[64];
	char path[128];
};

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/sample-api-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/api.sock", t->dir);
}

static void tmp_remove(struct tmp *t)
{
	unlink(t->path);
	assert_int_equal(rmdir(t->dir), 0);
}

/* Runs fn in a child against a fresh socket path; asserts it exited 0
 * without any violation report. */
static void run_live(int (*fn)(void *), bool socket_left_behind)
{
	struct tmp t = { "", "" };
	struct child c;
	struct stat st;

	tmp_make(&t);
	sock_path = t.path;
	assert_int_equal(run_child(fn, NULL, CHILD_TIMEOUT_S, &c), 0);
	if (!c.exited || c.code != 0 ||
	    count_lines_with(c.out, "vmm_seccomp: violation", (const char *)NULL))
		fprintf(stderr, "child output:\n%s\n", c.out);
	assert_true(c.exited);
	assert_int_equal(c.code, 0);
	assert_int_equal(count_lines_with(c.out, "vmm_seccomp: ", (const char *)NULL), 0);
	/* api_server_free() removed the socket file. */
	if (!socket_left_behind)
		assert_int_not_equal(lstat(t.path, &st), 0);
	tmp_remove(&t);
}

/* ---- the cases ---- */

static int child_valid(void *arg)
{
	struct server srv;
	struct client *c;
	struct response r;
	int i;

	(void)arg;
	memset(&r, 0, sizeof(r));
	if (server_start(&srv))
		return 2;
	/* Several requests on one connection. */
	c = client_open();
	CHECK(c != NULL);
	if (!c)
		return 3;
	CHECK(client_send_str(c, GET_VM) && client_response(c, 5000, &r) == 200);
	CHECK(!strcmp(r.body, "{\"state\":\"running\",\"pad\":\"\"}") && !r.close_conn);
	CHECK(client_send_str(c, "GET /seccomp HTTP/1.1\r\n\r\n") &&
	      client_response(c, 5000, &r) == 200);
	CHECK(!strcmp(r.body, "{\"mode\":\"enforce\",\"role\":\"api\"}"));
	CHECK(client_send_str(c, PUT_PAUSE) && client_response(c, 5000, &r) == 204);
	CHECK(r.body_len == 0);
	CHECK(client_send_str(c, GET_VM) && client_response(c, 5000, &r) == 200);
	CHECK(strstr(r.body, "\"paused\"") != NULL);
	CHECK(client_send_str(c, PUT_PAUSE) && client_response(c, 5000, &r) == 409);
	CHECK(strstr(r.body, "\"error\":\"action \\\"pause\\\" is not possible") != NULL);
	CHECK(client_send_str(c, "GET /nope HTTP/1.1\r\n\r\n") &&
	      client_response(c, 5000, &r) == 404);
	CHECK(client_send_str(c, "DELETE /vm HTTP/1.1\r\n\r\n") &&
	      client_response(c, 5000, &r) == 405);
	CHECK(client_send_str(
		      c, "PUT /actions HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"action\":\"x\"}") &&
	      client_response(c, 5000, &r) == 400);
	CHECK(strstr(r.body, "unknown action \\\"x\\\"") != NULL);
	/* Pipelined: three requests in one write, three answers in order. */
	{
		char all[512];

		snprintf(all, sizeof(all), "%s%s%s", PUT_RESUME, "GET /seccomp HTTP/1.1\r\n\r\n",
			 GET_VM);
		CHECK(client_send_str(c, all));
		CHECK(client_response(c, 5000, &r) == 204);
		CHECK(client_response(c, 5000, &r) == 200 && strstr(r.body, "enforce"));
		CHECK(client_response(c, 5000, &r) == 200 && strstr(r.body, "running"));
	}
	/* Many pipelined requests, sent byte by byte. */
	{
		const char *get = "GET /seccomp HTTP/1.1\r\n\r\n";
		size_t k;

		for (i = 0; i < 5; i++)
			for (k = 0; get[k]; k++)
				CHECK(client_send(c, get + k, 1));
		for (i = 0; i < 5; i++)
			CHECK(client_response(c, 5000, &r) == 200);
	}
	/* More pipelined requests than the server serves in one turn. */
	{
		static char many[100 * 32];
		size_t len = 0;

		for (i = 0; i < 100; i++)
			len += (size_t)snprintf(many + len, sizeof(many) - len,
						"GET /seccomp HTTP/1.1\r\n\r\n");
		CHECK(client_send(c, many, len));
		for (i = 0; i < 100; i++)
			CHECK(client_response(c, 5000, &r) == 200);
	}
	/* Connection: close ends it after the response. */
	CHECK(client_send_str(c, "GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n") &&
	      client_response(c, 5000, &r) == 200 && r.close_conn);
	CHECK(client_sees_close(c, 5000));
	client_close(c);
	/* HTTP/1.0 closes by default. */
	c = client_open();
	CHECK(c && client_send_str(c, "GET /vm HTTP/1.0\r\n\r\n") &&
	      client_response(c, 5000, &r) == 200);
	CHECK(c && r.close_conn && client_sees_close(c, 5000));
	client_close(c);
	/* An error closes: the framing is lost. */
	c = client_open();
	CHECK(c && client_send_str(c, "GET /vm HTTP/1.1\r\nBad header\r\n\r\n") &&
	      client_response(c, 5000, &r) == 400);
	CHECK(c && r.close_conn && strstr(r.body, "header line 1: no ':'"));
	CHECK(c && client_sees_close(c, 5000));
	client_close(c);
	server_finish(&srv, true);
	/* After the join the fake's state is the API thread's. */
	CHECK(fake.actions == 3 && !strcmp(fake.last_action, "resume") && !fake.paused);
	return failures ? 1 : 0;
}

static void test_valid_requests(void **state)
{
	(void)state;
	run_live(child_valid, false);
}

static const char *const seeds[] = {
	"GET /vm HTTP/1.1\r\nHost: localhost\r\n\r\n",
	"GET /seccomp?x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"PUT /actions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n"
	"{\"action\":\"pause\"}",
	"PUT /actions HTTP/1.1\r\nContent-Length: 19\r\n\r\n{\"action\":\"resume\"}",
	"DELETE /nope HTTP/1.1\r\nX: y\r\n\r\n",
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull; /* fixed seed: reproducible */

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static size_t mutate(char *buf, size_t len, size_t cap)
{
	static const char special[] = "\r\n: \t\"{}0123456789/\x7f\xff";
	int m, count = 1 + (int)(rng() % 3);

	for (m = 0; m < count && len; m++) {
		size_t pos = rng() % len;
		char ch = rng() % 2 ? (char)rng() : special[rng() % (sizeof(special) - 1)];

		switch (rng() % 3) {
		case 0:
			buf[pos] = ch;
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = ch;
				len++;
			}
			break;
		default:
			memmove(buf + pos, buf + pos + 1, len - pos - 1);
			len--;
		}
	}
	return len;
}

static bool allowed_status(int s)
{
	return s == 200 || s == 204 || s == 400 || s == 404 || s == 405 || s == 409 || s == 411 ||
	       s == 413 || s == 414 || s == 431 || s == 505;
}

/* Sends data, half-closes, and reads every response until the server
 * closes.  Returns how many responses came (all with an allowed status),
 * -1 on anything else; *first gets the first status. */
static int exchange(const char *data, size_t len, int *first)
{
	struct client *c = client_open();
	struct response r;
	int n = 0, s;

	*first = 0;
	if (!c)
		return -1;
	client_send(c, data, len); /* the server may close before it all went */
	shutdown(c->fd, SHUT_WR);
	while ((s = client_response(c, 5000, &r)) > 0) {
		if (!allowed_status(s)) {
			fprintf(stderr, "status %d for \"%.60s\"\n", s, data);
			n = -100;
		}
		if (!n)
			*first = s;
		n++;
	}
	client_close(c);
	if (s != -1) {
		fprintf(stderr, "no clean close (%d) after \"%.60s\"\n", s, data);
		return -1;
	}
	return n < 0 ? -1 : n;
}

static int child_malformed(void *arg)
{
	static const struct {
		const char *req;
		int status;
	} fixed[] = {
		{ "GET\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1 x\r\n\r\n", 400 },
		{ "GET vm HTTP/1.1\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\nHost: x\n\n", 400 },
		{ "GET /vm HTTP/1.1\r\nHost x\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\n folded\r\n\r\n", 400 },
		{ "GET /vm HTTP/1.1\r\nA: \x01\r\n\r\n", 400 },
		{ "\x00\x01\x02\x03\r\n\r\n", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
		  400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 5000\r\n\r\n{\"action\":", 413 },
		{ "PUT /actions HTTP/1.1\r\n\r\n{\"action\":\"pause\"}", 411 },
		{ "PUT /actions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411 },
		{ "GET /vm HTTP/2.0\r\n\r\n", 505 },
		{ "GET /vm HTTP/0.9\r\n\r\n", 505 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 1\r\n\r\n{", 400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 19\r\n\r\n{\"action\":\"pause\"]}",
		  400 },
		{ "PUT /actions HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"action\":\"\xff\"}", 400 },
		{ "GET /vm HTTP/1.1\r\n\r\n", 200 },
	};
	static char big[HTTP_MAX_HEADER + HTTP_MAX_BODY + 4096];
	struct server srv;
	struct client *c;
	int64_t start = now_ms();
	int i, first, n, cases = 0;
	size_t k, len;

	(void)arg;
	if (server_start(&srv))
		return 2;

	for (i = 0; i < (int)(sizeof(fixed) / sizeof(fixed[0])); i++, cases++) {
		n = exchange(fixed[i].req, strlen(fixed[i].req) + (fixed[i].req[0] ? 0 : 8),
			     &first);
		if (n < 1 || first != fixed[i].status)
			fprintf(stderr, "fixed case %d: %d responses, first %d (expected %d)\n", i,
				n, first, fixed[i].status);
		CHECK(n >= 1 && first == fixed[i].status);
	}

	/* Oversized: headers, target, body, and a flood with no line end. */
	len = (size_t)snprintf(big, sizeof(big), "GET /vm HTTP/1.1\r\nX-Pad: ");
	memset(big + len, 'p', 9000);
	len += 9000;
	memcpy(big + len, "\r\n\r\n", 4);
	CHECK(exchange(big, len + 4, &first) == 1 && first == 431);
	len = (size_t)snprintf(big, sizeof(big), "GET /");
	memset(big + len, 'a', 300);
	len += 300;
	len += (size_t)snprintf(big + len, sizeof(big) - len, " HTTP/1.1\r\n\r\n");
	CHECK(exchange(big, len, &first) == 1 && first == 414);
	len = (size_t)snprintf(big, sizeof(big),
			       "PUT /actions HTTP/1.1\r\nContent-Length: 4097\r\n\r\n");
	memset(big + len, ' ', 4097);
	CHECK(exchange(big, len + 4097, &first) == 1 && first == 413);
	memset(big, 'G', sizeof(big));
	CHECK(exchange(big, sizeof(big), &first) == 1 && first == 431);
	cases += 4;

	/* Every prefix (in steps) of valid requests, then the client leaves:
	 * no response, a clean close, nothing broken. */
	for (i = 0; i < (int)(sizeof(seeds) / sizeof(seeds[0])); i++)
		for (k = 1; k < strlen(seeds[i]); k += 3, cases++)
			CHECK(exchange(seeds[i], k, &first) == 0);

	/* Mutated requests: whatever comes back is a well-framed allowed status. */
	for (i = 0; i < 150; i++, cases++) {
		char buf[512];

		strcpy(buf, seeds[rng() % (sizeof(seeds) / sizeof(seeds[0]))]);
		len = mutate(buf, strlen(buf), sizeof(buf));
		CHECK(exchange(buf, len, &first) >= 0);
	}

	/* Clients leaving mid-request and mid-response, abruptly. */
	for (i = 0; i < 20; i++, cases++) {
		c = client_open();
		CHECK(c != NULL);
		if (!c)
			continue;
		if (i % 2) {
			client_send(c, PUT_PAUSE, 30);
		} else {
			/* Many responses the client will never read. */
			for (k = 0; k < 50; k++)
				client_send_str(c, GET_VM);
		}
		client_close(c);
	}
	check_alive();
	fprintf(stderr, "note: %d malformed, truncated or abandoned connections in %lld ms\n",
		cases, (long long)(now_ms() - start));
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_malformed_truncated_oversized(void **state)
{
	(void)state;
	run_live(child_malformed, false);
}

static int child_slow(void *arg)
{
	struct client *slow[5], *idle, *hog, *c;
	struct server srv;
	struct response r;
	int64_t start, t;
	int i, got;

	(void)arg;
	/* vm_info answers 15 KiB, so a client that does not read fills its
	 * socket buffer quickly. */
	fake.info_size = 15000;
	if (server_start(&srv))
		return 2;
	start = now_ms();
	for (i = 0; i < 5; i++) {
		slow[i] = client_open();
		CHECK(slow[i] != NULL);
		if (!slow[i])
			return 3;
		client_send_str(slow[i], "GET /vm HTTP/1.1\r\nHo");
	}
	idle = client_open();
	hog = client_open();
	CHECK(idle && hog);
	if (!idle || !hog)
		return 3;
	/* The hog pipelines 200 requests and reads nothing. */
	for (i = 0; i < 200; i++)
		client_send_str(hog, GET_VM);

	/* Meanwhile another client is served at once. */
	c = client_open();
	CHECK(c && client_send_str(c, GET_VM));
	t = now_ms();
	CHECK(c && client_response(c, 5000, &r) == 200 && r.body_len > 15000);
	CHECK(now_ms() - t < (on_valgrind() ? 3000 : 1000)); /* not after the slow ones */
	client_close(c);

	/* A slowloris: a byte every 300 ms does not extend its time. */
	for (i = 0; i < 4; i++) {
		sleep_ms(300);
		client_send_str(slow[0], "s");
	}
	for (i = 0; i < 5; i++) {
		got = client_response(slow[i], 6000, &r);
		t = now_ms() - start;
		CHECK(got == 408 && r.close_conn && strstr(r.body, "within 2000 ms"));
		CHECK(t >= API_TIMEOUT_MS - 100 &&
		      t < API_TIMEOUT_MS + (on_valgrind() ? 4000 : 1500));
		CHECK(client_sees_close(slow[i], 2000));
		client_close(slow[i]);
	}
	/* The idle one is closed without a word. */
	CHECK(client_sees_close(idle, 3000));
	client_close(idle);
	/* The hog is dropped (its peer hangs up) while it still reads nothing;
	 * then it finds some responses, not all. */
	{
		struct pollfd p = { .fd = hog->fd, .events = POLLRDHUP };
		int64_t until = now_ms() + API_TIMEOUT_MS + 4000;

		while (!(p.revents & (POLLHUP | POLLRDHUP)) && now_ms() < until)
			poll(&p, 1, 100);
		CHECK(p.revents & (POLLHUP | POLLRDHUP));
	}
	for (got = 0; client_response(hog, 3000, &r) == 200; got++)
		;
	CHECK(got > 0 && got < 200);
	client_close(hog);
	fprintf(stderr, "note: the hog got %d of 200 responses before it was dropped\n", got);
	check_alive();
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_slow_idle_and_hogging_clients(void **state)
{
	(void)state;
	run_live(child_slow, false);
}

/* The next response's status if one comes within timeout_ms (the server
 * closing afterwards or not), else what client_response() said. */
static int expect_close_after(struct client *c, int timeout_ms, struct response *r)
{
	int got = client_response(c, timeout_ms, r);

	if (got > 0)
		CHECK(r->close_conn && client_sees_close(c, 2000));
	return got;
}

/* A full table: a newcomer takes the place of the connection that made
 * progress least recently, with a 503 to one evicted mid-request and
 * silence to an idle one; every other connection goes on. */
static int child_evict(void *arg)
{
	struct client *c[API_MAX_CONNECTIONS - 1], *partial = NULL, *late, *later;
	struct server srv;
	struct response r;
	int i, attempt, got = 0;
	int64_t start;

	(void)arg;
	memset(&r, 0, sizeof(r));
	if (server_start(&srv))
		return 2;
	/* The partial request first (the server reads it before the others
	 * come), then every other slot filled by a request answered, in
	 * order.  All within API_TIMEOUT_MS, else the partial one expires
	 * (408): a loaded machine gets another attempt. */
	for (attempt = 0; attempt < 3; attempt++) {
		start = now_ms();
		partial = client_open();
		if (!partial)
			return 3;
		CHECK(client_send_str(partial, "GET /vm HT"));
		sleep_ms(on_valgrind() ? 300 : 50);
		for (i = 0; i < API_MAX_CONNECTIONS - 1; i++) {
			c[i] = client_open();
			if (!c[i])
				return 3;
			CHECK(client_send_str(c[i], GET_VM) &&
			      client_response(c[i], 5000, &r) == 200);
		}
		/* The table is full: this one evicts the partial request. */
		late = client_open();
		if (!late)
			return 3;
		CHECK(client_send_str(late, GET_VM) && client_response(late, 5000, &r) == 200);
		got = expect_close_after(partial, 5000, &r);
		if (got == 503 || now_ms() - start < API_TIMEOUT_MS - 300)
			break;
		fprintf(stderr, "note: filling the table took %lld ms, again\n",
			(long long)(now_ms() - start));
		client_close(partial);
		client_close(late);
		for (i = 0; i < API_MAX_CONNECTIONS - 1; i++)
			client_close(c[i]);
		sleep_ms(API_TIMEOUT_MS);
	}
	CHECK(got == 503);
	CHECK(strstr(r.body, "closed for a newer one") != NULL);
	client_close(partial);
	/* Next, the idle keep-alive connection served first: closed without
	 * a word. */
	later = client_open();
	CHECK(later && client_send_str(later, GET_VM) && client_response(later, 5000, &r) == 200);
	CHECK(client_sees_close(c[0], 2000));
	/* The others still serve, the newcomers too. */
	for (i = 1; i < API_MAX_CONNECTIONS - 1; i += 20)
		CHECK(client_send_str(c[i], GET_VM) && client_response(c[i], 5000, &r) == 200);
	CHECK(client_send_str(late, GET_VM) && client_response(late, 5000, &r) == 200);
	CHECK(later && client_send_str(later, GET_VM) && client_response(later, 5000, &r) == 200);
	client_close(late);
	client_close(later);
	for (i = 0; i < API_MAX_CONNECTIONS - 1; i++)
		client_close(c[i]);
	check_alive();
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_connection_eviction(void **state)
{
	(void)state;
	run_live(child_evict, false);
}

/* ---- floods of idle connections ---- */

#define FLOOD_IDLE 300

/* Room for n descriptors: raised (up to the hard limit) before the
 * baseline goes in, which allows only reading the limit. */
static bool nofile_at_least(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return false;
	if (rl.rlim_cur >= n)
		return true;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n) {
		fprintf(stderr, "RLIMIT_NOFILE: a hard limit of %llu, %llu needed\n",
			(unsigned long long)rl.rlim_max, (unsigned long long)n);
		return false;
	}
	rl.rlim_cur = n;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* A connection that sends `first` (NULL: nothing) and then waits.  The
 * connect does not block: a full accept queue is EAGAIN, counted in
 * *refused.  The descriptor, or -1. */
static int idle_open(const char *first, atomic_int *refused)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		if (errno == EAGAIN)
			atomic_fetch_add(refused, 1);
		else
			fprintf(stderr, "idle connect: errno %d\n", errno);
		close(fd);
		return -1;
	}
	if (first && send(fd, first, strlen(first), MSG_NOSIGNAL) < 0) {
		/* already evicted: it is idle all the same */
	}
	return fd;
}

/* What the server did with an idle connection: -1 still open, else it
 * closed it, and the status of what it said before (0: nothing). */
static int idle_outcome(int fd)
{
	char buf[1024];
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);

		if (n > 0 && len + (size_t)n < sizeof(buf) - 1) {
			len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		if (n < 0 && errno != ECONNRESET)
			return -2;
		break;
	}
	buf[len] = '\0';
	if (!len)
		return 0;
	return strncmp(buf, "HTTP/1.1 ", 9) ? -3 : atoi(buf + 9);
}

/* A well-formed request on a connection of its own, answered with a 200
 * within the request deadline (more under valgrind, which slows the
 * server as much as the flood). */
static bool served_despite_flood(void)
{
	struct client *c = client_open();
	struct response r;
	int got = -10;

	if (c && client_send_str(c, GET_VM))
		got = client_response(c, on_valgrind() ? 3 * API_TIMEOUT_MS : API_TIMEOUT_MS, &r);
	client_close(c);
	if (got != 200)
		fprintf(stderr, "GET /vm during the flood: %d\n", got);
	return got == 200 && strstr(r.body, "\"state\":") != NULL;
}

/* FLOOD_IDLE connections held open, some having sent a byte, some
 * nothing; well-formed requests in between are all answered. */
static int child_idle_flood(void *arg)
{
	static int fds[FLOOD_IDLE];
	atomic_int refused = 0;
	struct server srv;
	int i, k, n = 0, open_left = 0, closed = 0, bad = 0;
	int64_t until;

	(void)arg;
	if (!nofile_at_least(1024))
		return 4;
	if (server_start(&srv))
		return 2;
	for (k = 0; k < 6; k++) {
		/* 150 first, then 30 more before each request */
		for (i = 0; i < (k ? 30 : 150) && n < FLOOD_IDLE; i++) {
			fds[n] = idle_open(n % 2 ? "G" : NULL, &refused);
			CHECK(fds[n] >= 0);
			if (fds[n] < 0)
				return 3;
			n++;
		}
		CHECK(served_despite_flood());
	}
	CHECK(n == FLOOD_IDLE && atomic_load(&refused) == 0);
	/* The server holds at most its table: the others were closed (evicted,
	 * or expired if this took long), a byte's worth of request with a
	 * 503 (or a 408), nothing with nothing. */
	until = now_ms() + (on_valgrind() ? 4000 : 1000);
	do {
		open_left = closed = bad = 0;
		for (i = 0; i < n; i++) {
			int got = idle_outcome(fds[i]);

			if (got == -1)
				open_left++;
			else if (i % 2 ? got == 503 || got == 408 : got == 0)
				closed++;
			else
				bad++;
		}
	} while (open_left > API_MAX_CONNECTIONS && now_ms() < until && (sleep_ms(50), true));
	fprintf(stderr, "note: of %d idle connections the server closed %d, holds %d\n", n, closed,
		open_left);
	CHECK(bad == 0 && open_left <= API_MAX_CONNECTIONS);
	for (i = 0; i < n; i++)
		close(fds[i]);
	check_alive();
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_idle_flood_does_not_deny(void **state)
{
	(void)state;
	run_live(child_idle_flood, false);
}

/* A client that opens a batch of idle connections, then closes the batch
 * before, again and again: the attack that kept the old server (8 slots,
 * a 16-deep backlog) down for good. */
#define REOPEN_BATCH 100
#define REOPEN_PERIOD_MS 200

struct reopener {
	atomic_bool stop;
	atomic_int refused;
	int rounds;
};

static void *reopener_run(void *arg)
{
	static int gen[2][REOPEN_BATCH];
	struct reopener *f = arg;
	int cur = 0, i;

	for (i = 0; i < REOPEN_BATCH; i++)
		gen[1][i] = -1;
	while (!atomic_load(&f->stop)) {
		for (i = 0; i < REOPEN_BATCH; i++)
			gen[cur][i] = idle_open(i % 3 ? NULL : "P", &f->refused);
		for (i = 0; i < REOPEN_BATCH; i++)
			if (gen[!cur][i] >= 0)
				close(gen[!cur][i]);
		cur = !cur;
		f->rounds++;
		sleep_ms(REOPEN_PERIOD_MS);
	}
	for (i = 0; i < REOPEN_BATCH; i++)
		if (gen[!cur][i] >= 0)
			close(gen[!cur][i]);
	return NULL;
}

static int child_reopen(void *arg)
{
	struct reopener f = { .stop = false, .refused = 0 };
	struct server srv;
	pthread_t t;
	int64_t until;
	int requests = 0, served = 0;

	(void)arg;
	if (!nofile_at_least(1024))
		return 4;
	if (server_start(&srv))
		return 2;
	if (pthread_create(&t, NULL, reopener_run, &f))
		return 3;
	/* Longer than the old server took to recover from one round (its
	 * slots expiring after API_TIMEOUT_MS), three times over. */
	until = now_ms() + 3 * API_TIMEOUT_MS;
	while (now_ms() < until) {
		requests++;
		served += served_despite_flood();
		sleep_ms(50);
	}
	atomic_store(&f.stop, true);
	CHECK(pthread_join(t, NULL) == 0);
	fprintf(stderr,
		"note: %d of %d requests answered while a client reopened %d idle "
		"connections %d times (%d connects refused)\n",
		served, requests, REOPEN_BATCH, f.rounds, atomic_load(&f.refused));
	CHECK(requests >= 10 && served == requests);
	CHECK(f.rounds >= 10 && atomic_load(&f.refused) == 0);
	check_alive();
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_reopening_client_does_not_deny(void **state)
{
	(void)state;
	run_live(child_reopen, false);
}

static int child_shutdown(void *arg)
{
	struct server srv;
	struct client *c;
	struct response r;

	(void)arg;
	if (server_start(&srv))
		return 2;
	pthread_mutex_lock(&fake.lock);
	fake.stop_on_shutdown = srv.api;
	pthread_mutex_unlock(&fake.lock);
	c = client_open();
	CHECK(c && client_send_str(c, GET_VM) && client_response(c, 5000, &r) == 200);
	CHECK(c &&
	      client_send_str(c, "PUT /actions HTTP/1.1\r\nContent-Length: 24\r\n\r\n"
				 "{ \"action\": \"shutdown\" }") &&
	      client_response(c, 5000, &r) == 204);
	/* The server stops by itself: the action stopped it. */
	server_finish(&srv, false);
	CHECK(c && client_sees_close(c, 2000));
	client_close(c);
	CHECK(fake.actions == 1 && !strcmp(fake.last_action, "shutdown"));
	return failures ? 1 : 0;
}

static void test_shutdown_action(void **state)
{
	(void)state;
	run_live(child_shutdown, false);
}

/* Stopping a server with clients mid-request and before any request. */
static int child_stop(void *arg)
{
	struct server srv;
	struct client *a, *b;

	(void)arg;
	if (server_start(&srv))
		return 2;
	a = client_open();
	b = client_open();
	CHECK(a && b && client_send_str(a, "GET /vm HT"));
	sleep_ms(50);
	server_finish(&srv, true);
	CHECK(a && client_sees_close(a, 2000));
	CHECK(b && client_sees_close(b, 2000));
	client_close(a);
	client_close(b);
	return failures ? 1 : 0;
}

static void test_stop_with_clients(void **state)
{
	(void)state;
	run_live(child_stop, false);
}

/* The rule server_start() declares is what lets the server bind: next to
 * the socket's directory, in its parent, binding is refused (EACCES), and
 * the server goes on.  Needs a kernel with Landlock. */
static int child_landlock(void *arg)
{
	struct api_server *outside = NULL;
	struct vmm_seccomp_landlock_info info;
	struct server srv;
	struct client *c;
	struct response r;
	char path[PATH_MAX + 32], err[PATH_MAX + 256];

	(void)arg;
	if (server_start(&srv))
		return 2;
	vmm_seccomp_landlock_status(srv.ctx, &info, NULL, 0);
	CHECK(info.enforced);
	/* sock_path is /tmp/sample-api-XXXXXX/api.sock: /tmp is outside */
	snprintf(path, sizeof(path), "%.*s-outside.sock",
		 (int)(strrchr(sock_path, '/') - sock_path), sock_path);
	CHECK(api_server_new(&outside, path, &fake_ops, err, sizeof(err)) == -EACCES);
	CHECK(outside == NULL && strstr(err, "bind") != NULL);
	CHECK(access(path, F_OK) != 0);
	c = client_open();
	CHECK(c && client_send_str(c, GET_VM) && client_response(c, 5000, &r) == 200);
	if (c)
		client_close(c);
	server_finish(&srv, true);
	return failures ? 1 : 0;
}

static void test_landlock_confines(void **state)
{
	(void)state;
	if (on_valgrind()) {
		printf("SKIP landlock: valgrind does not implement it\n");
		return;
	}
	if (syscall(SYS_landlock_create_ruleset, NULL, 0, 1) <= 0) {
		printf("SKIP landlock: the kernel has none\n");
		return;
	}
	run_live(child_landlock, false);
}

/* The directory api_server_new() binds in, for its Landlock rule. */
static void test_socket_dir(void **state)
{
	char dir[PATH_MAX], err[PATH_MAX + 256], cwd[PATH_MAX], link[96], path[128];
	struct tmp t = { "", "" };

	(void)state;
	tmp_make(&t);
	assert_int_equal(api_socket_dir(t.path, dir, sizeof(dir), err, sizeof(err)), 0);
	assert_string_equal(dir, t.dir);
	assert_int_equal(api_socket_dir("/api.sock", dir, sizeof(dir), err, sizeof(err)), 0);
	assert_string_equal(dir, "/");
	/* relative: the working directory, made absolute */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(api_socket_dir("api.sock", dir, sizeof(dir), err, sizeof(err)), 0);
	assert_string_equal(dir, cwd);
	/* a symlink to the directory: its target, where the socket lands */
	snprintf(link, sizeof(link), "%s-link", t.dir);
	assert_int_equal(symlink(t.dir, link), 0);
	snprintf(path, sizeof(path), "%s/api.sock", link);
	assert_int_equal(api_socket_dir(path, dir, sizeof(dir), err, sizeof(err)), 0);
	assert_string_equal(dir, t.dir);
	unlink(link);
	/* a directory that does not exist: named */
	snprintf(cwd, sizeof(cwd), "%s/no/such/api.sock", t.dir);
	assert_int_equal(api_socket_dir(cwd, dir, sizeof(dir), err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, cwd));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(api_socket_dir("", dir, sizeof(dir), err, sizeof(err)), -EINVAL);
	/* too small a buffer */
	assert_int_equal(api_socket_dir(t.path, dir, 2, err, sizeof(err)), -ENAMETOOLONG);
	tmp_remove(&t);
}

/* ---- api_server_new's errors (no filters needed: in the test process) ---- */

static void test_new_errors(void **state)
{
	struct api_server *s = NULL, *s2 = NULL;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char err[512], longpath[200];
	struct stat st;
	struct tmp t = { "", "" };
	int fd;

	(void)state;
	tmp_make(&t);
	assert_int_equal(api_server_new(&s, NULL, &fake_ops, err, sizeof(err)), -EINVAL);
	assert_int_equal(api_server_new(&s, t.path, NULL, err, sizeof(err)), -EINVAL);
	assert_null(s);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(api_server_new(&s, longpath, &fake_ops, err, sizeof(err)), -ENAMETOOLONG);
	assert_non_null(strstr(err, "xxxxxxxx"));
	assert_non_null(strstr(err, "at most 107"));

	/* A directory that does not exist: bind fails, named with the path. */
	snprintf(longpath, sizeof(longpath), "%s/no/such/dir", t.dir);
	assert_int_equal(api_server_new(&s, longpath, &fake_ops, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, longpath));
	assert_non_null(strstr(err, "bind"));

	/* A regular file is never removed. */
	fd = open(t.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(api_server_new(&s, t.path, &fake_ops, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, t.path));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(lstat(t.path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(t.path);

	/* A stale socket (its server died without unlinking) is replaced. */
	assert_true(strlen(t.path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, t.path, strlen(t.path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(lstat(t.path, &st), 0);
	assert_int_equal(api_server_new(&s, t.path, &fake_ops, err, sizeof(err)), 0);
	assert_non_null(s);

	/* A live one is not. */
	assert_int_equal(api_server_new(&s2, t.path, &fake_ops, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another server is listening"));
	assert_null(s2);

	/* Freeing without ever running; the socket file goes. */
	api_server_free(s);
	assert_int_not_equal(lstat(t.path, &st), 0);
	api_server_free(NULL);
	tmp_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_socket_dir),
		cmocka_unit_test(test_landlock_confines),
		cmocka_unit_test(test_valid_requests),
		cmocka_unit_test(test_shutdown_action),
		cmocka_unit_test(test_stop_with_clients),
		cmocka_unit_test(test_connection_eviction),
		cmocka_unit_test(test_idle_flood_does_not_deny),
		cmocka_unit_test(test_reopening_client_does_not_deny),
		cmocka_unit_test(test_malformed_truncated_oversized),
		cmocka_unit_test(test_slow_idle_and_hogging_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
