/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API server: one poll loop over the listening socket, the stop
 * eventfd and at most API_MAX_CONNECTIONS clients, every descriptor
 * non-blocking, so no client can hold the thread.  It runs in role `api`:
 * poll, accept4, recv, send, shutdown, close, read/write on the eventfd
 * and clock_gettime are all it uses; everything else (socket, bind,
 * listen, eventfd, the memory of every connection) is set up beforehand
 * by api_server_new().
 *
 * Slow and idle clients cannot keep a request out: the accept queue is
 * drained whenever the listener is readable, a newcomer finding the table
 * full takes the place of the connection that made progress least
 * recently, and a newcomer's request already there is read and answered
 * in the same turn as its accept.
 */
#include "api.h"
#include "http.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* accept4 failing for lack of descriptors would wake poll at once, again
 * and again: the listening socket rests this long instead. */
#define API_ACCEPT_PAUSE_MS 100
/* Connections accepted per wake-up: more than the queue can hold
 * (API_BACKLOG + 1), so every connection queued when the listener woke
 * the thread is taken (accept stops earlier at EAGAIN), yet a client
 * connecting as fast as the server accepts cannot keep it from the
 * connections it holds.  Pipelined requests served per wake-up of one
 * connection, so that no client starves the others. */
#define API_ACCEPT_BATCH (2 * API_BACKLOG)
#define API_REQUEST_BATCH 32
/* Candidates for eviction looked at (a recv or send each) per newcomer. */
#define API_EVICT_LOOKS 4

struct api_conn {
	int fd;		   /* -1: free slot */
	int64_t deadline;  /* ms, CLOCK_MONOTONIC: the current request or response is late */
	uint64_t progress; /* s->ticks when it was accepted or last moved bytes */
	bool close_after;  /* close once out is sent */
	bool more;	   /* complete requests wait in `in`, beyond one batch */
	size_t in_len;
	size_t out_len, out_off;
	char in[HTTP_MAX_REQUEST];
	char out[API_RESPONSE_MAX];
};

struct api_server {
	const struct api_ops *ops;
	int listen_fd;
	int stop_fd;
	int64_t accept_paused_until;
	/* A counter, not a clock: orders the connections' progress even
	 * within one millisecond, for the choice of the one to evict. */
	uint64_t ticks;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_conn conns[API_MAX_CONNECTIONS];
};

/* ---- routing: no syscalls ------------------------------------------------ */

static const char *const actions[] = { "pause", "resume", "shutdown" };

static size_t respond_info(int (*fn)(void *, char *, size_t), void *arg, const char *name,
			   char *out, size_t outlen, bool close_conn)
{
	char body[API_BODY_MAX], msg[128];
	int n;

	if (!fn) {
		snprintf(msg, sizeof(msg), "%s is not available in this VMM", name);
		return http_error_response(out, outlen, 501, NULL, close_conn, msg);
	}
	body[0] = '\0';
	n = fn(arg, body, sizeof(body));
	if (n < 0 || (size_t)n >= sizeof(body)) {
		snprintf(msg, sizeof(msg), "%s failed or did not fit in %d bytes", name,
			 API_BODY_MAX);
		return http_error_response(out, outlen, 500, NULL, close_conn, msg);
	}
	return http_response(out, outlen, 200, NULL, body, (size_t)n, close_conn);
}

static size_t respond_action(const struct api_ops *ops, const struct http_request *req, char *out,
			     size_t outlen, bool close_conn)
{
	char action[16], msg[512], esc[256];
	size_t i;
	int rc;

	rc = http_json_string_member(req->body, req->body_len, "action", HTTP_JSON_ONLY_MEMBER,
				     action, sizeof(action), msg, sizeof(msg));
	if (rc == -E2BIG) {
		snprintf(msg, sizeof(msg), "unknown action (expected pause, resume or shutdown)");
		return http_error_response(out, outlen, 400, NULL, close_conn, msg);
	}
	if (rc) {
		if (req->body_len == 0)
			snprintf(msg, sizeof(msg),
				 "empty body: expected {\"action\":\"pause\"}, "
				 "resume or shutdown");
		return http_error_response(out, outlen, 400, NULL, close_conn, msg);
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(action, actions[i]))
			break;
	http_json_escape(esc, sizeof(esc), action);
	if (i == sizeof(actions) / sizeof(actions[0])) {
		snprintf(msg, sizeof(msg),
			 "unknown action \"%s\" (expected pause, resume or shutdown)", esc);
		return http_error_response(out, outlen, 400, NULL, close_conn, msg);
	}
	if (!ops->action) {
		snprintf(msg, sizeof(msg), "actions are not available in this VMM");
		return http_error_response(out, outlen, 501, NULL, close_conn, msg);
	}
	rc = ops->action(ops->arg, action);
	if (rc == 0)
		return http_response(out, outlen, 204, NULL, NULL, 0, close_conn);
	if (rc == -EBUSY) {
		snprintf(msg, sizeof(msg),
			 "action \"%s\" is not possible in the VM's current state", action);
		return http_error_response(out, outlen, 409, NULL, close_conn, msg);
	}
	if (rc == -EINVAL) {
		snprintf(msg, sizeof(msg), "action \"%s\" refused by the VMM as invalid", action);
		return http_error_response(out, outlen, 400, NULL, close_conn, msg);
	}
	/* No strerror(): it may load message catalogs, which role api cannot. */
	snprintf(msg, sizeof(msg), "action \"%s\" failed (error %d)", action, -rc);
	return http_error_response(out, outlen, 500, NULL, close_conn, msg);
}

