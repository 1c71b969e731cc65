/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: the mode strings (config.c) in every form and every error,
 * and the public configuration API of the context (context.c): modes,
 * names, the environment, extra rules and their checks against the
 * baseline and the dangerous list, and the freeze after compiling.
 *
 * Nothing here installs a filter: vmm_seccomp_compile() only builds BPF in
 * memory, and vmm_seccomp_apply_process() is never called.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Not VMM_SECCOMP itself, so the tests cannot pick up the caller's. */
#define TEST_ENV "VMM_SECCOMP_UNIT_TEST_CONFIG"

#define N_ROLES VMM_SECCOMP_ROLE_COUNT
/* config_parse(names_ctx(), ) works on every layer a context can hold */
#define N_LAYERS VMM_SECCOMP_ROLE_MAX
#define ENFORCE VMM_SECCOMP_MODE_ENFORCE
#define KILL VMM_SECCOMP_MODE_KILL
#define ERRNO VMM_SECCOMP_MODE_ERRNO
#define LOG VMM_SECCOMP_MODE_LOG
#define OFF VMM_SECCOMP_MODE_OFF

/* The context whose role names config_parse() reads: the built-in ones. */
static struct vmm_seccomp *names;

static const struct vmm_seccomp *names_ctx(void)
{
	if (!names)
		names = vmm_seccomp_new();
	assert_non_null(names);
	return names;
}

static void fill(enum vmm_seccomp_mode modes[N_LAYERS], enum vmm_seccomp_mode m)
{
	unsigned int i;

	for (i = 0; i < N_LAYERS; i++)
		modes[i] = m;
}

/* A mix of modes, so "unchanged" cannot pass by luck. */
static void fill_mixed(enum vmm_seccomp_mode modes[N_LAYERS])
{
	unsigned int i;

	for (i = 0; i < N_LAYERS; i++)
		modes[i] = (enum vmm_seccomp_mode)(i % VMM_SECCOMP_MODE_COUNT);
}

static void parse_ok(const char *str, enum vmm_seccomp_mode modes[N_LAYERS])
{
	char err[512] = "";
	int rc = config_parse(names_ctx(), str, modes, err, sizeof(err));

	if (rc)
		fail_msg("\"%s\": rc %d: %s", str, rc, err);
}

static void assert_all(const enum vmm_seccomp_mode modes[N_LAYERS], enum vmm_seccomp_mode m)
{
	unsigned int i;

	for (i = 0; i < N_ROLES; i++) {
		if (modes[i] != m)
			fail_msg("role %s is %s, want %s", vmm_seccomp_role_name(i),
				 vmm_seccomp_mode_name(modes[i]), vmm_seccomp_mode_name(m));
	}
}

/*
 * The string must be refused with -EINVAL, modes[] must be untouched and
 * the message must contain every one of the given strings.
 */
static void expect_config_error(const char *str, const char *what1, const char *what2)
{
	enum vmm_seccomp_mode modes[N_LAYERS], before[N_LAYERS];
	char err[512] = "";
	int rc;

	fill_mixed(modes);
	memcpy(before, modes, sizeof(before));
	rc = config_parse(names_ctx(), str, modes, err, sizeof(err));
	if (rc != -EINVAL || memcmp(modes, before, sizeof(modes)) != 0 || !strstr(err, what1) ||
	    (what2 && !strstr(err, what2)))
		fail_msg("\"%s\": rc %d, modes %s, \"%s\"; want -EINVAL, unchanged, \"%s\" and "
			 "\"%s\"",
			 str ? str : "(null)", rc,
			 memcmp(modes, before, sizeof(modes)) ? "changed" : "unchanged", err, what1,
			 what2 ? what2 : "");
}

/* ---- config_parse ---- */

static void test_mode_for_every_layer(void **state)
{
	static const struct {
		const char *str;
		enum vmm_seccomp_mode mode;
	} cases[] = {
		{ "enforce", ENFORCE }, { "kill", KILL },	{ "errno", ERRNO },
		{ "log", LOG },		{ "off", OFF },		{ "true", ENFORCE },
		{ "false", OFF },	{ "ENFORCE", ENFORCE }, { "Kill", KILL },
		{ "eRRno", ERRNO },	{ "LOG", LOG },		{ "Off", OFF },
		{ "TRUE", ENFORCE },	{ "False", OFF },	{ "  log  ", LOG },
		{ "\tkill\n", KILL },	{ "\r\noff", OFF },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		enum vmm_seccomp_mode modes[N_LAYERS];

		fill_mixed(modes);
		parse_ok(cases[i].str, modes);
		assert_all(modes, cases[i].mode);
	}
}

