/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API server's pure half: the HTTP request parser, the JSON body
 * reader and the routing, fed in-memory strings, among them a generated
 * corpus of truncated and mutated requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api.h"
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static enum http_parse parse(const char *s, struct http_request *req)
{
	return http_parse_request(s, strlen(s), req);
}

/* Parses s, which must be refused with `status`; returns the message. */
static const char *refused(const char *s, int status)
{
	static struct http_request req;
	enum http_parse r = parse(s, &req);

	if (r != HTTP_PARSE_ERROR || req.status != status)
		fail_msg("\"%s\": expected %d, got result %d status %d (%s)", s, status, r,
			 req.status, req.error);
	assert_true(req.error[0]);
	return req.error;
}

struct fake {
	bool paused;
	int info_calls, action_calls;
	char last_action[16];
	bool info_fails;
};

static int fake_vm_info(void *arg, char *buf, size_t len)
{
	struct fake *f = arg;

	f->info_calls++;
	if (f->info_fails)
		return -1;
	return snprintf(buf, len, "{\"state\":\"%s\"}", f->paused ? "paused" : "running");
}

static int fake_seccomp_info(void *arg, char *buf, size_t len)
{
	(void)arg;
	return snprintf(buf, len, "{\"mode\":\"enforce\"}");
}

static int fake_action(void *arg, const char *action)
{
	struct fake *f = arg;

	f->action_calls++;
	snprintf(f->last_action, sizeof(f->last_action), "%s", action);
	if (!strcmp(action, "pause")) {
		if (f->paused)
			return -EBUSY;
		f->paused = true;
		return 0;
	}
	if (!strcmp(action, "resume")) {
		if (!f->paused)
			return -EINVAL; /* as a VMM might judge it */
		f->paused = false;
		return 0;
	}
	if (!strcmp(action, "shutdown"))
		return 0;
	return -EINVAL;
}

static struct fake fake;
static const struct api_ops fake_ops = {
	.vm_info = fake_vm_info,
	.seccomp_info = fake_seccomp_info,
	.action = fake_action,
	.arg = &fake,
};

struct response {
	int status;
	bool close_conn;
	char text[API_RESPONSE_MAX + 1];
	const char *body;
};

/* Checks the response's framing: status line, headers, Content-Length
 * matching the body, JSON type; returns the status. */
static int check_response(struct response *r, size_t n)
{
	const char *hdr_end, *cl;

	assert_true(n > 0);
	r->text[n] = '\0';
	assert_int_equal(strlen(r->text), n);
	assert_memory_equal(r->text, "HTTP/1.1 ", 9);
	r->status = atoi(r->text + 9);
	hdr_end = strstr(r->text, "\r\n\r\n");
	assert_non_null(hdr_end);
	r->body = hdr_end + 4;
	cl = strstr(r->text, "\r\nContent-Length: ");
	if (r->status == 204) {
		assert_null(cl);
		assert_null(strstr(r->text, "Content-Type"));
		assert_string_equal(r->body, "");
	} else {
		assert_non_null(cl);
		assert_true(cl < hdr_end);
		assert_int_equal(strtoul(cl + 18, NULL, 10), strlen(r->body));
		assert_non_null(strstr(r->text, "\r\nContent-Type: application/json\r\n"));
		assert_true(r->body[0] == '{' && r->body[strlen(r->body) - 1] == '}');
	}
	assert_true(strstr(r->text, r->close_conn ? "\r\nConnection: close\r\n"
						  : "\r\nConnection: keep-alive\r\n") != NULL);
	return r->status;
}

/* The whole answer to request s: a parse error or the routed response. */
static int answer(const char *s, struct response *r)
{
	struct http_request req;
	enum http_parse p = parse(s, &req);
	size_t n;

	if (p == HTTP_PARSE_ERROR) {
		r->close_conn = true;
		n = http_error_response(r->text, sizeof(r->text) - 1, req.status, NULL, true,
					req.error);
	} else {
		if (p != HTTP_PARSE_DONE)
			fail_msg("\"%s\": incomplete", s);
		n = api_respond(&fake_ops, &req, r->text, sizeof(r->text) - 1, &r->close_conn);
	}
	return check_response(r, n);
}

static void setup_fake(void)
{
	memset(&fake, 0, sizeof(fake));
}

/* ---- valid requests ---- */

