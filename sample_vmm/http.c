/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing HTTP requests and their JSON bodies, formatting responses: pure code. */
#include "http.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- request parsing ---------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static enum http_parse fail(struct http_request *req,
								  int status, const char *fmt, ...)
{
	va_list ap;

	req->status = status;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above; a false positive */
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	return HTTP_PARSE_ERROR;
}

/* RFC 9110 5.6.2: the characters of a token (methods, header names). */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

static char lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

static bool equals_nocase(const char *s, size_t len, const char *lit)
{
	size_t i;

	if (strlen(lit) != len)
		return false;
	for (i = 0; i < len; i++)
		if (lower(s[i]) != lit[i])
			return false;
	return true;
}

/* Quotes at most 40 bytes of untrusted input for an error message, with
 * anything unprintable as '?', so messages stay short and one line. */
static const char *quote(char *buf, size_t buflen, const char *s, size_t len)
{
	size_t i, n = len < 40 ? len : 40;

	if (buflen < n + 4)
		n = buflen - 4;
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			buf[i] = s[i];
		else
			buf[i] = '?';
	}
	memcpy(buf + n, n < len ? "..." : "", n < len ? 4 : 1);
	return buf;
}

static enum http_parse parse_request_line(const char *line, size_t len, struct http_request *req)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *target, *version, *q;
	size_t mlen, tlen, vlen, plen, i;
	char shown[48];

	if (!sp1)
		return fail(req, 400,
			    "request line: expected \"METHOD /path HTTP/1.1\", got \"%s\"",
			    quote(shown, sizeof(shown), line, len));
	mlen = (size_t)(sp1 - line);
	target = sp1 + 1;
	sp2 = memchr(target, ' ', len - mlen - 1);
	if (!sp2)
		return fail(req, 400,
			    "request line: expected \"METHOD /path HTTP/1.1\", got \"%s\"",
			    quote(shown, sizeof(shown), line, len));
	tlen = (size_t)(sp2 - target);
	version = sp2 + 1;
	vlen = len - mlen - tlen - 2;

	if (mlen == 0 || mlen > HTTP_MAX_METHOD)
		return fail(req, 400, "request line: a method of %zu bytes (1 to %d)", mlen,
			    HTTP_MAX_METHOD);
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(req, 400, "request line: bad character 0x%02x in the method",
				    (unsigned char)line[i]);
	memcpy(req->method, line, mlen);
	req->method[mlen] = '\0';

	if (tlen == 0)
		return fail(req, 400, "request line: empty target (two spaces after the method)");
	if (tlen > HTTP_MAX_TARGET)
		return fail(req, 414, "request line: a target of %zu bytes (at most %d)", tlen,
			    HTTP_MAX_TARGET);
	for (i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f ||
		    target[i] == '#')
			return fail(req, 400, "request line: bad character 0x%02x in the target",
				    (unsigned char)target[i]);
	if (target[0] != '/')
		return fail(req, 400, "request line: the target \"%s\" does not start with '/'",
			    quote(shown, sizeof(shown), target, tlen));
	q = memchr(target, '?', tlen);
	plen = q ? (size_t)(q - target) : tlen;
	memcpy(req->path, target, plen);
	req->path[plen] = '\0';

	if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
		return fail(req, 400, "request line: \"%s\" is not an HTTP version (HTTP/1.1)",
			    quote(shown, sizeof(shown), version, vlen));
	if (version[5] != '1')
		return fail(req, 505, "HTTP/%c.%c is not supported (HTTP/1.0 and HTTP/1.1 are)",
			    version[5], version[7]);
	/* RFC 9110 2.5: a higher 1.x is answered as the highest we know. */
	req->minor = version[7] == '0' ? 0 : 1;
	req->keep_alive = req->minor == 1;
	return HTTP_PARSE_DONE;
}

