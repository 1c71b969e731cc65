/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmm-seccomp: look at, check and try the policies without a VMM.
 *
 *   vmm-seccomp roles [--policy-dir DIR]
 *   vmm-seccomp show ROLE
 *   vmm-seccomp export ROLE --format bpf|c|pfc [-o FILE]
 *   vmm-seccomp check [--policy-dir DIR] [FILE|DIR]
 *   vmm-seccomp explain NUMBER|NAME
 *   vmm-seccomp simulate ROLE SYSCALL [ARG...]
 *   vmm-seccomp profile [-o DIR] [--role-map NAME=ROLE]... -- CMD [ARG...]
 * Options for show, export, simulate (and --policy-dir for roles, check,
 * landlock, profile): --policy-dir DIR, --mode CONFIG,
 * --arch ARCH, --pid PID; and --allow-dangerous (also check).
 * Exit codes: 0 done (check: no findings; simulate: allowed), 1 check
 * found problems / simulate: refused, 2 usage, 3 bad input (a policy that
 * does not parse or resolve, an unknown role, syscall or constant).
 */
#include "bpf.h"
#include "internal.h"
#include "profile.h"

#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_FINDINGS 1
#define EXIT_USAGE 2
#define EXIT_BAD_INPUT 3

static const char usage_text[] =
	"usage: vmm-seccomp COMMAND [ARGS]\n"
	"\n"
	"  roles                              list the roles and what each is for (with\n"
	"                                     --policy-dir, those it defines or replaces too)\n"
	"  show ROLE                          the resolved rules of a role, with where each comes "
	"from\n"
	"  export ROLE --format bpf|c|pfc [-o FILE]\n"
	"                                     the compiled filter: raw BPF, a C array, or pseudo "
	"code\n"
	"  check FILE|DIR                     parse, resolve and lint policies (a ROLE.policy file "
	"or a\n"
	"                                     policy directory; FILE adds to the roles of\n"
	"                                     --policy-dir DIR)\n"
	"  explain NUMBER|NAME                syscall and ioctl numbers <-> names\n"
	"  simulate ROLE SYSCALL [ARG...]     what the baseline stacked with ROLE does with a "
	"syscall\n"
	"  landlock [[ROLE=]PATH:ACCESS...]   what Landlock enforces on this kernel (ABI, rights,\n"
	"                                     scopes) and each layer's path rules, with those "
	"given\n"
	"                                     (ACCESS: ro, rw or names joined by '+': read, "
	"write,\n"
	"                                     create, socket, device, connect)\n"
	"\n"
	"options (show, export, simulate; --policy-dir also roles, check, landlock, profile):\n"
	"  --policy-dir DIR   policies from DIR as vmm_seccomp_load_policy_dir() reads them:\n"
	"                     ROLE.policy replaces a built-in role or defines a new one\n"
	"  --mode CONFIG      a configuration string, e.g. \"errno\" or \"enforce,vcpu=log\"\n"
	"  --arch ARCH        x86_64 or aarch64 (default: this build's): policies built for that\n"
	"                     arch (shown, exported and simulated only)\n"
	"  --allow-dangerous  (also check) let a baseline policy allow syscalls on the dangerous\n"
	"                     list, as VMM_SECCOMP_ALLOW_DANGEROUS does; refused without it\n"
	"  --pid PID          the process id the filters hold for $pid, as in a process of that\n"
	"                     id (default: this tool's own); simulate takes $pid as an argument\n"
	"\n"
	"exit codes: 0 done (check: nothing found; simulate: allowed), 1 check found problems or\n"
	"simulate: refused, 2 usage, 3 bad input.  `vmm-seccomp COMMAND --help` for one command.\n";

static int usage(FILE *f, int code)
{
	fputs(usage_text, f);
	return code;
}

/* ---- shared helpers ---- */

struct opts {
	const char *policy_dir;
	const char *mode;
	const char *format;
	const char *output;
	const char *arch;
	const char *pid;
	const char *pos[8];
	int n_pos;
	unsigned int flags; /* VMM_SECCOMP_ALLOW_DANGEROUS (--allow-dangerous) */
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (!strcmp(argv[i], "--policy-dir"))
			slot = &o->policy_dir;
		else if (!strcmp(argv[i], "--mode"))
			slot = &o->mode;
		else if (!strcmp(argv[i], "--format"))
			slot = &o->format;
		else if (!strcmp(argv[i], "-o"))
			slot = &o->output;
		else if (!strcmp(argv[i], "--arch"))
			slot = &o->arch;
		else if (!strcmp(argv[i], "--pid"))
			slot = &o->pid;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return -2;
		else if (!strcmp(argv[i], "--allow-dangerous")) {
			o->flags |= VMM_SECCOMP_ALLOW_DANGEROUS;
			continue;
		}
		if (slot) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmm-seccomp: %s needs a value\n", argv[i]);
				return -1;
			}
			*slot = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] &&
			   (argv[i][1] < '0' || argv[i][1] > '9')) {
			fprintf(stderr, "vmm-seccomp: unknown option %s\n", argv[i]);
			return -1;
		} else if (o->n_pos < 8) {
			o->pos[o->n_pos++] = argv[i];
		} else {
			fprintf(stderr, "vmm-seccomp: too many arguments\n");
			return -1;
		}
	}
	return 0;
}

