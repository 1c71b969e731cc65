/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A seccomp BPF interpreter, to check compiled filters without loading
 * them.  It accepts the instructions the kernel's seccomp checker accepts
 * for the programs we generate and refuses anything else.
 */
#include "bpf.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>

static int load_word(const struct bpf_input *in, uint32_t off, uint32_t *a)
{
	struct seccomp_data d;

	if (off > sizeof(d) - 4 || off % 4)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.nr = in->nr;
	d.arch = in->arch;
	d.instruction_pointer = in->ip;
	memcpy(d.args, in->args, sizeof(d.args));
	memcpy(a, (const char *)&d + off, 4);
	return 0;
}

int bpf_run(const struct sock_filter *prog, size_t len, const struct bpf_input *in, uint32_t *ret,
	    unsigned int *steps)
{
	return bpf_run_ex(prog, len, in, ret, steps, NULL);
}

int bpf_run_ex(const struct sock_filter *prog, size_t len, const struct bpf_input *in,
	       uint32_t *ret, unsigned int *steps, bool *reads_more)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS];
	size_t pc = 0;
	unsigned int n = 0;

	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	memset(mem, 0, sizeof(mem));
	while (pc < len) {
		const struct sock_filter *f = &prog[pc];
		size_t next = pc + 1;

		n++;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (load_word(in, f->k, &a))
				return -EINVAL;
			/* beyond nr and arch: the verdict may depend on more */
			if (reads_more && f->k != offsetof(struct seccomp_data, nr) &&
			    f->k != offsetof(struct seccomp_data, arch))
				*reads_more = true;
			break;
		case BPF_LD | BPF_IMM:
			a = f->k;
			break;
		case BPF_LDX | BPF_IMM:
			x = f->k;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return -EINVAL;
			if (f->code == (BPF_LD | BPF_MEM))
				a = mem[f->k];
			else if (f->code == (BPF_LDX | BPF_MEM))
				x = mem[f->k];
			else
				mem[f->k] = f->code == BPF_ST ? a : x;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			a |= f->k;
			break;
		case BPF_ALU | BPF_AND | BPF_X:
			a &= x;
			break;
		case BPF_JMP | BPF_JA:
			next = pc + 1 + f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			next = pc + 1 + (a == f->k ? f->jt : f->jf);
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			next = pc + 1 + (a > f->k ? f->jt : f->jf);
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			next = pc + 1 + (a >= f->k ? f->jt : f->jf);
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			next = pc + 1 + ((a & f->k) ? f->jt : f->jf);
			break;
		case BPF_RET | BPF_K:
			*ret = f->k;
			if (steps)
				*steps = n;
			return 0;
		case BPF_RET | BPF_A:
			*ret = a;
			if (steps)
				*steps = n;
			return 0;
		default:
			return -EINVAL;
		}
		if (next <= pc || next >= len)
			return -EINVAL; /* the kernel refuses such jumps */
		pc = next;
	}
	return -EINVAL;
}

/* Precedence of a return's action, higher wins (kernel/seccomp.c). */
static int precedence(uint32_t ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		return 8;
	case SECCOMP_RET_KILL_THREAD:
		return 7;
	case SECCOMP_RET_TRAP:
		return 6;
	case SECCOMP_RET_ERRNO:
		return 5;
	case SECCOMP_RET_USER_NOTIF:
		return 4;
	case SECCOMP_RET_TRACE:
		return 3;
	case SECCOMP_RET_LOG:
		return 2;
	case SECCOMP_RET_ALLOW:
		return 1;
	default:
		return 8; /* unknown actions kill the process */
	}
}

uint32_t bpf_stack_verdict(const uint32_t *rets, size_t n)
{
	uint32_t best = SECCOMP_RET_ALLOW;
	size_t i;

	/* The kernel walks from the newest filter and keeps the first of the
	 * highest precedence. */
	for (i = n; i-- > 0;) {
		if (precedence(rets[i]) > precedence(best) || i == n - 1)
			best = rets[i];
	}
	return best;
}

bool bpf_check(const struct sock_filter *prog, size_t len)
{
	size_t pc;

	if (len == 0 || len > BPF_MAXINSNS)
		return false;
	for (pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		size_t left = len - pc - 1;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k >= sizeof(struct seccomp_data) || f->k % 4)
				return false;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return false;
			break;
		case BPF_JMP | BPF_JA:
			if (f->k >= left)
				return false;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			if (f->jt >= left || f->jf >= left)
				return false;
			break;
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
		case BPF_ALU | BPF_AND | BPF_K:
		case BPF_ALU | BPF_OR | BPF_K:
		case BPF_ALU | BPF_AND | BPF_X:
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
			break;
		default:
			return false;
		}
	}
	return BPF_CLASS(prog[len - 1].code) == BPF_RET;
}
