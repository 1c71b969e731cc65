/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy language parser.  A line is a directive, a rule or a comment:
 *
 *   @include NAME                 parse another policy file here
 *   @arch x86_64|aarch64|all      rules below apply to that arch only
 *   SYSCALL [: EXPR] [-> ACTION]  # why
 *
 * EXPR is an OR of ANDs of comparisons of arg0..arg5; it is converted to
 * disjunctive normal form while parsing, which is what seccomp filters
 * evaluate.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of clauses (OR) while parsing. */
struct dnf {
	unsigned int n;
	struct policy_clause c[POLICY_MAX_CLAUSES];
};

struct parser {
	const struct policy_ops *ops;
	struct policy *out;
	struct policy_error *err;
	const char *origin;
	unsigned int file;
	const char *line_start;
	const char *pos;
	unsigned int line;
	unsigned int arch_mask;
	unsigned int outer_arch; /* the includer's section: this file stays within it */
	int depth;
	const char *stack[POLICY_MAX_INCLUDE_DEPTH + 1];
	bool prev_comment;	       /* the line above was a comment */
	char syscall[POLICY_NAME_MAX]; /* of the rule being parsed */
};

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;
	unsigned int col = (unsigned int)(at - ps->line_start) + 1;

	n = snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%u:%u: ", ps->origin, ps->line, col);
	if (n < 0 || (size_t)n >= sizeof(ps->err->msg))
		return -EINVAL;
	va_start(ap, fmt);
	/* va_start is above: the analyzer's valist warning is a false positive */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vsnprintf(ps->err->msg + n, sizeof(ps->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
}

static void rule_release(struct policy_rule *r)
{
	free(r->clauses);
	r->clauses = NULL;
}

void policy_release(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_rules; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	for (i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free((void *)p->files);
	policy_init(p);
}

static int add_file(struct policy *p, const char *name, unsigned int *idx)
{
	char **files;
	char *copy;
	size_t i;

	for (i = 0; i < p->n_files; i++) {
		if (strcmp(p->files[i], name) == 0) {
			*idx = (unsigned int)i;
			return 0;
		}
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	files = (char **)realloc((void *)p->files, (p->n_files + 1) * sizeof(*files));
	if (!files) {
		free(copy);
		return -ENOMEM;
	}
	files[p->n_files] = copy;
	p->files = files;
	*idx = (unsigned int)p->n_files++;
	return 0;
}

static int push_rule(struct policy *p, const struct policy_rule *r)
{
	if (p->n_rules == p->cap_rules) {
		size_t cap = p->cap_rules ? p->cap_rules * 2 : 64;
		struct policy_rule *rules = realloc(p->rules, cap * sizeof(*rules));

		if (!rules)
			return -ENOMEM;
		p->rules = rules;
		p->cap_rules = cap;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

/* ---- lexing ---- */

static void skip_blank(struct parser *ps)
{
	while (*ps->pos == ' ' || *ps->pos == '\t' || *ps->pos == '\r')
		ps->pos++;
}

static bool at_end_of_line(struct parser *ps)
{
	skip_blank(ps);
	return *ps->pos == '\0' || *ps->pos == '\n' || *ps->pos == '#';
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Reads an identifier; returns its length (0 if none). */
static size_t read_ident(struct parser *ps, const char **start)
{
	size_t n = 0;

	skip_blank(ps);
	*start = ps->pos;
	if (!is_ident_start(*ps->pos))
		return 0;
	while (is_ident(ps->pos[n]))
		n++;
	ps->pos += n;
	return n;
}

static bool accept(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_blank(ps);
	if (strncmp(ps->pos, tok, n) != 0)
		return false;
	/* "&" must not eat "&&", "|" not "||", "<" not "<=" and so on. */
	if (n == 1 && (tok[0] == '&' || tok[0] == '|') && ps->pos[1] == tok[0])
		return false;
	if (n == 1 && (tok[0] == '<' || tok[0] == '>') && ps->pos[1] == '=')
		return false;
	ps->pos += n;
	return true;
}

static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncmp(s, word, n) == 0;
}

/* ---- values: NUMBER | CONSTANT | ~value | (value), joined by '|'; or a
 * runtime value ($pid) alone ---- */

static int parse_value(struct parser *ps, uint64_t *out);

static int parse_term(struct parser *ps, uint64_t *out)
{
	const char *start;
	size_t n;

	skip_blank(ps);
	start = ps->pos;
	if (accept(ps, "~")) {
		int rc = parse_term(ps, out);

		*out = ~*out;
		return rc;
	}
	if (accept(ps, "(")) {
		int rc = parse_value(ps, out);

		if (rc)
			return rc;
		if (!accept(ps, ")"))
			return fail(ps, ps->pos,
				    "expected ')' to close the value opened at column %u",
				    (unsigned int)(start - ps->line_start) + 1);
		return 0;
	}
	if (*ps->pos == '-' || isdigit((unsigned char)*ps->pos)) {
		bool neg = *ps->pos == '-';
		char *end;
		unsigned long long v;

		if (neg)
			ps->pos++;
		if (!isdigit((unsigned char)*ps->pos))
			return fail(ps, start, "expected a number after '-'");
		errno = 0;
		v = strtoull(ps->pos, &end, 0);
		if (errno || is_ident(*end))
			return fail(ps, start, "bad number '%.*s'",
				    (int)(end - start + (is_ident(*end) ? 1 : 0)), start);
		ps->pos = end;
		*out = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		return 0;
	}
	if (*ps->pos == '$')
		return fail(
			ps, start,
			"a runtime value is a comparison's whole value (arg0 == $pid): it cannot "
			"be a mask or part of an expression");
	n = read_ident(ps, &start);
	if (n == 0)
		return fail(ps, start, "expected a number or a constant name");
	/* in another arch's section, that arch's constants */
	if (!policy_constant_arch(
		    start, n, (ps->arch_mask & ps->ops->arch) ? ps->ops->arch : ps->arch_mask, out))
		return fail(ps, start, "unknown constant '%.*s'", (int)n, start);
	return 0;
}

static int parse_value(struct parser *ps, uint64_t *out)
{
	int rc = parse_term(ps, out);

	while (!rc && accept(ps, "|")) {
		uint64_t v;

		rc = parse_term(ps, &v);
		*out |= v;
	}
	return rc;
}

/* ---- conditions, built directly in disjunctive normal form ---- */

static int parse_or(struct parser *ps, struct dnf *out);

static int dnf_add(struct parser *ps, const char *at, struct dnf *d, const struct policy_clause *c)
{
	if (d->n >= POLICY_MAX_CLAUSES)
		return fail(ps, at, "condition too complex: more than %d alternatives",
			    POLICY_MAX_CLAUSES);
	d->c[d->n++] = *c;
	return 0;
}

/*
 * A constant compared with an argument the kernel reads as 32 bits must
 * mean the same on those 32 bits: it fits them, or it is a negative int
 * written as one (-1, ~FLAG: sign-extended).  Only its low word is kept,
 * as only that is compared.  Anything wider could not be compared as
 * written.
 */
static int fit_arg(struct parser *ps, const char *at, const struct policy_cmp *cmp,
		   const char *what, uint64_t *v)
{
	if (!cmp->low32)
		return 0;
	if (*v > UINT32_MAX && *v < UINT64_C(0xffffffff80000000))
		return fail(ps, at,
			    "%s %#llx does not fit arg%u of %s, which the kernel reads as 32 bits "
			    "(int or unsigned int): only its low 32 bits could be compared",
			    what, (unsigned long long)*v, cmp->arg, ps->syscall);
	*v &= 0xffffffffu;
	return 0;
}

/* A value compared with cmp's argument, checked against its width. */
static int parse_arg_value(struct parser *ps, const struct policy_cmp *cmp, const char *what,
			   uint64_t *out)
{
	const char *at;
	int rc;

	skip_blank(ps);
	at = ps->pos;
	rc = parse_value(ps, out);
	return rc ? rc : fit_arg(ps, at, cmp, what, out);
}

/*
 * `$NAME`, the value of a == or != comparison: one the filter gets when it
 * is installed ($pid, the process id), so it can be compared only as a
 * whole, and only with an argument as wide as it (a pid_t).
 */
static int parse_runtime_value(struct parser *ps, struct policy_cmp *cmp)
{
	const char *at = ps->pos, *name = ps->pos + 1;
	size_t n = 0;

	ps->pos++;
	if (is_ident_start(*ps->pos))
		n = read_ident(ps, &name);
	if (!word_is(name, n, "pid"))
		return fail(ps, at, "unknown runtime value '$%.*s' (the one known is $pid)", (int)n,
			    name);
	if (cmp->op != POLICY_OP_EQ && cmp->op != POLICY_OP_NE)
		return fail(ps, at,
			    "$pid is compared only with == or != (no order, no mask): it is known "
			    "only when the filter is installed");
	if (!cmp->low32)
		return fail(
			ps, at,
			"$pid is a pid_t: arg%u of %s is not an argument the kernel reads as 32 "
			"bits",
			cmp->arg, ps->syscall);
	skip_blank(ps);
	if (*ps->pos == '|' && ps->pos[1] != '|')
		return fail(ps, ps->pos, "$pid stands alone: it cannot be combined with a value");
	cmp->src = POLICY_VALUE_PID;
	cmp->value = 0;
	return 0;
}

static int parse_cmp(struct parser *ps, struct dnf *out)
{
	const char *start, *op_at;
	size_t n = read_ident(ps, &start);
	struct policy_cmp cmp = { 0 };
	bool masked = false;
	struct policy_clause clause = { 0 };
	int rc;

	out->n = 0;
	if (n != 4 || strncmp(start, "arg", 3) != 0 || start[3] < '0' || start[3] > '5')
		return fail(ps, start, "expected arg0..arg5, '(' or a comparison, found '%.*s'",
			    n ? (int)n : 1, start);
	cmp.arg = (unsigned int)(start[3] - '0');
	cmp.low32 = policy_arg_narrow(ps->syscall, cmp.arg);
	if (accept(ps, "&")) {
		rc = parse_arg_value(ps, &cmp, "mask", &cmp.mask);
		if (rc)
			return rc;
		masked = true;
	}
	skip_blank(ps);
	op_at = ps->pos;
	if (accept(ps, "==")) {
		cmp.op = masked ? POLICY_OP_MASKED_EQ : POLICY_OP_EQ;
	} else if (accept(ps, "!=")) {
		cmp.op = POLICY_OP_NE;
	} else if (accept(ps, "<=")) {
		cmp.op = POLICY_OP_LE;
	} else if (accept(ps, ">=")) {
		cmp.op = POLICY_OP_GE;
	} else if (accept(ps, "<")) {
		cmp.op = POLICY_OP_LT;
	} else if (accept(ps, ">")) {
		cmp.op = POLICY_OP_GT;
	} else {
		const char *w;
		size_t wn = read_ident(ps, &w);

		if (!word_is(w, wn, "in"))
			return fail(ps, op_at,
				    "expected a comparison operator (== != < <= > >= in)");
		if (masked)
			return fail(ps, op_at,
				    "'in' cannot follow a mask; write '& MASK == VALUE'");
		if (!accept(ps, "{"))
			return fail(ps, ps->pos, "expected '{' after 'in'");
		do {
			cmp.op = POLICY_OP_EQ;
			skip_blank(ps);
			if (*ps->pos == '$')
				return fail(ps, ps->pos,
					    "a runtime value cannot be in a set: write "
					    "'arg%u == $pid || arg%u in {...}'",
					    cmp.arg, cmp.arg);
			rc = parse_arg_value(ps, &cmp, "value", &cmp.value);
			if (rc)
				return rc;
			clause.n = 1;
			clause.cmp[0] = cmp;
			rc = dnf_add(ps, start, out, &clause);
			if (rc)
				return rc;
		} while (accept(ps, ","));
		if (!accept(ps, "}"))
			return fail(ps, ps->pos, "expected ',' or '}' in the set");
		return 0;
	}
	if (masked && cmp.op != POLICY_OP_MASKED_EQ)
		return fail(ps, op_at, "a masked comparison must use '=='");
	skip_blank(ps);
	if (*ps->pos == '$')
		rc = parse_runtime_value(ps, &cmp);
	else
		rc = parse_arg_value(ps, &cmp, "value", &cmp.value);
	if (rc)
		return rc;
	if (cmp.op == POLICY_OP_MASKED_EQ && (cmp.value & ~cmp.mask))
		return fail(ps, start, "this can never hold: the value has bits outside the mask");
	clause.n = 1;
	clause.cmp[0] = cmp;
	return dnf_add(ps, start, out, &clause);
}

static int parse_atom(struct parser *ps, struct dnf *out)
{
	const char *open;

	skip_blank(ps);
	open = ps->pos;
	if (accept(ps, "(")) {
		int rc = parse_or(ps, out);

		if (rc)
			return rc;
		if (!accept(ps, ")"))
			return fail(ps, ps->pos, "expected ')' to close the '(' at column %u",
				    (unsigned int)(open - ps->line_start) + 1);
		return 0;
	}
	return parse_cmp(ps, out);
}

static int parse_and(struct parser *ps, struct dnf *out)
{
	struct dnf *rhs, *prod;
	int rc = parse_atom(ps, out);

	if (rc)
		return rc;
	rhs = malloc(sizeof(*rhs));
	prod = malloc(sizeof(*prod));
	if (!rhs || !prod) {
		rc = -ENOMEM;
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: out of memory", ps->origin);
		goto out;
	}
	for (;;) {
		const char *at;
		unsigned int i, j;

		skip_blank(ps);
		at = ps->pos;
		if (!accept(ps, "&&"))
			break;
		rc = parse_atom(ps, rhs);
		if (rc)
			goto out;
		/* (a || b) && (c || d)  ->  ac || ad || bc || bd */
		prod->n = 0;
		for (i = 0; i < out->n; i++) {
			for (j = 0; j < rhs->n; j++) {
				struct policy_clause c = out->c[i];

				if (c.n + rhs->c[j].n > POLICY_MAX_CMPS) {
					rc = fail(ps, at, "more than %d comparisons ANDed together",
						  POLICY_MAX_CMPS);
					goto out;
				}
				memcpy(&c.cmp[c.n], rhs->c[j].cmp, rhs->c[j].n * sizeof(c.cmp[0]));
				c.n += rhs->c[j].n;
				rc = dnf_add(ps, at, prod, &c);
				if (rc)
					goto out;
			}
		}
		*out = *prod;
	}
out:
	free(rhs);
	free(prod);
	return rc;
}

static int parse_or(struct parser *ps, struct dnf *out)
{
	struct dnf *rhs;
	int rc = parse_and(ps, out);

	if (rc)
		return rc;
	rhs = malloc(sizeof(*rhs));
	if (!rhs) {
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: out of memory", ps->origin);
		return -ENOMEM;
	}
	for (;;) {
		const char *at;
		unsigned int i;

		skip_blank(ps);
		at = ps->pos;
		if (!accept(ps, "||"))
			break;
		rc = parse_and(ps, rhs);
		if (rc)
			break;
		for (i = 0; i < rhs->n && !rc; i++)
			rc = dnf_add(ps, at, out, &rhs->c[i]);
		if (rc)
			break;
	}
	free(rhs);
	return rc;
}

/* ---- lines ---- */

static int parse_action(struct parser *ps, struct policy_rule *r)
{
	const char *w;
	size_t n = read_ident(ps, &w);

	if (word_is(w, n, "allow")) {
		r->action = POLICY_ACT_ALLOW;
	} else if (word_is(w, n, "log")) {
		r->action = POLICY_ACT_LOG;
	} else if (word_is(w, n, "trap")) {
		r->action = POLICY_ACT_TRAP;
	} else if (word_is(w, n, "emulate_sigmask")) {
		r->action = POLICY_ACT_SIGMASK;
	} else if (word_is(w, n, "return")) {
		const char *e;
		size_t en;

		skip_blank(ps);
		e = ps->pos;
		r->action = POLICY_ACT_ERRNO;
		if (isdigit((unsigned char)*e)) {
			uint64_t v;
			int rc = parse_value(ps, &v);

			if (rc)
				return rc;
			if (v == 0 || v > 4095)
				return fail(ps, e, "errno %llu out of range 1..4095",
					    (unsigned long long)v);
			r->errno_value = (int)v;
			return 0;
		}
		en = read_ident(ps, &e);
		if (en == 0)
			return fail(ps, e, "expected an errno name or number after 'return'");
		{
			char name[32];
			int v;

			if (en >= sizeof(name))
				return fail(ps, e, "unknown errno '%.*s'", (int)en, e);
			memcpy(name, e, en);
			name[en] = '\0';
			v = policy_errno_value(name);
			if (v < 0)
				return fail(ps, e, "unknown errno '%s'", name);
			r->errno_value = v;
		}
	} else {
		return fail(ps, w,
			    "expected an action (allow, log, trap, return ERRNO, emulate_sigmask), "
			    "found '%.*s'",
			    n ? (int)n : 1, w);
	}
	return 0;
}

static int parse_policy_text(struct parser *ps, const char *origin, const char *text);

/* An earlier rule of the same file that says exactly the same.  (Groups
 * included from several places may repeat each other: that is fine.) */
static const struct policy_rule *find_duplicate(const struct policy *p, const struct policy_rule *r)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *o = &p->rules[i];

		unsigned int c, k;
		bool same;

		if (o->file != r->file || o->nr != r->nr || o->action != r->action ||
		    o->errno_value != r->errno_value || o->n_clauses != r->n_clauses)
			continue;
		same = true;
		for (c = 0; c < r->n_clauses && same; c++) {
			same = o->clauses[c].n == r->clauses[c].n;
			for (k = 0; k < r->clauses[c].n && same; k++) {
				const struct policy_cmp *a = &o->clauses[c].cmp[k],
							*b = &r->clauses[c].cmp[k];

				same = a->arg == b->arg && a->op == b->op && a->value == b->value &&
				       a->mask == b->mask && a->src == b->src;
			}
		}
		if (same)
			return o;
	}
	return NULL;
}

static int parse_directive(struct parser *ps)
{
	const char *w, *arg;
	size_t n = read_ident(ps, &w), an;

	if (word_is(w, n, "include")) {
		const char *why = "not found";
		const char *text;
		char name[128];
		struct parser saved;
		int rc, i;

		skip_blank(ps);
		arg = ps->pos;
		an = strcspn(arg, " \t\r\n#");
		if (an == 0)
			return fail(ps, arg, "expected a file name after @include");
		if (an >= sizeof(name))
			return fail(ps, arg, "include name too long");
		memcpy(name, arg, an);
		name[an] = '\0';
		ps->pos += an;
		if (!at_end_of_line(ps))
			return fail(ps, ps->pos, "unexpected text after the include name");
		for (i = 0; i <= ps->depth; i++) {
			if (ps->stack[i] && strcmp(ps->stack[i], name) == 0)
				return fail(ps, arg, "include cycle: '%s' includes itself", name);
		}
		if (ps->depth >= POLICY_MAX_INCLUDE_DEPTH)
			return fail(ps, arg, "includes nested deeper than %d",
				    POLICY_MAX_INCLUDE_DEPTH);
		text = ps->ops->open_include
			       ? ps->ops->open_include(ps->ops->arg, ps->origin, name, &why)
			       : NULL;
		if (!text)
			return fail(ps, arg, "cannot include '%s': %s", name, why);
		saved = *ps;
		ps->outer_arch = ps->arch_mask;
		ps->depth++;
		ps->stack[ps->depth] = name;
		rc = parse_policy_text(ps, name, text);
		ps->stack[ps->depth] = NULL;
		/* Restore the includer's position; keep what the include parsed. */
		saved.out = ps->out;
		*ps = saved;
		return rc;
	}
	if (word_is(w, n, "arch")) {
		an = read_ident(ps, &arg);
		if (word_is(arg, an, "x86_64"))
			ps->arch_mask = POLICY_ARCH_X86_64 & ps->outer_arch;
		else if (word_is(arg, an, "aarch64"))
			ps->arch_mask = POLICY_ARCH_AARCH64 & ps->outer_arch;
		else if (word_is(arg, an, "all"))
			ps->arch_mask = ps->outer_arch;
		else
			return fail(ps, arg, "unknown architecture '%.*s' (x86_64, aarch64, all)",
				    an ? (int)an : 1, arg);
		if (!at_end_of_line(ps))
			return fail(ps, ps->pos, "unexpected text after @arch");
		return 0;
	}
	return fail(ps, w, "unknown directive '@%.*s' (@include, @arch)", (int)n, w);
}

static int parse_rule(struct parser *ps)
{
	struct policy_rule r;
	struct dnf *d = NULL;
	const char *name;
	size_t n = read_ident(ps, &name);
	bool has_action = false;
	int rc;

	memset(&r, 0, sizeof(r));
	if (n == 0)
		return fail(ps, name, "expected a syscall name");
	if (n >= sizeof(r.syscall))
		return fail(ps, name, "syscall name too long");
	memcpy(r.syscall, name, n);
	r.syscall[n] = '\0';
	r.file = ps->file;
	r.line = ps->line;
	r.col = (unsigned int)(name - ps->line_start) + 1;
	r.action = POLICY_ACT_ALLOW;
	memcpy(ps->syscall, r.syscall, sizeof(ps->syscall));

	if (accept(ps, ":")) {
		d = malloc(sizeof(*d));
		if (!d) {
			snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: out of memory",
				 ps->origin);
			return -ENOMEM;
		}
		rc = parse_or(ps, d);
		if (rc)
			goto err;
	}
	if (accept(ps, "->")) {
		has_action = true;
		rc = parse_action(ps, &r);
		if (rc)
			goto err;
	}
	if (!at_end_of_line(ps)) {
		rc = fail(ps, ps->pos,
			  has_action ? "expected the end of the line after the action"
			  : d	     ? "expected '&&', '||', '->' or the end of the line"
				     : "expected ':', '->' or the end of the line");
		goto err;
	}
	r.commented = ps->prev_comment || *ps->pos == '#';

	if (!(ps->arch_mask & ps->ops->arch)) {
		free(d); /* parsed for syntax, not for this arch */
		return 0;
	}
	r.nr = ps->ops->resolve_syscall ? ps->ops->resolve_syscall(ps->ops->arg, r.syscall) : -1;
	if (r.nr < 0) {
		rc = fail(ps, name, "unknown syscall '%s'", r.syscall);
		goto err;
	}
	if (d) {
		r.n_clauses = d->n;
		r.clauses = malloc(d->n * sizeof(*r.clauses));
		if (!r.clauses)
			goto err_nomem;
		memcpy(r.clauses, d->c, d->n * sizeof(*r.clauses));
	}
	free(d);
	d = NULL;
	{
		const struct policy_rule *dup = find_duplicate(ps->out, &r);

		if (dup) {
			free(r.clauses);
			/* the same line again: the file was included twice */
			if (dup->line == r.line)
				return 0;
			return fail(ps, name, "duplicate rule: line %u of this file says the same",
				    dup->line);
		}
	}
	rc = push_rule(ps->out, &r);
	if (rc) {
		free(r.clauses);
		goto err_nomem;
	}
	return 0;
err_nomem:
	snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: out of memory", ps->origin);
	rc = -ENOMEM;
err:
	free(d);
	return rc;
}

static int parse_policy_text(struct parser *ps, const char *origin, const char *text)
{
	int rc;

	ps->origin = origin;
	rc = add_file(ps->out, origin, &ps->file);
	if (rc) {
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: out of memory", origin);
		return rc;
	}
	ps->pos = text;
	ps->line = 0;
	ps->prev_comment = false;
	/* a file starts in its includer's section, and cannot leave it */
	ps->arch_mask = ps->outer_arch;
	while (*ps->pos) {
		ps->line++;
		ps->line_start = ps->pos;
		skip_blank(ps);
		if (*ps->pos == '#') {
			ps->prev_comment = true;
		} else if (*ps->pos == '\n' || *ps->pos == '\0') {
			ps->prev_comment = false;
		} else if (*ps->pos == '@') {
			ps->pos++;
			rc = parse_directive(ps);
			if (rc)
				return rc;
			ps->prev_comment = false;
		} else {
			rc = parse_rule(ps);
			if (rc)
				return rc;
			/* A block of rules under one comment shares it. */
		}
		ps->pos += strcspn(ps->pos, "\n");
		if (*ps->pos == '\n')
			ps->pos++;
	}
	return 0;
}

int policy_parse(struct policy *p, const char *origin, const char *text,
		 const struct policy_ops *ops, struct policy_error *err)
{
	struct parser ps;
	size_t old_rules = p->n_rules, old_files = p->n_files;
	int rc;

	if (!text) {
		snprintf(err->msg, sizeof(err->msg), "%s: no such policy text", origin);
		return -EINVAL;
	}
	memset(&ps, 0, sizeof(ps));
	ps.ops = ops;
	ps.out = p;
	ps.err = err;
	ps.arch_mask = POLICY_ARCH_ALL;
	ps.outer_arch = POLICY_ARCH_ALL;
	ps.stack[0] = origin;
	err->msg[0] = '\0';
	rc = parse_policy_text(&ps, origin, text);
	if (rc) {
		/* leave *p exactly as it was */
		while (p->n_rules > old_rules)
			rule_release(&p->rules[--p->n_rules]);
		while (p->n_files > old_files)
			free(p->files[--p->n_files]);
	}
	return rc;
}

int policy_append(struct policy *dst, const struct policy *src)
{
	size_t old = dst->n_rules, i;

	for (i = 0; i < src->n_rules; i++) {
		struct policy_rule r = src->rules[i];
		unsigned int file;

		if (add_file(dst, src->files[r.file], &file))
			goto err;
		r.file = file;
		if (r.n_clauses) {
			r.clauses = malloc(r.n_clauses * sizeof(*r.clauses));
			if (!r.clauses)
				goto err;
			memcpy(r.clauses, src->rules[i].clauses, r.n_clauses * sizeof(*r.clauses));
		}
		if (push_rule(dst, &r)) {
			free(r.clauses);
			goto err;
		}
	}
	return 0;
err:
	while (dst->n_rules > old)
		rule_release(&dst->rules[--dst->n_rules]);
	return -ENOMEM;
}
