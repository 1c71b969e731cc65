/* SPDX-License-Identifier: Apache-2.0 */
#include "options.h"

#include "guest/abi.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COLUMN 23

/* One option's help: "  --NAME VALUE" padded to HELP_COLUMN, then its
 * text; usage is "VALUE\ttext\nmore text". */
static void usage_option(FILE *f, const char *name, const char *usage)
{
	const char *tab = strchr(usage, '\t');
	int n = fprintf(f, "  --%s%s%.*s", name, tab && tab != usage ? " " : "",
			tab ? (int)(tab - usage) : 0, usage);
	const char *text = tab ? tab + 1 : usage;

	fprintf(f, "%*s", n < HELP_COLUMN ? HELP_COLUMN - n : 1, "");
	for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1)
		fprintf(f, "%.*s\n%*s", (int)(nl - text), text, HELP_COLUMN, "");
	fprintf(f, "%s\n", text);
}

void options_usage(FILE *f)
{
	fprintf(f,
		"Usage: sample-vmm [OPTIONS]\n"
		"A small KVM VMM whose every thread runs under its role's seccomp filter.\n"
		"\n"
		"Machine:\n"
		"  --mem MiB            guest memory, %d-%d (default %d)\n"
		"  --vcpus N            vCPUs, 1-%d (default 1)\n",
		MEM_MIN_MIB, MEM_MAX_MIB, MEM_DEFAULT_MIB, GUEST_MAX_VCPUS);
	for (unsigned i = 0; device_types[i]; i++)
		for (unsigned j = 0; j < DEVICE_OPTIONS_MAX && device_types[i]->options[j].name;
		     j++)
			usage_option(f, device_types[i]->options[j].name,
				     device_types[i]->options[j].usage);
	fprintf(f,
		"  --serial-out FILE    where the serial port's output goes (default stdout)\n"
		"Guest:\n"
		"  --guest FILE         a flat guest image with the sample guest header "
		"(guest/abi.h)\n"
		"                       instead of the built-in guest\n"
		"  --guest-stay         the built-in guest idles after its tests instead of "
		"powering off\n"
		"  --guest-hostile      the built-in guest then attacks each device with "
		"malformed\n"
		"                       queues (out-of-memory buffers, loops, bad indices, ...): "
		"the\n"
		"                       VMM must refuse each one and go on\n"
		"  --demo-exploit[=DEVICE]  the built-in guest sends DEVICE (default "
		"virtio-blk) a\n"
		"                       chain starting with \"%s\", and the device's\n"
		"                       thread, as if compromised, tries execve(\"/bin/sh\")\n"
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
		"                       reaches only what the options name (the disk, the guest\n"
		"                       image, /dev/kvm, the devices' host sides, the API "
		"socket's\n"
		"                       directory), no TCP, no signals to other processes; false: "
		"no\n"
		"                       domain (nor for a layer in mode off)\n"
		"  --landlock-rule PATH:ACCESS  also let every thread reach PATH; ACCESS is ro, "
		"rw, or\n"
		"                       read, write, create, socket, device joined by '+'; "
		"repeatable\n"
		"  --help               this text\n"
		"\n"
		"Devices (virtio 1.x over MMIO, version 2 registers; each on its own thread in "
		"its role):\n",
		GUEST_DEMO_MAGIC);
	for (unsigned i = 0; device_types[i]; i++)
		fprintf(f, "  %-15s MMIO 0x%llx-0x%llx  GSI %u  role %s\n", device_types[i]->name,
			VIRTIO_MMIO_SLOT_BASE(i), VIRTIO_MMIO_SLOT_BASE(i) + VIRTIO_MMIO_SIZE - 1,
			VIRTIO_MMIO_SLOT_GSI(i), vmm_seccomp_role_name(device_types[i]->role));
	fprintf(f,
		"  (a Linux guest gets virtio_mmio.device=4K@0xADDR:GSI for each)\n"
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
		PORT_SERIAL, PORT_POWER_OFF);
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
	/* device_types[i]->options[j]: OPT_DEVICE + i * DEVICE_OPTIONS_MAX + j */
	OPT_DEVICE,
};

static const struct option fixed_options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "serial-out", required_argument, NULL, OPT_SERIAL_OUT },
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "guest-stay", no_argument, NULL, OPT_GUEST_STAY },
	{ "demo-exploit", optional_argument, NULL, OPT_DEMO },
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
};

#define NFIXED (sizeof(fixed_options) / sizeof(fixed_options[0]))

bool options_has_device(const struct options *o, unsigned i)
{
	return device_types[i]->always || o->device_args[i][0];
}

