/* SPDX-License-Identifier: Apache-2.0 */
/* Evaluating and comparing rules of the policy model.  Pure code. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

uint64_t policy_cmp_value(const struct policy_cmp *c, const struct policy_runtime *rt)
{
	switch (c->src) {
	case POLICY_VALUE_PID:
		return rt->pid;
	case POLICY_VALUE_CONST:
	default:
		return c->value;
	}
}

static bool cmp_holds(const struct policy_cmp *c, uint64_t v, uint64_t a)
{
	uint64_t m = c->mask;

	if (c->low32) {
		a &= 0xffffffffu;
		v &= 0xffffffffu;
		m &= 0xffffffffu;
	}
	switch (c->op) {
	case POLICY_OP_EQ:
		return a == v;
	case POLICY_OP_NE:
		return a != v;
	case POLICY_OP_LT:
		return a < v;
	case POLICY_OP_LE:
		return a <= v;
	case POLICY_OP_GT:
		return a > v;
	case POLICY_OP_GE:
		return a >= v;
	case POLICY_OP_MASKED_EQ:
		return (a & m) == v;
	}
	return false;
}

static bool clause_holds(const struct policy_clause *cl, const uint64_t args[6],
			 const struct policy_runtime *rt)
{
	unsigned int i;

	for (i = 0; i < cl->n; i++) {
		const struct policy_cmp *c = &cl->cmp[i];

		if (!cmp_holds(c, policy_cmp_value(c, rt), args[c->arg]))
			return false;
	}
	return true;
}

bool policy_rule_matches(const struct policy_rule *r, const uint64_t args[6],
			 const struct policy_runtime *rt)
{
	unsigned int i;

	if (r->n_clauses == 0)
		return true;
	for (i = 0; i < r->n_clauses; i++) {
		if (clause_holds(&r->clauses[i], args, rt))
			return true;
	}
	return false;
}

/* Does comparison `a` (on the same argument) imply `b`? */
static bool cmp_implies(const struct policy_cmp *a, const struct policy_cmp *b)
{
	if (a->low32 != b->low32)
		return false; /* (not worth reasoning about) */
	/* A runtime value may be anything when the policy is checked: only
	 * the same comparison with it is implied. */
	if (a->src != POLICY_VALUE_CONST || b->src != POLICY_VALUE_CONST)
		return a->src == b->src && a->op == b->op &&
		       (a->op == POLICY_OP_EQ || a->op == POLICY_OP_NE);
	if (a->op == b->op && a->value == b->value &&
	    (a->op != POLICY_OP_MASKED_EQ || a->mask == b->mask))
		return true;
	if (a->op == POLICY_OP_EQ)
		return cmp_holds(b, b->value, a->value);
	switch (b->op) {
	case POLICY_OP_LE:
		return (a->op == POLICY_OP_LE && a->value <= b->value) ||
		       (a->op == POLICY_OP_LT && a->value <= b->value + 1 && a->value != 0);
	case POLICY_OP_LT:
		return (a->op == POLICY_OP_LT && a->value <= b->value) ||
		       (a->op == POLICY_OP_LE && a->value < b->value);
	case POLICY_OP_GE:
		return (a->op == POLICY_OP_GE && a->value >= b->value) ||
		       (a->op == POLICY_OP_GT && a->value + 1 >= b->value &&
			a->value != UINT64_MAX);
	case POLICY_OP_GT:
		return (a->op == POLICY_OP_GT && a->value >= b->value) ||
		       (a->op == POLICY_OP_GE && a->value > b->value);
	case POLICY_OP_MASKED_EQ:
		/* (x & m1) == v1 implies (x & m2) == v2 when m2 is within m1
		 * and v1 agrees with v2 on m2. */
		return a->op == POLICY_OP_MASKED_EQ && (b->mask & ~a->mask) == 0 &&
		       (a->value & b->mask) == b->value;
	default:
		return false;
	}
}

static bool clause_implies(const struct policy_clause *inner, const struct policy_clause *outer)
{
	unsigned int i, j;

	for (j = 0; j < outer->n; j++) {
		bool found = false;

		for (i = 0; i < inner->n && !found; i++) {
			if (inner->cmp[i].arg == outer->cmp[j].arg)
				found = cmp_implies(&inner->cmp[i], &outer->cmp[j]);
		}
		if (!found)
			return false;
	}
	return true;
}

bool policy_clause_implied(const struct policy_clause *inner, const struct policy_rule *outer)
{
	static const struct policy_clause none = { 0 };
	unsigned int i;

	if (outer->n_clauses == 0)
		return true;
	if (!inner)
		inner = &none;
	for (i = 0; i < outer->n_clauses; i++) {
		if (clause_implies(inner, &outer->clauses[i]))
			return true;
	}
	return false;
}

static const char *const op_text[] = {
	[POLICY_OP_EQ] = "==",	      [POLICY_OP_NE] = "!=", [POLICY_OP_LT] = "<",
	[POLICY_OP_LE] = "<=",	      [POLICY_OP_GT] = ">",  [POLICY_OP_GE] = ">=",
	[POLICY_OP_MASKED_EQ] = "==",
};

size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i, j;

#define EMIT(...)                                                                               \
	do {                                                                                    \
		int n_ = snprintf(buf + (used < len ? used : len), used < len ? len - used : 0, \
				  __VA_ARGS__);                                                 \
		if (n_ > 0)                                                                     \
			used += (size_t)n_;                                                     \
	} while (0)

	if (len)
		buf[0] = '\0';
	for (i = 0; i < r->n_clauses; i++) {
		const struct policy_clause *cl = &r->clauses[i];

		if (i)
			EMIT(" || ");
		for (j = 0; j < cl->n; j++) {
			const struct policy_cmp *c = &cl->cmp[j];

			if (j)
				EMIT(" && ");
			if (c->op == POLICY_OP_MASKED_EQ)
				EMIT("arg%u & %#llx == %#llx", c->arg, (unsigned long long)c->mask,
				     (unsigned long long)c->value);
			else if (c->src == POLICY_VALUE_PID)
				EMIT("arg%u %s $pid", c->arg, op_text[c->op]);
			else
				EMIT("arg%u %s %#llx", c->arg, op_text[c->op],
				     (unsigned long long)c->value);
		}
	}
#undef EMIT
	return used;
}
