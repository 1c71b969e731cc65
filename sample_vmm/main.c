/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sample-vmm: a small KVM VMM whose every thread runs under its role's
 * seccomp filter (vmm_seccomp).  Options, start-up, the event loop.
 *
 * Start-up order matters for the filters: the baseline goes in before any
 * other thread exists; everything that needs a syscall no role allows
 * (opening files, creating the VM and its vCPUs, eventfds) is done by the
 * main thread before the role threads start; each role thread is created by
 * the main thread (a thread inherits its creator's filters) before the main
 * thread itself enters role `vmm` and runs the event loop.
 */
#include "api.h"
#include "guest/abi.h"
#include "guest_image.h"
#include "loader.h"
#include "seccomp.h"
#include "vmm.h"

#include "vmm_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM_MIN_MIB 8
#define MEM_MAX_MIB 2048
#define MEM_DEFAULT_MIB 64
#define MAX_ROLE_OPTIONS 16
#define MAX_LANDLOCK_RULES 16
#define MAX_FILE_SIZE (256ULL << 20)
#define LINUX_STACK 0x6ff0ULL

struct options {
	unsigned mem_mib;
	unsigned vcpus;
	const char *disk;
	bool disk_ro;
	const char *serial_out;
	const char *guest;
	bool guest_stay;
	bool guest_hostile;
	bool demo_exploit;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *api_sock;
	const char *seccomp;
	const char *seccomp_policy;
	bool seccomp_allow_dangerous;
	const char *roles[MAX_ROLE_OPTIONS];
	unsigned nroles;
	bool landlock;
	const char *landlock_rules[MAX_LANDLOCK_RULES];
	unsigned nlandlock_rules;
	uint32_t bench;
	bool bench_split;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: sample-vmm [OPTIONS]\n"
		"A small KVM VMM whose every thread runs under its role's seccomp filter.\n"
		"\n"
		"Machine:\n"
		"  --mem MiB            guest memory, %d-%d (default %d)\n"
		"  --vcpus N            vCPUs, 1-%d (default 1)\n"
		"  --disk PATH          disk image for virtio-blk (no virtio-blk without it); "
		"locked\n"
		"                       against other writers while the VM runs\n"
		"  --disk-ro            open the disk read-only: the device reports "
		"VIRTIO_BLK_F_RO\n"
		"                       and fails writes with VIRTIO_BLK_S_IOERR\n"
		"  --serial-out FILE    where the serial port's output goes (default stdout)\n"
		"Guest:\n"
		"  --guest FILE         a flat guest image with the sample guest header "
		"(guest/abi.h)\n"
		"                       instead of the built-in guest\n"
		"  --guest-stay         the built-in guest idles after its tests instead of "
		"powering off\n"
		"  --guest-hostile      the built-in guest then attacks virtio-blk with malformed "
		"queues\n"
		"                       (out-of-memory buffers, loops, bad indices, ...): the VMM "
		"must\n"
		"                       refuse each one and go on\n"
		"  --demo-exploit       the built-in guest sends a bogus virtio-blk request (type "
		"0x7e57)\n"
		"                       and the virtio-blk thread, as if compromised, tries "
		"execve(\"/bin/sh\")\n"
		"  --bench N            the built-in guest does N port-I/O exits, then powers off; "
		"the\n"
		"                       VMM prints the time per exit and the start-up time\n"
		"  --bench-split        with --bench: no filter until half the exits are done; "
		"then\n"
		"                       the vCPU thread installs the baseline (on every thread) "
		"and\n"
		"                       enters role vcpu, and the VMM prints each half's time per "
		"exit\n"
		"  --kernel FILE        boot a Linux bzImage or vmlinux instead (vCPU 0 only)\n"
		"  --initrd FILE        its initrd\n"
		"  --cmdline STRING     its command line (console=ttyS0 and the "
		"virtio_mmio.device=\n"
		"                       strings are appended)\n"
		"Control:\n"
		"  --api-sock PATH      serve the HTTP API on this Unix socket\n"
		"                       (GET /vm, GET /seccomp, PUT /actions "
		"pause|resume|shutdown)\n"
		"  --seccomp MODE       true|false|enforce|kill|errno|log|off for every layer, or "
		"a\n"
		"                       vmm_seccomp configuration string (default: the "
		"VMM_SECCOMP\n"
		"                       environment variable, else enforce)\n"
		"  --seccomp-role ROLE=MODE  one layer's mode (process, vmm, vcpu, api, "
		"virtio_block,\n"
		"                       virtio_rng, ..., or a role DIR defines); repeatable,\n"
		"                       applied after --seccomp\n"
		"  --seccomp-policy DIR policies from DIR: each ROLE.policy replaces that role's\n"
		"                       built-in policy, or defines the role if it is none\n"
		"                       (docs/POLICY.md, docs/ROLES.md; `vmm-seccomp profile` "
		"writes them)\n"
		"  --seccomp-allow-dangerous  let DIR's process.policy allow syscalls on the "
		"dangerous\n"
		"                       list (execve, ptrace, mount, ...): refused without it\n"
		"  --landlock true|false  true (default): every thread in a Landlock domain that\n"
		"                       reaches only the disk, the guest image, /dev/kvm and the "
		"API\n"
		"                       socket's directory (as the options name them), no TCP, no "
		"signals\n"
		"                       to other processes; false: no domain (nor for a layer in "
		"mode off)\n"
		"  --landlock-rule PATH:ACCESS  also let every thread reach PATH; ACCESS is ro, "
		"rw, or\n"
		"                       read, write, create, socket, device joined by '+'; "
		"repeatable\n"
		"  --help               this text\n"
		"\n"
		"Devices (virtio 1.x over MMIO, version 2 registers):\n"
		"  virtio-blk  MMIO 0x%llx-0x%llx  GSI %d\n"
		"  virtio-rng  MMIO 0x%llx-0x%llx  GSI %d\n"
		"  (a Linux guest gets virtio_mmio.device=4K@0xd0000000:5 "
		"virtio_mmio.device=4K@0xd0001000:6)\n"
		"  16550 UART at port 0x%x (output only)\n"
		"  power-off port 0x%x: a byte written there ends the VM with that exit status\n"
		"\n"
		"Exit status:\n"
		"  0    the guest wrote 0 to the power-off port, PUT /actions shutdown, SIGTERM or "
		"SIGINT\n"
		"  1    start-up error: bad option, file, KVM or seccomp set-up\n"
		"  2    the guest crashed (triple fault, failed entry, KVM internal error)\n"
		"  3    --demo-exploit: execve was not stopped by a seccomp filter\n"
		"  N    any other byte the guest wrote to the power-off port\n"
		"  killed by SIGSYS: a thread made a syscall its role does not allow (enforce "
		"mode);\n"
		"       the report on stderr names the thread, its role and the syscall\n",
		MEM_MIN_MIB, MEM_MAX_MIB, MEM_DEFAULT_MIB, GUEST_MAX_VCPUS, VIRTIO_BLK_BASE,
		VIRTIO_BLK_BASE + VIRTIO_MMIO_SIZE - 1, VIRTIO_BLK_GSI, VIRTIO_RNG_BASE,
		VIRTIO_RNG_BASE + VIRTIO_MMIO_SIZE - 1, VIRTIO_RNG_GSI, PORT_SERIAL,
		PORT_POWER_OFF);
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
		      unsigned long *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max) {
		snprintf(err, errlen, "%s '%s': expected a number from %lu to %lu", opt, s, min,
			 max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Keeps one more value of a repeatable option (at most max). */
static int push_value(const char *opt, const char *value, const char **list, unsigned *n,
		      unsigned max, char *err, size_t errlen)
{
	if (*n == max) {
		snprintf(err, errlen, "%s: at most %u", opt, max);
		return -EINVAL;
	}
	list[(*n)++] = value;
	return 0;
}

enum {
	OPT_MEM = 256,
	OPT_VCPUS,
	OPT_DISK,
	OPT_DISK_RO,
	OPT_SERIAL_OUT,
	OPT_GUEST,
	OPT_GUEST_STAY,
	OPT_DEMO,
	OPT_HOSTILE,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_CMDLINE,
	OPT_API_SOCK,
	OPT_SECCOMP,
	OPT_SECCOMP_ROLE,
	OPT_SECCOMP_POLICY,
	OPT_SECCOMP_ALLOW_DANGEROUS,
	OPT_LANDLOCK,
	OPT_LANDLOCK_RULE,
	OPT_BENCH,
	OPT_BENCH_SPLIT,
	OPT_HELP,
};

/* 0, 1 for --help, or -EINVAL with a message in err. */
static int parse_options(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "disk-ro", no_argument, NULL, OPT_DISK_RO },
		{ "serial-out", required_argument, NULL, OPT_SERIAL_OUT },
		{ "guest", required_argument, NULL, OPT_GUEST },
		{ "guest-stay", no_argument, NULL, OPT_GUEST_STAY },
		{ "demo-exploit", no_argument, NULL, OPT_DEMO },
		{ "guest-hostile", no_argument, NULL, OPT_HOSTILE },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "api-sock", required_argument, NULL, OPT_API_SOCK },
		{ "seccomp", required_argument, NULL, OPT_SECCOMP },
		{ "seccomp-role", required_argument, NULL, OPT_SECCOMP_ROLE },
		{ "seccomp-policy", required_argument, NULL, OPT_SECCOMP_POLICY },
		{ "seccomp-allow-dangerous", no_argument, NULL, OPT_SECCOMP_ALLOW_DANGEROUS },
		{ "landlock", required_argument, NULL, OPT_LANDLOCK },
		{ "landlock-rule", required_argument, NULL, OPT_LANDLOCK_RULE },
		{ "bench", required_argument, NULL, OPT_BENCH },
		{ "bench-split", no_argument, NULL, OPT_BENCH_SPLIT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->mem_mib = MEM_DEFAULT_MIB;
	o->vcpus = 1;
	o->landlock = true;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MEM:
			if (parse_uint("--mem", optarg, MEM_MIN_MIB, MEM_MAX_MIB, &v, err, errlen))
				return -EINVAL;
			o->mem_mib = (unsigned)v;
			break;
		case OPT_VCPUS:
			if (parse_uint("--vcpus", optarg, 1, GUEST_MAX_VCPUS, &v, err, errlen))
				return -EINVAL;
			o->vcpus = (unsigned)v;
			break;
		case OPT_BENCH:
			if (parse_uint("--bench", optarg, 1, UINT32_MAX, &v, err, errlen))
				return -EINVAL;
			o->bench = (uint32_t)v;
			break;
		case OPT_DISK:
			o->disk = optarg;
			break;
		case OPT_DISK_RO:
			o->disk_ro = true;
			break;
		case OPT_SERIAL_OUT:
			o->serial_out = optarg;
			break;
		case OPT_GUEST:
			o->guest = optarg;
			break;
		case OPT_GUEST_STAY:
			o->guest_stay = true;
			break;
		case OPT_DEMO:
			o->demo_exploit = true;
			break;
		case OPT_BENCH_SPLIT:
			o->bench_split = true;
			break;
		case OPT_HOSTILE:
			o->guest_hostile = true;
			break;
		case OPT_KERNEL:
			o->kernel = optarg;
			break;
		case OPT_INITRD:
			o->initrd = optarg;
			break;
		case OPT_CMDLINE:
			o->cmdline = optarg;
			break;
		case OPT_API_SOCK:
			o->api_sock = optarg;
			break;
		case OPT_SECCOMP:
			o->seccomp = optarg;
			break;
		case OPT_SECCOMP_POLICY:
			o->seccomp_policy = optarg;
			break;
		case OPT_SECCOMP_ALLOW_DANGEROUS:
			o->seccomp_allow_dangerous = true;
			break;
		case OPT_SECCOMP_ROLE:
			if (push_value("--seccomp-role", optarg, o->roles, &o->nroles,
				       MAX_ROLE_OPTIONS, err, errlen))
				return -EINVAL;
			break;
		case OPT_LANDLOCK:
			/* Cloud Hypervisor's spelling, as --seccomp true|false */
			if (strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0) {
				snprintf(err, errlen, "--landlock '%s': expected true or false",
					 optarg);
				return -EINVAL;
			}
			o->landlock = optarg[0] == 't';
			break;
		case OPT_LANDLOCK_RULE:
			if (push_value("--landlock-rule", optarg, o->landlock_rules,
				       &o->nlandlock_rules, MAX_LANDLOCK_RULES, err, errlen))
				return -EINVAL;
			break;
		case OPT_HELP:
			return 1;
		case ':':
			snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt >= OPT_MEM)
				snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->kernel && o->guest) {
		snprintf(err, errlen, "--kernel and --guest exclude each other");
		return -EINVAL;
	}
	if (o->bench_split && (!o->bench || o->bench < 4)) {
		snprintf(err, errlen, "--bench-split needs --bench N with N >= 4");
		return -EINVAL;
	}
	if (!o->kernel && (o->initrd || o->cmdline)) {
		snprintf(err, errlen, "%s needs --kernel", o->initrd ? "--initrd" : "--cmdline");
		return -EINVAL;
	}
	if (o->disk_ro && !o->disk) {
		snprintf(err, errlen, "--disk-ro needs --disk");
		return -EINVAL;
	}
	if (o->demo_exploit && !o->disk) {
		snprintf(err, errlen,
			 "--demo-exploit needs --disk (the exploit goes through virtio-blk)");
		return -EINVAL;
	}
	return 0;
}

