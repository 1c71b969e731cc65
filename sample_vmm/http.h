/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP/1.1 subset the API server speaks, and the JSON its requests
 * carry.  Pure: in-memory strings only, no syscalls, no allocation, so that
 * the parser can be fed any byte string in the unit tests and runs under
 * the `api` filter without adding to it.
 *
 * Requests: origin-form targets, CRLF line endings, Content-Length framing
 * only (no chunked bodies), HTTP/1.0 and 1.1.  Limits: HTTP_MAX_HEADER bytes
 * for the request line and headers together, HTTP_MAX_BODY for a body,
 * HTTP_MAX_TARGET for the target.
 */
#ifndef SAMPLE_VMM_HTTP_H
#define SAMPLE_VMM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEADER 8192 /* request line + headers + the empty line */
#define HTTP_MAX_BODY 4096
#define HTTP_MAX_TARGET 255
#define HTTP_MAX_METHOD 16
/* The largest request a client can make: a buffer this big always holds a
 * complete one, or enough to refuse it. */
#define HTTP_MAX_REQUEST (HTTP_MAX_HEADER + HTTP_MAX_BODY)

enum http_parse {
	HTTP_PARSE_ERROR = -1,	  /* malformed or over a limit: answer status, close */
	HTTP_PARSE_NEED_MORE = 0, /* a valid beginning: read more */
	HTTP_PARSE_DONE = 1,	  /* one complete request */
};

struct http_request {
	char method[HTTP_MAX_METHOD + 1]; /* as sent: methods are case-sensitive */
	char path[HTTP_MAX_TARGET + 1];	  /* the target without its query */
	int minor;			  /* HTTP/1.<minor> (0 or 1) */
	bool keep_alive;		  /* the connection may carry another request */
	bool has_length;		  /* a Content-Length was given */
	size_t content_length;
	const char *body; /* borrows the parsed buffer; body_len bytes */
	size_t body_len;
	size_t consumed; /* bytes of the buffer this request took */
	/* HTTP_PARSE_ERROR only: the status to answer (400, 411, 413, 414,
	 * 431, 505) and what was wrong, where. */
	int status;
	char error[192];
};

/*
 * Parses the request at the start of buf (len bytes; pipelined requests
 * may follow it).  DONE fills req (consumed says where the next request
 * starts); NEED_MORE means buf is a valid beginning of a request within the
 * limits; ERROR sets req->status and req->error.  A complete line is
 * checked as soon as it is there, so a malformed request is refused without
 * waiting for the rest of it.  Borrows buf: req->body points into it.
 */
enum http_parse http_parse_request(const char *buf, size_t len, struct http_request *req);

/* "OK", "Not Found", ...; "Unknown" for a status this server never sends. */
const char *http_reason(int status);

/*
 * Writes a whole response into out (outlen bytes): status line,
 * Content-Type: application/json, Content-Length, Allow (if allow is not
 * NULL), Connection (close or keep-alive), then body_len bytes of body.  A
 * 204 carries neither body nor Content-Type/Content-Length (RFC 9110 8.6
 * forbids Content-Length there).  Returns the length, 0 if it does not fit.
 */
size_t http_response(char *out, size_t outlen, int status, const char *allow, const char *body,
		     size_t body_len, bool close_conn);

/* http_response() with the body {"error":"<msg>"}, msg escaped for JSON
 * (and cut at 512 bytes). */
size_t http_error_response(char *out, size_t outlen, int status, const char *allow, bool close_conn,
			   const char *msg);

/* Writes s as the inside of a JSON string (quotes, backslashes and control
 * bytes escaped) into out, NUL-terminated, cut short rather than overflow
 * or split an escape.  Returns the length written. */
size_t http_json_escape(char *out, size_t outlen, const char *s);

/* Flags of http_json_string_member(). */
#define HTTP_JSON_ONLY_MEMBER 0x1u /* any other member is an error */

/*
 * Checks that text (len bytes, not NUL-terminated) is exactly one JSON
 * object (RFC 8259: strict syntax, valid UTF-8, at most 32 levels of
 * nesting) and looks up its top-level member `key`, which must then hold
 * a string and appear once.  Copies the decoded value into out
 * (NUL-terminated).  Returns 0, -ENOENT (no such member), -E2BIG (the value
 * does not fit in outlen, or contains a NUL), -EINVAL (malformed,
 * duplicated, not a string, or another member with HTTP_JSON_ONLY_MEMBER),
 * with a message in err on every error.
 */
int http_json_string_member(const char *text, size_t len, const char *key, unsigned int flags,
			    char *out, size_t outlen, char *err, size_t errlen);

#endif
