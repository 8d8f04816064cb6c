/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The glob matcher of pattern rules (semantics in bw_enf_types.h), one step
 * at a time so the kernel can run it under bpf_loop with a fixed bound and
 * userspace (enforce_maps.c, tests) runs exactly the same code.
 *
 * Two-pointer matching with one backtrack point per wildcard kind: the last
 * '*' (may grow while the character it would swallow is not '/') and the
 * last '**' (may grow over anything).  Meeting a '**' makes every earlier
 * choice final (it can absorb whatever they would have); meeting a '*' makes
 * the earlier '*' final (a later chunk matched further right only shifts
 * '/'-free text, which the new '*' absorbs).  When the '*' cannot grow, the
 * '**' grows and the '*' is found again.  Worst case quadratic in the path,
 * hence the step bound of the callers.
 */
#ifndef BW_ENF_GLOB_H
#define BW_ENF_GLOB_H

#define BW_GLOB_NONE 0xffffffffu

struct bw_glob_state {
	__u32 p, t;   /* pattern and text positions */
	__u32 sp, st; /* last '*': its pattern position, the text it grows into */
	__u32 dp, dt; /* last '**' */
};

enum { BW_GLOB_MORE = 0, BW_GLOB_MATCH = 1, BW_GLOB_NOMATCH = 2 };

static inline __attribute__((always_inline)) void bw_glob_init(struct bw_glob_state *g)
{
	g->p = 0;
	g->t = 0;
	g->sp = BW_GLOB_NONE;
	g->st = 0;
	g->dp = BW_GLOB_NONE;
	g->dt = 0;
}

/* pat: BW_ENF_PATTERN_MAX bytes, plen < that; txt: indexes masked with
 * BW_ENF_PATH_BUF - 1, tlen < BW_ENF_PATH_BUF.  Masks only bound the
 * indexes for the verifier; positions are compared with the lengths first. */
static inline __attribute__((always_inline)) int
bw_glob_step(struct bw_glob_state *g, const char *pat, __u32 plen, const char *txt, __u32 tlen)
{
	__u32 p = g->p, t = g->t;
	char pc = p < plen ? pat[p & (BW_ENF_PATTERN_MAX - 1)] : 0;

	if (p < plen && pc == '*') {
		if (p + 1 < plen && pat[(p + 1) & (BW_ENF_PATTERN_MAX - 1)] == '*') {
			g->dp = p;
			g->dt = t;
			g->sp = BW_GLOB_NONE;
			g->p = p + 2;
		} else {
			g->sp = p;
			g->st = t;
			g->p = p + 1;
		}
		return BW_GLOB_MORE;
	}
	if (t < tlen) {
		char tc = txt[t & (BW_ENF_PATH_BUF - 1)];

		if (p < plen && (pc == tc || (pc == '?' && tc != '/'))) {
			g->p = p + 1;
			g->t = t + 1;
			return BW_GLOB_MORE;
		}
	} else if (p >= plen) {
		return BW_GLOB_MATCH;
	}
	/* Mismatch (or text left over / pattern left over): backtrack. */
	if (g->sp != BW_GLOB_NONE && g->st < tlen && txt[g->st & (BW_ENF_PATH_BUF - 1)] != '/') {
		g->st++;
		g->t = g->st;
		g->p = g->sp + 1;
		return BW_GLOB_MORE;
	}
	if (g->dp != BW_GLOB_NONE && g->dt < tlen) {
		g->dt++;
		g->t = g->dt;
		g->p = g->dp + 2;
		g->sp = BW_GLOB_NONE;
		return BW_GLOB_MORE;
	}
	return BW_GLOB_NOMATCH;
}

#endif