static void test_role_equals_mode(void **state)
{
	unsigned int r, m;

	(void)state;
	/* every role with every mode, by the names the API gives out */
	for (r = 0; r < N_ROLES; r++) {
		for (m = 0; m < VMM_SECCOMP_MODE_COUNT; m++) {
			enum vmm_seccomp_mode modes[N_LAYERS], want[N_LAYERS];
			char str[64];

			snprintf(str, sizeof(str), "%s=%s", vmm_seccomp_role_name(r),
				 vmm_seccomp_mode_name(m));
			fill_mixed(modes);
			fill_mixed(want);
			want[r] = m;
			parse_ok(str, modes);
			if (memcmp(modes, want, sizeof(modes)) != 0)
				fail_msg("\"%s\" did not set exactly that layer", str);
		}
	}
}

static void test_role_equals_mode_forms(void **state)
{
	enum vmm_seccomp_mode modes[N_LAYERS];

	(void)state;
	fill(modes, LOG);
	parse_ok("vcpu=true", modes);
	assert_int_equal(modes[VMM_SECCOMP_ROLE_VCPU], ENFORCE);
	parse_ok("api=FALSE", modes);
	assert_int_equal(modes[VMM_SECCOMP_ROLE_API], OFF);
	parse_ok(" virtio_net =\tKill ", modes);
	assert_int_equal(modes[VMM_SECCOMP_ROLE_VIRTIO_NET], KILL);
	parse_ok("process=errno", modes);
	assert_int_equal(modes[VMM_SECCOMP_ROLE_PROCESS], ERRNO);
	/* and nothing else moved */
	assert_int_equal(modes[VMM_SECCOMP_ROLE_VMM], LOG);
	assert_int_equal(modes[VMM_SECCOMP_ROLE_VIRTIO_VSOCK], LOG);
}

static void test_later_tokens_override(void **state)
{
	enum vmm_seccomp_mode modes[N_LAYERS], want[N_LAYERS];

	(void)state;
	fill_mixed(modes);
	parse_ok("enforce,vcpu=log", modes);
	fill(want, ENFORCE);
	want[VMM_SECCOMP_ROLE_VCPU] = LOG;
	assert_memory_equal(modes, want, sizeof(want));

	/* a mode for every layer overrides an earlier role setting */
	parse_ok("vcpu=log,kill", modes);
	assert_all(modes, KILL);

	/* the last of several settings of one role wins */
	parse_ok("log,vcpu=kill,api=off,vcpu=errno", modes);
	fill(want, LOG);
	want[VMM_SECCOMP_ROLE_VCPU] = ERRNO;
	want[VMM_SECCOMP_ROLE_API] = OFF;
	assert_memory_equal(modes, want, sizeof(want));

	/* blanks around tokens and around '=' */
	fill_mixed(modes);
	parse_ok(" log , vcpu = kill ,\tvirtio_block=off\t", modes);
	fill(want, LOG);
	want[VMM_SECCOMP_ROLE_VCPU] = KILL;
	want[VMM_SECCOMP_ROLE_VIRTIO_BLOCK] = OFF;
	assert_memory_equal(modes, want, sizeof(want));
}

static void test_disable_seccomp(void **state)
{
	enum vmm_seccomp_mode modes[N_LAYERS], want[N_LAYERS];

	(void)state;
	fill_mixed(modes);
	parse_ok("disable_seccomp", modes);
	assert_all(modes, OFF);

	fill_mixed(modes);
	parse_ok("disable_seccomp=true", modes);
	assert_all(modes, OFF);

	fill(modes, OFF);
	parse_ok("disable_seccomp=false", modes);
	assert_all(modes, ENFORCE);

	/* Kata's TOML style, with blanks and any case */
	fill_mixed(modes);
	parse_ok(" disable_seccomp = TRUE ", modes);
	assert_all(modes, OFF);
	fill(modes, LOG);
	parse_ok("DISABLE_SECCOMP = False", modes);
	assert_all(modes, ENFORCE);

	/* it is a token like the others: later ones override it */
	parse_ok("vcpu=log,disable_seccomp", modes);
	assert_all(modes, OFF);
	parse_ok("disable_seccomp,vcpu=log", modes);
	fill(want, OFF);
	want[VMM_SECCOMP_ROLE_VCPU] = LOG;
	assert_memory_equal(modes, want, sizeof(want));
}