/* The comma-separated tokens of a Connection header. */
static void parse_connection(const char *v, size_t len, bool *close_conn, bool *keep)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (equals_nocase(v + start, end - start, "close"))
			*close_conn = true;
		else if (equals_nocase(v + start, end - start, "keep-alive"))
			*keep = true;
	}
}

struct header_state {
	bool close, keep;
	bool transfer_encoding;
};

static enum http_parse parse_header(const char *line, size_t len, unsigned int lineno,
				    struct http_request *req, struct header_state *hs)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t nlen, vlen, i;
	char shown[48];

	if (line[0] == ' ' || line[0] == '\t')
		return fail(req, 400, "header line %u: folded (starts with white space)", lineno);
	if (!colon)
		return fail(req, 400, "header line %u: no ':' in \"%s\"", lineno,
			    quote(shown, sizeof(shown), line, len));
	nlen = (size_t)(colon - line);
	if (nlen == 0)
		return fail(req, 400, "header line %u: empty name", lineno);
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(req, 400, "header line %u: bad character 0x%02x in the name",
				    lineno, (unsigned char)line[i]);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(req, 400,
				    "header line %u (%s): control character 0x%02x in the value",
				    lineno, quote(shown, sizeof(shown), line, nlen), c);
	}

	if (equals_nocase(line, nlen, "content-length")) {
		size_t n = 0;

		if (req->has_length)
			return fail(req, 400, "header line %u: a second Content-Length", lineno);
		if (vlen == 0)
			return fail(req, 400, "header line %u: empty Content-Length", lineno);
		for (i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return fail(req, 400,
					    "header line %u: Content-Length \"%s\" is not a number",
					    lineno, quote(shown, sizeof(shown), v, vlen));
			/* Saturate: anything over the limit is refused alike. */
			if (n <= HTTP_MAX_BODY)
				n = n * 10 + (size_t)(v[i] - '0');
		}
		if (n > HTTP_MAX_BODY)
			return fail(req, 413, "Content-Length %s: a body may have at most %d bytes",
				    quote(shown, sizeof(shown), v, vlen), HTTP_MAX_BODY);
		req->has_length = true;
		req->content_length = n;
	} else if (equals_nocase(line, nlen, "transfer-encoding")) {
		hs->transfer_encoding = true;
	} else if (equals_nocase(line, nlen, "connection")) {
		parse_connection(v, vlen, &hs->close, &hs->keep);
	}
	return HTTP_PARSE_DONE;
}

enum http_parse http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t pos = 0, limit = len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER;
	struct header_state hs = { 0 };
	unsigned int lineno = 0;
	enum http_parse r = HTTP_PARSE_DONE;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: empty lines before a request are ignored. */
	while (pos + 1 < limit && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;

	for (;;) {
		const char *line = buf + pos;
		const char *lf = memchr(line, '\n', limit - pos);
		const char *cr;
		size_t llen;

		if (!lf) {
			/* A CR anywhere but last can never become a line end. */
			cr = memchr(line, '\r', limit - pos);
			if (cr && cr + 1 < buf + limit)
				return fail(req, 400, "line %u: a CR not followed by LF",
					    lineno + 1);
			if (len >= HTTP_MAX_HEADER)
				return fail(req, 431,
					    "the request line and headers exceed %d bytes",
					    HTTP_MAX_HEADER);
			return HTTP_PARSE_NEED_MORE;
		}
		lineno++;
		llen = (size_t)(lf - line);
		/* A CR before the last byte first: that is what the check above
		 * refuses when the line arrives without its LF yet, and the
		 * answer must not depend on how the bytes were cut into reads. */
		cr = memchr(line, '\r', llen ? llen - 1 : 0);
		if (cr)
			return fail(req, 400, "line %u: a CR not followed by LF", lineno);
		if (llen == 0 || line[llen - 1] != '\r')
			return fail(req, 400, "line %u: ends with a bare LF (CRLF expected)",
				    lineno);
		llen--;
		pos += llen + 2;
		if (lineno == 1)
			r = parse_request_line(line, llen, req);
		else if (llen == 0)
			break;
		else
			r = parse_header(line, llen, lineno - 1, req, &hs);
		if (r != HTTP_PARSE_DONE)
			return r;
	}

	if (hs.close)
		req->keep_alive = false;
	else if (hs.keep)
		req->keep_alive = true;
	if (hs.transfer_encoding)
		return fail(req, 411, "Transfer-Encoding is not supported: send a Content-Length");
	if (!req->has_length && (!strcmp(req->method, "PUT") || !strcmp(req->method, "POST") ||
				 !strcmp(req->method, "PATCH")))
		return fail(req, 411, "a %s needs a Content-Length", req->method);
	if (len - pos < req->content_length) {
		/* Headers are fine: all the fields but the body stay valid. */
		return HTTP_PARSE_NEED_MORE;
	}
	req->body = buf + pos;
	req->body_len = req->content_length;
	req->consumed = pos + req->content_length;
	return HTTP_PARSE_DONE;
}

