/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the API server's request handling: the HTTP parser and
 * the router (sample_vmm/http.c and api_respond() in sample_vmm/api.c,
 * with stub callbacks), fed the way the server feeds them.  The input's
 * first byte picks how the rest is cut into the reads a connection would
 * get (its low three bits) and which callbacks answer (the next two); the
 * rest is what one client sends on one connection.  Each read lands in a
 * buffer as big as a connection's, the complete requests in it are
 * answered and consumed one by one, as the server does, until a refusal
 * or a "Connection: close" ends the connection.
 *
 * Checked besides memory safety (ASan, UBSan, leaks):
 *  - the parser's promise that a buffer of HTTP_MAX_REQUEST bytes always
 *    holds a whole request or enough to refuse it, and that a parsed
 *    request lies inside the buffer;
 *  - api_respond()'s that API_RESPONSE_MAX always holds a response;
 *  - every response is well framed (status line, Content-Length equal to
 *    the body, none in a 204, a Connection header), with a status the
 *    server may send, and every error body is strict JSON holding only
 *    "error" (the messages quote the input);
 *  - the responses are the same whatever the cut: the same bytes read one
 *    at a time or all at once give the same answers.
 *
 * Built for libFuzzer by tools/fuzz.sh http; tests/fuzz/replay.c runs the
 * same entry over tests/fuzz/seeds/http and tests/fuzz/regressions-http
 * in the test suite.
 */
#include "api.h"
#include "http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Responses kept per run for the comparison of two cuts: a run stops
 * comparing (not serving) beyond this many bytes. */
#define TRANSCRIPT_MAX (64 * 1024)

static int stub_vm_info(void *arg, char *buf, size_t len)
{
	(void)arg;
	return snprintf(buf, len, "{\"state\":\"running\",\"vcpus\":2}");
}

static int stub_seccomp_info(void *arg, char *buf, size_t len)
{
	(void)arg;
	return snprintf(buf, len, "{\"mode\":\"enforce\",\"role\":\"api\"}");
}

/* Every outcome ops->action can have, by action. */
static int stub_action(void *arg, const char *action)
{
	(void)arg;
	if (!strcmp(action, "pause"))
		return 0;
	if (!strcmp(action, "resume"))
		return -EBUSY;
	return -EIO;
}

static int stub_failing_info(void *arg, char *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return -1;
}

static int stub_refusing_action(void *arg, const char *action)
{
	(void)arg;
	(void)action;
	return -EINVAL;
}

static const struct api_ops ops_variants[4] = {
	{ stub_vm_info, stub_seccomp_info, stub_action, NULL },
	{ NULL, NULL, NULL, NULL },
	{ stub_failing_info, stub_failing_info, stub_refusing_action, NULL },
	{ stub_vm_info, stub_failing_info, stub_action, NULL },
};

struct transcript {
	size_t len;
	bool full;
	char bytes[TRANSCRIPT_MAX];
};

static void record(struct transcript *t, const char *s, size_t n)
{
	if (t->full || n > sizeof(t->bytes) - t->len) {
		t->full = true;
		return;
	}
	memcpy(t->bytes + t->len, s, n);
	t->len += n;
}

static bool status_allowed(int s)
{
	switch (s) {
	case 200:
	case 204:
	case 400:
	case 404:
	case 405:
	case 409:
	case 411:
	case 413:
	case 414:
	case 431:
	case 500:
	case 501:
	case 505:
		return true;
	default:
		return false;
	}
}