static void test_config_errors(void **state)
{
	(void)state;
	/* empty settings, wherever they are */
	expect_config_error("", "empty setting at position 1", NULL);
	expect_config_error("   ", "empty setting", "\"   \"");
	expect_config_error("log,", "empty setting at position 5", "\"log,\"");
	expect_config_error("log, ", "empty setting", "\"log, \"");
	expect_config_error("log,,off", "empty setting at position 5", NULL);
	expect_config_error(",log", "empty setting at position 1", NULL);
	/* no such mode */
	expect_config_error("strict", "bad setting 'strict' at position 1", "\"strict\"");
	expect_config_error("log,strict", "bad setting 'strict' at position 5", "\"log,strict\"");
	expect_config_error("log, strict ,off", "bad setting 'strict' at position 6", NULL);
	expect_config_error("en force", "bad setting 'en force' at position 1", NULL);
	expect_config_error("enforced", "bad setting 'enforced'", NULL);
	expect_config_error("1", "bad setting '1'", NULL);
	/* no such role */
	expect_config_error("cpu=log", "unknown role 'cpu' at position 1", "roles: process, vmm");
	expect_config_error("log,virtio=off", "unknown role 'virtio' at position 5", NULL);
	expect_config_error("=log", "unknown role '' at position 1", NULL);
	/* a role with a bad value: the position is the value's */
	expect_config_error("vcpu=strict", "bad mode 'strict' at position 6", NULL);
	expect_config_error("vcpu=", "bad mode '' at position 6", NULL);
	expect_config_error("log,vcpu = nope", "bad mode 'nope' at position 12", NULL);
	expect_config_error("vcpu=log=kill", "bad mode 'log=kill' at position 6", NULL);
	/* disable_seccomp takes true or false only */
	expect_config_error("disable_seccomp=maybe", "bad mode 'maybe' at position 17", NULL);
	expect_config_error("disable_seccomp=off", "bad mode 'off' at position 17", NULL);
	expect_config_error("disable_seccomp=", "bad mode '' at position 17", NULL);
	/* nothing at all */
	expect_config_error(NULL, "no configuration string", NULL);
}

/* All or nothing: good tokens before a bad one are not applied either. */
static void test_config_error_changes_nothing(void **state)
{
	enum vmm_seccomp_mode modes[N_LAYERS];
	char err[256];

	(void)state;
	fill(modes, ENFORCE);
	assert_int_equal(
		config_parse(names_ctx(), "log,vcpu=off,api=bogus", modes, err, sizeof(err)),
		-EINVAL);
	assert_all(modes, ENFORCE);
	assert_int_equal(config_parse(names_ctx(), "disable_seccomp,nope", modes, err, sizeof(err)),
			 -EINVAL);
	assert_all(modes, ENFORCE);
}

static void test_config_error_buffer(void **state)
{
	enum vmm_seccomp_mode modes[N_LAYERS];
	char err[24];

	(void)state;
	fill(modes, LOG);
	/* a short buffer gets a terminated prefix and nothing past it */
	memset(err, 'x', sizeof(err));
	assert_int_equal(config_parse(names_ctx(), "bogus", modes, err, 16), -EINVAL);
	assert_int_equal(strlen(err), 15);
	assert_memory_equal(err, "bad setting 'bo", 15);
	assert_int_equal(err[16], 'x');
	/* no buffer at all */
	assert_int_equal(config_parse(names_ctx(), "bogus", modes, NULL, 0), -EINVAL);
	assert_all(modes, LOG);
}

/* ---- names ---- */

