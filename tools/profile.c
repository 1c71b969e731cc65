/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmm-seccomp profile: learn policies from a run.
 *
 * Runs a program under ptrace, records for every thread which syscalls it
 * makes — with the values of the arguments the built-in policies check —
 * maps threads to roles by name, and writes one policy file per role (in
 * the form vmm_seccomp_load_policy_dir() reads) plus a diff against the
 * built-in policies.  A syscall the built-in rules already allow is written
 * as those rules; anything else as the exact values seen.
 */
#include "profile.h"
#include "internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VECTORS 64 /* distinct argument vectors kept per role and syscall */
#define MAX_THREADS 4096
#define MAX_MAPS 32

struct seen {
	bool used;
	unsigned int n;
	uint64_t v[MAX_VECTORS][6];
	bool overflow;
};

struct thread {
	pid_t tid;
	char name[16];
	enum vmm_seccomp_role role;
	long entry_nr; /* syscall in progress, -1 between */
};

struct role_map {
	char pattern[64];
	enum vmm_seccomp_role role;
};

struct profile {
	struct seen (*seen)[NR_TABLE_SIZE]; /* per role of ctx */
	uint8_t checked[NR_TABLE_SIZE];	    /* bit i: some built-in rule tests arg i */
	struct thread threads[MAX_THREADS];
	size_t n_threads;
	struct role_map maps[MAX_MAPS];
	size_t n_maps;
	pid_t pid;	  /* the program's process id: what its filters hold for $pid */
	bool recording;	  /* after the program's exec */
	bool baseline_in; /* the program installed a process baseline */
	char thread_names[VMM_SECCOMP_ROLE_MAX][256];
	const struct vmm_seccomp *ctx; /* the roles: built-in, and --policy-dir's */
};

/* Thread names as the sample VMM and the demo give them. */
static const struct role_map default_maps[] = {
	{ "vmm", VMM_SECCOMP_ROLE_VMM },
	{ "vcpu*", VMM_SECCOMP_ROLE_VCPU },
	{ "api", VMM_SECCOMP_ROLE_API },
	{ "virtio-blk*", VMM_SECCOMP_ROLE_VIRTIO_BLOCK },
	{ "virtio-net*", VMM_SECCOMP_ROLE_VIRTIO_NET },
	{ "virtio-console*", VMM_SECCOMP_ROLE_VIRTIO_CONSOLE },
	{ "virtio-rng*", VMM_SECCOMP_ROLE_VIRTIO_RNG },
	{ "virtio-vsock*", VMM_SECCOMP_ROLE_VIRTIO_VSOCK },
	{ "virtio-fs*", VMM_SECCOMP_ROLE_VIRTIO_FS },
	{ "virtio-balloon*", VMM_SECCOMP_ROLE_VIRTIO_BALLOON },
	{ "vhost-user*", VMM_SECCOMP_ROLE_VHOST_USER },
	{ "io-worker*", VMM_SECCOMP_ROLE_IO_WORKER },
	{ "signal-handler", VMM_SECCOMP_ROLE_SIGNAL_HANDLER },
	{ "runtime*", VMM_SECCOMP_ROLE_RUNTIME },
	{ "tokio-runtime-*", VMM_SECCOMP_ROLE_RUNTIME }, /* tokio's default, cut to 15 bytes */
};

static enum vmm_seccomp_role role_of(const struct profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_maps; i++) {
		if (!fnmatch(p->maps[i].pattern, name, 0))
			return p->maps[i].role;
	}
	for (i = 0; i < sizeof(default_maps) / sizeof(default_maps[0]); i++) {
		if (!fnmatch(default_maps[i].pattern, name, 0))
			return default_maps[i].role;
	}
	/* a role a policy directory defines: threads named after it, with
	 * '_' or '-' ("virtio_gpu" takes virtio_gpu0 and virtio-gpu0) */
	for (i = VMM_SECCOMP_ROLE_COUNT; i < vmm_seccomp_role_count(p->ctx); i++) {
		const char *role = vmm_seccomp_get_role_name(p->ctx, (enum vmm_seccomp_role)i);
		size_t k, n = strlen(role);

		for (k = 0; k < n && name[k]; k++) {
			if (name[k] != role[k] && !(role[k] == '_' && name[k] == '-'))
				break;
		}
		if (k == n)
			return (enum vmm_seccomp_role)i;
	}
	return VMM_SECCOMP_ROLE_PROCESS;
}