size_t api_respond(const struct api_ops *ops, const struct http_request *req, char *out,
		   size_t outlen, bool *close_conn)
{
	char msg[HTTP_MAX_TARGET + 128], esc[2 * HTTP_MAX_TARGET + 8];
	bool is_get = !strcmp(req->method, "GET");

	*close_conn = !req->keep_alive;
	http_json_escape(esc, sizeof(esc), req->path);
	if (!strcmp(req->path, "/vm") || !strcmp(req->path, "/seccomp")) {
		bool vm = !strcmp(req->path, "/vm");

		if (!is_get) {
			snprintf(msg, sizeof(msg), "method %s not allowed on %s (only GET)",
				 req->method, req->path);
			return http_error_response(out, outlen, 405, "GET", *close_conn, msg);
		}
		return respond_info(vm ? ops->vm_info : ops->seccomp_info, ops->arg,
				    vm ? "vm_info" : "seccomp_info", out, outlen, *close_conn);
	}
	if (!strcmp(req->path, "/actions")) {
		if (strcmp(req->method, "PUT") != 0) {
			snprintf(msg, sizeof(msg), "method %s not allowed on /actions (only PUT)",
				 req->method);
			return http_error_response(out, outlen, 405, "PUT", *close_conn, msg);
		}
		return respond_action(ops, req, out, outlen, *close_conn);
	}
	snprintf(msg, sizeof(msg), "no resource %s (there are /vm, /seccomp and /actions)",
		 req->path);
	return http_error_response(out, outlen, 404, NULL, *close_conn, msg);
}

/* ---- connections ------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct api_conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->in_len = c->out_len = c->out_off = 0;
	c->close_after = c->more = false;
}

/* A short answer on a connection about to be closed; never waits. */
static void send_last_words(int fd, int status, const char *msg)
{
	char buf[768];
	size_t n = http_error_response(buf, sizeof(buf), status, NULL, true, msg);

	if (n && send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The client is gone or not reading: nothing more to do. */
	}
}

/* Sends what is pending, then serves the buffered requests one at a time
 * (the next one only once the previous response is out), until it must
 * wait for the client. */
static void conn_progress(struct api_server *s, struct api_conn *c)
{
	struct http_request req;
	int served = 0;

	c->more = false;
	for (;;) {
		enum http_parse r;

		if (c->out_off < c->out_len) {
			ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
					 MSG_NOSIGNAL);

			if (w < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					conn_close(c); /* EPIPE, ECONNRESET: the client left */
				return;
			}
			c->out_off += (size_t)w;
			c->progress = ++s->ticks;
			if (c->out_off < c->out_len)
				return;
			c->out_off = c->out_len = 0;
			if (c->close_after) {
				conn_close(c);
				return;
			}
			c->deadline = now_ms() + API_TIMEOUT_MS;
		}

		if (served++ == API_REQUEST_BATCH) {
			/* Back after the others had their turn (the socket is
			 * writable, so poll returns at once). */
			c->more = true;
			return;
		}
		r = http_parse_request(c->in, c->in_len, &req);
		if (r == HTTP_PARSE_NEED_MORE) {
			if (c->in_len < sizeof(c->in))
				return;
			/* Cannot happen: the parser refuses what exceeds the buffer. */
			r = HTTP_PARSE_ERROR;
			req.status = 431;
			snprintf(req.error, sizeof(req.error), "request over %zu bytes",
				 sizeof(c->in));
		}
		if (r == HTTP_PARSE_ERROR) {
			/* The framing is lost: answer, then close. */
			c->out_len = http_error_response(c->out, sizeof(c->out), req.status, NULL,
							 true, req.error);
			c->close_after = true;
			c->in_len = 0;
		} else {
			c->out_len =
				api_respond(s->ops, &req, c->out, sizeof(c->out), &c->close_after);
			c->in_len -= req.consumed;
			memmove(c->in, c->in + req.consumed, c->in_len);
		}
		if (!c->out_len) {
			conn_close(c);
			return;
		}
		c->out_off = 0;
		c->deadline = now_ms() + API_TIMEOUT_MS;
	}
}