static void test_names(void **state)
{
	static const char *const want_roles[N_ROLES] = {
		"process",	  "vmm",
		"vcpu",		  "api",
		"virtio_block",	  "virtio_net",
		"virtio_console", "virtio_rng",
		"virtio_vsock",	  "virtio_fs",
		"virtio_balloon", "vhost_user",
		"io_worker",	  "signal_handler",
		"runtime",
	};
	static const char *const want_modes[VMM_SECCOMP_MODE_COUNT] = {
		"enforce", "kill", "errno", "log", "off",
	};
	enum vmm_seccomp_role role;
	unsigned int i;

	(void)state;
	for (i = 0; i < N_ROLES; i++) {
		assert_string_equal(vmm_seccomp_role_name(i), want_roles[i]);
		role = VMM_SECCOMP_ROLE_COUNT;
		assert_int_equal(vmm_seccomp_role_from_name(want_roles[i], &role), 0);
		assert_int_equal(role, i);
	}
	for (i = 0; i < VMM_SECCOMP_MODE_COUNT; i++)
		assert_string_equal(vmm_seccomp_mode_name(i), want_modes[i]);
	assert_null(vmm_seccomp_role_name(VMM_SECCOMP_ROLE_COUNT));
	assert_null(vmm_seccomp_role_name((enum vmm_seccomp_role) - 1));
	assert_null(vmm_seccomp_mode_name(VMM_SECCOMP_MODE_COUNT));
	assert_null(vmm_seccomp_mode_name((enum vmm_seccomp_mode) - 1));

	role = VMM_SECCOMP_ROLE_API;
	assert_int_equal(vmm_seccomp_role_from_name("nope", &role), -EINVAL);
	assert_int_equal(vmm_seccomp_role_from_name("vcp", &role), -EINVAL);
	assert_int_equal(vmm_seccomp_role_from_name("vcpux", &role), -EINVAL);
	assert_int_equal(vmm_seccomp_role_from_name("", &role), -EINVAL);
	assert_int_equal(vmm_seccomp_role_from_name(NULL, &role), -EINVAL);
	assert_int_equal(vmm_seccomp_role_from_name("vcpu", NULL), -EINVAL);
	assert_int_equal(role, VMM_SECCOMP_ROLE_API);
}

static void test_is_dangerous(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; dangerous_syscalls[i]; i++)
		assert_true(vmm_seccomp_is_dangerous(dangerous_syscalls[i]));
	/* the documented examples are on the list */
	assert_true(vmm_seccomp_is_dangerous("execve"));
	assert_true(vmm_seccomp_is_dangerous("ptrace"));
	assert_true(vmm_seccomp_is_dangerous("mount"));
	assert_true(vmm_seccomp_is_dangerous("setns"));
	assert_true(vmm_seccomp_is_dangerous("bpf"));
	assert_true(vmm_seccomp_is_dangerous("io_uring_setup"));
	assert_true(vmm_seccomp_is_dangerous("fork"));
	/* exact names only */
	assert_false(vmm_seccomp_is_dangerous("read"));
	assert_false(vmm_seccomp_is_dangerous("clone"));
	assert_false(vmm_seccomp_is_dangerous("exec"));
	assert_false(vmm_seccomp_is_dangerous("execve2"));
	assert_false(vmm_seccomp_is_dangerous("EXECVE"));
	assert_false(vmm_seccomp_is_dangerous(""));
	assert_false(vmm_seccomp_is_dangerous(NULL));
}

/* ---- the context: modes ---- */

static int ctx_setup(void **state)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();

	if (!ctx)
		return -1;
	*state = ctx;
	return 0;
}

static int ctx_teardown(void **state)
{
	vmm_seccomp_free(*state);
	unsetenv(TEST_ENV);
	return 0;
}

static void assert_ctx_modes(const struct vmm_seccomp *ctx,
			     const enum vmm_seccomp_mode want[N_LAYERS])
{
	unsigned int r;

	for (r = 0; r < N_ROLES; r++) {
		if (vmm_seccomp_get_role_mode(ctx, r) != want[r])
			fail_msg("role %s is %s, want %s", vmm_seccomp_role_name(r),
				 vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(ctx, r)),
				 vmm_seccomp_mode_name(want[r]));
	}
}

static void test_new_defaults(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_mode want[N_LAYERS];
	size_t len = 99;

	fill(want, ENFORCE);
	assert_ctx_modes(ctx, want);
	/* out of range and NULL read as OFF */
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, VMM_SECCOMP_ROLE_COUNT), OFF);
	assert_int_equal(vmm_seccomp_get_role_mode(NULL, VMM_SECCOMP_ROLE_VCPU), OFF);
	/* nothing compiled yet */
	assert_null(vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_VCPU, &len));
	assert_int_equal(len, 0);
	assert_non_null(vmm_seccomp_last_error(NULL));
	vmm_seccomp_free(NULL);
}

