/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp BPF generation.  Memory only.
 *
 * The program is emitted back to front: when an instruction is emitted,
 * everything it can jump to (which in classic BPF is always further on)
 * already exists, so every offset is known at once.  A conditional jump
 * reaches at most 255 instructions; a farther target gets an unconditional
 * 'ja' trampoline placed right after the jump.
 *
 * Layout:  arch check, the hot syscall (struct bpf_target) and its block,
 * foreign-ABI check, a search on the syscall number over ranges of numbers
 * (reviewed or not: struct bpf_target), one block per syscall (its rules'
 * comparisons), shared returns.  On x86_64 the hot
 * path, ioctl(KVM_RUN), is seven straight instructions: load arch, test,
 * load nr, test, load the request, test, return; five in a layer stacked
 * on one that refuses foreign ABIs (bpf_target.no_abi_check).
 */
#include "bpf.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A label is an instruction's index counted from the end of the program. */
typedef size_t label;

struct ret_entry {
	uint64_t key; /* the value, or 1 << 32 | slot */
	label at;
};

struct emitter {
	struct sock_filter *rev; /* instructions, last one first */
	size_t n, cap;
	int err;
	/* the hot path (struct bpf_target), for the block being emitted */
	bool hot_block;
	unsigned int hot_arg;
	uint32_t hot_value;
	/* shared return instructions, by value or slot (key) */
	struct ret_entry *rets;
	size_t n_rets, cap_rets;
	/* slots, by label until the program is turned around */
	struct bpf_reloc *relocs;
	size_t n_relocs, cap_relocs;
};

static void add_reloc(struct emitter *e, label at, enum bpf_slot slot)
{
	if (e->err)
		return;
	if (e->n_relocs == e->cap_relocs) {
		size_t cap = e->cap_relocs ? e->cap_relocs * 2 : 16;
		struct bpf_reloc *p = realloc(e->relocs, cap * sizeof(*p));

		if (!p) {
			e->err = -ENOMEM;
			return;
		}
		e->relocs = p;
		e->cap_relocs = cap;
	}
	e->relocs[e->n_relocs].at = (uint16_t)at;
	e->relocs[e->n_relocs++].slot = (uint16_t)slot;
}

static label emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (e->err)
		return 0;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct sock_filter *p = realloc(e->rev, cap * sizeof(*p));

		if (!p) {
			e->err = -ENOMEM;
			return 0;
		}
		e->rev = p;
		e->cap = cap;
	}
	e->rev[e->n].code = code;
	e->rev[e->n].jt = jt;
	e->rev[e->n].jf = jf;
	e->rev[e->n].k = k;
	return e->n++;
}

/* Distance from the next instruction to be emitted to `target`. */
static size_t dist(const struct emitter *e, label target)
{
	return e->n - target - 1;
}

static label emit_ja(struct emitter *e, label target)
{
	return emit(e, BPF_JMP | BPF_JA, 0, 0, (uint32_t)dist(e, target));
}

static label emit_jmp(struct emitter *e, uint16_t op, uint32_t k, label jt, label jf)
{
	for (;;) {
		if (e->err)
			return 0;
		if (dist(e, jt) > 255)
			jt = emit_ja(e, jt);
		else if (dist(e, jf) > 255)
			jf = emit_ja(e, jf);
		else
			break;
	}
	return emit(e, BPF_JMP | op | BPF_K, (uint8_t)dist(e, jt), (uint8_t)dist(e, jf), k);
}

static label emit_ld(struct emitter *e, uint32_t offset)
{
	return emit(e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);
}

/* The return of `val`, or of slot `slot` if it is not BPF_SLOT_NONE. */
static label ret_label(struct emitter *e, uint32_t val, enum bpf_slot slot)
{
	uint64_t key = slot != BPF_SLOT_NONE ? (1ULL << 32) | (uint64_t)slot : val;
	struct ret_entry *r;
	size_t i;

	for (i = 0; i < e->n_rets; i++) {
		if (e->rets[i].key == key)
			return e->rets[i].at;
	}
	if (e->err)
		return 0;
	if (e->n_rets == e->cap_rets) {
		size_t cap = e->cap_rets ? e->cap_rets * 2 : 16;

		r = realloc(e->rets, cap * sizeof(*r));
		if (!r) {
			e->err = -ENOMEM;
			return 0;
		}
		e->rets = r;
		e->cap_rets = cap;
	}
	r = &e->rets[e->n_rets++];
	r->key = key;
	r->at = emit(e, BPF_RET | BPF_K, 0, 0, slot != BPF_SLOT_NONE ? 0 : val);
	if (slot != BPF_SLOT_NONE)
		add_reloc(e, r->at, slot);
	return r->at;
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (size_t)(i)))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* The low word of argument `arg` against a slot's value: `eq` if equal,
 * else `ne`.  The test is the slot's alone, never shared. */