/* The fixed options, then every device type's, then the terminator. */
static unsigned build_longopts(struct option *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NFIXED; i++)
		out[n++] = fixed_options[i];
	for (unsigned i = 0; device_types[i]; i++)
		for (unsigned j = 0; j < DEVICE_OPTIONS_MAX && device_types[i]->options[j].name;
		     j++)
			out[n++] = (struct option){
				device_types[i]->options[j].name,
				device_types[i]->options[j].has_arg ? required_argument
								    : no_argument,
				NULL, OPT_DEVICE + (int)(i * DEVICE_OPTIONS_MAX + j)
			};
	out[n] = (struct option){ NULL, 0, NULL, 0 };
	return n;
}

/* What no single option can check. */
static int check_combinations(const struct options *o, char *err, size_t errlen)
{
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
	for (unsigned i = 0; device_types[i]; i++) {
		const struct device_type *t = device_types[i];

		/* a modifier without the option that adds the device */
		for (unsigned j = 1; j < DEVICE_OPTIONS_MAX && t->options[j].name; j++)
			if (o->device_args[i][j] && !options_has_device(o, i)) {
				snprintf(err, errlen, "--%s needs --%s", t->options[j].name,
					 t->options[0].name);
				return -EINVAL;
			}
		if (o->demo_device == t && !options_has_device(o, i)) {
			snprintf(err, errlen,
				 "--demo-exploit needs --%s (the exploit goes through %s)",
				 t->options[0].name, t->name);
			return -EINVAL;
		}
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	struct option longopts[NFIXED + (size_t)MAX_DEVICE_TYPES * DEVICE_OPTIONS_MAX + 1];
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->mem_mib = MEM_DEFAULT_MIB;
	o->vcpus = 1;
	o->landlock = true;
	build_longopts(longopts);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		/* NULL only for an option without a value, or --demo-exploit
		 * without one */
		const bool given = optarg != NULL;
		const char *arg = given ? optarg : "";

		switch (c) {
		case OPT_MEM:
			if (parse_uint("--mem", arg, MEM_MIN_MIB, MEM_MAX_MIB, &v, err, errlen))
				return -EINVAL;
			o->mem_mib = (unsigned)v;
			break;
		case OPT_VCPUS:
			if (parse_uint("--vcpus", arg, 1, GUEST_MAX_VCPUS, &v, err, errlen))
				return -EINVAL;
			o->vcpus = (unsigned)v;
			break;
		case OPT_BENCH:
			if (parse_uint("--bench", arg, 1, UINT32_MAX, &v, err, errlen))
				return -EINVAL;
			o->bench = (uint32_t)v;
			break;
		case OPT_SERIAL_OUT:
			o->serial_out = arg;
			break;
		case OPT_GUEST:
			o->guest = arg;
			break;
		case OPT_GUEST_STAY:
			o->guest_stay = true;
			break;
		case OPT_DEMO:
			o->demo_device = device_type_find(given ? arg : "virtio-blk");
			if (!o->demo_device) {
				snprintf(err, errlen, "--demo-exploit '%s': no such device", arg);
				return -EINVAL;
			}
			break;
		case OPT_BENCH_SPLIT:
			o->bench_split = true;
			break;
		case OPT_HOSTILE:
			o->guest_hostile = true;
			break;
		case OPT_KERNEL:
			o->kernel = arg;
			break;
		case OPT_INITRD:
			o->initrd = arg;
			break;
		case OPT_CMDLINE:
			o->cmdline = arg;
			break;
		case OPT_API_SOCK:
			o->api_sock = arg;
			break;
		case OPT_SECCOMP:
			o->seccomp = arg;
			break;
		case OPT_SECCOMP_POLICY:
			o->seccomp_policy = arg;
			break;
		case OPT_SECCOMP_ALLOW_DANGEROUS:
			o->seccomp_allow_dangerous = true;
			break;
		case OPT_SECCOMP_ROLE:
			if (push_value("--seccomp-role", arg, o->roles, &o->nroles,
				       MAX_ROLE_OPTIONS, err, errlen))
				return -EINVAL;
			break;
		case OPT_LANDLOCK:
			/* Cloud Hypervisor's spelling, as --seccomp true|false */
			if (strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0) {
				snprintf(err, errlen, "--landlock '%s': expected true or false",
					 arg);
				return -EINVAL;
			}
			o->landlock = arg[0] == 't';
			break;
		case OPT_LANDLOCK_RULE:
			if (push_value("--landlock-rule", arg, o->landlock_rules,
				       &o->nlandlock_rules, MAX_LANDLOCK_RULES, err, errlen))
				return -EINVAL;
			break;
		case OPT_HELP:
			return 1;
		case ':':
			snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (c >= OPT_DEVICE) {
				unsigned k = (unsigned)(c - OPT_DEVICE);

				o->device_args[k / DEVICE_OPTIONS_MAX][k % DEVICE_OPTIONS_MAX] =
					arg;
			} else if (optopt >= OPT_MEM) {
				snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
				return -EINVAL;
			} else {
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
				return -EINVAL;
			}
			break;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return check_combinations(o, err, errlen);
}