static void test_set_modes(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_mode want[N_LAYERS];
	char msg[64];

	assert_int_equal(vmm_seccomp_set_mode(ctx, LOG), 0);
	fill(want, LOG);
	assert_ctx_modes(ctx, want);
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_VCPU, OFF), 0);
	want[VMM_SECCOMP_ROLE_VCPU] = OFF;
	assert_ctx_modes(ctx, want);
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_PROCESS, KILL), 0);
	want[VMM_SECCOMP_ROLE_PROCESS] = KILL;
	assert_ctx_modes(ctx, want);

	/* out of range: -EINVAL, nothing changed, and a message */
	assert_int_equal(vmm_seccomp_set_mode(ctx, VMM_SECCOMP_MODE_COUNT), -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "out of range"));
	assert_int_equal(vmm_seccomp_set_mode(ctx, (enum vmm_seccomp_mode) - 1), -EINVAL);
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_COUNT, OFF), -EINVAL);
	snprintf(msg, sizeof(msg), "role %d is not a role of this context",
		 (int)VMM_SECCOMP_ROLE_COUNT);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), msg));
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, (enum vmm_seccomp_role) - 1, OFF), -EINVAL);
	assert_int_equal(
		vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_API, VMM_SECCOMP_MODE_COUNT),
		-EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "mode 5 out of range"));
	assert_int_equal(
		vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_API, (enum vmm_seccomp_mode) - 1),
		-EINVAL);
	assert_ctx_modes(ctx, want);
	/* no context */
	assert_int_equal(vmm_seccomp_set_mode(NULL, LOG), -EINVAL);
	assert_int_equal(vmm_seccomp_set_role_mode(NULL, VMM_SECCOMP_ROLE_VCPU, LOG), -EINVAL);
	assert_int_equal(vmm_seccomp_configure(NULL, "log"), -EINVAL);
	/* report descriptor */
	assert_int_equal(vmm_seccomp_set_report_fd(ctx, -1), -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "-1"));
	assert_int_equal(vmm_seccomp_set_report_fd(ctx, 7), 0);
	assert_int_equal(ctx->report_fd, 7);
}

static void test_configure(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_mode want[N_LAYERS];

	assert_int_equal(vmm_seccomp_configure(ctx, "enforce,vcpu=log"), 0);
	fill(want, ENFORCE);
	want[VMM_SECCOMP_ROLE_VCPU] = LOG;
	assert_ctx_modes(ctx, want);

	/* an error changes nothing, not even the good tokens before it */
	assert_int_equal(vmm_seccomp_configure(ctx, "off,vcpu=bogus"), -EINVAL);
	assert_ctx_modes(ctx, want);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "seccomp configuration"));
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "'bogus' at position 10"));
	assert_int_equal(vmm_seccomp_configure(ctx, "vmm=off,,"), -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "empty setting at position 9"));
	assert_int_equal(vmm_seccomp_configure(ctx, NULL), -EINVAL);
	assert_ctx_modes(ctx, want);

	assert_int_equal(vmm_seccomp_configure(ctx, "false"), 0);
	fill(want, OFF);
	assert_ctx_modes(ctx, want);
}

static void test_configure_from_env(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_mode want[N_LAYERS];

	fill(want, ENFORCE);
	/* unset, then empty: no change, no error */
	unsetenv(TEST_ENV);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), 0);
	assert_ctx_modes(ctx, want);
	assert_int_equal(setenv(TEST_ENV, "", 1), 0);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), 0);
	assert_ctx_modes(ctx, want);

	assert_int_equal(setenv(TEST_ENV, "log,api=kill", 1), 0);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), 0);
	fill(want, LOG);
	want[VMM_SECCOMP_ROLE_API] = KILL;
	assert_ctx_modes(ctx, want);

	/* a bad value: nothing changed; the message names the variable */
	assert_int_equal(setenv(TEST_ENV, "off,bogus", 1), 0);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), -EINVAL);
	assert_ctx_modes(ctx, want);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), TEST_ENV));
}

/* The message of a bad environment value names the variable and still
 * names the bad token, as vmm_seccomp_configure()'s does. */
static void test_configure_from_env_message(void **state)
{
	struct vmm_seccomp *ctx = *state;
	const char *msg;

	assert_int_equal(setenv(TEST_ENV, "off,bogus", 1), 0);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), -EINVAL);
	msg = vmm_seccomp_last_error(ctx);
	assert_int_equal(strncmp(msg, TEST_ENV ": ", strlen(TEST_ENV ": ")), 0);
	assert_non_null(strstr(msg, "bad setting 'bogus' at position 5"));
}