static void refresh_name(struct profile *p, struct thread *t, pid_t pid)
{
	char path[64], name[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, t->tid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(name, sizeof(name), f)) {
			char *nl = strchr(name, '\n');

			if (nl)
				*nl = '\0';
		}
		fclose(f);
	}
	snprintf(t->name, sizeof(t->name), "%.15s", name);
	t->role = role_of(p, t->name);
	if (t->role != VMM_SECCOMP_ROLE_PROCESS && !strstr(p->thread_names[t->role], t->name) &&
	    strlen(p->thread_names[t->role]) + strlen(t->name) + 3 < sizeof(p->thread_names[0])) {
		char *names = p->thread_names[t->role];
		size_t used = strlen(names);

		snprintf(names + used, sizeof(p->thread_names[0]) - used, "%s%s", used ? ", " : "",
			 t->name);
	}
}

static struct thread *thread_of(struct profile *p, pid_t tid, pid_t pid)
{
	size_t i;

	for (i = 0; i < p->n_threads; i++) {
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	}
	if (p->n_threads == MAX_THREADS)
		return NULL;
	p->threads[p->n_threads].tid = tid;
	p->threads[p->n_threads].entry_nr = -1;
	refresh_name(p, &p->threads[p->n_threads], pid);
	return &p->threads[p->n_threads++];
}

static void record(struct profile *p, enum vmm_seccomp_role role, int nr, const uint64_t args[6])
{
	struct seen *s = &p->seen[role][nr];
	uint64_t v[6];
	unsigned int i, a;

	s->used = true;
	for (a = 0; a < 6; a++)
		v[a] = (p->checked[nr] & (1u << a)) ? args[a] : 0;
	for (i = 0; i < s->n; i++) {
		if (!memcmp(s->v[i], v, sizeof(v)))
			return;
	}
	if (s->n == MAX_VECTORS) {
		s->overflow = true;
		return;
	}
	memcpy(s->v[s->n++], v, sizeof(v));
}

/* ---- tracing ---- */

static int trace(struct profile *p, char **argv, bool keep_seccomp)
{
	pid_t child, pid;
	int status, exit_code = -1;

	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		/* log: the filters go in (their installation tells the tracer
		 * when the baseline and each role start) but stop nothing */
		if (!keep_seccomp)
			setenv(VMM_SECCOMP_ENV, "log", 1);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(126);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		fprintf(stderr, "vmm-seccomp profile: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status))
		return -ECHILD;
	p->pid = child;
	ptrace(PTRACE_SETOPTIONS, child, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
			      PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
	ptrace(PTRACE_SYSCALL, child, NULL, NULL);
	while ((pid = waitpid(-1, &status, __WALL)) > 0) {
		int sig = 0;

		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (pid == child)
				exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
							      : 128 + WTERMSIG(status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			struct thread *t = thread_of(p, pid, child);
			bool is_install;

			/* valgrind does not know this request fills the buffer */
			memset(&info, 0, sizeof(info));
			if (t &&
			    ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) > 0) {
				if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
					t->entry_nr = (long)info.entry.nr;
					/* Installing the baseline on every thread: what
					 * came before (start-up, loading libraries) need
					 * not be in any policy. */
					if (info.entry.nr == SYS_seccomp &&
					    info.entry.args[0] == SECCOMP_SET_MODE_FILTER &&
					    (info.entry.args[1] & SECCOMP_FILTER_FLAG_TSYNC) &&
					    !p->baseline_in) {
						p->baseline_in = true;
						memset(p->seen, 0,
						       vmm_seccomp_role_count(p->ctx) *
							       sizeof(*p->seen));
					}
					/* installing a filter belongs to the layer below it:
					 * the baseline's own install to none, a role's to the
					 * baseline */
					is_install = info.entry.nr == SYS_seccomp &&
						     info.entry.args[0] == SECCOMP_SET_MODE_FILTER;
					if (p->recording && info.arch == NATIVE_AUDIT_ARCH &&
					    !(is_install &&
					      (info.entry.args[1] & SECCOMP_FILTER_FLAG_TSYNC)) &&
					    info.entry.nr < NR_TABLE_SIZE) {
						record(p, VMM_SECCOMP_ROLE_PROCESS,
						       (int)info.entry.nr, info.entry.args);
						if (t->role != VMM_SECCOMP_ROLE_PROCESS &&
						    !is_install)
							record(p, t->role, (int)info.entry.nr,
							       info.entry.args);
					}
				} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
					/* a thread that renamed itself may have a new role */
					if (t->entry_nr == SYS_prctl)
						refresh_name(p, t, child);
					t->entry_nr = -1;
				}
			}
		} else if (status >> 16) {
			/* PTRACE_EVENT_EXEC: the program proper starts now; other
			 * events (clone, fork): the new task is traced already */
			if ((status >> 16) == PTRACE_EVENT_EXEC)
				p->recording = true;
		} else if (WSTOPSIG(status) != SIGSTOP) {
			sig = WSTOPSIG(status); /* deliver the program's own signals */
		}
		ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig);
	}
	return exit_code;
}