/* Reads a whole file (at most MAX_FILE_SIZE) into a new buffer. */
static int read_file(const char *opt, const char *path, void **buf, size_t *len, char *err,
		     size_t errlen)
{
	struct stat st;
	size_t done = 0;
	char *p;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: not a regular file", opt, path);
		rc = -EINVAL;
		goto err_close;
	}
	if ((unsigned long long)st.st_size > MAX_FILE_SIZE) {
		snprintf(err, errlen, "%s %s: %lld bytes: larger than %llu MiB", opt, path,
			 (long long)st.st_size, MAX_FILE_SIZE >> 20);
		rc = -EFBIG;
		goto err_close;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		snprintf(err, errlen, "%s %s: out of memory", opt, path);
		rc = -ENOMEM;
		goto err_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s %s: %s", opt, path,
				 n < 0 ? strerror(errno) : "file shrank while read");
			rc = n < 0 ? -errno : -EIO;
			free(p);
			goto err_close;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;

err_close:
	close(fd);
	return rc;
}

/* Turns the message in err into "OPT VALUE: message" (the other modules'
 * messages do not know which option they came from). */
static void prefix_error(char *err, size_t errlen, const char *opt, const char *value)
{
	char prefix[PATH_MAX + 32];
	size_t p, n = strlen(err);

	snprintf(prefix, sizeof(prefix), "%s %s: ", opt, value);
	p = strlen(prefix);
	if (p >= errlen)
		return;
	if (p + n >= errlen)
		n = errlen - p - 1;
	memmove(err + p, err, n);
	memcpy(err, prefix, p);
	err[p + n] = 0;
}