static void check_response(const char *out, size_t n, bool close_conn)
{
	const char *end = memmem(out, n, "\r\n\r\n", 4), *cl;
	char head[1024], err[256], value[600];
	size_t hlen, blen;
	int status;

	if (n < 13 || memcmp(out, "HTTP/1.1 ", 9) || !end)
		abort();
	hlen = (size_t)(end - out) + 4;
	if (hlen >= sizeof(head))
		abort();
	memcpy(head, out, hlen);
	head[hlen] = '\0';
	status = atoi(head + 9);
	if (!status_allowed(status))
		abort();
	if (!strstr(head,
		    close_conn ? "\r\nConnection: close\r\n" : "\r\nConnection: keep-alive\r\n"))
		abort();
	cl = strstr(head, "\r\nContent-Length: ");
	blen = n - hlen;
	if (status == 204) {
		if (cl || blen)
			abort();
		return;
	}
	if (!cl || strtoul(cl + 18, NULL, 10) != blen ||
	    !strstr(head, "\r\nContent-Type: application/json\r\n"))
		abort();
	if (status >= 400 &&
	    http_json_string_member(out + hlen, blen, "error", HTTP_JSON_ONLY_MEMBER, value,
				    sizeof(value), err, sizeof(err)))
		abort();
}

/* The size of the next read under cut pattern `cut`. */
static size_t next_cut(unsigned int cut, const unsigned char *p, size_t left, uint32_t *rng)
{
	static const size_t fixed[] = { 0, 1, 2, 7, 64, 1000 };
	const unsigned char *lf;

	switch (cut) {
	case 6: /* 1 to 32 bytes, pseudo-random */
		*rng ^= *rng << 13;
		*rng ^= *rng >> 17;
		*rng ^= *rng << 5;
		return 1 + *rng % 32;
	case 7: /* line by line, as a client writing each line would */
		lf = memchr(p, '\n', left);
		return lf ? (size_t)(lf - p) + 1 : left;
	default:
		return cut ? fixed[cut] : left;
	}
}

/* One connection: the server's buffer, reads of the sizes `cut` gives,
 * every complete request answered before the next read. */
static void serve(const struct api_ops *ops, unsigned int cut, const unsigned char *data,
		  size_t size, struct transcript *t)
{
	static char in[HTTP_MAX_REQUEST], out[API_RESPONSE_MAX];
	size_t in_len = 0, pos = 0;
	uint32_t rng = 0x9e3779b9u ^ (uint32_t)size;

	t->len = 0;
	t->full = false;
	while (pos < size) {
		size_t n = next_cut(cut, data + pos, size - pos, &rng);

		if (n > size - pos)
			n = size - pos;
		if (n > sizeof(in) - in_len)
			n = sizeof(in) - in_len; /* recv takes what fits */
		memcpy(in + in_len, data + pos, n);
		in_len += n;
		pos += n;
		for (;;) {
			struct http_request req;
			enum http_parse r = http_parse_request(in, in_len, &req);
			bool close_conn;
			size_t m;

			if (r == HTTP_PARSE_NEED_MORE) {
				if (in_len == sizeof(in))
					abort(); /* the parser's promise broken */
				break;
			}
			if (r == HTTP_PARSE_ERROR) {
				if (!req.status || !req.error[0])
					abort();
				m = http_error_response(out, sizeof(out), req.status, NULL, true,
							req.error);
				if (!m)
					abort();
				check_response(out, m, true);
				record(t, out, m);
				return; /* the framing is lost: the server closes */
			}
			if (req.consumed == 0 || req.consumed > in_len ||
			    (req.body_len &&
			     (req.body < in || req.body + req.body_len > in + req.consumed)))
				abort();
			m = api_respond(ops, &req, out, sizeof(out), &close_conn);
			if (!m)
				abort(); /* API_RESPONSE_MAX is always enough */
			check_response(out, m, close_conn);
			record(t, out, m);
			in_len -= req.consumed;
			memmove(in, in + req.consumed, in_len);
			if (close_conn)
				return;
		}
	}
	/* The client left: a partial request is dropped. */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct transcript cut, whole;
	const struct api_ops *ops;
	unsigned int pick;

	if (size < 1)
		return 0;
	pick = data[0];
	ops = &ops_variants[(pick >> 3) & 3];
	data++;
	size--;
	serve(ops, pick & 7, data, size, &cut);
	if ((pick & 7) != 0) {
		serve(ops, 0, data, size, &whole);
		if (cut.full != whole.full || cut.len != whole.len ||
		    memcmp(cut.bytes, whole.bytes, cut.len))
			abort();
	}
	return 0;
}
