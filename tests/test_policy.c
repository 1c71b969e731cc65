/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy language and model (policy/): every construct of the parser,
 * every error message with its exact origin:line:col, the DNF conversion,
 * the model's evaluation, implication and formatting, the constant tables,
 * and finally every built-in policy file parsed for real against
 * libseccomp's syscall table.
 *
 * The parser is pure code, so the tests feed it through hooks of their
 * own: a small syscall table and an include callback serving in-memory
 * files, which lets them build include chains and cycles at will.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hooks: a syscall table and in-memory include files ---- */

struct nr_name {
	const char *name;
	int nr;
};

/* x86_64 numbers, so the values look familiar in failure messages. */
static const struct nr_name test_syscalls[] = {
	{ "read", 0 },	    { "write", 1 },	      { "mmap", 9 },
	{ "mprotect", 10 }, { "rt_sigprocmask", 14 }, { "ioctl", 16 },
	{ "madvise", 28 },  { "getpid", 39 },	      { "socket", 41 },
	{ "clone", 56 },    { "execve", 59 },	      { "prctl", 157 },
	{ "futex", 202 },   { "tgkill", 234 },	      { "clone3", 435 },
};

struct test_file {
	const char *name;
	const char *text;
};

static const struct test_file test_files[] = {
	{ "inc/b", "# the first rule of b\n"
		   "mmap: arg2 & PROT_EXEC == 0\n"
		   "ioctl: arg1 == KVM_RUN # why\n" },
	{ "inc/nested", "@include inc/b\n"
			"futex\n" },
	/* a includes b includes a */
	{ "cyc/a", "read\n"
		   "@include cyc/b\n" },
	{ "cyc/b", "write\n"
		   "\n"
		   "@include cyc/a\n" },
	/* deep/0 -> deep/1 -> ... -> deep/9: nine includes from deep/0,
	 * eight from deep/1. */
	{ "deep/0", "@include deep/1\n" },
	{ "deep/1", "@include deep/2\n" },
	{ "deep/2", "@include deep/3\n" },
	{ "deep/3", "@include deep/4\n" },
	{ "deep/4", "@include deep/5\n" },
	{ "deep/5", "@include deep/6\n" },
	{ "deep/6", "@include deep/7\n" },
	{ "deep/7", "@include deep/8\n" },
	{ "deep/8", "@include deep/9\n" },
	{ "deep/9", "getpid # the bottom\n" },
	{ "inc/plain", "getpid\n" },
	{ "arch/a64", "@arch aarch64\n"
		      "write\n" },
	{ "bad/inner", "read\n"
		       "write: arg0 == nope\n" },
};

static int resolve_test(void *arg, const char *name)
{
	size_t i;

	(void)arg;
	for (i = 0; i < ARRAY_SIZE(test_syscalls); i++) {
		if (strcmp(test_syscalls[i].name, name) == 0)
			return test_syscalls[i].nr;
	}
	return -1;
}

static const char *test_file_text(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(test_files); i++) {
		if (strcmp(test_files[i].name, name) == 0)
			return test_files[i].text;
	}
	return NULL;
}

static const char *open_test(void *arg, const char *includer, const char *name, const char **why)
{
	(void)includer;
	const char *text = test_file_text(name);

	(void)arg;
	if (!text)
		*why = "no such test file";
	return text;
}

static const struct policy_ops x86_ops = {
	.open_include = open_test,
	.resolve_syscall = resolve_test,
	.arch = POLICY_ARCH_X86_64,
};

static const struct policy_ops aarch64_ops = {
	.open_include = open_test,
	.resolve_syscall = resolve_test,
	.arch = POLICY_ARCH_AARCH64,
};

/* Parses text as "t.policy" into a fresh *p; failures stop the test. */
static void parse_ok(struct policy *p, const char *text)
{
	struct policy_error err;
	int rc;

	policy_init(p);
	rc = policy_parse(p, "t.policy", text, &x86_ops, &err);
	if (rc) {
		policy_release(p);
		fail_msg("parsing \"%s\": rc %d: %s", text, rc, err.msg);
	}
}

/*
 * The parse must fail with -EINVAL and a message that starts with `where`
 * ("origin:line:col: ") and contains `what`; and it must leave no rule.
 */
static void expect_error_in(const char *origin, const char *text, const char *where,
			    const char *what)
{
	struct policy p;
	struct policy_error err;
	int rc;

	policy_init(&p);
	rc = policy_parse(&p, origin, text, &x86_ops, &err);
	if (rc != -EINVAL || strncmp(err.msg, where, strlen(where)) != 0 ||
	    !strstr(err.msg, what) || p.n_rules != 0) {
		size_t n = p.n_rules;

		policy_release(&p);
		fail_msg("parsing \"%s\": rc %d, %zu rules, \"%s\"; want -EINVAL, \"%s...%s...\"",
			 text, rc, n, err.msg, where, what);
	}
	policy_release(&p);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	expect_error_in("t.policy", text, where, what);
}

/* "t.policy:LINE:COL: " for a column computed from the text itself. */
static void where_at(char *buf, size_t len, unsigned int line, const char *text, const char *at)
{
	snprintf(buf, len, "t.policy:%u:%u: ", line, (unsigned int)(at - text) + 1);
}

/* ---- rules and their parts ---- */

static void test_unconditional_rule(void **state)
{
	struct policy p;
	const struct policy_rule *r;

	(void)state;
	parse_ok(&p, "read\n");
	assert_int_equal(p.n_rules, 1);
	r = &p.rules[0];
	assert_string_equal(r->syscall, "read");
	assert_int_equal(r->nr, 0);
	assert_int_equal(r->action, POLICY_ACT_ALLOW);
	assert_int_equal(r->n_clauses, 0);
	assert_null(r->clauses);
	assert_int_equal(r->line, 1);
	assert_int_equal(r->col, 1);
	assert_false(r->commented);
	assert_int_equal(p.n_files, 1);
	assert_string_equal(p.files[r->file], "t.policy");
	policy_release(&p);
}

static void test_positions(void **state)
{
	struct policy p;

	(void)state;
	/* Blank lines, comments, CRLF and indentation: lines count from 1,
	 * columns from 1 at the syscall name (a tab is one column). */
	parse_ok(&p, "\n# c\r\n  read\r\n\twrite\n\n   \n  mmap: arg0 == 0");
	assert_int_equal(p.n_rules, 3);
	assert_int_equal(p.rules[0].line, 3);
	assert_int_equal(p.rules[0].col, 3);
	assert_int_equal(p.rules[1].line, 4);
	assert_int_equal(p.rules[1].col, 2);
	assert_int_equal(p.rules[2].line, 7);
	assert_int_equal(p.rules[2].col, 3);
	assert_int_equal(p.rules[2].nr, 9);
	policy_release(&p);
}

