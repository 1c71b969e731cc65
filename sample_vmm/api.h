/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample VMM's API server: an HTTP/1.1 subset on a Unix socket, served
 * by one thread in role `api`.
 *   GET /vm        -> 200, JSON from ops->vm_info
 *   GET /seccomp   -> 200, JSON from ops->seccomp_info
 *   PUT /actions   with {"action":"pause"|"resume"|"shutdown"} -> 204, or
 *                  400 (malformed), 409 (ops->action said -EBUSY)
 * Malformed, oversized or slow requests get a 4xx or are dropped; the
 * server goes on.
 *
 * Errors: other paths 404; another method on a known path 405 (with
 * Allow); a bad request line or header 400; a PUT without Content-Length
 * (or with Transfer-Encoding) 411; a body over 4 KiB 413; a target over
 * 255 bytes 414; request line and headers over 8 KiB 431; an HTTP version
 * other than 1.x 505; a callback that fails 500 (any error from
 * ops->action but -EINVAL, which is 400, and -EBUSY); a NULL callback 501;
 * 503 only to a connection evicted mid-request (below).  The action body
 * is strict JSON with the one member "action"; an unknown action is
 * refused (400) before ops->action sees it.  Every error carries
 * {"error":"<what was wrong, where>"}.  Every response but 204 carries
 * Content-Type: application/json and Content-Length; a 204 carries
 * neither (RFC 9110 8.6 forbids Content-Length in a 204) and no body.
 * Every response says Connection: close or keep-alive.
 *
 * Connections: keep-alive by default in HTTP/1.1 (several requests, also
 * pipelined, on one connection); "Connection: close" or an error ends one
 * after its response.  Each request must arrive whole within
 * API_TIMEOUT_MS of the server being ready for it (accept, or the previous
 * response sent), and each response must be taken within API_TIMEOUT_MS;
 * else the connection is closed (with a 408 if part of a request came).
 * Idle keep-alive connections are therefore closed after API_TIMEOUT_MS.
 *
 * Slow or idle clients cannot deny a well-formed request.  The server
 * accepts every connection waiting in its accept queue (API_BACKLOG deep)
 * whenever the listening socket is readable, and reads and answers at
 * once a request that arrived with its connection.  It holds at most
 * API_MAX_CONNECTIONS: a newcomer finding them all taken is never
 * refused, it takes the place of the connection that made progress (was
 * accepted, or received or sent a byte) least recently, which is closed:
 * with a 503 if part of a request had come, silently if it was idle
 * between requests or had a response pending.  A flood of connections
 * thus displaces connections in the order they went quiet, no newcomer
 * waits for a deadline to free a slot, and a request sent with its
 * connection is answered before any later connection can displace it.
 * All memory is allocated by api_server_new(): the thread allocates none.
 */
#ifndef SAMPLE_VMM_API_H
#define SAMPLE_VMM_API_H

#include <stdbool.h>
#include <stddef.h>

/* The connection table.  A VMM's API has a handful of legitimate clients
 * (an orchestrator, a monitoring agent, an operator's curl); 64 leaves
 * them room beside dozens of stalled connections, so that eviction, which
 * is what keeps a flood out, rarely reaches one mid-request.  Each slot
 * holds a whole request and a whole response (28.5 KiB): 1.8 MiB for the
 * table, allocated by api_server_new(), and poll's cost grows with it. */
#define API_MAX_CONNECTIONS 64
#define API_TIMEOUT_MS 2000
/* The listen backlog: a burst of this many connects is queued rather than
 * refused (EAGAIN) until the server drains the queue.  A queued connection
 * costs the kernel a socket, the server nothing.  The kernel caps it at
 * net.core.somaxconn (4096 since Linux 5.4, 128 before). */
#define API_BACKLOG 1024
/* The largest JSON an info callback may write (NUL included), and the
 * largest response. */
#define API_BODY_MAX 16384
#define API_RESPONSE_MAX (API_BODY_MAX + 512)

struct api_server;
struct http_request;

struct api_ops {
	/* Write a JSON object into buf (NUL-terminated); return its length,
	 * or -1 if it does not fit.  Called on the API thread. */
	int (*vm_info)(void *arg, char *buf, size_t len);
	int (*seccomp_info)(void *arg, char *buf, size_t len);
	/* "pause", "resume" or "shutdown": 0 accepted, -EINVAL unknown
	 * action, -EBUSY not possible in the current state. */
	int (*action)(void *arg, const char *action);
	void *arg;
};

/* Creates the listening socket at `path` (a stale socket file there is
 * removed first).  Call before starting the API thread.  Borrows ops
 * (must outlive the server); copies path.  0 or -errno, with a message in
 * err.
 * Details: -EINVAL (no path or ops), -ENAMETOOLONG (path over 107 bytes),
 * -EEXIST (path exists and is not a socket: never removed), -EADDRINUSE (a
 * server answers at path), -ENOMEM, or the errno of the failing step
 * (lstat, unlink, socket, bind, listen, eventfd), which the message names
 * with the path.  Needs socket, bind, listen, eventfd2, newfstatat, connect
 * and unlink: the baseline allows them all, role `api` does not, role
 * `vmm` lacks unlink.  Call it from the main thread (no role). */
int api_server_new(struct api_server **out, const char *path, const struct api_ops *ops, char *err,
		   size_t errlen);

/* The API thread's body (argument: the server).  Serves until
 * api_server_stop(); makes only syscalls role `api` allows. */
void *api_server_run(void *server);

/* From any thread, ops->action included (one write to an eventfd): makes
 * api_server_run() return soon.  A response already made (the 204 to a
 * shutdown) still goes out if the client's socket buffer takes it. */
void api_server_stop(struct api_server *s);

/* After the API thread was joined: closes, unlinks the socket, frees.
 * Accepts NULL.  The baseline and role `vmm` allow unlink; under Landlock
 * the calling thread's domain needs VMM_SECCOMP_PATH_CREATE on the
 * socket's directory (api_socket_dir()). */
void api_server_free(struct api_server *s);

/*
 * The directory of the socket at `path`, absolute and resolved, into dir
 * (`len` bytes, PATH_MAX is enough): where api_server_new() binds
 * (Landlock: VMM_SECCOMP_PATH_SOCKET) and unlinks a stale socket, and
 * api_server_free() unlinks it (VMM_SECCOMP_PATH_CREATE).  Nothing else
 * touches a path: lstat and connect to a pathname socket are not Landlock
 * accesses.  0, or -errno with a message naming the path in err.
 */
int api_socket_dir(const char *path, char *dir, size_t len, char *err, size_t errlen);

/*
 * The response to one parsed request (http.h): routes it, calls ops,
 * writes the whole response into out (outlen bytes, API_RESPONSE_MAX is
 * always enough) and returns its length (0: it did not fit).  *close_conn
 * tells whether the connection ends after it.  Makes no syscall itself;
 * the server calls it on the API thread, the unit tests directly.
 */
size_t api_respond(const struct api_ops *ops, const struct http_request *req, char *out,
		   size_t outlen, bool *close_conn);

#endif