/* ---- writing policies ---- */

void print_condition(const struct policy_rule *r, FILE *f)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=", "==" };
	unsigned int c, i;

	for (c = 0; c < r->n_clauses; c++) {
		const struct policy_clause *cl = &r->clauses[c];

		fputs(c ? " || " : "", f);
		for (i = 0; i < cl->n; i++) {
			const struct policy_cmp *cmp = &cl->cmp[i];
			/* ioctl requests by name, as the policies write them */
			const char *name =
				r->nr == SYS_ioctl && cmp->arg == 1 && cmp->op == POLICY_OP_EQ
					? policy_ioctl_name(cmp->value)
					: NULL;

			fputs(i ? " && " : "", f);
			if (cmp->op == POLICY_OP_MASKED_EQ)
				fprintf(f, "arg%u & %#llx == ", cmp->arg,
					(unsigned long long)cmp->mask);
			else
				fprintf(f, "arg%u %s ", cmp->arg, ops[cmp->op]);
			if (name)
				fputs(name, f);
			else if (cmp->src == POLICY_VALUE_PID)
				fputs("$pid", f);
			else
				fprintf(f, "%#llx", (unsigned long long)cmp->value);
		}
	}
}

const char *action_text(const struct policy_rule *r, char *buf, size_t len)
{
	switch (r->action) {
	case POLICY_ACT_ALLOW:
		return "allow";
	case POLICY_ACT_LOG:
		return "log";
	case POLICY_ACT_TRAP:
		return "trap";
	case POLICY_ACT_SIGMASK:
		return "emulate_sigmask";
	case POLICY_ACT_ERRNO:
		snprintf(buf, len, "return %d", r->errno_value);
		return buf;
	}
	return "?";
}

/* The built-in rule of `nr` that decides a vector the program made, or
 * NULL if none does. */
static const struct policy_rule *deciding(const struct profile *p, const struct policy *bp, int nr,
					  const uint64_t v[6])
{
	const struct policy_runtime rt = { .pid = (uint32_t)p->pid };
	size_t i;

	for (i = 0; i < bp->n_rules; i++) {
		if (bp->rules[i].nr == nr && policy_rule_matches(&bp->rules[i], v, &rt))
			return &bp->rules[i];
	}
	return NULL;
}