static void test_operators(void **state)
{
	static const struct {
		const char *text;
		unsigned int arg;
		enum policy_op op;
		uint64_t value;
	} cases[] = {
		{ "read: arg0 == 1", 0, POLICY_OP_EQ, 1 },
		{ "read: arg1 != 2", 1, POLICY_OP_NE, 2 },
		{ "read: arg2 < 3", 2, POLICY_OP_LT, 3 },
		{ "read: arg3 <= 4", 3, POLICY_OP_LE, 4 },
		{ "read: arg4 > 5", 4, POLICY_OP_GT, 5 },
		{ "read: arg5 >= 6", 5, POLICY_OP_GE, 6 },
		/* no blanks at all */
		{ "read:arg5>=7", 5, POLICY_OP_GE, 7 },
		{ "read:arg2<8", 2, POLICY_OP_LT, 8 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy p;
		const struct policy_cmp *c;

		parse_ok(&p, cases[i].text);
		assert_int_equal(p.n_rules, 1);
		assert_int_equal(p.rules[0].n_clauses, 1);
		assert_int_equal(p.rules[0].clauses[0].n, 1);
		c = &p.rules[0].clauses[0].cmp[0];
		assert_int_equal(c->arg, cases[i].arg);
		assert_int_equal(c->op, cases[i].op);
		assert_true(c->value == cases[i].value);
		policy_release(&p);
	}
}

static void test_masked(void **state)
{
	const uint32_t futex_flags = FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME;
	struct policy p;
	const struct policy_cmp *c;

	(void)state;
	parse_ok(&p, "mmap: arg2 & PROT_EXEC == 0\n"
		     "futex: arg1 & ~(FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME) == FUTEX_WAIT\n"
		     "read: arg0 & 0xf0 == 0x10");
	assert_int_equal(p.n_rules, 3);
	c = &p.rules[0].clauses[0].cmp[0];
	assert_int_equal(c->op, POLICY_OP_MASKED_EQ);
	assert_int_equal(c->arg, 2);
	assert_true(c->mask == PROT_EXEC);
	assert_true(c->value == 0);
	c = &p.rules[1].clauses[0].cmp[0];
	assert_int_equal(c->op, POLICY_OP_MASKED_EQ);
	/* futex's op is an int: the mask keeps its low word only */
	assert_true(c->low32);
	assert_true(c->mask == ~futex_flags);
	assert_true(c->value == FUTEX_WAIT);
	c = &p.rules[2].clauses[0].cmp[0];
	assert_true(c->mask == 0xf0 && c->value == 0x10);
	policy_release(&p);
}

/* Value of the single comparison of "mmap: arg0 == <expr>" (a 64-bit
 * argument: the value as written). */
static uint64_t value_of(const char *expr)
{
	char text[256];
	struct policy p;
	uint64_t v;

	snprintf(text, sizeof(text), "mmap: arg0 == %s", expr);
	parse_ok(&p, text);
	assert_int_equal(p.rules[0].n_clauses, 1);
	v = p.rules[0].clauses[0].cmp[0].value;
	policy_release(&p);
	return v;
}

static void test_values(void **state)
{
	(void)state;
	assert_true(value_of("10") == 10);
	assert_true(value_of("0x10") == 16);
	assert_true(value_of("0XfF") == 255);
	assert_true(value_of("010") == 8); /* C rules: a leading 0 is octal */
	assert_true(value_of("0") == 0);
	assert_true(value_of("18446744073709551615") == UINT64_MAX);
	assert_true(value_of("0xffffffffffffffff") == UINT64_MAX);
	/* Negative numbers are 64-bit two's complement, as the kernel sees a
	 * sign-extended int argument. */
	assert_true(value_of("-100") == (uint64_t)-100);
	assert_true(value_of("-1") == UINT64_MAX);
	assert_true(value_of("-0x10") == (uint64_t)-16);
	/* named constants, from the host's headers */
	assert_true(value_of("KVM_RUN") == 0xae80);
	assert_true(value_of("KVM_RUN") == KVM_RUN);
	assert_true(value_of("PROT_EXEC") == PROT_EXEC);
	assert_true(value_of("CLONE_THREAD") == CLONE_THREAD);
	assert_true(value_of("AF_UNIX") == AF_UNIX);
	assert_true(value_of("FUTEX_WAIT_BITSET") == FUTEX_WAIT_BITSET);
	assert_true(value_of("SIGSYS") == SIGSYS);
	assert_true(value_of("SIG_UNBLOCK") == SIG_UNBLOCK);
	assert_true(value_of("MADV_DONTNEED") == MADV_DONTNEED);
	assert_true(value_of("EPERM") == EPERM);
	/* glibc's private signals, by kernel number */
	assert_true(value_of("SIGCANCEL") == 32);
	assert_true(value_of("SIGRTMIN") == 34);
	/* ~, parentheses and | */
	assert_true(value_of("~0") == UINT64_MAX);
	assert_true(value_of("~PROT_EXEC") == ~(uint64_t)PROT_EXEC);
	assert_true(value_of("~(1|2)") == ~(uint64_t)3);
	assert_true(value_of("(1|2)|4") == 7);
	assert_true(value_of("((8))") == 8);
	assert_true(value_of("CLONE_VM | CLONE_THREAD") == (uint64_t)(CLONE_VM | CLONE_THREAD));
	assert_true(value_of("PROT_READ|PROT_WRITE|0x100") ==
		    (uint64_t)(PROT_READ | PROT_WRITE | 0x100));
}

static void test_actions(void **state)
{
	static const struct {
		const char *text;
		enum policy_action action;
		int errno_value;
	} cases[] = {
		{ "read", POLICY_ACT_ALLOW, 0 },
		{ "read -> allow", POLICY_ACT_ALLOW, 0 },
		{ "read -> log", POLICY_ACT_LOG, 0 },
		{ "read -> trap", POLICY_ACT_TRAP, 0 },
		{ "rt_sigprocmask -> emulate_sigmask", POLICY_ACT_SIGMASK, 0 },
		{ "read -> return EPERM", POLICY_ACT_ERRNO, EPERM },
		{ "clone3 -> return ENOSYS", POLICY_ACT_ERRNO, ENOSYS },
		{ "read -> return 38", POLICY_ACT_ERRNO, 38 },
		{ "read -> return 0x10", POLICY_ACT_ERRNO, 16 },
		{ "read -> return 1", POLICY_ACT_ERRNO, 1 },
		{ "read -> return 4095", POLICY_ACT_ERRNO, 4095 },
		{ "read: arg0 == 1 -> trap", POLICY_ACT_TRAP, 0 },
		{ "read: arg0 == 1->return EACCES # why", POLICY_ACT_ERRNO, EACCES },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy p;

		parse_ok(&p, cases[i].text);
		assert_int_equal(p.n_rules, 1);
		assert_int_equal(p.rules[0].action, cases[i].action);
		if (cases[i].action == POLICY_ACT_ERRNO)
			assert_int_equal(p.rules[0].errno_value, cases[i].errno_value);
		policy_release(&p);
	}
}

/* ---- disjunctive normal form ---- */

static void assert_cmp(const struct policy_cmp *c, unsigned int arg, enum policy_op op,
		       uint64_t value)
{
	assert_int_equal(c->arg, arg);
	assert_int_equal(c->op, op);
	assert_true(c->value == value);
}

static void test_dnf_set(void **state)
{
	struct policy p;
	const struct policy_rule *r;
	unsigned int i;

	(void)state;
	/* in {a, b, c} is three alternatives of one comparison each */
	parse_ok(&p, "read: arg1 in {1, KVM_RUN, 0x30}");
	r = &p.rules[0];
	assert_int_equal(r->n_clauses, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(r->clauses[i].n, 1);
	assert_cmp(&r->clauses[0].cmp[0], 1, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[1].cmp[0], 1, POLICY_OP_EQ, KVM_RUN);
	assert_cmp(&r->clauses[2].cmp[0], 1, POLICY_OP_EQ, 0x30);
	policy_release(&p);

	/* a one-element set, and a set ANDed with a comparison */
	parse_ok(&p, "read: arg0 in {7}\n"
		     "write: arg0 == 1 && arg1 in {2, 3}");
	assert_int_equal(p.rules[0].n_clauses, 1);
	assert_cmp(&p.rules[0].clauses[0].cmp[0], 0, POLICY_OP_EQ, 7);
	r = &p.rules[1];
	assert_int_equal(r->n_clauses, 2);
	assert_int_equal(r->clauses[0].n, 2);
	assert_cmp(&r->clauses[0].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[0].cmp[1], 1, POLICY_OP_EQ, 2);
	assert_int_equal(r->clauses[1].n, 2);
	assert_cmp(&r->clauses[1].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[1].cmp[1], 1, POLICY_OP_EQ, 3);
	policy_release(&p);
}

static void test_dnf_distribution(void **state)
{
	struct policy p;
	const struct policy_rule *r;

	(void)state;
	/* (a || b) && (c || d)  ->  ac || ad || bc || bd, in that order */
	parse_ok(&p, "read: (arg0 == 1 || arg0 == 2) && (arg1 == 3 || arg1 == 4)");
	r = &p.rules[0];
	assert_int_equal(r->n_clauses, 4);
	assert_int_equal(r->clauses[0].n, 2);
	assert_cmp(&r->clauses[0].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[0].cmp[1], 1, POLICY_OP_EQ, 3);
	assert_cmp(&r->clauses[1].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[1].cmp[1], 1, POLICY_OP_EQ, 4);
	assert_cmp(&r->clauses[2].cmp[0], 0, POLICY_OP_EQ, 2);
	assert_cmp(&r->clauses[2].cmp[1], 1, POLICY_OP_EQ, 3);
	assert_cmp(&r->clauses[3].cmp[0], 0, POLICY_OP_EQ, 2);
	assert_cmp(&r->clauses[3].cmp[1], 1, POLICY_OP_EQ, 4);
	policy_release(&p);

	/* && binds tighter than ||: a && b || c  ->  (ab) || c */
	parse_ok(&p, "read: arg0 == 1 && arg1 == 2 || arg2 == 3");
	r = &p.rules[0];
	assert_int_equal(r->n_clauses, 2);
	assert_int_equal(r->clauses[0].n, 2);
	assert_int_equal(r->clauses[1].n, 1);
	assert_cmp(&r->clauses[1].cmp[0], 2, POLICY_OP_EQ, 3);
	policy_release(&p);

	/* a || b && c  ->  a || (bc) */
	parse_ok(&p, "read: arg0 == 1 || arg1 == 2 && arg2 == 3");
	r = &p.rules[0];
	assert_int_equal(r->n_clauses, 2);
	assert_int_equal(r->clauses[0].n, 1);
	assert_int_equal(r->clauses[1].n, 2);
	assert_cmp(&r->clauses[1].cmp[0], 1, POLICY_OP_EQ, 2);
	assert_cmp(&r->clauses[1].cmp[1], 2, POLICY_OP_EQ, 3);
	policy_release(&p);

	/* a && (b || c)  ->  ab || ac; redundant parentheses change nothing */
	parse_ok(&p, "read: ((arg0 == 1)) && (arg1 == 2 || (arg1 == 3))");
	r = &p.rules[0];
	assert_int_equal(r->n_clauses, 2);
	assert_cmp(&r->clauses[0].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[0].cmp[1], 1, POLICY_OP_EQ, 2);
	assert_cmp(&r->clauses[1].cmp[0], 0, POLICY_OP_EQ, 1);
	assert_cmp(&r->clauses[1].cmp[1], 1, POLICY_OP_EQ, 3);
	policy_release(&p);
}

static void test_dnf_limits_reached(void **state)
{
	char text[1024];
	size_t n;
	unsigned int i;
	struct policy p;

	(void)state;
	/* exactly POLICY_MAX_CMPS comparisons in one clause is fine */
	parse_ok(
		&p,
		"read: arg0 == 0 && arg1 == 1 && arg2 == 2 && arg3 == 3 && arg4 == 4 && arg5 == 5");
	assert_int_equal(p.rules[0].n_clauses, 1);
	assert_int_equal(p.rules[0].clauses[0].n, POLICY_MAX_CMPS);
	assert_cmp(&p.rules[0].clauses[0].cmp[5], 5, POLICY_OP_EQ, 5);
	policy_release(&p);

	/* exactly POLICY_MAX_CLAUSES alternatives, as a set ... */
	n = (size_t)snprintf(text, sizeof(text), "read: arg0 in {");
	for (i = 0; i < POLICY_MAX_CLAUSES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%u", i ? ", " : "", i);
	snprintf(text + n, sizeof(text) - n, "}");
	parse_ok(&p, text);
	assert_int_equal(p.rules[0].n_clauses, POLICY_MAX_CLAUSES);
	assert_cmp(&p.rules[0].clauses[POLICY_MAX_CLAUSES - 1].cmp[0], 0, POLICY_OP_EQ,
		   POLICY_MAX_CLAUSES - 1);
	policy_release(&p);

	/* ... and as a product of two sets (8 x 8) */
	parse_ok(&p, "read: arg0 in {0,1,2,3,4,5,6,7} && arg1 in {0,1,2,3,4,5,6,7}");
	assert_int_equal(p.rules[0].n_clauses, 64);
	policy_release(&p);
}

/* ---- directives, includes, comments ---- */

static void test_include(void **state)
{
	struct policy p;
	const struct policy_rule *r;

	(void)state;
	parse_ok(&p, "read\n"
		     "@include inc/b   # why we include it\n"
		     "write");
	assert_int_equal(p.n_rules, 4);
	/* included rules carry the included file and their own lines */
	r = &p.rules[0];
	assert_string_equal(r->syscall, "read");
	assert_string_equal(p.files[r->file], "t.policy");
	assert_int_equal(r->line, 1);
	r = &p.rules[1];
	assert_string_equal(r->syscall, "mmap");
	assert_string_equal(p.files[r->file], "inc/b");
	assert_int_equal(r->line, 2);
	assert_int_equal(r->n_clauses, 1);
	r = &p.rules[2];
	assert_string_equal(r->syscall, "ioctl");
	assert_string_equal(p.files[r->file], "inc/b");
	assert_int_equal(r->line, 3);
	/* ... and the includer's line count goes on where it was */
	r = &p.rules[3];
	assert_string_equal(r->syscall, "write");
	assert_string_equal(p.files[r->file], "t.policy");
	assert_int_equal(r->line, 3);
	assert_int_equal(p.n_files, 2);
	policy_release(&p);
}

static void test_include_nested_and_twice(void **state)
{
	struct policy p;

	(void)state;
	/* nested: inc/nested includes inc/b */
	parse_ok(&p, "@include inc/nested\n");
	assert_int_equal(p.n_rules, 3);
	assert_string_equal(p.files[p.rules[0].file], "inc/b");
	assert_string_equal(p.files[p.rules[2].file], "inc/nested");
	assert_string_equal(p.rules[2].syscall, "futex");
	assert_int_equal(p.rules[2].line, 2);
	policy_release(&p);

	/* the same file twice, side by side, is no cycle, its name is
	 * recorded once, and its rules count once */
	parse_ok(&p, "@include inc/b\n@include inc/nested\n");
	assert_int_equal(p.n_rules, 3);
	assert_string_equal(p.files[p.rules[0].file], "inc/b");
	assert_string_equal(p.rules[2].syscall, "futex");
	assert_int_equal(p.n_files, 3);
	policy_release(&p);
}

static void test_duplicate_rule(void **state)
{
	(void)state;
	expect_error("read\nwrite\nread  # again\n",
		     "t.policy:3:1: ", "duplicate rule: line 1 of this file says the same");
	expect_error("ioctl: arg1 == KVM_RUN\nioctl: arg1 == 0xae80\n",
		     "t.policy:2:1: ", "duplicate rule: line 1");
}

static void test_include_depth_limit_ok(void **state)
{
	struct policy p;
	struct policy_error err;

	(void)state;
	/* deep/1 .. deep/9 is POLICY_MAX_INCLUDE_DEPTH includes deep: allowed */
	assert_int_equal(POLICY_MAX_INCLUDE_DEPTH, 8);
	policy_init(&p);
	assert_int_equal(policy_parse(&p, "deep/1", test_file_text("deep/1"), &x86_ops, &err), 0);
	assert_int_equal(p.n_rules, 1);
	assert_string_equal(p.files[p.rules[0].file], "deep/9");
	policy_release(&p);
}

static void test_arch_sections(void **state)
{
	struct policy p;
	struct policy_error err;
	const char *text = "@arch aarch64\n"
			   "nosuch_syscall: arg0 == 1\n" /* never resolved on x86_64 */
			   "mmap\n"
			   "@arch x86_64\n"
			   "read\n"
			   "@arch all\n"
			   "write\n";

	(void)state;
	parse_ok(&p, text);
	assert_int_equal(p.n_rules, 2);
	assert_string_equal(p.rules[0].syscall, "read");
	assert_int_equal(p.rules[0].line, 5);
	assert_string_equal(p.rules[1].syscall, "write");
	policy_release(&p);

	/* the same text built for aarch64 keeps the other sections; our
	 * table has no nosuch_syscall, so that now is an error */
	policy_init(&p);
	assert_int_equal(policy_parse(&p, "t.policy", text, &aarch64_ops, &err), -EINVAL);
	assert_string_equal(err.msg, "t.policy:2:1: unknown syscall 'nosuch_syscall'");
	assert_int_equal(p.n_rules, 0);
	assert_int_equal(policy_parse(&p, "t.policy",
				      text + strlen("@arch aarch64\nnosuch_syscall: arg0 == 1\n"),
				      &aarch64_ops, &err),
			 0);
	assert_int_equal(p.n_rules, 2);
	assert_string_equal(p.rules[0].syscall, "mmap");
	assert_string_equal(p.rules[1].syscall, "write");
	policy_release(&p);

	/* An included file's @arch ends with the file ... */
	parse_ok(&p, "@include arch/a64\nread\n");
	assert_int_equal(p.n_rules, 1);
	assert_string_equal(p.rules[0].syscall, "read");
	policy_release(&p);

	/* ... while the includer's section covers what it includes. */
	parse_ok(&p, "@arch aarch64\n@include inc/b\n@arch all\ngetpid\n");
	assert_int_equal(p.n_rules, 1);
	assert_string_equal(p.rules[0].syscall, "getpid");
	policy_release(&p);

	/* other arches' rules are still checked for syntax */
	expect_error("@arch aarch64\nread: arg0 ==", "t.policy:2:14: ",
		     "expected a number or a constant name");
}

static void test_comments(void **state)
{
	struct policy p;

	(void)state;
	parse_ok(&p, "# full-line comment\n"
		     "read\n" /* 2: right under a comment */
		     "\n"
		     "write\n"		 /* 4: after a blank line */
		     "mmap # trailing\n" /* 5: trailing comment */
		     "getpid\n"		 /* 6: a trailing comment is not a heading */
		     "   # indented comment\n"
		     "\tfutex: arg1 == 0# tight\n" /* 8 */
		     "# heading\n"
		     "@arch all\n"
		     "clone\n" /* 11: a directive in between */
		     "# heading of a block\n"
		     "execve\n"	  /* 13 */
		     "socket\n"); /* 14: the block shares its heading */
	assert_int_equal(p.n_rules, 8);
	assert_true(p.rules[0].commented);
	assert_false(p.rules[1].commented);
	assert_true(p.rules[2].commented);
	assert_false(p.rules[3].commented);
	assert_true(p.rules[4].commented);
	assert_int_equal(p.rules[4].n_clauses, 1);
	assert_false(p.rules[5].commented);
	assert_true(p.rules[6].commented);
	/* parser.c: "A block of rules under one comment shares it." */
	assert_string_equal(p.rules[7].syscall, "socket");
	assert_true(p.rules[7].commented);
	policy_release(&p);

	/* a comment above an @include does not comment the included rules,
	 * and the included file's own comments count */
	parse_ok(&p, "# heading\n@include inc/plain\n");
	assert_false(p.rules[0].commented);
	policy_release(&p);
	parse_ok(&p, "@include inc/b\n");
	assert_true(p.rules[0].commented);
	assert_true(p.rules[1].commented);
	policy_release(&p);

	/* '#' ends the rule wherever it stands */
	parse_ok(&p, "read: arg0 == 1 # == 2 || nonsense\n");
	assert_int_equal(p.rules[0].n_clauses, 1);
	policy_release(&p);
}

static void test_files_across_calls(void **state)
{
	struct policy p;
	struct policy_error err;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_parse(&p, "one", "read", &x86_ops, &err), 0);
	assert_int_equal(policy_parse(&p, "two", "write\n@include inc/b", &x86_ops, &err), 0);
	assert_int_equal(policy_parse(&p, "one", "getpid", &x86_ops, &err), 0);
	assert_int_equal(p.n_rules, 5);
	assert_int_equal(p.n_files, 3);
	assert_string_equal(p.files[p.rules[0].file], "one");
	assert_string_equal(p.files[p.rules[1].file], "two");
	assert_string_equal(p.files[p.rules[2].file], "inc/b");
	assert_string_equal(p.files[p.rules[4].file], "one");
	assert_int_equal(p.rules[4].file, p.rules[0].file);
	/* a success leaves no stale message behind */
	strcpy(err.msg, "stale");
	assert_int_equal(policy_parse(&p, "three", "", &x86_ops, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(p.n_rules, 5);
	policy_release(&p);
	/* released means empty, and releasing twice is harmless */
	assert_null(p.rules);
	assert_int_equal(p.n_rules, 0);
	policy_release(&p);
	policy_release(NULL);
}

static void test_no_include_hook(void **state)
{
	static const struct policy_ops bare = {
		.resolve_syscall = resolve_test,
		.arch = POLICY_ARCH_X86_64,
	};
	struct policy p;
	struct policy_error err;

	(void)state;
	policy_init(&p);
	assert_int_equal(policy_parse(&p, "t.policy", "@include inc/b", &bare, &err), -EINVAL);
	assert_string_equal(err.msg, "t.policy:1:10: cannot include 'inc/b': not found");
	policy_release(&p);
}

/* ---- errors ---- */

static void test_error_unknown_names(void **state)
{
	(void)state;
	expect_error("nosuch", "t.policy:1:1: ", "unknown syscall 'nosuch'");
	expect_error("read\n  nosuch: arg0 == 1", "t.policy:2:3: ", "unknown syscall 'nosuch'");
	expect_error("ioctl: arg1 == KVM_NOPE", "t.policy:1:16: ", "unknown constant 'KVM_NOPE'");
	expect_error("ioctl: arg1 in {KVM_RUN, KVM_NOPE}",
		     "t.policy:1:26: ", "unknown constant 'KVM_NOPE'");
	expect_error("mmap: arg2 & PROT_NOPE == 0",
		     "t.policy:1:14: ", "unknown constant 'PROT_NOPE'");
	/* constants are case-sensitive, like the C names */
	expect_error("mmap: arg2 == prot_exec", "t.policy:1:15: ", "unknown constant 'prot_exec'");
	expect_error("@frobnicate x", "t.policy:1:2: ", "unknown directive '@frobnicate'");
	expect_error("read\n\n  @frob x", "t.policy:3:4: ", "unknown directive '@frob'");
	expect_error("@arch mips", "t.policy:1:7: ", "unknown architecture 'mips'");
	expect_error("@arch", "t.policy:1:6: ", "unknown architecture");
	expect_error("@arch all x", "t.policy:1:11: ", "unexpected text after @arch");
	expect_error("read -> return EFOO", "t.policy:1:16: ", "unknown errno 'EFOO'");
	/* a constant that is no errno */
	expect_error("read -> return KVM_RUN", "t.policy:1:16: ", "unknown errno 'KVM_RUN'");
	expect_error("read -> return",
		     "t.policy:1:15: ", "expected an errno name or number after 'return'");
	expect_error("read -> permit", "t.policy:1:9: ",
		     "expected an action (allow, log, trap, return ERRNO, emulate_sigmask), found "
		     "'permit'");
	expect_error("read ->", "t.policy:1:8: ", "expected an action");
	expect_error("read -> ALLOW", "t.policy:1:9: ", "found 'ALLOW'");
}

static void test_error_numbers(void **state)
{
	(void)state;
	expect_error("read: arg0 == 12abc", "t.policy:1:15: ", "bad number '12a'");
	expect_error("read: arg0 == 0x", "t.policy:1:15: ", "bad number '0x'");
	expect_error("read: arg0 == 09", "t.policy:1:15: ", "bad number '09'");
	/* 2^64 does not fit */
	expect_error("read: arg0 == 18446744073709551616",
		     "t.policy:1:15: ", "bad number '18446744073709551616'");
	expect_error("read: arg0 == -x", "t.policy:1:15: ", "expected a number after '-'");
	expect_error("read: arg0 == ,", "t.policy:1:15: ", "expected a number or a constant name");
	expect_error("read -> return 12x", "t.policy:1:16: ", "bad number '12x'");
	expect_error("read -> return 4096", "t.policy:1:16: ", "errno 4096 out of range 1..4095");
	expect_error("read -> return 0", "t.policy:1:16: ", "errno 0 out of range 1..4095");
	expect_error("read -> return 0x1000", "t.policy:1:16: ", "errno 4096 out of range");
}

static void test_error_syntax(void **state)
{
	(void)state;
	expect_error("read: (arg0 == 1 || arg0 == 2",
		     "t.policy:1:30: ", "expected ')' to close the '(' at column 7");
	expect_error("read: arg0 == (1|2",
		     "t.policy:1:19: ", "expected ')' to close the value opened at column 15");
	expect_error("read: arg0 in {1, 2", "t.policy:1:20: ", "expected ',' or '}' in the set");
	expect_error("read: arg0 in {1 2}", "t.policy:1:18: ", "expected ',' or '}' in the set");
	expect_error("read: arg0 in 1", "t.policy:1:15: ", "expected '{' after 'in'");
	expect_error("read: arg0 1",
		     "t.policy:1:12: ", "expected a comparison operator (== != < <= > >= in)");
	expect_error("read: arg0", "t.policy:1:11: ", "expected a comparison operator");
	expect_error("read: arg0 = 1", "t.policy:1:12: ", "expected a comparison operator");
	expect_error("read: arg0 & 3 in {1}",
		     "t.policy:1:16: ", "'in' cannot follow a mask; write '& MASK == VALUE'");
	expect_error("read: arg0 & 3 != 1", "t.policy:1:16: ", "a masked comparison must use '=='");
	expect_error("read: arg0 & 3 < 1", "t.policy:1:16: ", "a masked comparison must use '=='");
	expect_error("read: arg0 & 3 >= 1", "t.policy:1:16: ", "a masked comparison must use '=='");
	expect_error("read: foo == 1",
		     "t.policy:1:7: ", "expected arg0..arg5, '(' or a comparison, found 'foo'");
	expect_error("read: arg6 == 1", "t.policy:1:7: ", "found 'arg6'");
	expect_error("read: arg00 == 1", "t.policy:1:7: ", "found 'arg00'");
	expect_error("read:", "t.policy:1:6: ", "expected arg0..arg5");
	expect_error(": arg0 == 1", "t.policy:1:1: ", "expected a syscall name");
	expect_error("read extra", "t.policy:1:6: ", "expected ':', '->' or the end of the line");
	expect_error("read: arg0 == 1 junk",
		     "t.policy:1:17: ", "expected '&&', '||', '->' or the end of the line");
	expect_error("read: arg0 == 1 -> allow now",
		     "t.policy:1:26: ", "expected the end of the line after the action");
	expect_error("read -> allow now",
		     "t.policy:1:15: ", "expected the end of the line after the action");
	expect_error("read -> return EPERM 1",
		     "t.policy:1:22: ", "expected the end of the line after the action");
	expect_error("read0123456789012345678901234567890123456",
		     "t.policy:1:1: ", "syscall name too long");
}

static void test_error_limits(void **state)
{
	char text[2048], where[64];
	const char *at;
	size_t n;
	unsigned int i;

	(void)state;
	/* the seventh comparison of a clause, at the '&&' that adds it */
	expect_error("read: arg0 == 0 && arg1 == 1 && arg2 == 2 && arg3 == 3 && arg4 == 4 && arg5 "
		     "== 5 && arg0 == 6",
		     "t.policy:1:82: ", "more than 6 comparisons ANDed together");
	/* ... also when two parenthesised groups are multiplied */
	expect_error("read: (arg0 == 1 && arg1 == 1 && arg2 == 1) && (arg3 == 1 && arg4 == 1 && "
		     "arg5 == 1 && arg0 == 2)",
		     "t.policy:1:45: ", "more than 6 comparisons ANDed together");

	/* 65 alternatives as a set: reported at the compared argument */
	n = (size_t)snprintf(text, sizeof(text), "read: arg0 in {");
	for (i = 0; i <= POLICY_MAX_CLAUSES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%u", i ? ", " : "", i);
	snprintf(text + n, sizeof(text) - n, "}");
	expect_error(text, "t.policy:1:7: ", "condition too complex: more than 64 alternatives");

	/* 65 alternatives ORed: at the last '||' */
	n = (size_t)snprintf(text, sizeof(text), "read: ");
	for (i = 0; i <= POLICY_MAX_CLAUSES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sarg0 == %u", i ? " || " : "",
				      i);
	at = strrchr(text, '|') - 1;
	where_at(where, sizeof(where), 1, text, at);
	expect_error(text, where, "more than 64 alternatives");

	/* 9 x 8 alternatives from a product: at the '&&' */
	snprintf(text, sizeof(text),
		 "read: arg0 in {0,1,2,3,4,5,6,7,8} && arg1 in {0,1,2,3,4,5,6,7}");
	where_at(where, sizeof(where), 1, text, strstr(text, "&&"));
	expect_error(text, where, "more than 64 alternatives");
}

static void test_error_includes(void **state)
{
	(void)state;
	/* a includes b includes a: reported where b includes a */
	expect_error_in("cyc/a", test_file_text("cyc/a"), "cyc/b:3:10: ", "include cycle: 'cyc/a'");
	/* entering the cycle from outside it */
	expect_error("@include cyc/b", "cyc/a:2:10: ", "include cycle: 'cyc/b'");
	expect_error("\n@include t.policy", "t.policy:2:10: ", "include cycle: 't.policy'");
	expect_error("read\n@include nope",
		     "t.policy:2:10: ", "cannot include 'nope': no such test file");
	expect_error("@include", "t.policy:1:9: ", "expected a file name after @include");
	expect_error("@include inc/b junk",
		     "t.policy:1:16: ", "unexpected text after the include name");
	/* nine nested includes: refused where the ninth would be */
	expect_error_in("deep/0", test_file_text("deep/0"),
			"deep/8:1:10: ", "includes nested deeper than 8");
	/* an error inside an included file names that file and line */
	expect_error("read\n@include bad/inner\n", "bad/inner:2:16: ", "unknown constant 'nope'");
}

/* On error *p keeps exactly the rules it had, whatever the failing call
 * had added (its own lines and included files) before the error. */
static void test_error_rolls_back(void **state)
{
	struct policy p;
	struct policy_error err;
	static const char *const bad[] = {
		"write\nmmap: arg2 & PROT_EXEC == 0\nnosuch\n",
		"write\n@include inc/nested\nread -> return 5000\n",
		"write\n@include bad/inner\n",
		"write\n@include cyc/a\n",
		"@include deep/0\n",
	};
	size_t i;

	(void)state;
	policy_init(&p);
	assert_int_equal(
		policy_parse(&p, "first", "read: arg0 == 1 || arg1 == 2 # kept", &x86_ops, &err),
		0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = policy_parse(&p, "second", bad[i], &x86_ops, &err);

		if (rc != -EINVAL || p.n_rules != 1) {
			size_t n = p.n_rules;

			policy_release(&p);
			fail_msg("\"%s\": rc %d, %zu rules after the error; want -EINVAL, 1",
				 bad[i], rc, n);
		}
		assert_string_equal(p.rules[0].syscall, "read");
		assert_int_equal(p.rules[0].n_clauses, 2);
		assert_true(p.rules[0].clauses[1].cmp[0].value == 2);
		assert_true(p.rules[0].commented);
		assert_string_equal(p.files[p.rules[0].file], "first");
	}
	/* and it still takes more rules afterwards */
	assert_int_equal(policy_parse(&p, "third", "write", &x86_ops, &err), 0);
	assert_int_equal(p.n_rules, 2);
	assert_string_equal(p.rules[1].syscall, "write");
	assert_string_equal(p.files[p.rules[1].file], "third");
	policy_release(&p);
}

/* ---- the model ---- */

/* The runtime values the model evaluates $pid with, here. */
static const struct policy_runtime rt = { .pid = 4242 };

static bool matches(const struct policy_rule *r, unsigned int arg, uint64_t v)
{
	uint64_t args[6] = { 0 };

	args[arg] = v;
	return policy_rule_matches(r, args, &rt);
}

static void test_matches_unsigned(void **state)
{
	struct policy p;
	const struct policy_rule *r;
	const uint64_t v = 10;

	(void)state;
	parse_ok(&p, "read: arg3 == 10\n"
		     "read: arg3 != 10\n"
		     "read: arg3 < 10\n"
		     "read: arg3 <= 10\n"
		     "read: arg3 > 10\n"
		     "read: arg3 >= 10\n"
		     "read\n");
	assert_int_equal(p.n_rules, 7);
	r = p.rules;
	/* ==: 0, v-1, v, v+1, UINT64_MAX */
	assert_false(matches(&r[0], 3, 0));
	assert_false(matches(&r[0], 3, v - 1));
	assert_true(matches(&r[0], 3, v));
	assert_false(matches(&r[0], 3, v + 1));
	assert_false(matches(&r[0], 3, UINT64_MAX));
	/* the same value in another argument does not count */
	assert_false(matches(&r[0], 2, v));
	/* != */
	assert_true(matches(&r[1], 3, 0));
	assert_true(matches(&r[1], 3, v - 1));
	assert_false(matches(&r[1], 3, v));
	assert_true(matches(&r[1], 3, v + 1));
	assert_true(matches(&r[1], 3, UINT64_MAX));
	/* < : UINT64_MAX is large, not -1 */
	assert_true(matches(&r[2], 3, 0));
	assert_true(matches(&r[2], 3, v - 1));
	assert_false(matches(&r[2], 3, v));
	assert_false(matches(&r[2], 3, v + 1));
	assert_false(matches(&r[2], 3, UINT64_MAX));
	/* <= */
	assert_true(matches(&r[3], 3, 0));
	assert_true(matches(&r[3], 3, v - 1));
	assert_true(matches(&r[3], 3, v));
	assert_false(matches(&r[3], 3, v + 1));
	assert_false(matches(&r[3], 3, UINT64_MAX));
	/* > */
	assert_false(matches(&r[4], 3, 0));
	assert_false(matches(&r[4], 3, v - 1));
	assert_false(matches(&r[4], 3, v));
	assert_true(matches(&r[4], 3, v + 1));
	assert_true(matches(&r[4], 3, UINT64_MAX));
	/* >= */
	assert_false(matches(&r[5], 3, 0));
	assert_false(matches(&r[5], 3, v - 1));
	assert_true(matches(&r[5], 3, v));
	assert_true(matches(&r[5], 3, v + 1));
	assert_true(matches(&r[5], 3, UINT64_MAX));
	/* unconditional */
	assert_true(matches(&r[6], 3, 0));
	assert_true(matches(&r[6], 5, UINT64_MAX));
	policy_release(&p);
}

static void test_matches_64bit(void **state)
{
	struct policy p;
	const struct policy_rule *r;

	(void)state;
	/* mmap's arguments are unsigned longs: compared on 64 bits */
	parse_ok(&p, "mmap: arg0 == -100\n"
		     "mmap: arg0 > 0x7fffffffffffffff\n"
		     "mmap: arg0 >= -1\n"
		     "mmap: arg0 < -1\n"
		     "mmap: arg1 & 0xffffffff00000000 == 0\n");
	r = p.rules;
	/* -100 is the 64-bit pattern, not its 32-bit truncation */
	assert_true(matches(&r[0], 0, (uint64_t)-100));
	assert_false(matches(&r[0], 0, (uint32_t)-100));
	assert_false(matches(&r[0], 0, 100));
	/* comparisons are unsigned: the sign bit makes a value large */
	assert_true(matches(&r[1], 0, 0x8000000000000000ull));
	assert_true(matches(&r[1], 0, UINT64_MAX));
	assert_false(matches(&r[1], 0, 0x7fffffffffffffffull));
	assert_false(matches(&r[1], 0, 1));
	assert_true(matches(&r[2], 0, UINT64_MAX));
	assert_false(matches(&r[2], 0, UINT64_MAX - 1));
	assert_false(matches(&r[3], 0, UINT64_MAX));
	assert_true(matches(&r[3], 0, UINT64_MAX - 1));
	assert_true(matches(&r[3], 0, 0));
	/* the upper half of a 64-bit argument is compared too */
	assert_true(matches(&r[4], 1, 0xffffffffull));
	assert_false(matches(&r[4], 1, 0x100000000ull));
	assert_false(matches(&r[4], 1, UINT64_MAX));
	policy_release(&p);
}

/*
 * Syscalls newer than libseccomp 2.5.4 (policy/syscalls.c): numbered as the
 * kernel numbers them, the same on every arch, ascending after 456; where
 * the build's libseccomp knows a name, it agrees.
 */
static void test_newer_syscalls(void **state)
{
	static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, SCMP_ARCH_X86 };
	int nr, prev = 456;
	size_t a;

	(void)state;
	assert_int_equal(policy_newer_syscall_nr("mseal"), 462);
	assert_int_equal(policy_newer_syscall_nr("statmount"), 457);
	assert_int_equal(policy_newer_syscall_nr("file_setattr"), 469);
	assert_int_equal(policy_newer_syscall_nr("read"), -1); /* libseccomp's */
	assert_int_equal(policy_newer_syscall_nr(NULL), -1);
	assert_string_equal(policy_newer_syscall_name(462), "mseal");
	assert_null(policy_newer_syscall_name(456));
	assert_null(policy_newer_syscall_name(470));
	assert_int_equal(policy_newer_syscall_max(), 469);
	for (nr = 457; nr <= policy_newer_syscall_max(); nr++) {
		const char *name = policy_newer_syscall_name(nr);

		assert_non_null(name); /* no hole: every number up to the max */
		assert_int_equal(policy_newer_syscall_nr(name), nr);
		assert_true(nr > prev);
		prev = nr;
		for (a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
			int lib = seccomp_syscall_resolve_name_arch(arches[a], name);

			if (lib >= 0)
				assert_int_equal(lib, nr);
		}
	}
}

/*
 * Arguments the kernel reads as 32 bits (policy_arg_narrow): constants must
 * fit them (or be a sign-extended negative int) and are compared on the low
 * word; a constant that could not be compared as written is an error at its
 * own column.
 */
static void test_narrow_args(void **state)
{
	struct policy p;
	const struct policy_rule *r;

	(void)state;
	assert_true(policy_args_table_sorted());
	assert_true(policy_arg_narrow("ioctl", 0));
	assert_true(policy_arg_narrow("ioctl", 1));
	assert_false(policy_arg_narrow("ioctl", 2)); /* unsigned long arg */
	assert_true(policy_arg_narrow("futex", 5));  /* u32 val3 */
	assert_false(policy_arg_narrow("futex", 0)); /* a pointer */
	assert_false(policy_arg_narrow("mmap", 2));  /* unsigned long prot */
	assert_false(policy_arg_narrow("clone", 0)); /* unsigned long flags */
	assert_true(policy_arg_narrow("write", 0));
	assert_true(policy_arg_narrow("tgkill", 0)); /* pid_t tgid: $pid */
	assert_true(policy_arg_narrow("rt_tgsigqueueinfo", 0));
	assert_true(policy_arg_narrow("landlock_restrict_self", 1)); /* u32 flags */
	assert_false(policy_arg_narrow("write", 6));
	assert_false(policy_arg_narrow("nosuch", 0));
	assert_false(policy_arg_narrow(NULL, 0));

	/* the findings that were silently truncated */
	expect_error("read: arg0 > 0x100000000", "t.policy:1:14: ",
		     "value 0x100000000 does not fit arg0 of read, which the kernel reads as 32 "
		     "bits");
	expect_error("futex: arg1 == 0x100000001",
		     "t.policy:1:16: ", "value 0x100000001 does not fit arg1");
	expect_error("socket: arg1 >= 0x100000000",
		     "t.policy:1:17: ", "does not fit arg1 of socket");
	expect_error("ioctl: arg1 < 0x100000000 -> return 111",
		     "t.policy:1:15: ", "does not fit arg1");
	/* in a set, at the value that does not fit; a mask likewise */
	expect_error("ioctl: arg1 in {KVM_RUN, 0x1ae80}\nioctl: arg1 in {1, 0x100000000}",
		     "t.policy:2:20: ", "value 0x100000000 does not fit");
	expect_error("madvise: arg2 & 0x1ffffffff == 4",
		     "t.policy:1:17: ", "mask 0x1ffffffff does not fit");
	/* the smallest negative int that is not one */
	expect_error("tgkill: arg2 == 0xffffffff7fffffff",
		     "t.policy:1:17: ", "does not fit arg2 of tgkill");

	parse_ok(&p, "read: arg0 == -1\n"
		     "futex: arg1 & ~FUTEX_PRIVATE_FLAG == FUTEX_WAIT\n"
		     "ioctl: arg1 == 0xffffffff\n"
		     "tgkill: arg2 == -0x80000000\n"
		     "mmap: arg2 > 0x100000000\n");
	r = p.rules;
	/* -1 is the int -1: its low word */
	assert_true(r[0].clauses[0].cmp[0].low32);
	assert_true(r[0].clauses[0].cmp[0].value == 0xffffffffu);
	assert_true(r[1].clauses[0].cmp[0].mask == (uint32_t)~FUTEX_PRIVATE_FLAG);
	assert_true(r[3].clauses[0].cmp[0].value == 0x80000000u);
	/* a 64-bit argument keeps the constant whole */
	assert_false(r[4].clauses[0].cmp[0].low32);
	assert_true(r[4].clauses[0].cmp[0].value == 0x100000000ull);
	/* compared as the kernel reads the argument: its upper half ignored */
	assert_true(matches(&r[0], 0, 0xffffffffu));
	assert_true(matches(&r[0], 0, UINT64_MAX));
	assert_false(matches(&r[0], 0, 0xfffffffeu));
	assert_true(matches(&r[2], 1, 0xffffffffu | (5ull << 32)));
	assert_true(matches(&r[4], 2, 0x100000001ull));
	assert_false(matches(&r[4], 2, 0xffffffffull));
	policy_release(&p);
}

/* $pid: the process id, a runtime value. */
static void test_runtime_pid(void **state)
{
	struct policy p;
	const struct policy_rule *r;
	const struct policy_cmp *c;
	uint64_t args[6] = { 0 };
	const struct policy_runtime other = { .pid = 7 };

	(void)state;
	parse_ok(&p, "tgkill: arg0 == $pid && arg2 in {SIGUSR1, SIGABRT}\n"
		     "tgkill: arg0 != $pid -> return EPERM\n"
		     "tgkill: arg0==$pid\n");
	r = p.rules;
	assert_int_equal(r[0].n_clauses, 2);
	c = &r[0].clauses[0].cmp[0];
	assert_int_equal(c->src, POLICY_VALUE_PID);
	assert_int_equal(c->op, POLICY_OP_EQ);
	assert_true(c->low32 && c->value == 0);
	assert_int_equal(r[0].clauses[0].cmp[1].src, POLICY_VALUE_CONST);
	assert_int_equal(r[1].clauses[0].cmp[0].src, POLICY_VALUE_PID);
	assert_int_equal(r[1].clauses[0].cmp[0].op, POLICY_OP_NE);
	assert_int_equal(r[2].clauses[0].cmp[0].src, POLICY_VALUE_PID);
	/* evaluated with the runtime value given: a pid_t, its low word */
	args[0] = rt.pid;
	args[2] = SIGUSR1;
	assert_true(policy_rule_matches(&r[0], args, &rt));
	assert_false(policy_rule_matches(&r[0], args, &other));
	assert_false(policy_rule_matches(&r[1], args, &rt));
	assert_true(policy_rule_matches(&r[1], args, &other));
	args[0] = rt.pid | (1ULL << 32);
	assert_true(policy_rule_matches(&r[0], args, &rt));
	args[0] = rt.pid + 1;
	assert_false(policy_rule_matches(&r[0], args, &rt));
	assert_true(policy_rule_matches(&r[1], args, &rt));
	args[0] = rt.pid - 1;
	assert_false(policy_rule_matches(&r[0], args, &rt));
	args[0] = rt.pid;
	args[2] = SIGKILL;
	assert_false(policy_rule_matches(&r[0], args, &rt));
	assert_true(policy_cmp_value(c, &rt) == rt.pid);
	assert_true(policy_cmp_value(&r[0].clauses[0].cmp[1], &rt) == SIGUSR1);
	policy_release(&p);
	/* the same comparison with $pid is no duplicate of one with a constant */
	parse_ok(&p, "tgkill: arg0 == $pid\ntgkill: arg0 == 0\n");
	assert_int_equal(p.n_rules, 2);
	policy_release(&p);
	expect_error("tgkill: arg0 == $pid\ntgkill: arg0 == $pid\n",
		     "t.policy:2:1: ", "duplicate rule: line 1");

	/* only == and !=, whole, on an argument the kernel reads as 32 bits */
	expect_error("tgkill: arg0 < $pid",
		     "t.policy:1:16: ", "$pid is compared only with == or != (no order, no mask)");
	expect_error("tgkill: arg0 >= $pid", "t.policy:1:17: ", "compared only with == or !=");
	expect_error("tgkill: arg0 & 0xff == $pid",
		     "t.policy:1:24: ", "compared only with == or !=");
	expect_error(
		"mmap: arg1 == $pid", "t.policy:1:15: ",
		"$pid is a pid_t: arg1 of mmap is not an argument the kernel reads as 32 bits");
	expect_error("tgkill: arg0 in {1, $pid}", "t.policy:1:21: ",
		     "a runtime value cannot be in a set: write 'arg0 == $pid || arg0 in {...}'");
	expect_error("tgkill: arg0 == $pid | 1",
		     "t.policy:1:22: ", "$pid stands alone: it cannot be combined with a value");
	expect_error("tgkill: arg0 == ~$pid",
		     "t.policy:1:18: ", "a runtime value is a comparison's whole value");
	expect_error("tgkill: arg0 == ($pid)", "t.policy:1:18: ", "whole value");
	expect_error("tgkill: arg0 & $pid == 0", "t.policy:1:16: ", "whole value");
	/* unknown names */
	expect_error("tgkill: arg0 == $foo",
		     "t.policy:1:17: ", "unknown runtime value '$foo' (the one known is $pid)");
	expect_error("tgkill: arg0 == $PID", "t.policy:1:17: ", "unknown runtime value '$PID'");
	expect_error("tgkill: arg0 == $", "t.policy:1:17: ", "unknown runtime value '$'");
	expect_error("tgkill: arg0 == $pid2", "t.policy:1:17: ", "unknown runtime value '$pid2'");
	/* an unknown name comes first, whatever the operator */
	expect_error("tgkill: arg0 < $foo", "t.policy:1:16: ", "unknown runtime value '$foo'");
}

static void test_matches_masked_and_compound(void **state)
{
	struct policy p;
	const struct policy_rule *r;
	uint64_t args[6] = { 0 };

	(void)state;
	parse_ok(&p, "mmap: arg2 & PROT_EXEC == 0\n"
		     "futex: arg1 & ~(FUTEX_PRIVATE_FLAG|FUTEX_CLOCK_REALTIME) == FUTEX_WAIT\n"
		     "read: arg0 == 1 && arg5 == 2\n"
		     "read: arg0 == 1 || arg4 in {7, 8}\n");
	r = p.rules;
	assert_true(matches(&r[0], 2, PROT_READ | PROT_WRITE));
	assert_false(matches(&r[0], 2, PROT_READ | PROT_EXEC));
	assert_false(matches(&r[0], 2, UINT64_MAX));
	assert_true(matches(&r[0], 2, ~(uint64_t)PROT_EXEC));
	/* futex: the flags may vary, the operation may not */
	assert_true(matches(&r[1], 1, FUTEX_WAIT));
	assert_true(matches(&r[1], 1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG));
	assert_true(matches(&r[1], 1, FUTEX_WAIT | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME));
	assert_false(matches(&r[1], 1, FUTEX_WAKE));
	assert_false(matches(&r[1], 1, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG));
	/* futex's op is an int: the kernel never sees the upper half */
	assert_true(matches(&r[1], 1, FUTEX_WAIT | 0x100000000ull));
	/* AND needs both; arg5 is the sixth argument */
	args[0] = 1;
	assert_false(policy_rule_matches(&r[2], args, &rt));
	args[5] = 2;
	assert_true(policy_rule_matches(&r[2], args, &rt));
	args[0] = 0;
	assert_false(policy_rule_matches(&r[2], args, &rt));
	/* OR needs one */
	memset(args, 0, sizeof(args));
	assert_false(policy_rule_matches(&r[3], args, &rt));
	args[4] = 8;
	assert_true(policy_rule_matches(&r[3], args, &rt));
	args[4] = 9;
	assert_false(policy_rule_matches(&r[3], args, &rt));
	args[0] = 1;
	assert_true(policy_rule_matches(&r[3], args, &rt));
	policy_release(&p);
}

/*
 * Is the single clause of "SYSCALL: INNER" implied by "SYSCALL: OUTER"?
 * INNER NULL stands for an unconditional rule.
 */
static bool implied_as(const char *syscall, const char *inner, const char *outer)
{
	char text[512];
	struct policy pi, po;
	bool res;

	policy_init(&pi);
	if (inner) {
		snprintf(text, sizeof(text), "%s: %s", syscall, inner);
		parse_ok(&pi, text);
		assert_int_equal(pi.rules[0].n_clauses, 1);
	}
	if (outer) {
		snprintf(text, sizeof(text), "%s: %s", syscall, outer);
	} else {
		snprintf(text, sizeof(text), "%s", syscall);
	}
	parse_ok(&po, text);
	res = policy_clause_implied(inner ? &pi.rules[0].clauses[0] : NULL, &po.rules[0]);
	if (inner)
		policy_release(&pi);
	policy_release(&po);
	return res;
}

static bool implied(const char *inner, const char *outer)
{
	return implied_as("read", inner, outer);
}

static void test_clause_implied(void **state)
{
	(void)state;
	/* == */
	assert_true(implied("arg1 == 5", "arg1 == 5"));
	assert_true(implied("arg1 == 5", "arg1 in {4, 5, 6}"));
	assert_true(implied("arg1 == 5", "arg1 != 6"));
	assert_true(implied("arg1 == 5", "arg1 < 6"));
	assert_true(implied("arg1 == 5", "arg1 >= 5"));
	assert_false(implied("arg1 == 5", "arg1 == 6"));
	assert_false(implied("arg1 == 5", "arg1 != 5"));
	assert_false(implied("arg1 == 5", "arg1 < 5"));
	assert_false(implied("arg1 == 5", "arg2 == 5"));
	/* == implies a mask it agrees with */
	assert_true(implied("arg2 == 3", "arg2 & PROT_EXEC == 0"));
	assert_false(implied("arg2 == 7", "arg2 & PROT_EXEC == 0"));
	/* masks: a narrower mask within the inner one, agreeing values */
	assert_true(implied("arg2 & 0xff == 3", "arg2 & 0xff == 3"));
	assert_true(implied("arg2 & 0xff == 3", "arg2 & 0xf == 3"));
	assert_true(implied("arg2 & 0xff == 0x13", "arg2 & 0xf == 3"));
	assert_false(implied("arg2 & 0xff == 3", "arg2 & 0x1ff == 3"));
	assert_false(implied("arg2 & 0xff == 3", "arg2 & 0xf == 2"));
	assert_false(implied("arg2 & 0xff == 3", "arg2 == 3"));
	/* < and <= at the boundaries */
	assert_true(implied("arg0 < 10", "arg0 <= 9"));
	assert_false(implied("arg0 < 11", "arg0 <= 9"));
	assert_true(implied("arg0 <= 9", "arg0 < 10"));
	assert_false(implied("arg0 <= 10", "arg0 < 10"));
	assert_true(implied("arg0 < 10", "arg0 < 11"));
	assert_true(implied("arg0 < 10", "arg0 < 10"));
	assert_false(implied("arg0 < 10", "arg0 < 9"));
	assert_true(implied("arg0 <= 9", "arg0 <= 10"));
	assert_false(implied("arg0 <= 10", "arg0 <= 9"));
	assert_false(implied("arg0 <= 10", "arg0 >= 0x10"));
	/* > and >= at the boundaries, up to UINT64_MAX */
	assert_true(implied("arg0 > 9", "arg0 >= 10"));
	assert_false(implied("arg0 > 8", "arg0 >= 10"));
	assert_true(implied("arg0 >= 10", "arg0 > 9"));
	assert_false(implied("arg0 >= 9", "arg0 > 9"));
	assert_true(implied("arg0 > 10", "arg0 > 9"));
	assert_false(implied("arg0 > 9", "arg0 > 10"));
	assert_true(implied("arg0 > 0xfffffffffffffffe", "arg0 >= -1"));
	assert_true(implied("arg0 >= -1", "arg0 > 0xfffffffffffffffe"));
	assert_false(implied("arg0 >= 0xfffffffffffffffe", "arg0 > 0xfffffffffffffffe"));
	/* != only implies itself */
	assert_true(implied("arg0 != 5", "arg0 != 5"));
	assert_false(implied("arg0 != 5", "arg0 != 6"));
	/* conjunctions: a stronger inner clause is covered, a weaker not; a
	 * clause without a condition on an arg is not implied by one that
	 * needs it */
	assert_true(implied("arg0 == 1 && arg1 == 2", "arg1 == 2"));
	assert_true(implied("arg0 == 1 && arg1 == 2", "arg1 == 2 && arg0 < 2"));
	assert_false(implied("arg1 == 2", "arg0 == 1 && arg1 == 2"));
	assert_false(implied("arg0 == 1 && arg1 == 3", "arg0 == 1 && arg1 == 2"));
	/* one of the outer alternatives suffices */
	assert_true(implied("arg0 == 1", "arg0 == 2 || arg0 == 1"));
	assert_true(implied("arg0 == 2 && arg3 == 0", "arg0 == 1 || arg3 <= 0"));
	/* $pid implies and is implied by the same comparison only: its value
	 * is not known when the policy is checked */
	assert_true(implied_as("tgkill", "arg0 == $pid", "arg0 == $pid"));
	assert_true(implied_as("tgkill", "arg0 != $pid", "arg0 != $pid"));
	assert_true(implied_as("tgkill", "arg0 == $pid && arg2 == 10", "arg0 == $pid"));
	assert_true(implied_as("tgkill", "arg0 == $pid && arg2 == 10",
			       "arg0 == $pid && arg2 in {10, 12}"));
	assert_true(implied_as("tgkill", "arg0 == $pid", "arg0 == 5 || arg0 == $pid"));
	assert_false(implied_as("tgkill", "arg0 == $pid", "arg0 != $pid"));
	assert_false(implied_as("tgkill", "arg0 != $pid", "arg0 == $pid"));
	assert_false(implied_as("tgkill", "arg0 == $pid", "arg0 == 0"));
	assert_false(implied_as("tgkill", "arg0 == 0", "arg0 == $pid"));
	assert_false(implied_as("tgkill", "arg0 == 5", "arg0 != $pid"));
	assert_false(implied_as("tgkill", "arg0 == $pid", "arg0 != 5"));
	assert_false(implied_as("tgkill", "arg0 == $pid", "arg0 < 0xffffffff"));
	assert_false(implied_as("tgkill", "arg0 == $pid", "arg1 == $pid"));
	assert_false(implied_as("tgkill", "arg2 == 10", "arg0 == $pid && arg2 == 10"));
	assert_true(implied_as("tgkill", "arg0 == $pid", NULL));
	/* unconditional rules */
	assert_true(implied(NULL, NULL));
	assert_true(implied("arg0 == 1", NULL));
	assert_false(implied(NULL, "arg0 == 1"));
	assert_false(implied(NULL, "arg0 == 1 || arg0 != 1"));
}

/* Field by field: the clause's padding and unused slots are not ours. */
static void assert_clause_equal(const struct policy_clause *a, const struct policy_clause *b)
{
	unsigned int i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->cmp[i].arg, b->cmp[i].arg);
		assert_int_equal(a->cmp[i].op, b->cmp[i].op);
		assert_int_equal(a->cmp[i].src, b->cmp[i].src);
		assert_true(a->cmp[i].value == b->cmp[i].value);
		if (a->cmp[i].op == POLICY_OP_MASKED_EQ)
			assert_true(a->cmp[i].mask == b->cmp[i].mask);
	}
}

static void test_rule_format(void **state)
{
	struct policy p, again;
	char buf[256], text[300], small[8];
	const char *want;
	size_t n, i;

	(void)state;
	parse_ok(&p, "ioctl: arg1 == KVM_RUN || arg2 & PROT_EXEC == 0 && arg0 >= 3\n"
		     "read: arg0 != 1 && arg1 < 2 && arg2 <= 3 && arg3 > 4 && arg5 == -1\n"
		     "read\n"
		     "futex: arg4 & 0xff == 0x81\n");
	want = "arg1 == 0xae80 || arg2 & 0x4 == 0 && arg0 >= 0x3";
	n = policy_rule_format(&p.rules[0], buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	want = "arg0 != 0x1 && arg1 < 0x2 && arg2 <= 0x3 && arg3 > 0x4 && arg5 == "
	       "0xffffffffffffffff";
	n = policy_rule_format(&p.rules[1], buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	/* a masked comparison shows both mask and value */
	n = policy_rule_format(&p.rules[3], buf, sizeof(buf));
	assert_string_equal(buf, "arg4 & 0xff == 0x81");
	assert_int_equal(n, strlen(buf));
	/* the text parses back into the same clauses */
	for (i = 0; i < p.n_rules; i++) {
		unsigned int c;

		if (!p.rules[i].n_clauses)
			continue;
		policy_rule_format(&p.rules[i], buf, sizeof(buf));
		snprintf(text, sizeof(text), "read: %s", buf);
		parse_ok(&again, text);
		assert_int_equal(again.rules[0].n_clauses, p.rules[i].n_clauses);
		for (c = 0; c < p.rules[i].n_clauses; c++)
			assert_clause_equal(&again.rules[0].clauses[c], &p.rules[i].clauses[c]);
		policy_release(&again);
	}
	/* unconditional: empty */
	strcpy(buf, "junk");
	assert_int_equal(policy_rule_format(&p.rules[2], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* truncation: NUL-terminated prefix, full length returned */
	want = "arg1 == 0xae80 || arg2 & 0x4 == 0 && arg0 >= 0x3";
	assert_int_equal(policy_rule_format(&p.rules[0], small, sizeof(small)), strlen(want));
	assert_string_equal(small, "arg1 ==");
	/* sizing call */
	assert_int_equal(policy_rule_format(&p.rules[0], NULL, 0), strlen(want));
	policy_release(&p);

	/* a runtime value is written by its name, and parses back */
	parse_ok(&p, "tgkill: arg0 == $pid && arg2 == SIGUSR1 || arg0 != $pid && arg1 == 3\n");
	want = "arg0 == $pid && arg2 == 0xa || arg0 != $pid && arg1 == 0x3";
	n = policy_rule_format(&p.rules[0], buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	snprintf(text, sizeof(text), "tgkill: %s", buf);
	parse_ok(&again, text);
	assert_int_equal(again.rules[0].n_clauses, 2);
	for (i = 0; i < 2; i++)
		assert_clause_equal(&again.rules[0].clauses[i], &p.rules[0].clauses[i]);
	policy_release(&again);
	policy_release(&p);
}

static void test_append_deep_copy(void **state)
{
	struct policy src, dst;
	struct policy_error err;
	const struct policy_rule *r;

	(void)state;
	policy_init(&src);
	assert_int_equal(policy_parse(&src, "src", "read: arg0 in {1, 2}\n@include inc/b\ngetpid",
				      &x86_ops, &err),
			 0);
	assert_int_equal(src.n_rules, 4);
	policy_init(&dst);
	assert_int_equal(policy_parse(&dst, "dst", "write # why", &x86_ops, &err), 0);
	assert_int_equal(policy_append(&dst, &src), 0);
	/* the copy must not share the source's storage */
	assert_ptr_not_equal(dst.rules[1].clauses, src.rules[0].clauses);
	policy_release(&src);

	assert_int_equal(dst.n_rules, 5);
	assert_int_equal(dst.n_files, 3);
	r = &dst.rules[0];
	assert_string_equal(dst.files[r->file], "dst");
	assert_true(r->commented);
	r = &dst.rules[1];
	assert_string_equal(r->syscall, "read");
	assert_string_equal(dst.files[r->file], "src");
	assert_int_equal(r->n_clauses, 2);
	assert_true(r->clauses[1].cmp[0].value == 2);
	r = &dst.rules[2];
	assert_string_equal(r->syscall, "mmap");
	assert_string_equal(dst.files[r->file], "inc/b");
	assert_int_equal(r->line, 2);
	assert_true(r->clauses[0].cmp[0].mask == PROT_EXEC);
	r = &dst.rules[3];
	assert_true(r->clauses[0].cmp[0].value == KVM_RUN);
	r = &dst.rules[4];
	assert_int_equal(r->n_clauses, 0);
	assert_null(r->clauses);
	assert_string_equal(dst.files[r->file], "src");

	/* appending again reuses the file names */
	policy_init(&src);
	assert_int_equal(policy_parse(&src, "dst", "mmap", &x86_ops, &err), 0);
	assert_int_equal(policy_append(&dst, &src), 0);
	policy_release(&src);
	assert_int_equal(dst.n_rules, 6);
	assert_int_equal(dst.n_files, 3);
	assert_int_equal(dst.rules[5].file, dst.rules[0].file);
	/* an empty source adds nothing */
	policy_init(&src);
	assert_int_equal(policy_append(&dst, &src), 0);
	assert_int_equal(dst.n_rules, 6);
	policy_release(&dst);
}

/* ---- constant tables ---- */

static void test_constants(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(policy_constant("KVM_RUN", 7, &v));
	assert_true(v == 0xae80);
	/* the length delimits the name: parsing hands in a slice of a line */
	assert_true(policy_constant("KVM_RUN_AND_MORE", 7, &v));
	assert_true(v == 0xae80);
	assert_false(policy_constant("KVM_RU", 6, &v));
	assert_false(policy_constant("KVM_RUNX", 8, &v));
	assert_false(policy_constant("kvm_run", 7, &v));
	assert_false(policy_constant("", 0, &v));
	assert_true(policy_constant("PROT_EXEC", 9, &v));
	assert_true(v == PROT_EXEC);
	assert_true(policy_constant("CLONE_THREAD", 12, &v));
	assert_true(v == CLONE_THREAD);
	assert_true(policy_constant("AF_UNIX", 7, &v));
	assert_true(v == AF_UNIX);
	assert_true(policy_constant("FUTEX_WAIT", 10, &v));
	assert_true(v == FUTEX_WAIT);
	assert_true(policy_constant("SIGSYS", 6, &v));
	assert_true(v == SIGSYS);
	assert_true(policy_constant("SIG_BLOCK", 9, &v));
	assert_true(v == SIG_BLOCK);
	assert_true(policy_constant("MADV_DONTNEED", 13, &v));
	assert_true(v == MADV_DONTNEED);
	/* errno names are constants too */
	assert_true(policy_constant("EPERM", 5, &v));
	assert_true(v == EPERM);
	/* ioctl numbers are the kernel's unsigned int, never sign-extended */
	assert_true(policy_constant("TCGETS2", 7, &v));
	assert_true(v == 0x802c542a);
	/* each architecture's own names, known on it only, whatever the build */
	assert_true(policy_constant_arch("KVM_GET_MSR_INDEX_LIST", 22, POLICY_ARCH_X86_64, &v));
	assert_true(v == 0xc004ae02);
	assert_false(policy_constant_arch("KVM_GET_MSR_INDEX_LIST", 22, POLICY_ARCH_AARCH64, &v));
	assert_true(policy_constant_arch("KVM_ARM_VCPU_INIT", 17, POLICY_ARCH_AARCH64, &v));
	assert_true(v == 0x4020aeae);
	assert_false(policy_constant_arch("KVM_ARM_VCPU_INIT", 17, POLICY_ARCH_X86_64, &v));
	/* O_DIRECTORY is one name with two values */
	assert_true(policy_constant_arch("O_DIRECTORY", 11, POLICY_ARCH_X86_64, &v));
	assert_true(v == 0200000);
	assert_true(policy_constant_arch("O_DIRECTORY", 11, POLICY_ARCH_AARCH64, &v));
	assert_true(v == 040000);
	assert_true(policy_constant("O_DIRECTORY", 11, &v));
	assert_true(v == O_DIRECTORY);
}

static void test_ioctl_names(void **state)
{
	/* Every ioctl the table knows; each must map back to its own name,
	 * so two entries with one value would be caught here. */
	static const char *const names[] = {
		"KVM_GET_API_VERSION",
		"KVM_CREATE_VM",
		"KVM_GET_MSR_INDEX_LIST",
		"KVM_CHECK_EXTENSION",
		"KVM_GET_VCPU_MMAP_SIZE",
		"KVM_GET_SUPPORTED_CPUID",
		"KVM_GET_EMULATED_CPUID",
		"KVM_GET_MSR_FEATURE_INDEX_LIST",
		"KVM_CREATE_VCPU",
		"KVM_GET_DIRTY_LOG",
		"KVM_SET_USER_MEMORY_REGION",
		"KVM_SET_TSS_ADDR",
		"KVM_SET_IDENTITY_MAP_ADDR",
		"KVM_CREATE_IRQCHIP",
		"KVM_GET_IRQCHIP",
		"KVM_SET_IRQCHIP",
		"KVM_CREATE_PIT2",
		"KVM_GET_PIT2",
		"KVM_SET_PIT2",
		"KVM_IRQ_LINE",
		"KVM_IRQ_LINE_STATUS",
		"KVM_IRQFD",
		"KVM_IOEVENTFD",
		"KVM_SET_GSI_ROUTING",
		"KVM_SIGNAL_MSI",
		"KVM_SET_CLOCK",
		"KVM_GET_CLOCK",
		"KVM_ENABLE_CAP",
		"KVM_REGISTER_COALESCED_MMIO",
		"KVM_UNREGISTER_COALESCED_MMIO",
		"KVM_CREATE_DEVICE",
		"KVM_SET_DEVICE_ATTR",
		"KVM_GET_DEVICE_ATTR",
		"KVM_HAS_DEVICE_ATTR",
		"KVM_RUN",
		"KVM_GET_REGS",
		"KVM_SET_REGS",
		"KVM_GET_SREGS",
		"KVM_SET_SREGS",
		"KVM_TRANSLATE",
		"KVM_INTERRUPT",
		"KVM_GET_MSRS",
		"KVM_SET_MSRS",
		"KVM_SET_CPUID2",
		"KVM_GET_CPUID2",
		"KVM_SET_SIGNAL_MASK",
		"KVM_GET_FPU",
		"KVM_SET_FPU",
		"KVM_GET_LAPIC",
		"KVM_SET_LAPIC",
		"KVM_NMI",
		"KVM_GET_MP_STATE",
		"KVM_SET_MP_STATE",
		"KVM_GET_VCPU_EVENTS",
		"KVM_SET_VCPU_EVENTS",
		"KVM_GET_DEBUGREGS",
		"KVM_SET_DEBUGREGS",
		"KVM_GET_XSAVE",
		"KVM_SET_XSAVE",
		"KVM_GET_XCRS",
		"KVM_SET_XCRS",
		"KVM_KVMCLOCK_CTRL",
		"KVM_SET_GUEST_DEBUG",
		"KVM_GET_TSC_KHZ",
		"KVM_SET_TSC_KHZ",
		"KVM_SMI",
		"KVM_ARM_VCPU_INIT",
		"KVM_ARM_PREFERRED_TARGET",
		"KVM_GET_ONE_REG",
		"KVM_SET_ONE_REG",
		"KVM_GET_REG_LIST",
		"TCGETS",
		"TCSETS",
		"TCSETSW",
		"TCSETSF",
		"TIOCGWINSZ",
		"TIOCSWINSZ",
		"FIONBIO",
		"FIOCLEX",
		"FIONCLEX",
		"FIONREAD",
		"BLKGETSIZE64",
		"BLKSSZGET",
		"BLKFLSBUF",
		"TUNSETIFF",
		"TUNGETIFF",
		"TUNSETOFFLOAD",
		"TUNSETVNETHDRSZ",
		"TUNSETVNETLE",
		"TUNGETFEATURES",
	};
	size_t i;
	uint64_t v;

	(void)state;
	assert_string_equal(policy_ioctl_name(0xae80), "KVM_RUN");
	assert_string_equal(policy_ioctl_name(KVM_RUN), "KVM_RUN");
	/* the kernel reads the request as an unsigned int: the upper 32 bits
	 * of the register are noise */
	assert_string_equal(policy_ioctl_name(0xffffffff0000ae80ull), "KVM_RUN");
	assert_string_equal(policy_ioctl_name(0x123456780000ae80ull), "KVM_RUN");
	assert_string_equal(policy_ioctl_name(0xffffffff802c542aull), "TCGETS2");
	assert_null(policy_ioctl_name(0));
	assert_null(policy_ioctl_name(0x12345678));
	assert_null(policy_ioctl_name(0xae81));
	/* plain constants are no ioctl names */
	assert_null(policy_ioctl_name(PROT_EXEC));
	assert_null(policy_ioctl_name(CLONE_THREAD));
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const char *back;

		if (!policy_constant(names[i], strlen(names[i]), &v)) {
			/* the other architecture's own: known there */
			assert_true(policy_constant_arch(names[i], strlen(names[i]),
							 POLICY_ARCH_ALL & ~POLICY_ARCH_NATIVE,
							 &v));
			continue;
		}
		back = policy_ioctl_name(v);
		if (!back || strcmp(back, names[i]) != 0)
			fail_msg("%s = %#llx maps back to %s", names[i], (unsigned long long)v,
				 back ? back : "NULL");
	}
}

static void test_errno_values(void **state)
{
	(void)state;
	assert_int_equal(policy_errno_value("EPERM"), EPERM);
	assert_int_equal(policy_errno_value("ENOSYS"), ENOSYS);
	assert_int_equal(policy_errno_value("EACCES"), EACCES);
	assert_int_equal(policy_errno_value("EOPNOTSUPP"), EOPNOTSUPP);
	assert_int_equal(policy_errno_value("ENOTSUP"), ENOTSUP);
	assert_int_equal(policy_errno_value("ETIMEDOUT"), ETIMEDOUT);
	assert_int_equal(policy_errno_value("EFOO"), -1);
	assert_int_equal(policy_errno_value("eperm"), -1);
	assert_int_equal(policy_errno_value(""), -1);
	assert_int_equal(policy_errno_value("EPERMX"), -1);
	/* a constant that is no errno */
	assert_int_equal(policy_errno_value("KVM_RUN"), -1);
}

/* ---- the built-in policy files, parsed for real ---- */

static const char *open_builtin_test(void *arg, const char *includer, const char *name,
				     const char **why)
{
	(void)includer;
	size_t i;

	(void)arg;
	for (i = 0; i < vmm_seccomp_builtin_policy_count; i++) {
		if (strcmp(vmm_seccomp_builtin_policies[i].name, name) == 0)
			return vmm_seccomp_builtin_policies[i].text;
	}
	*why = "no embedded file of that name";
	return NULL;
}

static int resolve_libseccomp(void *arg, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);

	(void)arg;
	return nr < 0 ? policy_newer_syscall_nr(name) : nr;
}

static const struct policy_ops builtin_ops = {
	.open_include = open_builtin_test,
	.resolve_syscall = resolve_libseccomp,
	.arch = POLICY_ARCH_X86_64,
};

static bool is_dangerous_name(const char *name)
{
	size_t i;

	for (i = 0; dangerous_syscalls[i]; i++) {
		if (strcmp(dangerous_syscalls[i], name) == 0)
			return true;
	}
	return false;
}

static void append_once(char *list, size_t len, const char *item)
{
	char key[192];

	/* one entry per file:line, however many files include it */
	snprintf(key, sizeof(key), " %s;", item);
	if (!strstr(list, key) && strlen(list) + strlen(key) < len)
		strcat(list, key);
}

/*
 * Parses every embedded file on its own (roles pull in their groups; the
 * groups added behind the roles' backs, valgrind's and the sanitizers',
 * count too) and calls fn on each rule.  Returns the number of role files.
 */
static size_t for_each_builtin_rule(void (*fn)(const struct policy *p, const struct policy_rule *r,
					       void *arg),
				    void *arg)
{
	size_t i, j, n_roles = 0;

	for (i = 0; i < vmm_seccomp_builtin_policy_count; i++) {
		const struct builtin_policy *bp = &vmm_seccomp_builtin_policies[i];
		struct policy p;
		struct policy_error err;

		policy_init(&p);
		if (policy_parse(&p, bp->name, bp->text, &builtin_ops, &err)) {
			policy_release(&p);
			fail_msg("%s: %s", bp->name, err.msg);
		}
		if (p.n_rules == 0) {
			policy_release(&p);
			fail_msg("%s has no rule", bp->name);
		}
		for (j = 0; j < p.n_rules; j++)
			fn(&p, &p.rules[j], arg);
		policy_release(&p);
		if (strncmp(bp->name, "roles/", 6) == 0)
			n_roles++;
	}
	return n_roles;
}

static void check_resolved(const struct policy *p, const struct policy_rule *r, void *arg)
{
	size_t *n = arg;

	if (r->nr < 0 || r->nr >= NR_TABLE_SIZE)
		fail_msg("%s:%u: %s resolved to %d", p->files[r->file], r->line, r->syscall, r->nr);
	(*n)++;
}

static void test_builtin_policies_parse(void **state)
{
	unsigned int role;
	size_t n_rules = 0;

	(void)state;
	/* every role has its file, and nothing else is under roles/ */
	for (role = 0; role < VMM_SECCOMP_ROLE_COUNT; role++) {
		char name[64];
		const char *why = NULL;

		snprintf(name, sizeof(name), "roles/%s.policy", vmm_seccomp_role_name(role));
		if (!open_builtin_test(NULL, "test", name, &why))
			fail_msg("%s is not embedded", name);
	}
	assert_int_equal(for_each_builtin_rule(check_resolved, &n_rules), VMM_SECCOMP_ROLE_COUNT);
	assert_true(n_rules > 100);
}

static void collect_dangerous(const struct policy *p, const struct policy_rule *r, void *arg)
{
	bool allows = r->action == POLICY_ACT_ALLOW || r->action == POLICY_ACT_LOG ||
		      r->action == POLICY_ACT_SIGMASK;
	char item[160];

	if (allows && is_dangerous_name(r->syscall)) {
		snprintf(item, sizeof(item), "%s:%u (%s)", p->files[r->file], r->line, r->syscall);
		append_once(arg, 4096, item);
	}
}

static void test_builtin_policies_not_dangerous(void **state)
{
	static char list[4096];

	(void)state;
	list[0] = '\0';
	for_each_builtin_rule(collect_dangerous, list);
	/* cmocka's message buffer is short: the list goes out first */
	if (list[0]) {
		print_error("built-in rules allowing a dangerous syscall:%s\n", list);
		fail_msg("a built-in policy allows a dangerous syscall");
	}
}

static void collect_uncommented(const struct policy *p, const struct policy_rule *r, void *arg)
{
	char item[160];

	if (!r->commented) {
		snprintf(item, sizeof(item), "%s:%u (%s)", p->files[r->file], r->line, r->syscall);
		append_once(arg, 8192, item);
	}
}

/* Each allowed syscall says why, on its line or in the heading comment of
 * its block (the parser's notion of "commented"). */
static void test_builtin_policies_commented(void **state)
{
	static char list[8192];

	(void)state;
	list[0] = '\0';
	for_each_builtin_rule(collect_uncommented, list);
	if (list[0]) {
		print_error("built-in rules without a comment:%s\n", list);
		fail_msg("some built-in rules have no comment");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unconditional_rule),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_masked),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_dnf_set),
		cmocka_unit_test(test_dnf_distribution),
		cmocka_unit_test(test_dnf_limits_reached),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_nested_and_twice),
		cmocka_unit_test(test_duplicate_rule),
		cmocka_unit_test(test_include_depth_limit_ok),
		cmocka_unit_test(test_arch_sections),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_files_across_calls),
		cmocka_unit_test(test_no_include_hook),
		cmocka_unit_test(test_error_unknown_names),
		cmocka_unit_test(test_error_numbers),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_limits),
		cmocka_unit_test(test_error_includes),
		cmocka_unit_test(test_error_rolls_back),
		cmocka_unit_test(test_matches_unsigned),
		cmocka_unit_test(test_matches_64bit),
		cmocka_unit_test(test_narrow_args),
		cmocka_unit_test(test_newer_syscalls),
		cmocka_unit_test(test_runtime_pid),
		cmocka_unit_test(test_matches_masked_and_compound),
		cmocka_unit_test(test_clause_implied),
		cmocka_unit_test(test_rule_format),
		cmocka_unit_test(test_append_deep_copy),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_ioctl_names),
		cmocka_unit_test(test_errno_values),
		cmocka_unit_test(test_builtin_policies_parse),
		cmocka_unit_test(test_builtin_policies_not_dangerous),
		cmocka_unit_test(test_builtin_policies_commented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