/* The filters as a process of that id holds them: every comparison with
 * $pid (BPF_SLOT_PID) filled in with `pid`. */
static void fill_pid(struct vmm_seccomp *ctx, uint32_t pid)
{
	unsigned int r;
	size_t i;

	for (r = 0; r < ctx->n_roles; r++) {
		struct layer *L = &ctx->layer[r];

		if (!L->prog)
			continue;
		for (i = 0; i < L->n_relocs; i++) {
			if (L->relocs[i].slot == BPF_SLOT_PID)
				L->prog[L->relocs[i].at].k = pid;
		}
		L->pid = pid;
	}
}

/* A compiled context as the options describe it, or NULL (message printed). */
static struct vmm_seccomp *compiled_ctx(const struct opts *o)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	unsigned long pid = 0;
	char *end = NULL;

	if (!ctx) {
		fprintf(stderr, "vmm-seccomp: out of memory\n");
		return NULL;
	}
	if (o->arch && strcmp(o->arch, "x86_64") != 0 && strcmp(o->arch, "aarch64") != 0) {
		fprintf(stderr, "vmm-seccomp: unknown architecture '%s' (x86_64, aarch64)\n",
			o->arch);
		vmm_seccomp_free(ctx);
		return NULL;
	}
	if (o->pid) {
		errno = 0;
		pid = strtoul(o->pid, &end, 0);
	}
	if (o->pid && (!*o->pid || *end || errno || pid == 0 || pid > INT32_MAX)) {
		fprintf(stderr, "vmm-seccomp: --pid %s: not a process id\n", o->pid);
		vmm_seccomp_free(ctx);
		return NULL;
	}
	ctx->no_prebuilt = true; /* show and lint read the resolved policies */
	/* the policies before the modes: --mode can name the roles a policy
	 * directory defines */
	if ((o->arch && ctx_set_arch(ctx, strcmp(o->arch, "aarch64") ? POLICY_ARCH_X86_64
								     : POLICY_ARCH_AARCH64)) ||
	    (o->policy_dir && vmm_seccomp_load_policy_dir(ctx, o->policy_dir, o->flags)) ||
	    (o->mode && vmm_seccomp_configure(ctx, o->mode)) || vmm_seccomp_compile(ctx)) {
		fprintf(stderr, "vmm-seccomp: %s\n", vmm_seccomp_last_error(ctx));
		vmm_seccomp_free(ctx);
		return NULL;
	}
	if (o->pid)
		fill_pid(ctx, (uint32_t)pid);
	return ctx;
}

/* Whether a rule of layer `role` for syscall nr compares with $pid. */
static bool names_pid(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, int nr)
{
	const struct policy *p = &ctx->layer[role].resolved;
	size_t i;
	unsigned int c, k;

	for (i = 0; i < p->n_rules; i++) {
		for (c = 0; p->rules[i].nr == nr && c < p->rules[i].n_clauses; c++) {
			for (k = 0; k < p->rules[i].clauses[c].n; k++) {
				if (p->rules[i].clauses[c].cmp[k].src == POLICY_VALUE_PID)
					return true;
			}
		}
	}
	return false;
}

/* A role of ctx (built-in, or defined by --policy-dir), by name. */
static int role_arg(const struct vmm_seccomp *ctx, const char *name, enum vmm_seccomp_role *role)
{
	char roles[VMM_SECCOMP_ROLE_MAX * (VMM_SECCOMP_ROLE_NAME_MAX + 2)];

	if (vmm_seccomp_find_role(ctx, name, role)) {
		role_list(ctx, roles, sizeof(roles));
		fprintf(stderr, "vmm-seccomp: unknown role '%s' (roles: %s)\n", name, roles);
		return -1;
	}
	return 0;
}