/* ---- responses ---------------------------------------------------------- */

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

size_t http_response(char *out, size_t outlen, int status, const char *allow, const char *body,
		     size_t body_len, bool close_conn)
{
	const char *conn = close_conn ? "close" : "keep-alive";
	char allow_hdr[64] = "";
	int n;

	if (allow)
		snprintf(allow_hdr, sizeof(allow_hdr), "Allow: %s\r\n", allow);
	if (status == 204)
		n = snprintf(out, outlen, "HTTP/1.1 204 No Content\r\n%sConnection: %s\r\n\r\n",
			     allow_hdr, conn);
	else
		n = snprintf(out, outlen,
			     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %zu\r\n%sConnection: %s\r\n\r\n",
			     status, http_reason(status), body_len, allow_hdr, conn);
	if (n < 0 || (size_t)n >= outlen)
		return 0;
	if (status == 204)
		return (size_t)n;
	if (body_len > outlen - (size_t)n)
		return 0;
	if (body_len)
		memcpy(out + n, body, body_len);
	return (size_t)n + body_len;
}

size_t http_json_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	if (!outlen)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			esc[0] = (char)c, n = 1;
		if (o + n >= outlen)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

size_t http_error_response(char *out, size_t outlen, int status, const char *allow, bool close_conn,
			   const char *msg)
{
	char esc[512], body[sizeof(esc) + 16];
	int n;

	http_json_escape(esc, sizeof(esc), msg);
	n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", esc);
	return http_response(out, outlen, status, allow, body, (size_t)n, close_conn);
}

/* ---- JSON --------------------------------------------------------------- */

#define JSON_MAX_DEPTH 32

struct json {
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t errlen;
};

static int jfail(struct json *j, const char *what)
{
	if (j->pos < j->len)
		snprintf(j->err, j->errlen, "JSON body: %s at byte %zu", what, j->pos);
	else
		snprintf(j->err, j->errlen, "JSON body: %s at its end (byte %zu)", what, j->pos);
	return -EINVAL;
}

static void jspace(struct json *j)
{
	while (j->pos < j->len && strchr(" \t\r\n", j->s[j->pos]) && j->s[j->pos])
		j->pos++;
}

static bool jpeek(struct json *j, char c)
{
	return j->pos < j->len && j->s[j->pos] == c;
}

static int jhex4(struct json *j, unsigned int *v)
{
	size_t i;

	*v = 0;
	if (j->len - j->pos < 4)
		return jfail(j, "a \\u escape needs 4 hex digits");
	for (i = 0; i < 4; i++) {
		int h = hex_digit(j->s[j->pos + i]);

		if (h < 0)
			return jfail(j, "a \\u escape needs 4 hex digits");
		*v = *v << 4 | (unsigned int)h;
	}
	j->pos += 4;
	return 0;
}

/* The length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing over U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string at j->pos (on its opening quote).  Decodes it into out (outlen
 * bytes, NUL-terminated) when out is not NULL; *fits says whether all of
 * it, without a NUL inside, went there.
 */