static void test_configure_from_default_env(void **state)
{
	struct vmm_seccomp *ctx = *state;
	const char *old = getenv(VMM_SECCOMP_ENV);
	char *saved = old ? strdup(old) : NULL;
	int rc;

	/* NULL reads VMM_SECCOMP; put back whatever the caller had */
	assert_int_equal(setenv(VMM_SECCOMP_ENV, "virtio_rng=errno", 1), 0);
	rc = vmm_seccomp_configure_from_env(ctx, NULL);
	if (saved)
		setenv(VMM_SECCOMP_ENV, saved, 1);
	else
		unsetenv(VMM_SECCOMP_ENV);
	free(saved);
	assert_int_equal(rc, 0);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG), ERRNO);
	assert_int_equal(vmm_seccomp_get_role_mode(ctx, VMM_SECCOMP_ROLE_VIRTIO_NET), ENFORCE);
}

/* ---- the context: extra rules ---- */

static size_t n_extra(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role)
{
	return ctx->layer[role].extra.n_rules;
}

/* add_rules must fail with rc, leave the layer as it was, and say `what`. */
static void expect_add_error(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *text,
			     unsigned int flags, int rc_want, const char *what1, const char *what2)
{
	size_t before = n_extra(ctx, role);
	int rc = vmm_seccomp_add_rules(ctx, role, text, "my.rules", flags);
	const char *msg = vmm_seccomp_last_error(ctx);

	if (rc != rc_want || n_extra(ctx, role) != before || !strstr(msg, what1) ||
	    (what2 && !strstr(msg, what2)))
		fail_msg(
			"role %s, \"%s\": rc %d, %zu -> %zu rules, \"%s\"; want %d, \"%s\", \"%s\"",
			vmm_seccomp_role_name(role), text, rc, before, n_extra(ctx, role), msg,
			rc_want, what1, what2 ? what2 : "");
}

static void add_ok(struct vmm_seccomp *ctx, enum vmm_seccomp_role role, const char *text,
		   unsigned int flags)
{
	int rc = vmm_seccomp_add_rules(ctx, role, text, "my.rules", flags);

	if (rc)
		fail_msg("role %s, \"%s\": rc %d: %s", vmm_seccomp_role_name(role), text, rc,
			 vmm_seccomp_last_error(ctx));
}

static void test_add_rules_syntax(void **state)
{
	struct vmm_seccomp *ctx = *state;
	int rc;

	expect_add_error(ctx, VMM_SECCOMP_ROLE_VCPU, "read\nread: arg0 ==", 0, -EINVAL,
			 "my.rules:2:14: ", "expected a number or a constant name");
	expect_add_error(ctx, VMM_SECCOMP_ROLE_PROCESS, "# ok\nnosuch_call", 0, -EINVAL,
			 "my.rules:2:1: unknown syscall 'nosuch_call'", NULL);
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VMM, "ioctl: arg1 == KVM_NOPE", 0, -EINVAL,
			 "my.rules:1:16: unknown constant 'KVM_NOPE'", NULL);
	/* errors in an included built-in file name that file */
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VMM, "@include groups/nope.policy", 0, -EINVAL,
			 "my.rules:1:10: cannot include 'groups/nope.policy'", NULL);
	/* no origin: "embedder" */
	rc = vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, "\n  nosuch", NULL, 0);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "embedder:2:3: unknown syscall"));
	/* bad arguments */
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VCPU, NULL, 0, -EINVAL, "no policy text", NULL);
	assert_int_equal(vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_COUNT, "read", "x", 0),
			 -EINVAL);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "is not a role of this context"));
	assert_int_equal(vmm_seccomp_add_rules(ctx, (enum vmm_seccomp_role) - 1, "read", "x", 0),
			 -EINVAL);
	assert_int_equal(vmm_seccomp_add_rules(NULL, VMM_SECCOMP_ROLE_VCPU, "read", "x", 0),
			 -EINVAL);
}

static void test_add_rules_unknown_flags(void **state)
{
	struct vmm_seccomp *ctx = *state;

	expect_add_error(ctx, VMM_SECCOMP_ROLE_VCPU, "read", 0x2, -EINVAL, "unknown flags", "0x2");
	expect_add_error(ctx, VMM_SECCOMP_ROLE_PROCESS, "read",
			 VMM_SECCOMP_ALLOW_DANGEROUS | 0x80000000u, -EINVAL, "unknown flags",
			 "0x80000000");
	assert_false(ctx->dangerous_baseline);
}