static void conn_readable(struct api_server *s, struct api_conn *c)
{
	ssize_t n;

	if (c->in_len == sizeof(c->in)) {
		/* Never polled for input with a full buffer (it holds a whole
		 * request or a refusal); should it happen, a 0-byte recv
		 * must not pass for the client's end. */
		conn_progress(s, c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n > 0) {
		c->in_len += (size_t)n;
		c->progress = ++s->ticks;
		conn_progress(s, c);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		/* The client left, maybe mid-request: what it sent is dropped. */
		conn_close(c);
	}
}

static void conn_expire(struct api_conn *c)
{
	if (c->in_len && c->out_off == c->out_len) {
		char msg[96];

		snprintf(msg, sizeof(msg), "the request did not arrive whole within %d ms",
			 API_TIMEOUT_MS);
		send_last_words(c->fd, 408, msg);
	}
	conn_close(c);
}

/* A connection poll found ready, or one looked at before it is evicted:
 * sends what is pending, else reads what came. */
static void conn_service(struct api_server *s, struct api_conn *c)
{
	if (c->out_off < c->out_len || c->more)
		conn_progress(s, c); /* POLLOUT, or an error send will see */
	else
		conn_readable(s, c); /* POLLIN, or HUP/ERR recv will see */
}

/*
 * The slot a newcomer takes: a free one, else the connection that made
 * progress least recently, closed (with a 503 if part of a request came:
 * it can retry).  The candidate is looked at first: while the server
 * drains the accept queue it polls no one, and a client whose request came
 * after its accept must not lose its place for bytes the server did not
 * read.  A few looks per eviction, so that a crowd of trickling clients
 * costs a bounded amount of work per newcomer (API_EVICT_LOOKS).
 */
static struct api_conn *conn_slot(struct api_server *s)
{
	int looks = 0;

	for (;;) {
		struct api_conn *idlest = NULL;
		uint64_t seen;
		size_t i;

		for (i = 0; i < API_MAX_CONNECTIONS; i++) {
			struct api_conn *c = &s->conns[i];

			if (c->fd < 0)
				return c;
			if (!idlest || c->progress < idlest->progress)
				idlest = c;
		}
		if (looks++ < API_EVICT_LOOKS) {
			seen = idlest->progress;
			conn_service(s, idlest);
			if (idlest->fd < 0 || idlest->progress != seen)
				continue; /* it left, or it moved: look again */
		}
		if (idlest->in_len && idlest->out_off == idlest->out_len)
			send_last_words(idlest->fd, 503,
					"connection closed for a newer one: it had made progress "
					"least recently of all");
		conn_close(idlest);
		return idlest;
	}
}

static void accept_clients(struct api_server *s)
{
	int k;

	for (k = 0; k < API_ACCEPT_BATCH; k++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct api_conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->accept_paused_until = now_ms() + API_ACCEPT_PAUSE_MS;
			return;
		}
		c = conn_slot(s);
		c->fd = fd;
		c->in_len = c->out_len = c->out_off = 0;
		c->close_after = c->more = false;
		c->deadline = now_ms() + API_TIMEOUT_MS;
		c->progress = ++s->ticks;
		/* A client sends its request right after connect: it is
		 * usually there already, and answered before any later
		 * newcomer could take this slot. */
		conn_readable(s, c);
	}
}