static int jstring(struct json *j, char *out, size_t outlen, bool *fits)
{
	size_t o = 0;

	*fits = true;
	j->pos++;
	for (;;) {
		char enc[4];
		size_t n;

		if (j->pos >= j->len)
			return jfail(j, "unterminated string");
		if (j->s[j->pos] == '"') {
			j->pos++;
			break;
		}
		if ((unsigned char)j->s[j->pos] < 0x20)
			return jfail(j, "control character in a string");
		if (j->s[j->pos] == '\\') {
			char e;
			unsigned int cp;

			if (++j->pos >= j->len)
				return jfail(j, "unterminated escape");
			e = j->s[j->pos++];
			switch (e) {
			case '"':
			case '\\':
			case '/':
				enc[0] = e;
				n = 1;
				break;
			case 'b':
				enc[0] = '\b';
				n = 1;
				break;
			case 'f':
				enc[0] = '\f';
				n = 1;
				break;
			case 'n':
				enc[0] = '\n';
				n = 1;
				break;
			case 'r':
				enc[0] = '\r';
				n = 1;
				break;
			case 't':
				enc[0] = '\t';
				n = 1;
				break;
			case 'u':
				if (jhex4(j, &cp))
					return -EINVAL;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return jfail(j, "lone low surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					unsigned int lo;

					if (j->len - j->pos < 2 || j->s[j->pos] != '\\' ||
					    j->s[j->pos + 1] != 'u')
						return jfail(j,
							     "high surrogate without its low half");
					j->pos += 2;
					if (jhex4(j, &lo))
						return -EINVAL;
					if (lo < 0xdc00 || lo > 0xdfff)
						return jfail(j,
							     "high surrogate without its low half");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp == 0)
					*fits = false; /* a C string cannot hold it */
				n = put_utf8(enc, cp);
				break;
			default:
				j->pos--;
				return jfail(j, "unknown escape");
			}
		} else {
			n = utf8_len((const unsigned char *)j->s + j->pos, j->len - j->pos);
			if (!n)
				return jfail(j, "invalid UTF-8 in a string");
			memcpy(enc, j->s + j->pos, n);
			j->pos += n;
		}
		if (out && o + n < outlen) {
			memcpy(out + o, enc, n);
			o += n;
		} else {
			*fits = false;
		}
	}
	if (out && outlen)
		out[o] = '\0';
	return 0;
}

static int jdigits(struct json *j)
{
	size_t start = j->pos;

	while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
		j->pos++;
	return j->pos > start ? 0 : jfail(j, "digit expected");
}

static int jnumber(struct json *j)
{
	if (jpeek(j, '-'))
		j->pos++;
	if (jpeek(j, '0'))
		j->pos++;
	else if (jdigits(j))
		return -EINVAL;
	if (jpeek(j, '.')) {
		j->pos++;
		if (jdigits(j))
			return -EINVAL;
	}
	if (jpeek(j, 'e') || jpeek(j, 'E')) {
		j->pos++;
		if (jpeek(j, '+') || jpeek(j, '-'))
			j->pos++;
		if (jdigits(j))
			return -EINVAL;
	}
	return 0;
}

static int jliteral(struct json *j, const char *lit)
{
	size_t n = strlen(lit);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, lit, n) != 0)
		return jfail(j, "unexpected character");
	j->pos += n;
	return 0;
}

static int jvalue(struct json *j);

/* An array or object at j->pos (on its opening bracket). */
static int jcontainer(struct json *j, char close)
{
	bool fits;

	if (++j->depth > JSON_MAX_DEPTH)
		return jfail(j, "nested too deep");
	j->pos++;
	jspace(j);
	if (jpeek(j, close)) {
		j->pos++;
		j->depth--;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (!jpeek(j, '"'))
				return jfail(j, "member name expected");
			if (jstring(j, NULL, 0, &fits))
				return -EINVAL;
			jspace(j);
			if (!jpeek(j, ':'))
				return jfail(j, "':' expected");
			j->pos++;
		}
		if (jvalue(j))
			return -EINVAL;
		if (jpeek(j, ',')) {
			j->pos++;
			jspace(j);
			continue;
		}
		if (!jpeek(j, close))
			return jfail(j,
				     close == '}' ? "',' or '}' expected" : "',' or ']' expected");
		j->pos++;
		j->depth--;
		return 0;
	}
}