static void test_valid_requests(void **state)
{
	struct http_request req;
	const char *put = "PUT /actions HTTP/1.1\r\nHost: x\r\nContent-Length: 19\r\n\r\n"
			  "{\"action\":\"pause\"}\n";

	(void)state;
	assert_int_equal(parse("GET /vm HTTP/1.1\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/vm");
	assert_int_equal(req.minor, 1);
	assert_true(req.keep_alive);
	assert_false(req.has_length);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(req.consumed, 20);

	assert_int_equal(parse(put, &req), HTTP_PARSE_DONE);
	assert_string_equal(req.method, "PUT");
	assert_string_equal(req.path, "/actions");
	assert_true(req.has_length);
	assert_int_equal(req.body_len, 19);
	assert_memory_equal(req.body, "{\"action\":\"pause\"}\n", 19);
	assert_int_equal(req.consumed, strlen(put));

	/* HTTP/1.0 closes unless asked; 1.1 keeps unless asked. */
	assert_int_equal(parse("GET /vm HTTP/1.0\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.minor, 0);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET /vm HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_true(req.keep_alive);
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nConnection: close\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nConnection: TE,  CLOSE \r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	/* A later 1.x is served as 1.1 (RFC 9110 2.5). */
	assert_int_equal(parse("GET /vm HTTP/1.7\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.minor, 1);
	/* Query dropped from the path, empty lines before the request skipped,
	 * white space around values and obs-text in them accepted. */
	assert_int_equal(parse("\r\n\r\nGET /seccomp?x=1&y HTTP/1.1\r\nUser-Agent: \t caf\xc3\xa9 "
			       "\t\r\n\r\n",
			       &req),
			 HTTP_PARSE_DONE);
	assert_string_equal(req.path, "/seccomp");
	/* A body on a GET is read (and framed) too. */
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET", &req),
			 HTTP_PARSE_DONE);
	assert_int_equal(req.consumed, strlen("GET /vm HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"));
	/* Content-Length with leading zeros and white space. */
	assert_int_equal(
		parse("PUT /actions HTTP/1.1\r\nContent-Length:  007 \r\n\r\n1234567", &req),
		HTTP_PARSE_DONE);
	assert_int_equal(req.body_len, 7);
}

static void test_header_names_case_insensitive(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse("PUT /actions HTTP/1.1\r\ncontent-LENGTH: 2\r\n\r\n{}", &req),
			 HTTP_PARSE_DONE);
	assert_int_equal(req.body_len, 2);
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nCONNECTION: CLOSE\r\n\r\n", &req),
			 HTTP_PARSE_DONE);
	assert_false(req.keep_alive);
	refused("PUT /actions HTTP/1.1\r\ntransfer-ENCODING: chunked\r\n\r\n", 411);
	refused("PUT /actions HTTP/1.1\r\nCONTENT-length: 1\r\ncontent-length: 1\r\n\r\n{", 400);
	/* Methods are case-sensitive: "get" is another method. */
	assert_int_equal(parse("get /vm HTTP/1.1\r\n\r\n", &req), HTTP_PARSE_DONE);
	assert_string_equal(req.method, "get");
}

/* ---- every status ---- */

static void test_every_status(void **state)
{
	struct response r;

	(void)state;
	setup_fake();
	assert_int_equal(answer("GET /vm HTTP/1.1\r\n\r\n", &r), 200);
	assert_string_equal(r.body, "{\"state\":\"running\"}");
	assert_false(r.close_conn);
	assert_int_equal(answer("GET /seccomp HTTP/1.0\r\n\r\n", &r), 200);
	assert_string_equal(r.body, "{\"mode\":\"enforce\"}");
	assert_true(r.close_conn);

	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 18\r\n\r\n"
				"{\"action\":\"pause\"}",
				&r),
			 204);
	assert_int_equal(fake.action_calls, 1);
	assert_string_equal(fake.last_action, "pause");
	assert_true(fake.paused);
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 18\r\n\r\n"
				"{\"action\":\"pause\"}",
				&r),
			 409);
	assert_non_null(strstr(r.body, "\"action \\\"pause\\\" is not possible"));
	assert_false(r.close_conn); /* framing intact: the connection goes on */
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 19\r\n\r\n"
				"{\"action\":\"resume\"}",
				&r),
			 204);
	/* -EINVAL from the VMM: 400. */
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 19\r\n\r\n"
				"{\"action\":\"resume\"}",
				&r),
			 400);
	assert_non_null(strstr(r.body, "refused by the VMM"));
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 21\r\n\r\n"
				"{\"action\":\"shutdown\"}",
				&r),
			 204);
	assert_string_equal(fake.last_action, "shutdown");
	assert_int_equal(fake.action_calls, 5);

	/* Unknown action: refused before the VMM sees it. */
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 17\r\n\r\n"
				"{\"action\":\"jump\"}",
				&r),
			 400);
	assert_non_null(strstr(r.body, "unknown action \\\"jump\\\""));
	assert_int_equal(fake.action_calls, 5);

	assert_int_equal(answer("GET /nope HTTP/1.1\r\n\r\n", &r), 404);
	assert_non_null(strstr(r.body, "no resource /nope"));
	assert_int_equal(answer("GET /vm/ HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(answer("GET /VM HTTP/1.1\r\n\r\n", &r), 404);
	assert_int_equal(answer("GET /a\"b\\c HTTP/1.1\r\n\r\n", &r), 404);
	assert_non_null(strstr(r.body, "/a\\\"b\\\\c"));

	assert_int_equal(answer("DELETE /vm HTTP/1.1\r\n\r\n", &r), 405);
	assert_non_null(strstr(r.text, "\r\nAllow: GET\r\n"));
	assert_non_null(strstr(r.body, "method DELETE not allowed on /vm"));
	assert_int_equal(answer("PUT /seccomp HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r), 405);
	assert_int_equal(answer("GET /actions HTTP/1.1\r\n\r\n", &r), 405);
	assert_non_null(strstr(r.text, "\r\nAllow: PUT\r\n"));

	assert_int_equal(answer("GET /vm HTTP/1.1 extra\r\n\r\n", &r), 400);
	assert_true(r.close_conn);
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\n\r\n", &r), 411);
	assert_non_null(strstr(r.body, "a PUT needs a Content-Length"));
	assert_int_equal(answer("PUT /actions HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", &r), 413);
	assert_int_equal(answer("HEAD /vm HTTP/2.0\r\n\r\n", &r), 505);
	assert_non_null(strstr(r.body, "HTTP/2.0 is not supported"));

	fake.info_fails = true;
	assert_int_equal(answer("GET /vm HTTP/1.1\r\n\r\n", &r), 500);
	assert_non_null(strstr(r.body, "vm_info failed or did not fit"));
}

static void test_missing_ops(void **state)
{
	const struct api_ops none = { 0 };
	struct http_request req;
	char out[API_RESPONSE_MAX];
	bool close_conn;
	size_t n;

	(void)state;
	assert_int_equal(parse("GET /seccomp HTTP/1.1\r\n\r\n", &req), HTTP_PARSE_DONE);
	n = api_respond(&none, &req, out, sizeof(out), &close_conn);
	assert_true(n > 12 && !memcmp(out, "HTTP/1.1 501 ", 13));
	assert_int_equal(
		parse("PUT /actions HTTP/1.1\r\nContent-Length: 18\r\n\r\n{\"action\":\"pause\"}",
		      &req),
		HTTP_PARSE_DONE);
	n = api_respond(&none, &req, out, sizeof(out), &close_conn);
	assert_true(n > 12 && !memcmp(out, "HTTP/1.1 501 ", 13));
	/* A buffer too small for the response: 0, nothing overflows. */
	assert_int_equal(api_respond(&fake_ops, &req, out, 20, &close_conn), 0);
}

static void test_bad_request_lines(void **state)
{
	(void)state;
	refused("GET\r\n\r\n", 400);
	refused("GET /vm\r\n\r\n", 400);
	refused("GET  /vm HTTP/1.1\r\n\r\n", 400);
	refused(" GET /vm HTTP/1.1\r\n\r\n", 400);
	refused("GET /vm  HTTP/1.1\r\n\r\n", 400);
	refused("GET vm HTTP/1.1\r\n\r\n", 400);
	refused("GET http://localhost/vm HTTP/1.1\r\n\r\n", 400);
	refused("GET * HTTP/1.1\r\n\r\n", 400);
	refused("GET /v#m HTTP/1.1\r\n\r\n", 400);
	refused("GET /v\x01m HTTP/1.1\r\n\r\n", 400);
	refused("G(T /vm HTTP/1.1\r\n\r\n", 400);
	refused("ABCDEFGHIJKLMNOPQ /vm HTTP/1.1\r\n\r\n", 400);
	refused("GET /vm http/1.1\r\n\r\n", 400);
	refused("GET /vm HTTP/1.11\r\n\r\n", 400);
	refused("GET /vm HTTP/1\r\n\r\n", 400);
	refused("GET /vm HTTP/x.1\r\n\r\n", 400);
	assert_non_null(strstr(refused("GET /vm HTTP/1.1\n\r\n", 400), "bare LF"));
	assert_non_null(strstr(refused("GET /vm HTTP/1.1\r\n\n", 400), "line 2"));
	refused("GET /vm HTTP/1.1\rX\n\r\n", 400);
	/* A stray CR, then a bare LF: the CR is named whether the line came
	 * whole or without its LF yet (fuzz_http, regressions-http/
	 * cr_before_bare_lf). */
	assert_non_null(strstr(refused("GET /vm P\r?\n\r\n", 400), "line 1: a CR not followed"));
	assert_non_null(strstr(refused("GET /vm P\r?", 400), "line 1: a CR not followed"));
	refused("GET /vm HTTP/0.9\r\n\r\n", 505);
	refused("GET /vm HTTP/3.0\r\n\r\n", 505);
}

static void test_bad_headers(void **state)
{
	(void)state;
	assert_non_null(
		strstr(refused("GET /vm HTTP/1.1\r\nNoColon\r\n\r\n", 400), "header line 1"));
	refused("GET /vm HTTP/1.1\r\n: empty\r\n\r\n", 400);
	refused("GET /vm HTTP/1.1\r\nHost : x\r\n\r\n", 400);
	refused("GET /vm HTTP/1.1\r\nHo(st: x\r\n\r\n", 400);
	assert_non_null(
		strstr(refused("GET /vm HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400), "folded"));
	refused("GET /vm HTTP/1.1\r\nA: b\x01\r\n\r\n", 400);
	refused("GET /vm HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400);
	refused("GET /vm HTTP/1.1\r\nA: b\rc\r\n\r\n", 400);
	refused("GET /vm HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n{",
		411);
}

static void test_bad_content_length(void **state)
{
	const char *msg;

	(void)state;
	msg = refused("PUT /actions HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
	assert_non_null(strstr(msg, "Content-Length \"-1\" is not a number"));
	refused("PUT /actions HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 5,5\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 1.5\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
	refused("PUT /actions HTTP/1.1\r\nContent-Length:   \r\n\r\n", 400);
	msg = refused("PUT /actions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
		      400);
	assert_non_null(strstr(msg, "a second Content-Length"));
	msg = refused(
		"PUT /actions HTTP/1.1\r\nContent-Length: 99999999999999999999999999999\r\n\r\n",
		413);
	assert_non_null(strstr(msg, "at most 4096"));
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 413);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", 413);
	refused("PUT /actions HTTP/1.1\r\nContent-Length: 4097\r\n\r\n", 413);
}

/* ---- limits ---- */

/* A request whose line and headers take exactly `size` bytes. */
static char *request_of_size(size_t size)
{
	const char *start = "GET /vm HTTP/1.1\r\nX-Pad: ";
	char *s = malloc(size + 1);
	size_t fill = size - strlen(start) - 4;

	assert_non_null(s);
	strcpy(s, start);
	memset(s + strlen(start), 'p', fill);
	strcpy(s + strlen(start) + fill, "\r\n\r\n");
	assert_int_equal(strlen(s), size);
	return s;
}

static void test_limits(void **state)
{
	struct http_request req;
	char *s, target[HTTP_MAX_TARGET + 40], body[HTTP_MAX_BODY + 200];
	size_t n;

	(void)state;
	s = request_of_size(HTTP_MAX_HEADER);
	assert_int_equal(parse(s, &req), HTTP_PARSE_DONE);
	/* Any prefix is incomplete, not refused. */
	assert_int_equal(http_parse_request(s, HTTP_MAX_HEADER - 1, &req), HTTP_PARSE_NEED_MORE);
	free(s);
	s = request_of_size(HTTP_MAX_HEADER + 1);
	assert_non_null(strstr(refused(s, 431), "exceed 8192 bytes"));
	/* ... even before the end of the headers came. */
	assert_int_equal(http_parse_request(s, HTTP_MAX_HEADER, &req), HTTP_PARSE_ERROR);
	assert_int_equal(req.status, 431);
	assert_int_equal(http_parse_request(s, HTTP_MAX_HEADER - 1, &req), HTTP_PARSE_NEED_MORE);
	free(s);
	/* Many small headers count alike. */
	s = malloc(HTTP_MAX_HEADER * 2);
	assert_non_null(s);
	strcpy(s, "GET /vm HTTP/1.1\r\n");
	while (strlen(s) < HTTP_MAX_HEADER + 10)
		strcat(s, "A: b\r\n");
	strcat(s, "\r\n");
	refused(s, 431);
	free(s);

	/* Target: 255 bytes pass routing (404), 256 are 414. */
	memset(target, 'a', sizeof(target));
	target[0] = '/';
	n = (size_t)snprintf(body, sizeof(body), "GET %.*s HTTP/1.1\r\n\r\n", HTTP_MAX_TARGET,
			     target);
	assert_int_equal(http_parse_request(body, n, &req), HTTP_PARSE_DONE);
	assert_int_equal(strlen(req.path), HTTP_MAX_TARGET);
	snprintf(body, sizeof(body), "GET %.*s HTTP/1.1\r\n\r\n", HTTP_MAX_TARGET + 1, target);
	refused(body, 414);

	/* Body: 4096 bytes fit, 4097 do not. */
	s = malloc(HTTP_MAX_BODY + 200);
	assert_non_null(s);
	n = (size_t)sprintf(s, "PUT /actions HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
			    HTTP_MAX_BODY);
	memset(s + n, ' ', HTTP_MAX_BODY);
	assert_int_equal(http_parse_request(s, n + HTTP_MAX_BODY, &req), HTTP_PARSE_DONE);
	assert_int_equal(req.body_len, HTTP_MAX_BODY);
	assert_int_equal(http_parse_request(s, n + HTTP_MAX_BODY - 1, &req), HTTP_PARSE_NEED_MORE);
	n = (size_t)sprintf(s, "PUT /actions HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
			    HTTP_MAX_BODY + 1);
	/* Refused as soon as the headers say so, before the body comes. */
	assert_int_equal(http_parse_request(s, n, &req), HTTP_PARSE_ERROR);
	assert_int_equal(req.status, 413);
	free(s);
	/* The largest request fits the buffer size the server uses. */
	assert_int_equal(HTTP_MAX_REQUEST, HTTP_MAX_HEADER + HTTP_MAX_BODY);
}

/* ---- incomplete and pipelined ---- */

static const char *const valid[] = {
	"GET /vm HTTP/1.1\r\n\r\n",
	"GET /seccomp HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n",
	"GET /vm?verbose HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"PUT /actions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 18\r\n\r\n"
	"{\"action\":\"pause\"}",
	"PUT /actions HTTP/1.1\r\nContent-Length: 32\r\n\r\n"
	"{ \"action\" : \"shut\\u0064own\" }\r\n",
	"\r\nPUT /actions HTTP/1.1\r\ncontent-length: 19\r\nConnection: close\r\n\r\n"
	"{\"action\":\"resume\"}",
	"DELETE /nope HTTP/1.1\r\nX: \t\r\n\r\n",
	"PUT /actions HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
};

static void test_truncated_needs_more(void **state)
{
	struct http_request req;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t len = strlen(valid[i]);

		for (k = 0; k < len; k++)
			if (http_parse_request(valid[i], k, &req) != HTTP_PARSE_NEED_MORE)
				fail_msg("prefix %zu of valid request %zu: result %d (%s)", k, i,
					 http_parse_request(valid[i], k, &req), req.error);
		assert_int_equal(http_parse_request(valid[i], len, &req), HTTP_PARSE_DONE);
		assert_int_equal(req.consumed, len);
	}
	/* Incomplete is not malformed: a bad complete line is refused at once,
	 * without waiting for the end of the headers. */
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nHost: x\r\n", &req), HTTP_PARSE_NEED_MORE);
	assert_int_equal(parse("GET /vm HTTP/1.1\r\nHost x\r\n", &req), HTTP_PARSE_ERROR);
	assert_int_equal(parse("GET /vm HTTP/9.9\r\n", &req), HTTP_PARSE_ERROR);
	assert_int_equal(req.status, 505);
	assert_int_equal(parse("PUT /actions HTTP/1.1\r\nContent-Length: x", &req),
			 HTTP_PARSE_NEED_MORE);
	assert_int_equal(parse("GET /vm HTTP/1.1\rx", &req), HTTP_PARSE_ERROR);
	assert_int_equal(parse("", &req), HTTP_PARSE_NEED_MORE);
	assert_int_equal(parse("\r", &req), HTTP_PARSE_NEED_MORE);
	assert_int_equal(parse("\r\n", &req), HTTP_PARSE_NEED_MORE);
}

static void test_pipelined(void **state)
{
	char all[4096] = "";
	struct http_request req;
	size_t i, off = 0, len, count = 0;

	(void)state;
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		strcat(all, valid[i]);
	len = strlen(all);
	while (off < len) {
		assert_int_equal(http_parse_request(all + off, len - off, &req), HTTP_PARSE_DONE);
		assert_int_equal(req.consumed, strlen(valid[count]));
		assert_true(!req.body_len ||
			    (req.body >= all + off && req.body + req.body_len <= all + len));
		off += req.consumed;
		count++;
	}
	assert_int_equal(count, sizeof(valid) / sizeof(valid[0]));
	/* A request then the start of the next one. */
	assert_int_equal(parse("GET /vm HTTP/1.1\r\n\r\nGET /secc", &req), HTTP_PARSE_DONE);
	assert_int_equal(req.consumed, 20);
	assert_int_equal(parse("GET /secc", &req), HTTP_PARSE_NEED_MORE);
}

/* ---- JSON ---- */

static int action_of(const char *body, char *out, size_t outlen, char *err, size_t errlen)
{
	return http_json_string_member(body, strlen(body), "action", HTTP_JSON_ONLY_MEMBER, out,
				       outlen, err, errlen);
}

static void test_json_bodies(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"}",
		"[]",
		"\"action\"",
		"null",
		"{\"action\"}",
		"{\"action\":}",
		"{\"action\":\"pause\"",
		"{\"action\":\"pause\",}",
		"{\"action\" \"pause\"}",
		"{'action':'pause'}",
		"{action:\"pause\"}",
		"{\"action\":pause}",
		"{\"action\":\"pause\"}}",
		"{\"action\":\"pause\"} x",
		"{\"action\":\"pa\nuse\"}",
		"{\"action\":\"pa\\xuse\"}",
		"{\"action\":\"\\u12\"}",
		"{\"action\":\"\\ud800\"}",
		"{\"action\":\"\\udc00x\"}",
		"{\"action\":\"\xff\"}",
		"{\"action\":\"\xc0\xaf\"}",
		"{\"action\":\"\xed\xa0\x80\"}",
		"{\"action\":\"pause\",\"action\":\"pause\"}",
		"{\"action\":1}",
		"{\"action\":null}",
		"{\"action\":[\"pause\"]}",
		"{\"action\":\"pause\",\"force\":true}",
		"{\"\":\"pause\"}",
		"{\"action\":\"pause\"\x00}",
		"{\"action\":\"unterminated",
	};
	char out[16], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = action_of(bad[i], out, sizeof(out), err, sizeof(err));

		if (rc != -EINVAL && rc != -ENOENT)
			fail_msg("bad body %zu accepted (%d)", i, rc);
		assert_non_null(strstr(err, "JSON body"));
	}
	assert_int_equal(action_of("{\"action\":\"pause\"}", out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "pause");
	assert_int_equal(action_of(" \t\r\n{ \"action\" :\n\"resume\" } \n", out, sizeof(out), err,
				   sizeof(err)),
			 0);
	assert_string_equal(out, "resume");
	assert_int_equal(action_of("{\"\\u0061ction\":\"\\u0073hutdown\"}", out, sizeof(out), err,
				   sizeof(err)),
			 0);
	assert_string_equal(out, "shutdown");
	assert_int_equal(action_of("{\"action\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", out, sizeof(out),
				   err, sizeof(err)),
			 0);
	assert_string_equal(out, "\"\\/\b\f\n\r\t");
	assert_int_equal(action_of("{\"action\":\"\\ud83d\\ude00 \xc3\xa9\"}", out, sizeof(out),
				   err, sizeof(err)),
			 0);
	assert_string_equal(out, "\xf0\x9f\x98\x80 \xc3\xa9");
	/* Too long for the caller, or holding a NUL: -E2BIG. */
	assert_int_equal(
		action_of("{\"action\":\"0123456789abcdef\"}", out, sizeof(out), err, sizeof(err)),
		-E2BIG);
	assert_int_equal(
		action_of("{\"action\":\"a\\u0000b\"}", out, sizeof(out), err, sizeof(err)),
		-E2BIG);
	assert_int_equal(action_of("{}", out, sizeof(out), err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no member \"action\""));
	/* Position in the message. */
	action_of("{\"action\" \"pause\"}", out, sizeof(out), err, sizeof(err));
	assert_string_equal(err, "JSON body: ':' expected at byte 10");
	action_of("{\"action\":\"pause\",\"x\":1}", out, sizeof(out), err, sizeof(err));
	assert_non_null(strstr(err, "unknown member \"x\" at byte 18"));

	/* Without HTTP_JSON_ONLY_MEMBER other members of any kind are fine,
	 * but still checked. */
	{
		const char *ok = "{\"a\":[1,-2.5e+3,0.0,true,false,null,{\"b\":{}},[]],"
				 "\"action\":\"pause\",\"c\":\"\\u00e9\"}";
		const char *bad_inner = "{\"a\":[1,],\"action\":\"pause\"}";
		const char *bad_num[] = { "01", "-", "1.", ".5", "1e", "+1", "0x1", "1e+", "--1" };
		char text[64];

		assert_int_equal(http_json_string_member(ok, strlen(ok), "action", 0, out,
							 sizeof(out), err, sizeof(err)),
				 0);
		assert_string_equal(out, "pause");
		assert_int_equal(http_json_string_member(bad_inner, strlen(bad_inner), "action", 0,
							 out, sizeof(out), err, sizeof(err)),
				 -EINVAL);
		for (i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
			snprintf(text, sizeof(text), "{\"n\":%s,\"action\":\"pause\"}", bad_num[i]);
			if (http_json_string_member(text, strlen(text), "action", 0, out,
						    sizeof(out), err, sizeof(err)) != -EINVAL)
				fail_msg("number %s accepted", bad_num[i]);
		}
	}
	/* Nesting is bounded (no stack exhaustion). */
	{
		char deep[4096];
		size_t d;

		strcpy(deep, "{\"a\":");
		for (d = 0; d < 40; d++)
			strcat(deep, "[");
		for (d = 0; d < 40; d++)
			strcat(deep, "]");
		strcat(deep, "}");
		assert_int_equal(http_json_string_member(deep, strlen(deep), "action", 0, out,
							 sizeof(out), err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "nested too deep"));
		memset(deep, '[', sizeof(deep));
		assert_int_equal(http_json_string_member(deep, sizeof(deep), "action", 0, out,
							 sizeof(out), err, sizeof(err)),
				 -EINVAL);
	}
}

static void test_json_through_the_api(void **state)
{
	static const char *const bodies[] = {
		"",
		"{",
		"{\"action\":\"pause\",}",
		"{\"action\":\"0123456789abcdefghij\"}",
		"{\"action\":\"pause\",\"x\":1}",
		"[\"pause\"]",
		"{\"action\":\"a\\u0000\"}",
	};
	char req[512];
	struct response r;
	size_t i;

	(void)state;
	setup_fake();
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
			 strlen(bodies[i]), bodies[i]);
		assert_int_equal(answer(req, &r), 400);
		assert_false(r.close_conn);
	}
	assert_int_equal(fake.action_calls, 0);
	/* The message names what was wrong. */
	snprintf(req, sizeof(req), "PUT /actions HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	answer(req, &r);
	assert_non_null(strstr(r.body, "empty body"));
}

/* ---- responses ---- */

static void test_responses(void **state)
{
	char out[256], esc[16];
	size_t n;

	(void)state;
	n = http_response(out, sizeof(out), 200, NULL, "{}", 2, false);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: 2\r\nConnection: keep-alive\r\n\r\n{}");
	n = http_response(out, sizeof(out), 204, NULL, NULL, 0, true);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	assert_int_equal(http_response(out, 40, 200, NULL, "{}", 2, false), 0);
	assert_int_equal(http_response(out, 100, 200, NULL, "{\"0123456789\":1}", 16, false), 0);
	n = http_error_response(out, sizeof(out), 400, NULL, true, "bad \"x\"\n");
	out[n] = '\0';
	assert_non_null(strstr(out, "\r\n\r\n{\"error\":\"bad \\\"x\\\"\\u000a\"}"));
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "Unknown");
	/* Escaping never splits an escape nor overflows. */
	assert_int_equal(http_json_escape(esc, sizeof(esc), "abcdefghij\x01"), 10);
	assert_string_equal(esc, "abcdefghij");
	assert_int_equal(http_json_escape(esc, 1, "abc"), 0);
	assert_string_equal(esc, "");
}

/* ---- the generated corpus ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull; /* fixed seed: reproducible */

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* One to four mutations: replace, insert or delete a byte (random or one
 * that matters to HTTP), or duplicate a slice. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
	static const char special[] = "\r\n: \t\"{}\\,0-9/?#\x00\x7f\xff";
	int m, count = 1 + (int)(rng() % 4);

	for (m = 0; m < count; m++) {
		size_t pos = len ? rng() % len : 0;
		char c = rng() % 2 ? (char)(rng() & 0xff) : special[rng() % (sizeof(special) - 1)];

		switch (rng() % 4) {
		case 0:
			if (len)
				buf[pos] = c;
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = c;
				len++;
			}
			break;
		case 2:
			if (len) {
				memmove(buf + pos, buf + pos + 1, len - pos - 1);
				len--;
			}
			break;
		default: {
			size_t from = len ? rng() % len : 0, n = 1 + rng() % 16;

			if (from + n > len)
				n = len - from;
			if (len + n < cap) {
				memmove(buf + pos + n, buf + pos, len - pos);
				memmove(buf + pos, buf + (from >= pos ? from + n : from), n);
				len += n;
			}
		}
		}
	}
	return len;
}

static bool parse_error_status(int status)
{
	return status == 400 || status == 411 || status == 413 || status == 414 || status == 431 ||
	       status == 505;
}

/* Whatever the bytes, the parser answers within its contract. */
static void check_any(const char *buf, size_t len, int *tally)
{
	struct http_request req;
	enum http_parse r = http_parse_request(buf, len, &req);
	char out[API_RESPONSE_MAX + 1];
	struct response *resp;
	bool close_conn;
	size_t n;

	switch (r) {
	case HTTP_PARSE_NEED_MORE:
		assert_true(len < HTTP_MAX_REQUEST);
		tally[0]++;
		break;
	case HTTP_PARSE_ERROR:
		if (!parse_error_status(req.status))
			fail_msg("status %d", req.status);
		assert_true(req.error[0] && strlen(req.error) < sizeof(req.error));
		n = http_error_response(out, sizeof(out), req.status, NULL, true, req.error);
		assert_true(n > 0);
		tally[1]++;
		break;
	case HTTP_PARSE_DONE:
		assert_true(req.consumed <= len);
		assert_true(req.consumed <= HTTP_MAX_REQUEST);
		assert_true(req.body_len <= HTTP_MAX_BODY);
		assert_true(!req.body_len ||
			    (req.body >= buf && req.body + req.body_len == buf + req.consumed));
		assert_true(req.method[0] && req.path[0] == '/');
		resp = malloc(sizeof(*resp));
		assert_non_null(resp);
		n = api_respond(&fake_ops, &req, resp->text, sizeof(resp->text) - 1, &close_conn);
		resp->close_conn = close_conn;
		check_response(resp, n);
		free(resp);
		tally[2]++;
		break;
	default:
		fail_msg("result %d", r);
	}
}

static void test_generated_corpus(void **state)
{
	char *buf = malloc(HTTP_MAX_REQUEST + 64);
	int tally[3] = { 0, 0, 0 }, total = 0, round;
	size_t i, k;

	(void)state;
	assert_non_null(buf);
	setup_fake();
	/* Every prefix of every valid request. */
	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		for (k = 0; k <= strlen(valid[i]); k++, total++)
			check_any(valid[i], k, tally);
	/* Mutations of valid requests, and of pairs of them (pipelined). */
	for (round = 0; round < 2000; round++, total++) {
		size_t len, n = sizeof(valid) / sizeof(valid[0]);

		strcpy(buf, valid[rng() % n]);
		if (rng() % 4 == 0)
			strcat(buf, valid[rng() % n]);
		len = mutate(buf, strlen(buf), 1024);
		check_any(buf, len, tally);
		/* ... and the mutated request's prefixes. */
		for (k = 0; k < len; k += 1 + rng() % 8)
			check_any(buf, k, tally);
	}
	/* Random bytes and long runs of one byte. */
	for (round = 0; round < 300; round++, total++) {
		size_t len = rng() % (HTTP_MAX_REQUEST + 64);

		for (k = 0; k < len; k++)
			buf[k] = (char)rng();
		if (round % 3 == 0)
			memset(buf, "\r\nA: /"[rng() % 6], len);
		check_any(buf, len, tally);
	}
	print_message("corpus: %d inputs (plus prefixes): %d incomplete, %d refused, %d parsed\n",
		      total, tally[0], tally[1], tally[2]);
	/* The corpus exercises every outcome. */
	assert_true(tally[0] > 100 && tally[1] > 100 && tally[2] > 50);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_requests),
		cmocka_unit_test(test_header_names_case_insensitive),
		cmocka_unit_test(test_every_status),
		cmocka_unit_test(test_missing_ops),
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_content_length),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncated_needs_more),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_json_bodies),
		cmocka_unit_test(test_json_through_the_api),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_generated_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
