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
 */
#ifndef SAMPLE_VMM_API_H
#define SAMPLE_VMM_API_H

#include <stddef.h>

struct api_server;

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
 * err. */
int api_server_new(struct api_server **out, const char *path, const struct api_ops *ops,
		   char *err, size_t errlen);

/* The API thread's body (argument: the server).  Serves until
 * api_server_stop(); makes only syscalls role `api` allows. */
void *api_server_run(void *server);

/* From any thread: makes api_server_run() return soon. */
void api_server_stop(struct api_server *s);

/* After the API thread was joined: closes, unlinks the socket, frees.
 * Accepts NULL. */
void api_server_free(struct api_server *s);

#endif