static void test_add_rules_within_baseline(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_role vcpu = VMM_SECCOMP_ROLE_VCPU;

	/* what the baseline allows, as it or narrower */
	add_ok(ctx, vcpu, "read\nsocket: arg0 == AF_UNIX", 0);
	add_ok(ctx, vcpu, "ioctl: arg1 == KVM_RUN", 0);
	add_ok(ctx, vcpu, "mmap: arg2 == PROT_READ|PROT_WRITE # within arg2 & PROT_EXEC == 0", 0);
	add_ok(ctx, vcpu, "fcntl: arg1 == F_GETFL && arg0 == 3", 0);
	/* built-in groups can be included */
	add_ok(ctx, vcpu, "@include groups/waiting.policy", 0);
	/* refusing needs nothing from the baseline */
	add_ok(ctx, vcpu, "execve -> return EPERM\nptrace -> trap", 0);
	/* (waiting.policy has two more on x86_64: poll and epoll_wait) */
	assert_int_equal(n_extra(ctx, vcpu), POLICY_ARCH_NATIVE == POLICY_ARCH_X86_64 ? 14 : 12);
}

static void test_add_rules_beyond_baseline(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_role vcpu = VMM_SECCOMP_ROLE_VCPU;

	expect_add_error(ctx, vcpu, "execve", 0, -EPERM,
			 "my.rules:1:1: role vcpu allows execve (unconditionally)",
			 "extend the baseline first");
	expect_add_error(ctx, vcpu, "read\nsocket: arg0 == AF_INET", 0, -EPERM,
			 "my.rules:2:1: role vcpu allows socket (arg0 == 0x2)", NULL);
	/* the baseline has socket only for AF_UNIX */
	expect_add_error(ctx, vcpu, "socket", 0, -EPERM,
			 "role vcpu allows socket (unconditionally)", NULL);
	expect_add_error(ctx, VMM_SECCOMP_ROLE_API, "ioctl: arg1 == BLKFLSBUF", 0, -EPERM,
			 "role api allows ioctl", NULL);
	expect_add_error(ctx, vcpu, "mmap: arg2 & PROT_EXEC == PROT_EXEC", 0, -EPERM,
			 "role vcpu allows mmap (arg2 & 0x4 == 0x4)", NULL);
	/* log and emulate_sigmask let the call run: they allow */
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VIRTIO_NET, "execve -> log", 0, -EPERM,
			 "role virtio_net allows execve", NULL);
	/* one clause out of the baseline is enough to refuse the rule */
	expect_add_error(ctx, vcpu, "socket: arg0 in {AF_UNIX, AF_INET6}", 0, -EPERM,
			 "socket (arg0 == 0xa)", NULL);
	assert_int_equal(n_extra(ctx, vcpu), 0);

	/* extend the baseline first, then the role may have it */
	add_ok(ctx, VMM_SECCOMP_ROLE_PROCESS, "socket: arg0 == AF_INET # outgoing metrics", 0);
	add_ok(ctx, vcpu, "socket: arg0 == AF_INET", 0);
	assert_int_equal(n_extra(ctx, vcpu), 1);
	assert_int_equal(n_extra(ctx, VMM_SECCOMP_ROLE_PROCESS), 1);
}

static void test_add_rules_dangerous(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_role process = VMM_SECCOMP_ROLE_PROCESS;

	expect_add_error(ctx, process, "read\nexecve", 0, -EPERM,
			 "my.rules:2:1: execve is on the dangerous list",
			 "VMM_SECCOMP_ALLOW_DANGEROUS");
	expect_add_error(ctx, process, "ptrace: arg0 == 0", 0, -EPERM,
			 "ptrace is on the dangerous list", NULL);
	expect_add_error(ctx, process, "io_uring_setup -> log", 0, -EPERM, "io_uring_setup", NULL);
	assert_false(ctx->dangerous_baseline);
	/* refusing a dangerous syscall is always fine */
	add_ok(ctx, process, "bpf -> return EPERM\nmount -> trap", 0);
	assert_false(ctx->dangerous_baseline);
	assert_int_equal(n_extra(ctx, process), 2);
	/* and nothing reached a role through the refusals */
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VMM, "bpf", 0, -EPERM, "role vmm allows bpf", NULL);

	/* with the flag the baseline takes it, and then a role may too */
	add_ok(ctx, process, "execve # we re-exec ourselves on upgrade",
	       VMM_SECCOMP_ALLOW_DANGEROUS);
	assert_true(ctx->dangerous_baseline);
	assert_int_equal(n_extra(ctx, process), 3);
	add_ok(ctx, VMM_SECCOMP_ROLE_VMM, "execve", 0);
	/* roles need no flag: the baseline is where the decision is made */
	add_ok(ctx, VMM_SECCOMP_ROLE_API, "execve", 0);
	/* ... and must stay within it */
	expect_add_error(ctx, VMM_SECCOMP_ROLE_VMM, "ptrace", VMM_SECCOMP_ALLOW_DANGEROUS, -EPERM,
			 "role vmm allows ptrace", NULL);
}