static label emit_slot_cmp(struct emitter *e, unsigned int arg, enum bpf_slot slot, label eq,
			   label ne)
{
	add_reloc(e, emit_jmp(e, BPF_JEQ, 0, eq, ne), slot);
	return emit_ld(e, ARG_LO(arg));
}

/* The slot holding a runtime value, or BPF_SLOT_NONE for a constant. */
static enum bpf_slot value_slot(enum policy_value_src src)
{
	switch (src) {
	case POLICY_VALUE_PID:
		return BPF_SLOT_PID;
	case POLICY_VALUE_CONST:
	default:
		return BPF_SLOT_NONE;
	}
}

/* Code for one comparison: continue at `ok` if it holds, else at `fail`. */
static label emit_cmp(struct emitter *e, const struct policy_cmp *c, label ok, label fail)
{
	uint32_t vlo = (uint32_t)c->value, vhi = (uint32_t)(c->value >> 32);
	uint32_t mlo = (uint32_t)c->mask, mhi = (uint32_t)(c->mask >> 32);
	enum bpf_slot slot = value_slot(c->src);
	label at;

	if (c->src != POLICY_VALUE_CONST) {
		/* a runtime value is 32 bits, compared for equality (the parser
		 * takes nothing else) */
		if (slot == BPF_SLOT_NONE || !c->low32 ||
		    (c->op != POLICY_OP_EQ && c->op != POLICY_OP_NE)) {
			e->err = -EINVAL;
			return fail;
		}
		return c->op == POLICY_OP_EQ ? emit_slot_cmp(e, c->arg, slot, ok, fail)
					     : emit_slot_cmp(e, c->arg, slot, fail, ok);
	}
	if (c->low32) {
		/* only the low word: the kernel ignores the rest */
		switch (c->op) {
		case POLICY_OP_EQ:
			emit_jmp(e, BPF_JEQ, vlo, ok, fail);
			break;
		case POLICY_OP_NE:
			emit_jmp(e, BPF_JEQ, vlo, fail, ok);
			break;
		case POLICY_OP_GT:
			emit_jmp(e, BPF_JGT, vlo, ok, fail);
			break;
		case POLICY_OP_GE:
			emit_jmp(e, BPF_JGE, vlo, ok, fail);
			break;
		case POLICY_OP_LT:
			emit_jmp(e, BPF_JGE, vlo, fail, ok);
			break;
		case POLICY_OP_LE:
			emit_jmp(e, BPF_JGT, vlo, fail, ok);
			break;
		case POLICY_OP_MASKED_EQ:
			if (vlo & ~mlo)
				return fail;
			emit_jmp(e, BPF_JEQ, vlo, ok, fail);
			if (mlo != 0xffffffffu)
				emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mlo);
			break;
		}
		return emit_ld(e, ARG_LO(c->arg));
	}
	switch (c->op) {
	case POLICY_OP_EQ:
		emit_jmp(e, BPF_JEQ, vlo, ok, fail);
		emit_ld(e, ARG_LO(c->arg));
		emit_jmp(e, BPF_JEQ, vhi, e->n - 1, fail);
		return emit_ld(e, ARG_HI(c->arg));
	case POLICY_OP_NE:
		emit_jmp(e, BPF_JEQ, vlo, fail, ok);
		emit_ld(e, ARG_LO(c->arg));
		emit_jmp(e, BPF_JEQ, vhi, e->n - 1, ok);
		return emit_ld(e, ARG_HI(c->arg));
	case POLICY_OP_GT:
	case POLICY_OP_GE:
	case POLICY_OP_LT:
	case POLICY_OP_LE: {
		/* Unsigned 64-bit order: decided by the high words unless they are
		 * equal.  LT and LE are the negations of GE and GT. */
		bool neg = c->op == POLICY_OP_LT || c->op == POLICY_OP_LE;
		uint16_t low_op =
			(c->op == POLICY_OP_GT || c->op == POLICY_OP_LE) ? BPF_JGT : BPF_JGE;
		label yes = neg ? fail : ok, no = neg ? ok : fail;
		label low;

		emit_jmp(e, low_op, vlo, yes, no);
		low = emit_ld(e, ARG_LO(c->arg));
		emit_jmp(e, BPF_JEQ, vhi, low, no);
		emit_jmp(e, BPF_JGT, vhi, yes, e->n - 1);
		return emit_ld(e, ARG_HI(c->arg));
	}
	case POLICY_OP_MASKED_EQ:
		if ((vlo & ~mlo) || (vhi & ~mhi))
			return fail; /* bits outside the mask can never match */
		if (mlo == 0)
			at = ok;
		else {
			emit_jmp(e, BPF_JEQ, vlo, ok, fail);
			if (mlo != 0xffffffffu)
				emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mlo);
			at = emit_ld(e, ARG_LO(c->arg));
		}
		if (mhi == 0)
			return at;
		emit_jmp(e, BPF_JEQ, vhi, at, fail);
		if (mhi != 0xffffffffu)
			emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mhi);
		return emit_ld(e, ARG_HI(c->arg));
	}
	e->err = -EINVAL;
	return 0;
}