/* A number or a named constant. */
static int value_arg(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (*s && !*end && !errno)
		return 0;
	if (*s == '-') {
		long long n = strtoll(s, &end, 0);

		if (!*end && !errno) {
			*v = (uint64_t)n;
			return 0;
		}
	}
	/* (a constant was looked up for the policies' arch already: the
	 * build's own constants are no fallback, --arch's may differ) */
	fprintf(stderr, "vmm-seccomp: '%s' is neither a number nor a known constant\n", s);
	return -1;
}

/* ---- roles ---- */

/* The first comment line of a policy text: what the role is for. */
static void print_purpose(const char *text)
{
	const char *line = text && text[0] == '#' ? text + 1 : "";
	size_t n;

	while (*line == ' ')
		line++;
	n = strcspn(line, "\n");
	printf("%.*s", (int)n, line);
}

static int cmd_roles(const struct opts *o)
{
	struct vmm_seccomp *ctx = compiled_ctx(o);
	unsigned int r;

	if (!ctx)
		return EXIT_BAD_INPUT;
	for (r = 0; r < vmm_seccomp_role_count(ctx); r++) {
		const char *name = vmm_seccomp_get_role_name(ctx, r);
		char file[64 + 2 * VMM_SECCOMP_ROLE_NAME_MAX];
		char *text = NULL;
		size_t cap = 0;
		FILE *f = NULL;

		printf("%-15s ", name);
		if (ctx->layer[r].replaced && o->policy_dir) {
			/* from the directory: defined there, or replacing a built-in */
			snprintf(file, sizeof(file), "%s/%s.policy", o->policy_dir, name);
			f = fopen(file, "re");
			if (f && getdelim(&text, &cap, '\0', f) >= 0)
				print_purpose(text);
			if (f)
				fclose(f);
			free(text);
			printf(" [%s %s]\n",
			       r < VMM_SECCOMP_ROLE_COUNT ? "replaced by" : "defined by", file);
			continue;
		}
		snprintf(file, sizeof(file), "roles/%s.policy", name);
		print_purpose(builtin_policy_text(file));
		printf("\n");
	}
	vmm_seccomp_free(ctx);
	return 0;
}

/* ---- show ---- */

static int cmd_show(const struct opts *o)
{
	enum vmm_seccomp_role role;
	struct vmm_seccomp *ctx;
	size_t i;

	if (o->n_pos != 1)
		return usage(stderr, EXIT_USAGE);
	ctx = compiled_ctx(o);
	if (!ctx)
		return EXIT_BAD_INPUT;
	if (role_arg(ctx, o->pos[0], &role)) {
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	printf("# role %s, mode %s; a syscall runs only if the baseline (role process) allows it "
	       "too\n",
	       vmm_seccomp_get_role_name(ctx, role),
	       vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(ctx, role)));
	for (i = 0; i < ctx->layer[role].resolved.n_rules; i++) {
		const struct policy *p = &ctx->layer[role].resolved;
		const struct policy_rule *r = &p->rules[i];
		char buf[32];

		printf("%s", r->syscall);
		if (r->n_clauses) {
			fputs(": ", stdout);
			print_condition(r, stdout);
		}
		if (r->action != POLICY_ACT_ALLOW)
			printf(" -> %s", action_text(r, buf, sizeof(buf)));
		printf("    # %s:%u\n", p->files[r->file], r->line);
	}
	printf("write: arg0 == %d    # the report descriptor, added to every layer\n",
	       ctx->report_fd);
	printf("rt_sigreturn    # the library's SIGSYS handler returns through it: every layer\n");
	vmm_seccomp_free(ctx);
	return 0;
}

/* ---- export ---- */