/* A value with the white space around it. */
static int jvalue(struct json *j)
{
	bool fits;
	int rc;

	jspace(j);
	if (j->pos >= j->len)
		return jfail(j, "value expected");
	switch (j->s[j->pos]) {
	case '{':
		rc = jcontainer(j, '}');
		break;
	case '[':
		rc = jcontainer(j, ']');
		break;
	case '"':
		rc = jstring(j, NULL, 0, &fits);
		break;
	case 't':
		rc = jliteral(j, "true");
		break;
	case 'f':
		rc = jliteral(j, "false");
		break;
	case 'n':
		rc = jliteral(j, "null");
		break;
	default:
		if (j->s[j->pos] == '-' || (j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
			rc = jnumber(j);
		else
			rc = jfail(j, "unexpected character");
	}
	if (!rc)
		jspace(j);
	return rc;
}

int http_json_string_member(const char *text, size_t len, const char *key, unsigned int flags,
			    char *out, size_t outlen, char *err, size_t errlen)
{
	struct json j = { .s = text, .len = len, .err = err, .errlen = errlen };
	char name[64];
	bool found = false, fits, value_fits = false;
	size_t member_at;

	jspace(&j);
	if (!jpeek(&j, '{'))
		return jfail(&j, "an object expected");
	j.pos++;
	j.depth = 1;
	jspace(&j);
	if (jpeek(&j, '}')) {
		j.pos++;
	} else {
		for (;;) {
			if (!jpeek(&j, '"'))
				return jfail(&j, "member name expected");
			member_at = j.pos;
			if (jstring(&j, name, sizeof(name), &fits))
				return -EINVAL;
			if (fits && !strcmp(name, key)) {
				if (found) {
					j.pos = member_at;
					snprintf(err, errlen,
						 "JSON body: \"%s\" given twice (byte %zu)", key,
						 member_at);
					return -EINVAL;
				}
				found = true;
			} else if (flags & HTTP_JSON_ONLY_MEMBER) {
				char esc[80];

				http_json_escape(esc, sizeof(esc), fits ? name : "(a long name)");
				snprintf(err, errlen,
					 "JSON body: unknown member \"%s\" at byte %zu (only "
					 "\"%s\")",
					 esc, member_at, key);
				return -EINVAL;
			}
			jspace(&j);
			if (!jpeek(&j, ':'))
				return jfail(&j, "':' expected");
			j.pos++;
			if (fits && !strcmp(name, key)) {
				jspace(&j);
				if (!jpeek(&j, '"')) {
					snprintf(err, errlen,
						 "JSON body: \"%s\" must be a string (byte %zu)",
						 key, j.pos);
					return -EINVAL;
				}
				if (jstring(&j, out, outlen, &value_fits))
					return -EINVAL;
				jspace(&j);
			} else if (jvalue(&j)) {
				return -EINVAL;
			}
			if (jpeek(&j, ',')) {
				j.pos++;
				jspace(&j);
				continue;
			}
			if (!jpeek(&j, '}'))
				return jfail(&j, "',' or '}' expected");
			j.pos++;
			break;
		}
	}
	jspace(&j);
	if (j.pos != j.len)
		return jfail(&j, "trailing characters after the object");
	if (!found) {
		snprintf(err, errlen, "JSON body: no member \"%s\"", key);
		return -ENOENT;
	}
	if (!value_fits) {
		snprintf(err, errlen, "JSON body: the value of \"%s\" is too long or holds a NUL",
			 key);
		return -E2BIG;
	}
	return 0;
}