/* ---- shared state -------------------------------------------------------- */

void vmm_request_exit(struct vmm *vmm, int code, const char *why)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vmm->lock);
	if (!vmm->exiting) {
		vmm->exiting = true;
		vmm->exit_code = code;
		if (why)
			fprintf(stderr, "sample-vmm: %s\n", why);
	}
	pthread_mutex_unlock(&vmm->lock);
	if (write(vmm->exit_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "sample-vmm: exit eventfd: %s\n", strerror(errno));
}

bool vmm_vcpu_should_stop(struct vmm *vmm)
{
	bool stop;

	pthread_mutex_lock(&vmm->lock);
	while (vmm->paused && !vmm->stopping)
		pthread_cond_wait(&vmm->resume, &vmm->lock);
	stop = vmm->stopping;
	pthread_mutex_unlock(&vmm->lock);
	return stop;
}

void vmm_mmio(struct vmm *vmm, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	if (vmm->has_blk && virtio_mmio_owns(&vmm->blk.dev, addr))
		virtio_mmio_access(&vmm->blk.dev, addr - vmm->blk.dev.base, data, len, is_write);
	else if (virtio_mmio_owns(&vmm->rng.dev, addr))
		virtio_mmio_access(&vmm->rng.dev, addr - vmm->rng.dev.base, data, len, is_write);
	else if (!is_write && len <= 8)
		memset(data, 0xff, len); /* nothing there */
}