static int write_role(const struct profile *p, const struct vmm_seccomp *ctx,
		      enum vmm_seccomp_role role, const char *dir, char **argv, FILE *diff)
{
	const struct policy *bp = &ctx->layer[role].resolved;
	char path[4096];
	const char *nm;
	int nr, added = 0, removed = 0;
	bool role_used = false;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.policy", dir, vmm_seccomp_get_role_name(ctx, role));
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "vmm-seccomp profile: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# Role %s, learned by `vmm-seccomp profile` from:",
		vmm_seccomp_get_role_name(ctx, role));
	for (i = 0; argv[i]; i++)
		fprintf(f, " %s", argv[i]);
	fprintf(f, "\n# threads: %s\n",
		role == VMM_SECCOMP_ROLE_PROCESS ? "every thread"
		: p->thread_names[role][0]	 ? p->thread_names[role]
						 : "none: this role allows nothing");
	fprintf(f, "# Rules the built-in policy had are kept as they were; the rest are\n"
		   "# the exact argument values seen.  Review before use.\n\n");
	fprintf(diff, "== %s\n", vmm_seccomp_get_role_name(ctx, role));
	for (nr = 0; nr < NR_TABLE_SIZE && !role_used; nr++)
		role_used = p->seen[role][nr].used;
	for (nr = 0; nr < NR_TABLE_SIZE; nr++) {
		const struct seen *s = &p->seen[role][nr];
		const struct policy_rule *emitted[64];
		size_t n_emitted = 0, k, n_lines = 0, line_len;
		char *lines[128], *line;
		FILE *mf;
		unsigned int v;

		const struct policy_rule *life = NULL;

		/* What every thread needs to live and die under glibc (memory,
		 * futexes, signals, exit) varies with timing: a role that had a
		 * thread keeps that whole group. */
		for (k = 0; role_used && k < bp->n_rules && !life; k++) {
			if (bp->rules[k].nr == nr &&
			    !strcmp(bp->files[bp->rules[k].file], "groups/thread.policy"))
				life = &bp->rules[k];
		}
		if (!s->used && !life)
			continue;
		nm = ctx->names_native[nr];
		if (life)
			emitted[n_emitted++] = life;
		/*
		 * Built-in rules are kept by group: when a vector matches a rule,
		 * every rule of that syscall from the same file is kept, because
		 * arguments such as futex operations vary with timing from one
		 * run to the next, and a group is how the policies say "this
		 * kind of work needs these".
		 */
		for (v = 0; v < s->n; v++) {
			const struct policy_rule *r = deciding(p, bp, nr, s->v[v]);

			if (r && r->action != POLICY_ACT_TRAP && n_emitted < 64) {
				for (k = 0; k < n_emitted && emitted[k]->file != r->file; k++)
					;
				if (k == n_emitted)
					emitted[n_emitted++] = r;
			}
		}
		for (k = 0; k < bp->n_rules; k++) {
			const struct policy_rule *r = &bp->rules[k];
			size_t e;

			for (e = 0; e < n_emitted && (r->nr != nr || emitted[e]->file != r->file);
			     e++)
				;
			if (e == n_emitted)
				continue;
			/* groups repeat each other (kvm_vm and kvm_vcpu both set
			 * registers): write each rule once */
			line = NULL;
			line_len = 0;
			mf = open_memstream(&line, &line_len);
			if (!mf) {
				while (n_lines)
					free(lines[--n_lines]);
				fclose(f);
				return -1;
			}
			fprintf(mf, "%s", r->syscall);
			if (r->n_clauses) {
				fputs(": ", mf);
				print_condition(r, mf);
			}
			if (r->action != POLICY_ACT_ALLOW) {
				char buf[32];

				fprintf(mf, " -> %s", action_text(r, buf, sizeof(buf)));
			}
			fclose(mf);
			for (e = 0; e < n_lines && strcmp(lines[e], line) != 0; e++)
				;
			if (e < n_lines || n_lines == sizeof(lines) / sizeof(lines[0])) {
				free(line);
				continue;
			}
			lines[n_lines++] = line;
			fprintf(f, "%s    # built in: %s:%u\n", line, bp->files[r->file], r->line);
		}
		while (n_lines)
			free(lines[--n_lines]);
		for (v = 0; v < s->n; v++) {
			const struct policy_rule *r = deciding(p, bp, nr, s->v[v]);

			if (r && r->action != POLICY_ACT_TRAP)
				continue;
			/* not allowed today: the values seen */
			fprintf(f, "%s", nm ? nm : "?");
			if (p->checked[nr]) {
				unsigned int a;
				bool first = true;

				fputs(": ", f);
				for (a = 0; a < 6; a++) {
					const char *iname = nr == SYS_ioctl && a == 1
								    ? policy_ioctl_name(s->v[v][a])
								    : NULL;

					if (!(p->checked[nr] & (1u << a)))
						continue;
					fprintf(f, "%sarg%u == ", first ? "" : " && ", a);
					if (iname)
						fputs(iname, f);
					else
						fprintf(f, "%#llx", (unsigned long long)s->v[v][a]);
					first = false;
				}
			}
			fprintf(f, "    # learned: not allowed by the built-in policy\n");
			fprintf(diff, "+ %s", nm ? nm : "?");
			if (p->checked[nr]) {
				unsigned int a;

				for (a = 0; a < 6; a++) {
					if (p->checked[nr] & (1u << a))
						fprintf(diff, " arg%u=%#llx", a,
							(unsigned long long)s->v[v][a]);
				}
			}
			fputc('\n', diff);
			added++;
			if (!p->checked[nr])
				break; /* one unconditional rule says it all */
		}
		if (s->overflow)
			fprintf(f, "# (more than %d argument combinations of %s were seen)\n",
				MAX_VECTORS, nm ? nm : "?");
	}
	/* what the built-in policy allows that the run never used */
	for (i = 0; i < bp->n_rules; i++) {
		const struct policy_rule *r = &bp->rules[i];
		size_t j;
		bool dup = false;

		for (j = 0; j < i; j++)
			dup = dup || bp->rules[j].nr == r->nr;
		if (!dup && r->nr < NR_TABLE_SIZE && !p->seen[role][r->nr].used &&
		    r->action != POLICY_ACT_ERRNO) {
			fprintf(diff, "- %s    # %s:%u, not used in this run\n", r->syscall,
				bp->files[r->file], r->line);
			removed++;
		}
	}
	fprintf(diff, "   %d added, %d unused\n", added, removed);
	if (fclose(f)) {
		fprintf(stderr, "vmm-seccomp profile: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

int profile_main(int argc, char **argv)
{
	static struct profile p; /* large: keep it off the stack */
	const char *dir = "learned-policies", *policy_dir = NULL;
	const char *map_specs[MAX_MAPS];
	size_t n_specs = 0;
	bool keep_seccomp = false;
	struct vmm_seccomp *ctx;
	char diff_path[4096];
	FILE *diff;
	int i, rc, r;
	size_t k;
	unsigned int c, a;
	int ret = 3;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--keep-seccomp")) {
			keep_seccomp = true;
		} else if (!strcmp(argv[i], "--policy-dir") && i + 1 < argc) {
			policy_dir = argv[++i];
		} else if (!strcmp(argv[i], "--role-map") && i + 1 < argc) {
			/* resolved once the roles are known (--policy-dir) */
			if (n_specs == MAX_MAPS) {
				fprintf(stderr, "vmm-seccomp profile: more than %d --role-map\n",
					MAX_MAPS);
				return 2;
			}
			map_specs[n_specs++] = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: vmm-seccomp profile [-o DIR] [--policy-dir DIR] "
			       "[--role-map NAME=ROLE]... "
			       "[--keep-seccomp] -- CMD [ARG...]\n"
			       "Runs CMD under ptrace with VMM_SECCOMP=log (unless "
			       "--keep-seccomp),\n"
			       "records every thread's syscalls from when the program installs "
			       "its\n"
			       "baseline (from its exec if it never does), and writes "
			       "DIR/ROLE.policy\n"
			       "(default DIR: "
			       "learned-policies) and DIR/DIFF.txt against the built-in policies.  "
			       "Threads\n"
			       "map to roles by name: vmm, vcpu*, api, virtio-blk*, virtio-net*,\n"
			       "virtio-console*, virtio-rng*, virtio-vsock*, virtio-fs*,\n"
			       "virtio-balloon*, vhost-user*, io-worker*, signal-handler,\n"
			       "runtime*, tokio-runtime-*, the roles --policy-dir defines by\n"
			       "their name ('_' or '-'), and --role-map patterns (tried first;\n"
			       "ROLE may be one --policy-dir defines); other threads count for\n"
			       "the baseline only.\n");
			return 0;
		} else {
			fprintf(stderr, "vmm-seccomp profile: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "vmm-seccomp profile: no command after --\n");
		return 2;
	}
	ctx = vmm_seccomp_new();
	if (ctx)
		ctx->no_prebuilt = true; /* the resolved policies are read below */
	if (!ctx || (policy_dir && vmm_seccomp_load_policy_dir(ctx, policy_dir, 0)) ||
	    vmm_seccomp_compile(ctx)) {
		fprintf(stderr, "vmm-seccomp profile: %s\n", vmm_seccomp_last_error(ctx));
		goto out_free_ctx;
	}
	p.ctx = ctx;
	for (k = 0; k < n_specs; k++) {
		const char *spec = map_specs[k], *eq = strchr(spec, '=');
		enum vmm_seccomp_role role;

		if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(p.maps[0].pattern) ||
		    vmm_seccomp_find_role(ctx, eq + 1, &role)) {
			fprintf(stderr,
				"vmm-seccomp profile: bad --role-map '%s' (NAME=ROLE, NAME "
				"may use * and ?, ROLE a built-in role or one --policy-dir "
				"defines)\n",
				spec);
			ret = 2;
			goto out_free_ctx;
		}
		snprintf(p.maps[p.n_maps].pattern, sizeof(p.maps[0].pattern), "%.*s",
			 (int)(eq - spec), spec);
		p.maps[p.n_maps++].role = role;
	}
	p.seen = calloc(vmm_seccomp_role_count(ctx), sizeof(*p.seen));
	if (!p.seen) {
		fprintf(stderr, "vmm-seccomp profile: out of memory\n");
		goto out_free_ctx;
	}
	/* the arguments worth recording are those some built-in rule tests */
	for (r = 0; r < (int)vmm_seccomp_role_count(ctx); r++) {
		const struct policy *bp = &ctx->layer[r].resolved;

		for (k = 0; k < bp->n_rules; k++) {
			for (c = 0; c < bp->rules[k].n_clauses; c++) {
				for (a = 0; a < bp->rules[k].clauses[c].n; a++) {
					if (bp->rules[k].nr < NR_TABLE_SIZE)
						p.checked[bp->rules[k].nr] |=
							(uint8_t)(1u << bp->rules[k]
										.clauses[c]
										.cmp[a]
										.arg);
				}
			}
		}
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "vmm-seccomp profile: %s: %s\n", dir, strerror(errno));
		goto out_free_seen;
	}
	rc = trace(&p, argv + i + 1, keep_seccomp);
	if (rc < 0) {
		fprintf(stderr, "vmm-seccomp profile: tracing failed: %s\n", strerror(-rc));
		goto out_free_seen;
	}
	snprintf(diff_path, sizeof(diff_path), "%s/DIFF.txt", dir);
	diff = fopen(diff_path, "we");
	if (!diff) {
		fprintf(stderr, "vmm-seccomp profile: %s: %s\n", diff_path, strerror(errno));
		goto out_free_seen;
	}
	/* Every role gets a file: one no thread played allows nothing (a
	 * built-in one left in place could exceed the learned baseline). */
	for (r = 0; r < (int)vmm_seccomp_role_count(ctx); r++) {
		if (write_role(&p, ctx, r, dir, argv + i + 1, diff))
			break;
	}
	fclose(diff);
	if (r < (int)vmm_seccomp_role_count(ctx))
		goto out_free_seen;
	printf("vmm-seccomp profile: the program exited with status %d; policies in %s/, diff in "
	       "%s\n",
	       rc, dir, diff_path);
	ret = 0;
out_free_seen:
	free(p.seen);
out_free_ctx:
	vmm_seccomp_free(ctx);
	return ret;
}