/*
 * Value sets: runs of clauses that each test one argument, the same way
 * (equality, or equality under the same mask), against a 32-bit constant
 * (never a runtime value, which is known only when the filter is
 * installed), with the same verdict, are tested together: the argument is loaded (and
 * masked) once and its value found by binary search (the hot value first,
 * and not searched again).  Two are enough to save a load.  A run keeps its
 * place among the other rules, so the first-match order is unchanged.
 */
#define SET_MIN 2

struct item {
	const struct policy_clause *cl; /* NULL: unconditional */
	uint32_t ret;
	enum bpf_slot slot;
	bool report;
};

static bool settable(const struct item *it)
{
	const struct policy_cmp *c;

	if (!it->cl || it->cl->n != 1 || it->report)
		return false;
	c = &it->cl->cmp[0];
	if (c->src != POLICY_VALUE_CONST)
		return false;
	if (c->op == POLICY_OP_EQ)
		return c->low32 || !(c->value >> 32);
	/* a mask without upper bits ignores the upper word */
	return c->op == POLICY_OP_MASKED_EQ && (c->low32 || !(c->mask >> 32));
}

static bool same_set(const struct item *a, const struct item *b)
{
	const struct policy_cmp *x, *y;

	if (!a->cl || !b->cl || !settable(a) || !settable(b) || a->ret != b->ret ||
	    a->slot != b->slot)
		return false;
	x = &a->cl->cmp[0];
	y = &b->cl->cmp[0];
	return x->arg == y->arg && x->low32 == y->low32 && x->op == y->op &&
	       (x->op != POLICY_OP_MASKED_EQ || (uint32_t)x->mask == (uint32_t)y->mask);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static label emit_search(struct emitter *e, const uint32_t *v, size_t lo, size_t hi, label ok,
			 label fail)
{
	label left, right;
	size_t mid, i;

	if (hi - lo <= 4) {
		label next = fail;

		for (i = hi; i-- > lo;)
			next = emit_jmp(e, BPF_JEQ, v[i], ok, next);
		return next;
	}
	mid = lo + (hi - lo) / 2;
	right = emit_search(e, v, mid, hi, ok, fail);
	left = emit_search(e, v, lo, mid, ok, fail);
	return emit_jmp(e, BPF_JGE, v[mid], right, left);
}

static label emit_set(struct emitter *e, const struct item *items, size_t n, label fail)
{
	const struct policy_cmp *first = &items[0].cl->cmp[0];
	bool masked = first->op == POLICY_OP_MASKED_EQ;
	uint32_t mask = masked ? (uint32_t)first->mask : 0xffffffffu;
	label ok = ret_label(e, items[0].ret, items[0].slot), entry;
	uint32_t *v = malloc(n * sizeof(*v));
	size_t i, u = 0, k = 0;
	/* the hot value gets a test and return of its own, below, when the
	 * set returns a constant: then it is not searched again */
	bool hot_here = e->hot_block && !masked && first->arg == e->hot_arg &&
			items[0].slot == BPF_SLOT_NONE;
	bool hot = false;

	if (!v) {
		e->err = -ENOMEM;
		return fail;
	}
	for (i = 0; i < n; i++) {
		const struct policy_cmp *c = &items[i].cl->cmp[0];

		/* a value with bits outside the mask never matches */
		if (!masked || !((uint32_t)c->value & ~mask))
			v[k++] = (uint32_t)c->value;
	}
	qsort(v, k, sizeof(*v), cmp_u32);
	for (i = 0; i < k; i++) {
		if (hot_here && v[i] == e->hot_value)
			hot = true;
		else if (!u || v[u - 1] != v[i])
			v[u++] = v[i];
	}
	if (!u && !hot) {
		free(v);
		return fail;
	}
	entry = u ? emit_search(e, v, 0, u, ok, fail) : fail;
	free(v);
	if (hot) {
		/* the hot value first, with a return of its own right after it:
		 * no jump is taken on the hot path, however far the shared
		 * returns are */
		label own = emit(e, BPF_RET | BPF_K, 0, 0, items[0].ret);

		entry = emit_jmp(e, BPF_JEQ, e->hot_value, own, entry);
	}
	(void)entry; /* what follows falls through to it */
	if (mask != 0xffffffffu)
		emit(e, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);
	entry = emit_ld(e, ARG_LO(first->arg));
	if (!first->low32 && !masked) {
		emit_jmp(e, BPF_JEQ, 0, entry, fail);
		entry = emit_ld(e, ARG_HI(first->arg));
	}
	return entry;
}

/* The block of one syscall; returns its entry. */
static label emit_block(struct emitter *e, const struct bpf_syscall *s, label def)
{
	struct item *items;
	label next_fail = def;
	size_t n = 0, cap, k, run;
	unsigned int r, c, i;

	for (r = 0; r < s->n_rules; r++)
		n += s->rules[r].n_clauses ? s->rules[r].n_clauses : 1;
	cap = n ? n : 1;
	items = calloc(cap, sizeof(*items));
	if (!items) {
		e->err = -ENOMEM;
		return def;
	}
	n = 0;
	for (r = 0; r < s->n_rules; r++) {
		const struct bpf_rule *br = &s->rules[r];
		struct item it = { NULL, br->ret, br->slot, br->report };

		if (!br->n_clauses || br->report) {
			if (n < cap)
				items[n++] = it;
			continue;
		}
		for (c = 0; c < br->n_clauses && n < cap; c++) {
			it.cl = &br->clauses[c];
			items[n++] = it;
		}
	}
	/* back to front, as everything is emitted */
	for (k = n; k > 0;) {
		const struct item *it = &items[k - 1];

		for (run = 1; run < k && same_set(&items[k - 1 - run], it); run++)
			;
		if (settable(it) && run >= SET_MIN) {
			next_fail = emit_set(e, &items[k - run], run, next_fail);
			k -= run;
			continue;
		}
		k--;
		if (it->report) {
			/* write's descriptor (an unsigned int) against a slot */
			label ok = ret_label(e, it->ret, it->slot);

			next_fail = emit_slot_cmp(e, 0, BPF_SLOT_REPORT_FD, ok, next_fail);
			continue;
		}
		if (!it->cl) {
			next_fail = ret_label(e, it->ret, it->slot);
			continue;
		}
		{
			label ok = ret_label(e, it->ret, it->slot);

			for (i = it->cl->n; i-- > 0;)
				ok = emit_cmp(e, &it->cl->cmp[i], ok, next_fail);
			next_fail = ok;
		}
	}
	free(items);
	return next_fail;
}

/*
 * The search on the syscall number (in A): a tree of `jge` over ranges of
 * numbers that go to the same place, which needs no equality test at all.
 * Each number has the places it may go to (struct accept): its block, if
 * the layer has rules for it; else the default (a violation) if it was
 * reviewed, the unreviewed return if not; or, stacked on a baseline that
 * refuses (bpf_target.below_refuses), also wherever the baseline's
 * verdict is kept.  The ranges are chosen greedily, each as long as one
 * of its first number's places allows, which gives the fewest.
 */
struct range {
	uint32_t start;
	label to;
};

static label emit_ranges(struct emitter *e, const struct range *r, size_t lo, size_t hi)
{
	label left, right;
	size_t mid;

	if (hi - lo == 1)
		return r[lo].to;
	mid = lo + (hi - lo) / 2;
	right = emit_ranges(e, r, mid, hi);
	left = emit_ranges(e, r, lo, mid);
	return emit_jmp(e, BPF_JGE, r[mid].start, right, left);
}

#define NO_LABEL SIZE_MAX
#define ANY_LABEL (SIZE_MAX - 1) /* never reaches the search */
#define MAX_NR 0xffff

struct accept {
	label a, b; /* b: NO_LABEL if only one */
};

static bool accepts(const struct accept *x, label l)
{
	return x->a == ANY_LABEL || x->a == l || x->b == l;
}

/* A baseline syscall whose only rule refuses it whatever its arguments. */
static bool refused_outright(const struct bpf_syscall *s)
{
	return s->n_rules == 1 && !s->rules[0].n_clauses && !s->rules[0].report &&
	       s->rules[0].slot == BPF_SLOT_DEFAULT;
}

static label emit_dispatch(struct emitter *e, const struct bpf_target *t,
			   const struct bpf_syscall *s, const label *blocks, size_t n,
			   int tested_before, label def)
{
	bool refuses = t->below && t->below_refuses;
	struct accept *acc;
	struct range *r;
	size_t top = 0, i, j, m = 0;
	label other, entry;

	for (i = 0; i < n; i++)
		top = (size_t)s[i].nr + 1 > top ? (size_t)s[i].nr + 1 : top;
	for (i = 0; t->below && i < t->n_below; i++)
		top = (size_t)t->below[i].nr + 1 > top ? (size_t)t->below[i].nr + 1 : top;
	if (tested_before >= 0 && (size_t)tested_before + 1 > top)
		top = (size_t)tested_before + 1;
	if (top > MAX_NR + 1) {
		e->err = -EINVAL;
		return def;
	}
	/* a number nobody reviewed: left to the baseline, or refused as such */
	other = refuses ? ret_label(e, SECCOMP_RET_ALLOW, BPF_SLOT_NONE)
			: ret_label(e, 0, BPF_SLOT_UNREVIEWED);
	acc = calloc(top + 1, sizeof(*acc));
	r = calloc(top + 1, sizeof(*r));
	if (!acc || !r) {
		free(acc);
		free(r);
		e->err = -ENOMEM;
		return def;
	}
	/* acc[top] stands for every number from top on */
	for (i = 0; i <= top; i++)
		acc[i] = (struct accept){ other,
					  refuses && t->default_traps_unreviewed ? def : NO_LABEL };
	for (i = 0; t->below && i < t->n_below; i++) {
		acc[t->below[i].nr].a = def;
		acc[t->below[i].nr].b =
			refuses && refused_outright(&t->below[i]) ? other : NO_LABEL;
	}
	for (i = 0; i < n; i++)
		acc[s[i].nr] = (struct accept){ blocks[i], NO_LABEL };
	if (tested_before >= 0)
		acc[tested_before] = (struct accept){ ANY_LABEL, NO_LABEL };
	for (i = 0; i <= top;) {
		label cand[2], best = other;
		size_t end, best_end = i, c;

		for (j = i; j < top && acc[j].a == ANY_LABEL; j++)
			; /* (acc[top] is never ANY) */
		cand[0] = acc[j].a;
		cand[1] = acc[j].b;
		for (c = 0; c < 2 && cand[c] != NO_LABEL; c++) {
			for (end = i; end <= top && accepts(&acc[end], cand[c]); end++)
				;
			if (end > best_end) {
				best_end = end;
				best = cand[c];
			}
		}
		if (m > top || best_end == i) {
			/* never: each range takes one number at least */
			e->err = -EINVAL;
			break;
		}
		r[m].start = (uint32_t)i;
		r[m++].to = best;
		i = best_end;
	}
	entry = emit_ranges(e, r, 0, m);
	free(acc);
	free(r);
	return entry;
}

int bpf_generate_template(const struct bpf_target *t, const struct bpf_syscall *syscalls, size_t n,
			  struct sock_filter **out, size_t *out_len, struct bpf_reloc **relocs,
			  size_t *n_relocs)
{
	struct emitter e;
	struct bpf_syscall *rest;
	label *blocks, def, bad, entry;
	size_t i, m = 0, hot = SIZE_MAX;

	memset(&e, 0, sizeof(e));
	blocks = calloc(n ? n : 1, sizeof(*blocks));
	rest = calloc(n ? n : 1, sizeof(*rest));
	if (!blocks || !rest) {
		free(blocks);
		free(rest);
		return -ENOMEM;
	}
	def = ret_label(&e, 0, BPF_SLOT_DEFAULT);
	bad = t->no_abi_check ? def : ret_label(&e, 0, BPF_SLOT_BADARCH);
	e.hot_arg = t->hot_arg;
	e.hot_value = t->hot_value;
	/* every block but the hot syscall's, which goes right after its test */
	for (i = n; i-- > 0;) {
		if (syscalls[i].nr == t->hot_nr) {
			hot = i;
			continue;
		}
		blocks[i] = emit_block(&e, &syscalls[i], def);
	}
	for (i = 0; i < n; i++) {
		if (i != hot) {
			blocks[m] = blocks[i];
			rest[m++] = syscalls[i];
		}
	}
	/* The hot syscall is tested before the search only when the layer
	 * has rules for it; otherwise it is searched like any other number. */
	entry = emit_dispatch(&e, t, rest, blocks, m, hot < n ? t->hot_nr : -1, def);
	/* x32 shares the x86_64 audit arch; its numbers carry bit 30. */
	if (t->foreign_nr_floor && !t->no_abi_check)
		entry = emit_jmp(&e, BPF_JGE, t->foreign_nr_floor, bad, entry);
	if (hot < n) {
		/* The hot syscall is tested first (its number is below any
		 * foreign floor) and its block falls through from the test. */
		label block;

		e.hot_block = true;
		block = emit_block(&e, &syscalls[hot], def);
		e.hot_block = false;
		if (block != e.n - 1)
			block = emit_ja(&e, block);
		entry = emit_jmp(&e, BPF_JEQ, (uint32_t)t->hot_nr, block, entry);
	}
	if (entry != e.n - 1)
		emit_ja(&e, entry);
	/* the load falls through to `entry`, emitted just before it */
	entry = emit_ld(&e, (uint32_t)offsetof(struct seccomp_data, nr));
	if (!t->no_abi_check) {
		emit_jmp(&e, BPF_JEQ, t->audit_arch, entry, bad);
		emit_ld(&e, (uint32_t)offsetof(struct seccomp_data, arch));
	}
	free(blocks);
	free(rest);
	free(e.rets);
	if (!e.err && e.n > BPF_MAXINSNS)
		e.err = -E2BIG;
	if (e.err) {
		free(e.rev);
		free(e.relocs);
		return e.err;
	}
	/* Back to front -> front to back. */
	for (i = 0; i < e.n / 2; i++) {
		struct sock_filter tmp = e.rev[i];

		e.rev[i] = e.rev[e.n - 1 - i];
		e.rev[e.n - 1 - i] = tmp;
	}
	for (i = 0; i < e.n_relocs; i++)
		e.relocs[i].at = (uint16_t)(e.n - 1 - e.relocs[i].at);
	*out = e.rev;
	*out_len = e.n;
	*relocs = e.relocs;
	*n_relocs = e.n_relocs;
	return 0;
}

void bpf_resolve(struct sock_filter *prog, const struct bpf_reloc *relocs, size_t n_relocs,
		 const uint32_t values[BPF_SLOTS])
{
	size_t i;

	for (i = 0; i < n_relocs; i++)
		prog[relocs[i].at].k = values[relocs[i].slot];
}

int bpf_generate(const struct bpf_target *t, const struct bpf_syscall *syscalls, size_t n,
		 const uint32_t values[BPF_SLOTS], struct sock_filter **out, size_t *out_len)
{
	struct bpf_reloc *relocs;
	size_t n_relocs;
	int rc = bpf_generate_template(t, syscalls, n, out, out_len, &relocs, &n_relocs);

	if (rc)
		return rc;
	bpf_resolve(*out, relocs, n_relocs, values);
	free(relocs);
	return 0;
}