static void export_pfc(const struct vmm_seccomp *ctx, enum vmm_seccomp_role role, FILE *f)
{
	const struct policy *p = &ctx->layer[role].resolved;
	size_t i;

	fprintf(f,
		"#\n# pseudo filter code of role %s (libseccomp's pfc layout)\n"
		"# $pid: process id %u (filled in again where the filter is installed)\n#\n",
		vmm_seccomp_get_role_name(ctx, role), ctx->layer[role].pid);
	if (ctx->arch == POLICY_ARCH_AARCH64) {
		fprintf(f, "# filter for arch aarch64 (%u)\nif ($arch == %u)\n", AUDIT_ARCH_AARCH64,
			AUDIT_ARCH_AARCH64);
	} else {
		fprintf(f, "# filter for arch x86_64 (%u)\nif ($arch == %u)\n", AUDIT_ARCH_X86_64,
			AUDIT_ARCH_X86_64);
		fprintf(f,
			"  # x32 syscall numbers are a foreign ABI\n  if ($syscall >= 0x40000000)\n"
			"    action BADARCH;\n");
	}
	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		unsigned int c, k;
		char buf[32];

		fprintf(f, "  # %s (%d) from %s:%u\n  if ($syscall == %d)\n", r->syscall, r->nr,
			p->files[r->file], r->line, r->nr);
		for (c = 0; c < (r->n_clauses ? r->n_clauses : 1); c++) {
			const struct policy_clause *cl = r->n_clauses ? &r->clauses[c] : NULL;
			unsigned int depth = 2;

			for (k = 0; cl && k < cl->n; k++, depth++) {
				const struct policy_cmp *cmp = &cl->cmp[k];
				static const char *const ops[] = { "==", "!=", "<", "<=",
								   ">",	 ">=", "==" };

				/* an argument the kernel reads as 32 bits is
				 * compared on its low word only, as the BPF does */
				const char *part = cmp->low32 ? ".lo32" : "";

				if (cmp->op == POLICY_OP_MASKED_EQ)
					fprintf(f, "%*sif (($a%u%s & %#llx) == %#llx)\n", depth * 2,
						"", cmp->arg, part, (unsigned long long)cmp->mask,
						(unsigned long long)cmp->value);
				else if (cmp->src == POLICY_VALUE_PID)
					fprintf(f, "%*sif ($a%u%s %s %#x)  # $pid\n", depth * 2, "",
						cmp->arg, part, ops[cmp->op], ctx->layer[role].pid);
				else
					fprintf(f, "%*sif ($a%u%s %s %#llx)\n", depth * 2, "",
						cmp->arg, part, ops[cmp->op],
						(unsigned long long)cmp->value);
			}
			fprintf(f, "%*saction %s;\n", depth * 2, "",
				action_text(r, buf, sizeof(buf)));
		}
	}
	fprintf(f, "  if ($syscall == %d)\n    if ($a0.lo32 == %d)\n      action allow;\n",
		resolve_ctx_syscall((void *)ctx, "write"), ctx->report_fd);
	fprintf(f, "  if ($syscall == %d)\n    action allow;\n",
		resolve_ctx_syscall((void *)ctx, "rt_sigreturn"));
	fprintf(f,
		"  # default action\n  action %s;\n# invalid architecture action\naction "
		"BADARCH;\n",
		vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(ctx, role)));
}