/* ---- the API's view ------------------------------------------------------ */

static int api_vm_info(void *arg, char *buf, size_t len)
{
	struct vmm *vmm = arg;
	struct timespec now;
	long long uptime_ms;
	bool paused;
	int n;

	pthread_mutex_lock(&vmm->lock);
	paused = vmm->paused;
	pthread_mutex_unlock(&vmm->lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	uptime_ms = (now.tv_sec - vmm->started.tv_sec) * 1000LL +
		    (now.tv_nsec - vmm->started.tv_nsec) / 1000000;
	n = snprintf(buf, len,
		     "{\"state\":\"%s\",\"vcpus\":%u,\"uptime_ms\":%lld,\"memory_mib\":%llu,"
		     "\"devices\":["
		     "%s%s%s{\"type\":\"virtio-rng\",\"mmio\":\"0x%llx\",\"gsi\":%d}]}",
		     paused ? "paused" : "running", vmm->nvcpus, uptime_ms,
		     (unsigned long long)(vmm->vm.mem.size >> 20),
		     vmm->has_blk ? "{\"type\":\"virtio-blk\",\"mmio\":\"0xd0000000\",\"gsi\":5,"
				    "\"read_only\":"
				  : "",
		     vmm->has_blk ? (vmm->blk.read_only ? "true" : "false") : "",
		     vmm->has_blk ? "}," : "", VIRTIO_RNG_BASE, VIRTIO_RNG_GSI);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int api_seccomp_info(void *arg, char *buf, size_t len)
{
	struct vmm *vmm = arg;

	return sc_info_json(vmm->sc, &vmm->landlock, buf, len);
}

/* On the API thread: records the request; the event loop carries it out. */
static int api_action(void *arg, const char *action)
{
	struct vmm *vmm = arg;
	uint64_t one = 1;
	int rc = 0;

	pthread_mutex_lock(&vmm->lock);
	if (strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0 &&
	    strcmp(action, "shutdown") != 0) {
		rc = -EINVAL;
	} else if (vmm->exiting) {
		rc = -EBUSY;
	} else if (!strcmp(action, "pause")) {
		if (vmm->paused)
			rc = -EBUSY;
		vmm->paused = true;
	} else if (!strcmp(action, "resume")) {
		if (!vmm->paused)
			rc = -EBUSY;
		vmm->paused = false;
	} else {
		vmm->exiting = true;
		vmm->exit_code = 0;
		fprintf(stderr, "sample-vmm: API: shutting down\n");
	}
	pthread_mutex_unlock(&vmm->lock);
	if (rc == 0 && write(vmm->action_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return rc;
}

/* ---- signals --------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static int stop_signal_fd = -1;

/* Any thread may take it: every role may write to an eventfd. */
static void on_stop_signal(int sig)
{
	uint64_t one = 1;
	int saved = errno;

	stop_signal = sig;
	if (write(stop_signal_fd, &one, sizeof(one)) < 0)
		stop_signal = sig;
	errno = saved;
}

static int install_signals(char *err, size_t errlen)
{
	struct sigaction sa;

	if (vcpu_install_kick_handler() < 0) {
		snprintf(err, errlen, "sigaction(SIGUSR1): %s", strerror(errno));
		return -errno;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* A closed stdout must not kill the VMM; serial output just stops. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

static int install_stop_signals(struct vmm *vmm, char *err, size_t errlen)
{
	struct sigaction sa;

	stop_signal_fd = vmm->exit_fd;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop_signal;
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
		snprintf(err, errlen, "sigaction(SIGTERM): %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* ---- Landlock: what is opened after the baseline -------------------------- */

/*
 * vmm_seccomp_apply_process() puts every thread into the process's Landlock
 * domain before setup() opens what the options name, so each of those
 * gets a rule derived from its option (as Cloud Hypervisor derives its
 * own, vmm/src/landlock.rs).  What main() opens before apply needs none:
 * the --seccomp-policy directory (sc_setup()) and the --serial-out file
 * (opened early for this: a file that does not exist yet would need
 * create on its whole directory).
 */
static int add_file_rule(struct vmm *vmm, const char *opt, const char *path, const char *access,
			 char *err, size_t errlen)
{
	char resolved[PATH_MAX], rule[PATH_MAX + 32];
	struct stat st;
	int rc;

	/* rules take absolute paths; the symlink's target is what is opened */
	if (!realpath(path, resolved)) {
		rc = -errno;
		snprintf(err, errlen, "%s%s%s: %s", opt ? opt : "", opt ? " " : "", path,
			 strerror(errno));
		return rc;
	}
	/* a device file needs its ioctls: KVM's on /dev/kvm, BLKGETSIZE64 on a
	 * block device as disk */
	snprintf(rule, sizeof(rule), "%s:%s%s", resolved, access,
		 stat(resolved, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			 ? "+device"
			 : "");
	return sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS, opt ? opt : path,
				rule, err, errlen);
}

static int landlock_setup(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	char dir[PATH_MAX], rule[PATH_MAX + 32];
	int rc = 0;

	if (!o->landlock)
		return vmm_seccomp_set_landlock(vmm->sc, VMM_SECCOMP_LANDLOCK_OFF);
	if (o->disk)
		rc = add_file_rule(vmm, "--disk", o->disk, o->disk_ro ? "read" : "read+write", err,
				   errlen);
	/* opened after apply too, by vm_create(), like every KVM descriptor */
	if (!rc)
		rc = add_file_rule(vmm, NULL, "/dev/kvm", "read+write", err, errlen);
	if (!rc && o->guest)
		rc = add_file_rule(vmm, "--guest", o->guest, "ro", err, errlen);
	if (!rc && o->kernel)
		rc = add_file_rule(vmm, "--kernel", o->kernel, "ro", err, errlen);
	if (!rc && o->initrd)
		rc = add_file_rule(vmm, "--initrd", o->initrd, "ro", err, errlen);
	if (!rc && o->api_sock) {
		rc = api_socket_dir(o->api_sock, dir, sizeof(dir), err, errlen);
		if (rc < 0) {
			prefix_error(err, errlen, "--api-sock", o->api_sock);
			return rc;
		}
		/* api_server_new(): bind, and unlink of a stale socket */
		snprintf(rule, sizeof(rule), "%s:create+socket+connect", dir);
		rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS,
				      "--api-sock", rule, err, errlen);
		/* api_server_free() at shut-down, on the vmm thread: its unlink is
		 * the one path a role's thread touches (the vCPU, device and API
		 * threads only use descriptors opened for them: no path at all) */
		snprintf(rule, sizeof(rule), "%s:create", dir);
		if (!rc)
			rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_VMM,
					      "--api-sock", rule, err, errlen);
	}
	for (unsigned i = 0; i < o->nlandlock_rules && !rc; i++)
		rc = sc_add_path_rule(vmm->sc, &vmm->landlock, VMM_SECCOMP_ROLE_PROCESS,
				      "--landlock-rule", o->landlock_rules[i], err, errlen);
	return rc;
}

/* Before the baseline: see landlock_setup(). */
static int open_serial_out(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	if (!o->serial_out)
		return 0;
	vmm->serial_fd = open(o->serial_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (vmm->serial_fd < 0) {
		int rc = -errno;

		snprintf(err, errlen, "--serial-out %s: %s", o->serial_out, strerror(-rc));
		return rc;
	}
	return 0;
}

/* ---- start-up ------------------------------------------------------------- */

static void vmm_init(struct vmm *vmm)
{
	memset(vmm, 0, sizeof(*vmm));
	vmm->vm.kvm_fd = vmm->vm.vm_fd = -1;
	vmm->exit_fd = vmm->action_fd = vmm->epoll_fd = vmm->serial_fd = -1;
	vmm->blk.fd = -1;
	for (unsigned i = 0; i < GUEST_MAX_VCPUS; i++)
		vmm->vcpus[i].fd = -1;
	pthread_mutex_init(&vmm->lock, NULL);
	pthread_cond_init(&vmm->resume, NULL);
	clock_gettime(CLOCK_MONOTONIC, &vmm->started);
}

static int load_linux(struct vmm *vmm, const struct options *o, struct linux_boot *boot, char *err,
		      size_t errlen)
{
	static const char blk_dev[] = " virtio_mmio.device=4K@0xd0000000:5";
	static const char rng_dev[] = " virtio_mmio.device=4K@0xd0001000:6";
	void *kernel = NULL, *initrd = NULL;
	size_t klen = 0, ilen = 0;
	char *cmdline;
	size_t clen;
	int rc;

	rc = read_file("--kernel", o->kernel, &kernel, &klen, err, errlen);
	if (rc < 0)
		return rc;
	if (o->initrd) {
		rc = read_file("--initrd", o->initrd, &initrd, &ilen, err, errlen);
		if (rc < 0)
			goto out_free_kernel;
	}
	clen = (o->cmdline ? strlen(o->cmdline) : 0) + sizeof(blk_dev) + sizeof(rng_dev) + 32;
	cmdline = malloc(clen);
	if (!cmdline) {
		snprintf(err, errlen, "--cmdline: out of memory");
		rc = -ENOMEM;
		goto out_free_initrd;
	}
	snprintf(cmdline, clen, "%s%sconsole=ttyS0%s%s", o->cmdline ? o->cmdline : "",
		 o->cmdline ? " " : "", vmm->has_blk ? blk_dev : "", rng_dev);
	rc = loader_load_linux(vmm->vm.mem.host, vmm->vm.mem.size, kernel, klen, initrd, ilen,
			       cmdline, boot, err, errlen);
	if (rc < 0)
		prefix_error(err, errlen, "--kernel", o->kernel);
	free(cmdline);
out_free_initrd:
	free(initrd);
out_free_kernel:
	free(kernel);
	return rc;
}

static int load_guest(struct vmm *vmm, const struct options *o, uint64_t *entry, char *err,
		      size_t errlen)
{
	struct guest_boot_info *bi = guest_ptr(&vmm->vm.mem, GUEST_BOOT_INFO, sizeof(*bi));
	void *image = NULL;
	size_t len = sample_guest_image_size;
	char name[PATH_MAX + 16];
	int rc;

	if (o->guest) {
		rc = read_file("--guest", o->guest, &image, &len, err, errlen);
		if (rc < 0)
			return rc;
	}
	snprintf(name, sizeof(name), "%s%s", o->guest ? "--guest " : "",
		 o->guest ? o->guest : "built-in guest");
	*entry = guest_image_load(&vmm->vm.mem, image ? image : sample_guest_image, len, name, err,
				  errlen);
	free(image);
	if (!*entry)
		return -EINVAL;
	bi->magic = GUEST_BOOT_MAGIC;
	bi->flags = (o->guest_stay ? GUEST_FLAG_STAY : 0) |
		    (o->demo_exploit ? GUEST_FLAG_DEMO_EXPLOIT : 0) |
		    (o->guest_hostile ? GUEST_FLAG_HOSTILE : 0) | (o->bench ? GUEST_FLAG_BENCH : 0);
	bi->ncpus = vmm->nvcpus;
	bi->bench_iterations = o->bench;
	bi->mem_size = vmm->vm.mem.size;
	return 0;
}

/* Everything before the threads: the main thread still has only the
 * baseline, which allows all of it. */
static int setup(struct vmm *vmm, const struct options *o, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct linux_boot boot;
	uint64_t entry = 0;
	int rc;

	vmm->nvcpus = o->vcpus;
	vmm->demo_exploit = o->demo_exploit;
	vmm->bench_iterations = o->bench;
	vmm->bench_split = o->bench_split;
	vmm->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vmm->action_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vmm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (vmm->exit_fd < 0 || vmm->action_fd < 0 || vmm->epoll_fd < 0) {
		snprintf(err, errlen, "event descriptors: %s", strerror(errno));
		return -errno;
	}
	ev.data.fd = vmm->exit_fd;
	if (epoll_ctl(vmm->epoll_fd, EPOLL_CTL_ADD, vmm->exit_fd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	ev.data.fd = vmm->action_fd;
	if (epoll_ctl(vmm->epoll_fd, EPOLL_CTL_ADD, vmm->action_fd, &ev) < 0) {
		snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
		return -errno;
	}
	rc = install_stop_signals(vmm, err, errlen);
	if (rc < 0)
		return rc;

	serial_init(&vmm->serial, o->serial_out ? vmm->serial_fd : STDOUT_FILENO);

	rc = vm_create(&vmm->vm, (uint64_t)o->mem_mib << 20, err, errlen);
	if (rc < 0)
		return rc;
	vm_write_boot_tables(&vmm->vm);

	if (o->disk) {
		rc = virtio_blk_init(&vmm->blk, vmm, o->disk, o->disk_ro, err, errlen);
		if (rc < 0)
			return rc;
		vmm->has_blk = true;
	}
	rc = virtio_rng_init(&vmm->rng, &vmm->vm, err, errlen);
	if (rc < 0)
		return rc;

	if (o->kernel)
		rc = load_linux(vmm, o, &boot, err, errlen);
	else
		rc = load_guest(vmm, o, &entry, err, errlen);
	if (rc < 0)
		return rc;

	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		rc = vcpu_create(v, vmm, i, err, errlen);
		if (rc < 0)
			return rc;
		if (o->kernel) {
			/* Linux starts its application processors itself. */
			if (i == 0)
				rc = vcpu_boot(v, boot.entry, 0, boot.boot_params, LINUX_STACK,
					       true, err, errlen);
		} else {
			rc = vcpu_boot(v, entry, i, vmm->nvcpus,
				       GUEST_STACKS + (i + 1) * GUEST_STACK_SIZE - 8, true, err,
				       errlen);
		}
		if (rc < 0)
			return rc;
	}

	if (o->api_sock) {
		vmm->api_ops.vm_info = api_vm_info;
		vmm->api_ops.seccomp_info = api_seccomp_info;
		vmm->api_ops.action = api_action;
		vmm->api_ops.arg = vmm;
		rc = api_server_new(&vmm->api, o->api_sock, &vmm->api_ops, err, errlen);
		if (rc < 0) {
			prefix_error(err, errlen, "--api-sock", o->api_sock);
			return rc;
		}
	}
	return 0;
}

static int spawn(struct vmm *vmm, pthread_t *t, enum vmm_seccomp_role role, const char *name,
		 void *(*fn)(void *), void *arg, char *err, size_t errlen)
{
	int rc;

	if (vmm->bench_split) {
		/* no filter yet: the vCPU thread installs them half-way */
		rc = -pthread_create(t, NULL, fn, arg);
		if (rc == 0)
			pthread_setname_np(*t, name);
		if (rc < 0)
			snprintf(err, errlen, "starting thread %s: %s", name, strerror(-rc));
		return rc;
	}
	rc = vmm_seccomp_thread_create(vmm->sc, t, NULL, role, name, fn, arg);

	if (rc < 0)
		snprintf(err, errlen, "starting thread %s: %s", name,
			 vmm_seccomp_last_error(vmm->sc));
	return rc;
}

static int start_threads(struct vmm *vmm, char *err, size_t errlen)
{
	int rc;

	if (vmm->has_blk) {
		rc = spawn(vmm, &vmm->blk_thread, VMM_SECCOMP_ROLE_VIRTIO_BLOCK, "virtio-blk",
			   virtio_mmio_thread, &vmm->blk.dev, err, errlen);
		if (rc < 0)
			return rc;
		vmm->blk_started = true;
	}
	rc = spawn(vmm, &vmm->rng_thread, VMM_SECCOMP_ROLE_VIRTIO_RNG, "virtio-rng",
		   virtio_mmio_thread, &vmm->rng.dev, err, errlen);
	if (rc < 0)
		return rc;
	vmm->rng_started = true;
	if (vmm->api) {
		rc = spawn(vmm, &vmm->api_thread, VMM_SECCOMP_ROLE_API, "api", api_server_run,
			   vmm->api, err, errlen);
		if (rc < 0)
			return rc;
		vmm->api_started = true;
	}
	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		rc = spawn(vmm, &v->thread, VMM_SECCOMP_ROLE_VCPU, v->name, vcpu_thread, v, err,
			   errlen);
		if (rc < 0)
			return rc;
		v->started = true;
	}
	return 0;
}

static void stop_threads(struct vmm *vmm)
{
	pthread_mutex_lock(&vmm->lock);
	vmm->stopping = true;
	pthread_cond_broadcast(&vmm->resume);
	pthread_mutex_unlock(&vmm->lock);
	for (unsigned i = 0; i < vmm->nvcpus; i++) {
		if (!vmm->vcpus[i].started)
			continue;
		vcpu_kick(&vmm->vcpus[i]);
		pthread_join(vmm->vcpus[i].thread, NULL);
		vmm->vcpus[i].started = false;
	}
	if (vmm->blk_started) {
		virtio_mmio_stop(&vmm->blk.dev);
		pthread_join(vmm->blk_thread, NULL);
		vmm->blk_started = false;
	}
	if (vmm->rng_started) {
		virtio_mmio_stop(&vmm->rng.dev);
		pthread_join(vmm->rng_thread, NULL);
		vmm->rng_started = false;
	}
	if (vmm->api_started) {
		api_server_stop(vmm->api);
		pthread_join(vmm->api_thread, NULL);
		vmm->api_started = false;
	}
}

/* After stop_threads(): frees what setup() made, whatever it got to. */
static void teardown(struct vmm *vmm)
{
	api_server_free(vmm->api);
	vmm->api = NULL;
	for (unsigned i = 0; i < vmm->nvcpus; i++)
		vcpu_destroy(&vmm->vcpus[i]);
	if (vmm->rng.dev.name)
		virtio_rng_free(&vmm->rng);
	if (vmm->has_blk)
		virtio_blk_free(&vmm->blk);
	vm_destroy(&vmm->vm);
	if (vmm->serial_fd >= 0)
		close(vmm->serial_fd);
	if (vmm->epoll_fd >= 0)
		close(vmm->epoll_fd);
	if (vmm->action_fd >= 0)
		close(vmm->action_fd);
	/* exit_fd stays open: a late SIGTERM's handler may still write to it. */
	vmm_seccomp_free(vmm->sc);
	vmm->sc = NULL;
	sc_landlock_free(&vmm->landlock);
}

/* ---- the event loop (role vmm) -------------------------------------------- */

static int event_loop(struct vmm *vmm)
{
	for (;;) {
		struct epoll_event ev[4];
		int n = epoll_wait(vmm->epoll_fd, ev, 4, -1);
		int code;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "sample-vmm: epoll_wait: %s\n", strerror(errno));
			return EXIT_STARTUP;
		}
		for (int i = 0; i < n; i++) {
			uint64_t count;

			if (read(ev[i].data.fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
				fprintf(stderr, "sample-vmm: eventfd: %s\n", strerror(errno));
		}
		if (stop_signal)
			vmm_request_exit(vmm, 0,
					 stop_signal == SIGTERM ? "SIGTERM: shutting down"
								: "SIGINT: shutting down");
		pthread_mutex_lock(&vmm->lock);
		if (vmm->exiting) {
			code = vmm->exit_code;
			pthread_mutex_unlock(&vmm->lock);
			return code;
		}
		if (vmm->paused) {
			for (unsigned i = 0; i < vmm->nvcpus; i++)
				vcpu_kick(&vmm->vcpus[i]);
		} else {
			pthread_cond_broadcast(&vmm->resume);
		}
		pthread_mutex_unlock(&vmm->lock);
	}
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void print_bench(const struct vmm *vmm, const struct timespec *start)
{
	if (vmm->serial.got_first)
		fprintf(stderr, "sample-vmm: bench: first serial byte %.3f ms after start\n",
			ms_between(start, &vmm->serial.first_byte));
	if (vmm->bench_exits > 1 && vmm->bench_exits == vmm->bench_iterations)
		fprintf(stderr,
			"sample-vmm: bench: %llu port-I/O exits, %.3f us per exit, "
			"%.3f us of the vCPU thread's CPU time per exit\n",
			(unsigned long long)vmm->bench_exits,
			ms_between(&vmm->bench_first, &vmm->bench_last) * 1e3 /
				(double)(vmm->bench_exits - 1),
			ms_between(&vmm->bench_cpu_first, &vmm->bench_cpu_last) * 1e3 /
				(double)(vmm->bench_exits - 1));
	if (vmm->bench_split && vmm->bench_exits == vmm->bench_iterations) {
		uint64_t half = vmm->bench_iterations / 2;

		fprintf(stderr,
			"sample-vmm: bench: split: %.3f us per exit before the filters, "
			"%.3f us after\n",
			ms_between(&vmm->bench_first, &vmm->bench_mid) * 1e3 / (double)(half - 1),
			ms_between(&vmm->bench_resumed, &vmm->bench_last) * 1e3 /
				(double)(vmm->bench_exits - half));
	}
}

/* Leaves without atexit handlers: under a sanitizer, LeakSanitizer's
 * exit-time tracer would need syscalls no filter allows. */
static __attribute__((noreturn)) void finish(int code)
{
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

int main(int argc, char **argv)
{
	static struct vmm vmm;
	struct timespec start;
	struct options o;
	char err[PATH_MAX + 512], line[1024];
	int rc, code;

	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = parse_options(argc, argv, &o, err, sizeof(err));
	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s (see --help)\n", err);
		return EXIT_STARTUP;
	}
	vmm_init(&vmm);
	if (install_signals(err, sizeof(err)) < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		return EXIT_STARTUP;
	}
	rc = sc_setup(&vmm.sc, o.seccomp, o.roles, o.nroles, o.seccomp_policy,
		      o.seccomp_allow_dangerous, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		return EXIT_STARTUP;
	}
	rc = landlock_setup(&vmm, &o, err, sizeof(err));
	if (rc == 0)
		rc = open_serial_out(&vmm, &o, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		teardown(&vmm);
		return EXIT_STARTUP;
	}
	/* Before any other thread exists: it must cover every thread (but for
	 * --bench-split, where the vCPU thread installs it half-way). */
	rc = o.bench_split ? 0 : vmm_seccomp_apply_process(vmm.sc);
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: seccomp: %s%s\n", vmm_seccomp_last_error(vmm.sc),
			rc == -EOPNOTSUPP ? " (--landlock false runs without it)" : "");
		teardown(&vmm);
		return EXIT_STARTUP;
	}
	vmm_seccomp_landlock_status(vmm.sc, NULL, line, sizeof(line));
	fprintf(stderr, "sample-vmm: %s\n", line);
	rc = setup(&vmm, &o, err, sizeof(err));
	if (rc == 0)
		rc = start_threads(&vmm, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: %s\n", err);
		stop_threads(&vmm);
		teardown(&vmm);
		finish(EXIT_STARTUP);
	}
	/* Last: role threads were created with the baseline only. */
	rc = o.bench_split ? 0 : vmm_seccomp_enter_role(vmm.sc, VMM_SECCOMP_ROLE_VMM, "vmm");
	if (rc < 0) {
		fprintf(stderr, "sample-vmm: entering role vmm: %s\n",
			vmm_seccomp_last_error(vmm.sc));
		stop_threads(&vmm);
		teardown(&vmm);
		finish(EXIT_STARTUP);
	}
	code = event_loop(&vmm);
	stop_threads(&vmm);
	serial_flush(&vmm.serial);
	if (o.bench)
		print_bench(&vmm, &start);
	teardown(&vmm);
	finish(code);
}