/* ---- compiling and the freeze ---- */

static void test_compile_fresh(void **state)
{
	struct vmm_seccomp *ctx = *state;
	unsigned int r;

	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	for (r = 0; r < N_ROLES; r++) {
		size_t len = 0;

		if (!vmm_seccomp_program(ctx, r, &len) || len == 0)
			fail_msg("role %s has no program after compiling",
				 vmm_seccomp_role_name(r));
	}
	/* compiling twice is harmless */
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	assert_int_equal(vmm_seccomp_compile(NULL), -EINVAL);
}

static void test_compile_off_and_extra(void **state)
{
	struct vmm_seccomp *ctx = *state;
	size_t len = 99;

	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, OFF), 0);
	add_ok(ctx, VMM_SECCOMP_ROLE_PROCESS, "execve", VMM_SECCOMP_ALLOW_DANGEROUS);
	add_ok(ctx, VMM_SECCOMP_ROLE_VMM, "execve\nsocket: arg0 == AF_UNIX", 0);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	/* an OFF layer has no program */
	assert_null(vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_VIRTIO_RNG, &len));
	assert_int_equal(len, 0);
	assert_non_null(vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_VMM, &len));
	assert_true(len > 0);
	assert_null(vmm_seccomp_program(ctx, VMM_SECCOMP_ROLE_COUNT, &len));
}

static void test_frozen_after_compile(void **state)
{
	struct vmm_seccomp *ctx = *state;
	enum vmm_seccomp_mode want[N_LAYERS];

	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_VCPU, LOG), 0);
	assert_int_equal(vmm_seccomp_compile(ctx), 0);
	fill(want, ENFORCE);
	want[VMM_SECCOMP_ROLE_VCPU] = LOG;

	assert_int_equal(vmm_seccomp_set_mode(ctx, OFF), -EBUSY);
	assert_non_null(strstr(vmm_seccomp_last_error(ctx), "frozen"));
	assert_int_equal(vmm_seccomp_set_role_mode(ctx, VMM_SECCOMP_ROLE_VCPU, OFF), -EBUSY);
	assert_int_equal(vmm_seccomp_configure(ctx, "off"), -EBUSY);
	assert_int_equal(setenv(TEST_ENV, "off", 1), 0);
	assert_int_equal(vmm_seccomp_configure_from_env(ctx, TEST_ENV), -EBUSY);
	assert_int_equal(vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_VCPU, "read", "x", 0), -EBUSY);
	assert_int_equal(vmm_seccomp_add_rules(ctx, VMM_SECCOMP_ROLE_PROCESS, "execve", "x",
					       VMM_SECCOMP_ALLOW_DANGEROUS),
			 -EBUSY);
	assert_int_equal(vmm_seccomp_set_report_fd(ctx, 5), -EBUSY);
	assert_int_equal(vmm_seccomp_set_report_callback(ctx, NULL, NULL), -EBUSY);
	assert_ctx_modes(ctx, want);
	assert_int_equal(n_extra(ctx, VMM_SECCOMP_ROLE_VCPU), 0);
	assert_false(ctx->dangerous_baseline);
	assert_int_equal(ctx->report_fd, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_for_every_layer),
		cmocka_unit_test(test_role_equals_mode),
		cmocka_unit_test(test_role_equals_mode_forms),
		cmocka_unit_test(test_later_tokens_override),
		cmocka_unit_test(test_disable_seccomp),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_error_changes_nothing),
		cmocka_unit_test(test_config_error_buffer),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_is_dangerous),
		cmocka_unit_test_setup_teardown(test_new_defaults, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_set_modes, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_configure, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_configure_from_env, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_configure_from_env_message, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_configure_from_default_env, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rules_syntax, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rules_unknown_flags, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rules_within_baseline, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rules_beyond_baseline, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_add_rules_dangerous, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_compile_fresh, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_compile_off_and_extra, ctx_setup,
						ctx_teardown),
		cmocka_unit_test_setup_teardown(test_frozen_after_compile, ctx_setup, ctx_teardown),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	vmm_seccomp_free(names);
	return rc;
}