void *api_server_run(void *server)
{
	struct api_server *s = server;
	struct pollfd pfd[2 + API_MAX_CONNECTIONS];
	struct api_conn *polled[API_MAX_CONNECTIONS];
	size_t i;

	for (;;) {
		int64_t now = now_ms(), timeout = -1;
		nfds_t n = 2, k;
		int r;

		pfd[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
		/* poll ignores a negative descriptor: the paused listener. */
		pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		if (now < s->accept_paused_until) {
			pfd[1].fd = -1;
			timeout = s->accept_paused_until - now;
		}
		for (i = 0; i < API_MAX_CONNECTIONS; i++) {
			struct api_conn *c = &s->conns[i];
			int64_t left;

			if (c->fd < 0)
				continue;
			left = c->deadline > now ? c->deadline - now : 0;
			if (timeout < 0 || left < timeout)
				timeout = left;
			polled[n - 2] = c;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->out_off < c->out_len || c->more ? POLLOUT : POLLIN,
			};
		}

		r = poll(pfd, n, (int)timeout);
		if (r < 0) {
			if (errno != EINTR) {
				/* Never seen (EFAULT, EINVAL cannot happen; ENOMEM may):
				 * retry later rather than spin or give the API up. */
				nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
			}
			continue;
		}
		if (pfd[0].revents)
			break;
		for (k = 2; k < n; k++) {
			struct api_conn *c = polled[k - 2];

			if (!pfd[k].revents || c->fd < 0)
				continue;
			conn_service(s, c);
		}
		now = now_ms();
		for (i = 0; i < API_MAX_CONNECTIONS; i++)
			if (s->conns[i].fd >= 0 && now >= s->conns[i].deadline)
				conn_expire(&s->conns[i]);
		if (pfd[1].revents & POLLIN)
			accept_clients(s);
	}

	/* Stopping: what fits in the socket buffers still goes out (the answer
	 * to a shutdown, typically), nothing waits. */
	for (i = 0; i < API_MAX_CONNECTIONS; i++) {
		struct api_conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		if (c->out_off < c->out_len &&
		    send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* gone or not reading: closed anyway */
		}
		conn_close(c);
	}
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------- */

/* A socket file left by a server that died is removed; a live server or
 * anything but a socket is left alone. */
static int remove_stale(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	const char *path = addr->sun_path;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "API socket %s: lstat: %s", path, strerror(errno));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "API socket %s: exists and is not a socket (left alone)",
			 path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: socket (probing the old one): %s", path,
			 strerror(errno));
		return rc;
	}
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
		close(fd);
		snprintf(err, errlen, "API socket %s: another server is listening there", path);
		return -EADDRINUSE;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED) {
		snprintf(err, errlen, "API socket %s: connect (probing the old one): %s", path,
			 strerror(rc));
		return -rc;
	}
	if (unlink(path)) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: unlink of the stale socket: %s", path,
			 strerror(errno));
		return rc;
	}
	return 0;
}

int api_server_new(struct api_server **out, const char *path, const struct api_ops *ops, char *err,
		   size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct api_server *s;
	size_t i;
	int rc;

	*out = NULL;
	if (!path || !*path || !ops) {
		snprintf(err, errlen, "API socket: %s",
			 ops ? "no path given" : "no operations given");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "API socket %s: path of %zu bytes (at most %zu)", path,
			 strlen(path), sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "API socket %s: out of memory", path);
		return -ENOMEM;
	}
	s->ops = ops;
	memcpy(s->path, addr.sun_path, sizeof(s->path));
	for (i = 0; i < API_MAX_CONNECTIONS; i++)
		s->conns[i].fd = -1;

	rc = remove_stale(&addr, err, errlen);
	if (rc)
		goto err_free;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: socket: %s", path, strerror(errno));
		goto err_free;
	}
	if (bind(s->listen_fd, (const struct sockaddr *)&addr, sizeof(addr))) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: bind: %s", path, strerror(errno));
		goto err_close_listen;
	}
	if (listen(s->listen_fd, API_BACKLOG)) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: listen: %s", path, strerror(errno));
		goto err_unlink;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "API socket %s: eventfd (the stop signal): %s", path,
			 strerror(errno));
		goto err_unlink;
	}
	*out = s;
	return 0;

err_unlink:
	unlink(path);
err_close_listen:
	close(s->listen_fd);
err_free:
	free(s);
	return rc;
}

void api_server_stop(struct api_server *s)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow: then it is set anyway. */
	if (write(s->stop_fd, &one, sizeof(one)) < 0) {
	}
}

void api_server_free(struct api_server *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < API_MAX_CONNECTIONS; i++)
		if (s->conns[i].fd >= 0)
			close(s->conns[i].fd);
	close(s->stop_fd);
	close(s->listen_fd);
	unlink(s->path);
	free(s);
}

int api_socket_dir(const char *path, char *dir, size_t len, char *err, size_t errlen)
{
	char what[96];

	if (!path || !*path) {
		snprintf(err, errlen, "API socket: no path given");
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "API socket %.64s%s", path, strlen(path) > 64 ? "..." : "");
	return path_dir(path, dir, len, what, err, errlen);
}