static int cmd_export(const struct opts *o)
{
	enum vmm_seccomp_role role;
	struct vmm_seccomp *ctx;
	const struct sock_filter *prog;
	FILE *f = stdout;
	size_t len, i;
	int rc = 0;

	if (o->n_pos != 1 || !o->format)
		return usage(stderr, EXIT_USAGE);
	if (strcmp(o->format, "bpf") != 0 && strcmp(o->format, "c") != 0 &&
	    strcmp(o->format, "pfc") != 0) {
		fprintf(stderr, "vmm-seccomp: unknown format '%s' (bpf, c, pfc)\n", o->format);
		return EXIT_USAGE;
	}
	ctx = compiled_ctx(o);
	if (!ctx)
		return EXIT_BAD_INPUT;
	if (role_arg(ctx, o->pos[0], &role)) {
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	prog = vmm_seccomp_program(ctx, role, &len);
	if (!prog) {
		fprintf(stderr, "vmm-seccomp: role %s is off: no filter\n", o->pos[0]);
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	if (o->output)
		f = fopen(o->output, "we");
	if (!f) {
		fprintf(stderr, "vmm-seccomp: %s: %s\n", o->output, strerror(errno));
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(o->format, "bpf")) {
		if (fwrite(prog, sizeof(*prog), len, f) != len)
			rc = EXIT_BAD_INPUT;
	} else if (!strcmp(o->format, "c")) {
		fprintf(f, "/* role %s, mode %s: %zu instructions, generated by vmm-seccomp */\n",
			vmm_seccomp_get_role_name(ctx, role),
			vmm_seccomp_mode_name(vmm_seccomp_get_role_mode(ctx, role)), len);
		fprintf(f,
			"#include <linux/filter.h>\n\nstatic const struct sock_filter "
			"vmm_seccomp_%s_filter[%zu] = {\n",
			vmm_seccomp_get_role_name(ctx, role), len);
		for (i = 0; i < len; i++)
			fprintf(f, "\t{ 0x%04x, %3u, %3u, 0x%08x },\n", prog[i].code, prog[i].jt,
				prog[i].jf, prog[i].k);
		fprintf(f, "};\n");
	} else {
		export_pfc(ctx, role, f);
	}
	if (f != stdout && fclose(f))
		rc = EXIT_BAD_INPUT;
	vmm_seccomp_free(ctx);
	return rc;
}

/* ---- check ---- */

/* Syscalls whose every rule needs a comment saying why. */
static bool sensitive(const char *name)
{
	static const char *const list[] = { "clone",	"clone3", "ioctl",	  "mmap",
					    "mprotect", "prctl",  "socket",	  "socketpair",
					    "openat",	"open",	  "seccomp",	  "madvise",
					    "tgkill",	"kill",	  "setsockopt",	  "connect",
					    "bind",	"fcntl",  "memfd_create", NULL };
	size_t i;

	for (i = 0; list[i]; i++) {
		if (!strcmp(list[i], name))
			return true;
	}
	return vmm_seccomp_is_dangerous(name);
}

static int lint(const char *role_name, const struct policy *p)
{
	size_t i, j;
	int findings = 0;

	for (i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const char *file = p->files[r->file];
		bool allows = r->action == POLICY_ACT_ALLOW || r->action == POLICY_ACT_LOG ||
			      r->action == POLICY_ACT_SIGMASK;

		if (strncmp(file, "builtin/", 8) == 0 || builtin_policy_text(file))
			continue; /* the built-in files are checked by the test suite */
		if (allows && vmm_seccomp_is_dangerous(r->syscall)) {
			printf("%s:%u:%u: error: role %s allows %s, which is on the dangerous "
			       "list\n",
			       file, r->line, r->col, role_name, r->syscall);
			findings++;
		}
		if (allows && sensitive(r->syscall) && !r->commented) {
			printf("%s:%u:%u: warning: %s has no comment saying why the role needs "
			       "it\n",
			       file, r->line, r->col, r->syscall);
			findings++;
		}
		for (j = 0; j < i; j++) {
			const struct policy_rule *o = &p->rules[j];

			if (o->nr == r->nr && o->n_clauses == 0) {
				printf("%s:%u:%u: warning: this %s rule is never used: %s:%u "
				       "allows it "
				       "whatever its arguments\n",
				       file, r->line, r->col, r->syscall, p->files[o->file],
				       o->line);
				findings++;
				break;
			}
		}
	}
	return findings;
}

/* Optimal string alignment distance of a and b, both shorter than
 * VMM_SECCOMP_ROLE_NAME_MAX + 1: edits, and swaps of two neighbours. */
static size_t name_distance(const char *a, const char *b)
{
	size_t d[VMM_SECCOMP_ROLE_NAME_MAX + 2][VMM_SECCOMP_ROLE_NAME_MAX + 2];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > VMM_SECCOMP_ROLE_NAME_MAX || lb > VMM_SECCOMP_ROLE_NAME_MAX)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/*
 * A directory's NAME.policy named after no built-in role defines role NAME,
 * and leaves the built-in roles as they are: a "vpcu.policy" or
 * "virtio_nte.policy" meant for vcpu or virtio_net holds rules no thread
 * they were meant for will get.  A name one edit (or one
 * swap) from a built-in role's is flagged.
 */
static int lint_role_name(const struct vmm_seccomp *ctx, unsigned int r, const char *dir)
{
	const char *name = vmm_seccomp_get_role_name(ctx, r);
	unsigned int b;

	for (b = 0; b < VMM_SECCOMP_ROLE_COUNT; b++) {
		const char *builtin = vmm_seccomp_get_role_name(ctx, b);

		if (name_distance(name, builtin) == 1) {
			printf("%s/%s.policy:1:1: warning: defines a new role '%s', one edit "
			       "from the built-in role '%s', which it leaves as it is: a typo? "
			       "(a role of one's own wants a name of its own)\n",
			       dir, name, name, builtin);
			return 1;
		}
	}
	return 0;
}

/* The directory whose NAME.policy defined role r. */
static const char *defining_dir(const struct opts *o, const struct vmm_seccomp *ctx, unsigned int r,
				const struct stat *st)
{
	char file[PATH_MAX];

	if (o->n_pos && S_ISDIR(st->st_mode)) {
		snprintf(file, sizeof(file), "%s/%s.policy", o->pos[0],
			 vmm_seccomp_get_role_name(ctx, r));
		if (!o->policy_dir || access(file, F_OK) == 0)
			return o->pos[0];
	}
	return o->policy_dir ? o->policy_dir : ".";
}

static int cmd_check(const struct opts *o)
{
	struct vmm_seccomp *ctx;
	struct stat st;
	int findings = 0, rc;
	unsigned int r;

	if (o->n_pos > 1 || (!o->n_pos && !o->policy_dir))
		return usage(stderr, EXIT_USAGE);
	if (o->n_pos && stat(o->pos[0], &st)) {
		fprintf(stderr, "vmm-seccomp: %s: %s\n", o->pos[0], strerror(errno));
		return EXIT_BAD_INPUT;
	}
	ctx = vmm_seccomp_new();
	if (!ctx)
		return EXIT_BAD_INPUT;
	/* --policy-dir first: a FILE then adds to the roles it has */
	rc = o->policy_dir ? vmm_seccomp_load_policy_dir(ctx, o->policy_dir, o->flags) : 0;
	if (rc || !o->n_pos) {
		/* nothing more */
	} else if (S_ISDIR(st.st_mode)) {
		rc = vmm_seccomp_load_policy_dir(ctx, o->pos[0], o->flags);
	} else {
		/* one file: rules for the role it is named after (built-in, or
		 * defined by --policy-dir), or rules to add to the baseline when
		 * it is not named after a role */
		const char *base =
			strrchr(o->pos[0], '/') ? strrchr(o->pos[0], '/') + 1 : o->pos[0];
		char name[64];
		enum vmm_seccomp_role role = VMM_SECCOMP_ROLE_PROCESS;
		FILE *f = fopen(o->pos[0], "re");
		char *text = NULL;
		size_t cap = 0;
		ssize_t n;

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
		vmm_seccomp_find_role(ctx, name, &role);
		if (!f) {
			fprintf(stderr, "vmm-seccomp: %s: %s\n", o->pos[0], strerror(errno));
			vmm_seccomp_free(ctx);
			return EXIT_BAD_INPUT;
		}
		n = getdelim(&text, &cap, '\0', f);
		fclose(f);
		rc = n < 0 ? -EINVAL : vmm_seccomp_add_rules(ctx, role, text, o->pos[0], o->flags);
		free(text);
	}
	ctx->no_prebuilt = true; /* the lints read the resolved policies */
	if (!rc)
		rc = vmm_seccomp_compile(ctx);
	if (rc) {
		printf("%s\n", vmm_seccomp_last_error(ctx));
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	for (r = 0; r < vmm_seccomp_role_count(ctx); r++) {
		findings += lint(vmm_seccomp_get_role_name(ctx, r), &ctx->layer[r].resolved);
		/* a role a directory defines: the positional one, read last,
		 * unless only --policy-dir defines it */
		if (r >= VMM_SECCOMP_ROLE_COUNT)
			findings += lint_role_name(ctx, r, defining_dir(o, ctx, r, &st));
	}
	vmm_seccomp_free(ctx);
	printf("%d finding%s\n", findings, findings == 1 ? "" : "s");
	return findings ? EXIT_FINDINGS : 0;
}

/* ---- explain ---- */

static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{ "x86_64", SCMP_ARCH_X86_64 },
	{ "i386", SCMP_ARCH_X86 },
	{ "x32", SCMP_ARCH_X32 },
	{ "aarch64", SCMP_ARCH_AARCH64 },
};

static int cmd_explain(const struct opts *o)
{
	const char *what;
	char *end;
	unsigned long long v;
	size_t a;
	int found = 0;

	if (o->n_pos != 1)
		return usage(stderr, EXIT_USAGE);
	what = o->pos[0];
	if (!strcmp(what, "$pid")) {
		printf("runtime value $pid: the process id, filled in when the filter is installed "
		       "(compared with == or != on a pid_t argument); this tool's is %d\n",
		       (int)getpid());
		return 0;
	}
	errno = 0;
	v = strtoull(what, &end, 0);
	if (*what && !*end && !errno) {
		for (a = 0; a < sizeof(arches) / sizeof(arches[0]) && v < 0x10000; a++) {
			char *name = syscall_resolve_num(arches[a].token, (int)v);

			if (name) {
				printf("syscall %llu on %s: %s\n", v, arches[a].name, name);
				found++;
			}
			free(name);
		}
		if (policy_ioctl_name(v)) {
			printf("ioctl request %#llx: %s\n", v, policy_ioctl_name(v));
			found++;
		}
	} else {
		uint64_t c;

		for (a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
			int nr = syscall_resolve_name(arches[a].token, what);

			if (nr >= 0) {
				printf("syscall %s on %s: %d\n", what, arches[a].name, nr);
				found++;
			}
		}
		if (policy_constant(what, strlen(what), &c)) {
			printf("%s %s: %#llx (%llu)\n",
			       policy_ioctl_name(c) && !strcmp(policy_ioctl_name(c), what)
				       ? "ioctl request"
				       : "constant",
			       what, (unsigned long long)c, (unsigned long long)c);
			found++;
		}
	}
	if (!found) {
		fprintf(stderr, "vmm-seccomp: nothing known as '%s'\n", what);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

/* ---- simulate ---- */

/* What `ret` means for syscall `in`, as the SIGSYS handler would take it. */
static void describe(uint32_t ret, const struct vmm_seccomp *ctx, const struct bpf_input *in,
		     char *buf, size_t len)
{
	uint32_t data = ret & SECCOMP_RET_DATA;

	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		snprintf(buf, len, "allow");
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, len, "log (runs, the kernel logs it)");
		break;
	case SECCOMP_RET_ERRNO:
		snprintf(buf, len, "errno %u (%s)", data, strerror((int)data));
		break;
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, len, "kill-process");
		break;
	case SECCOMP_RET_TRAP:
		if (TRAP_DATA_MODE(data) == TRAP_MODE_SIGMASK)
			snprintf(buf, len, "trap: rt_sigprocmask emulated by the library (runs)");
		else if (trap_is_unreviewed(ctx, data, in->arch, in->nr))
			snprintf(
				buf, len,
				"trap: unreviewed (no policy has reviewed it), layer %s in mode %s "
				"(report, fails with ENOSYS)",
				vmm_seccomp_get_role_name(ctx, TRAP_DATA_ROLE(data)),
				vmm_seccomp_mode_name(TRAP_DATA_MODE(data)));
		else
			snprintf(buf, len, "trap: violation, refused by layer %s in mode %s (%s)",
				 vmm_seccomp_get_role_name(ctx, TRAP_DATA_ROLE(data)),
				 vmm_seccomp_mode_name(TRAP_DATA_MODE(data)),
				 TRAP_DATA_MODE(data) == VMM_SECCOMP_MODE_ERRNO ? "report, EPERM"
										: "report, kill");
		break;
	default:
		snprintf(buf, len, "%#x", ret);
	}
}

static int cmd_simulate(const struct opts *o)
{
	struct bpf_input in = { .arch = AUDIT_ARCH_X86_64 };
	enum vmm_seccomp_role role;
	struct vmm_seccomp *ctx;
	uint32_t rets[2], final;
	unsigned int steps[2] = { 0, 0 };
	int i, n_layers = 0, nr;
	char buf[200];
	char *end;
	uint32_t pid;
	bool pid_used = false;

	if (o->n_pos < 2 || o->n_pos > 8)
		return usage(stderr, EXIT_USAGE);
	ctx = compiled_ctx(o);
	if (!ctx)
		return EXIT_BAD_INPUT;
	if (role_arg(ctx, o->pos[0], &role)) {
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	in.arch = ctx->arch == POLICY_ARCH_AARCH64 ? AUDIT_ARCH_AARCH64 : AUDIT_ARCH_X86_64;
	nr = (int)strtol(o->pos[1], &end, 0);
	if (*end || !*o->pos[1])
		nr = resolve_ctx_syscall(ctx, o->pos[1]);
	if (nr < 0) {
		fprintf(stderr, "vmm-seccomp: unknown syscall '%s'\n", o->pos[1]);
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	in.nr = nr;
	/* (--pid was checked by compiled_ctx) */
	pid = o->pid ? (uint32_t)strtoul(o->pid, NULL, 0) : (uint32_t)getpid();
	for (i = 2; i < o->n_pos; i++) {
		if (!strcmp(o->pos[i], "$pid")) {
			in.args[i - 2] = pid;
			pid_used = true;
			continue;
		}
		if (!policy_constant_arch(o->pos[i], strlen(o->pos[i]), ctx->arch,
					  &in.args[i - 2]) &&
		    value_arg(o->pos[i], &in.args[i - 2])) {
			vmm_seccomp_free(ctx);
			return EXIT_BAD_INPUT;
		}
	}
	for (i = 0; i < 2; i++) {
		enum vmm_seccomp_role layer = i ? role : VMM_SECCOMP_ROLE_PROCESS;
		size_t len;
		const struct sock_filter *prog = vmm_seccomp_program(ctx, layer, &len);

		if (i && role == VMM_SECCOMP_ROLE_PROCESS)
			break;
		if (!prog) {
			printf("%-8s %-15s off: no filter\n", i ? "role" : "baseline",
			       vmm_seccomp_get_role_name(ctx, layer));
			continue;
		}
		if (bpf_run(prog, len, &in, &rets[n_layers], &steps[n_layers])) {
			fprintf(stderr, "vmm-seccomp: the simulator refused the program\n");
			vmm_seccomp_free(ctx);
			return EXIT_BAD_INPUT;
		}
		describe(rets[n_layers], ctx, &in, buf, sizeof(buf));
		printf("%-8s %-15s %s  [%u BPF instructions]\n", i ? "role" : "baseline",
		       vmm_seccomp_get_role_name(ctx, layer), buf, steps[n_layers]);
		n_layers++;
	}
	/* which process the filters were filled in for, where it matters */
	if (pid_used || names_pid(ctx, VMM_SECCOMP_ROLE_PROCESS, nr) || names_pid(ctx, role, nr))
		printf("$pid     %u (%s)\n", pid,
		       o->pid ? "--pid" : "this tool's own process id; --pid PID for another");
	final = bpf_stack_verdict(rets, (size_t)n_layers);
	if (!n_layers)
		final = SECCOMP_RET_ALLOW;
	describe(final, ctx, &in, buf, sizeof(buf));
	printf("verdict  %s(", o->pos[1]);
	for (i = 0; i < o->n_pos - 2; i++)
		printf("%s%#llx", i ? ", " : "", (unsigned long long)in.args[i]);
	printf("): %s", buf);
	if ((final & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP &&
	    TRAP_DATA_MODE(final & SECCOMP_RET_DATA) != TRAP_MODE_SIGMASK &&
	    TRAP_DATA_ROLE(final & SECCOMP_RET_DATA) != role)
		printf("; reported as role %s (the thread's role)",
		       vmm_seccomp_get_role_name(ctx, role));
	printf("\n");
	vmm_seccomp_free(ctx);
	switch (final & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return 0;
	case SECCOMP_RET_TRAP:
		return TRAP_DATA_MODE(final & SECCOMP_RET_DATA) == TRAP_MODE_SIGMASK
			       ? 0
			       : EXIT_FINDINGS;
	default:
		return EXIT_FINDINGS;
	}
}

/* ---- landlock ---- */

static int cmd_landlock(const struct opts *o)
{
	struct vmm_seccomp *ctx = vmm_seccomp_new();
	char line[600];
	unsigned int r;
	int i, rc = 0;

	if (!ctx)
		return EXIT_BAD_INPUT;
	/* the roles a policy directory defines can be given rules */
	if (o->policy_dir && vmm_seccomp_load_policy_dir(ctx, o->policy_dir, o->flags)) {
		fprintf(stderr, "vmm-seccomp landlock: %s\n", vmm_seccomp_last_error(ctx));
		vmm_seccomp_free(ctx);
		return EXIT_BAD_INPUT;
	}
	for (i = 0; i < o->n_pos && !rc; i++) {
		const char *rule = o->pos[i], *eq = strchr(rule, '=');
		enum vmm_seccomp_role role = VMM_SECCOMP_ROLE_PROCESS;
		char name[32];

		if (eq && rule[0] != '/') {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - rule), rule);
			if (vmm_seccomp_find_role(ctx, name, &role)) {
				fprintf(stderr, "vmm-seccomp landlock: %s: unknown role \"%s\"\n",
					rule, name);
				rc = EXIT_BAD_INPUT;
				break;
			}
			rule = eq + 1;
		}
		if (vmm_seccomp_add_path_rule(ctx, role, rule)) {
			fprintf(stderr, "vmm-seccomp landlock: %s\n", vmm_seccomp_last_error(ctx));
			rc = EXIT_BAD_INPUT;
		}
	}
	if (!rc) {
		vmm_seccomp_landlock_status(ctx, NULL, line, sizeof(line));
		printf("%s\n", line);
		for (r = 0; r < vmm_seccomp_role_count(ctx); r++) {
			printf("%s:\n", vmm_seccomp_get_role_name(ctx, r));
			landlock_print_rules(ctx, r, stdout);
		}
	}
	vmm_seccomp_free(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int rc;

	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
		return usage(stdout, 0);
	if (!strcmp(cmd, "profile"))
		return profile_main(argc - 2, argv + 2);
	rc = parse_opts(argc - 2, argv + 2, &o);
	if (rc == -2)
		return usage(stdout, 0);
	if (rc)
		return usage(stderr, EXIT_USAGE);
	if (!strcmp(cmd, "roles"))
		return o.n_pos ? usage(stderr, EXIT_USAGE) : cmd_roles(&o);
	if (!strcmp(cmd, "show"))
		return cmd_show(&o);
	if (!strcmp(cmd, "export"))
		return cmd_export(&o);
	if (!strcmp(cmd, "check"))
		return cmd_check(&o);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(&o);
	if (!strcmp(cmd, "simulate"))
		return cmd_simulate(&o);
	if (!strcmp(cmd, "landlock"))
		return cmd_landlock(&o);
	fprintf(stderr, "vmm-seccomp: unknown command '%s'\n", cmd);
	return usage(stderr, EXIT_USAGE);
}
