/* GBNF grammars (llamac.h section 12): the compiled form the parser
 * produces, and the parse-stack engine the matcher and the sampler share.
 *
 * A compiled grammar is one flat array of elements. Each rule's body is a
 * run of alternatives, each ending in LC_G_ALT (another follows) or
 * LC_G_END (the last); repetitions were expanded into generated rules the
 * way llama.cpp's parser does (S{m,n} -> m copies, then a chain of n-m
 * optional rules). Terminals are character sets over code points. */
#ifndef LLAMAC_GRAMMAR_H
#define LLAMAC_GRAMMAR_H

#include "common/internal.h"

/* Bounds on hostile grammars (docs/grammar.md). */
#define LC_GRAMMAR_MAX_DEPTH 256          /* nested parentheses */
#define LC_GRAMMAR_MAX_REPEAT 10000u      /* m and n of {m,n} */
#define LC_GRAMMAR_MAX_ELEMENTS (1u << 21) /* elements after expansion */
#define LC_GRAMMAR_MAX_RULES 200000u      /* named and generated rules */
#define LC_GRAMMAR_MAX_STACKS 32768u      /* live parse stacks while matching */
#define LC_GRAMMAR_MAX_NODES (1u << 24)   /* stack nodes held at once */
/* Work bound of one call: stacks stepped over, summed over its bytes (each
 * costs tens of nanoseconds). A matcher feed may take the larger of this
 * and 64 per byte fed; a sampler's apply this many. A highly ambiguous
 * grammar, e.g. ("a"{0,100}){0,100}, keeps ~10^4 stacks alive per byte
 * and ends with LLAMAC_ERR_LIMIT instead of taking seconds. */
#define LC_GRAMMAR_MAX_STEPS (1u << 20)
#define LC_GRAMMAR_STEPS_PER_BYTE 64u

enum { LC_G_END = 0, LC_G_ALT = 1, LC_G_REF = 2, LC_G_SET = 3 };

typedef struct lc_gelem {
    uint8_t type;
    uint8_t negated; /* LC_G_SET: matches code points outside the ranges */
    uint16_t pad;
    uint32_t a;      /* LC_G_REF: rule id; LC_G_SET: first range */
    uint32_t n;      /* LC_G_SET: number of ranges (sorted, disjoint, non-adjacent) */
} lc_gelem;

typedef struct lc_grange {
    uint32_t lo, hi;
} lc_grange;

typedef struct lc_grammar {
    lc_env env;
    lc_gelem *elems;
    uint32_t n_elems;
    lc_grange *ranges;
    uint32_t n_ranges;
    /* Alternative starts of rule r: alts[rule_alt[r] .. rule_alt[r + 1]). */
    uint32_t *alts;
    uint32_t *rule_alt;
    uint32_t n_rules;
    uint32_t root;
} lc_grammar;

/* Parses GBNF text[0..len). On failure returns LLAMAC_ERR_FORMAT (syntax,
 * undefined rule, missing root, left recursion) or LLAMAC_ERR_LIMIT (a
 * bound above) with the thread's message "line L, column C: ..." and
 * *line / *col (may be NULL) set (0 when the error has no place). */
llamac_status lc_grammar_parse(const lc_env *env, const char *text, size_t len, const char *root,
                               lc_grammar **out, int32_t *line, int32_t *col);
void lc_grammar_free(lc_grammar *g);

/* ---- the engine (grammar_stacks.c) ----
 * A parse stack is a chain of nodes (element position, parent node),
 * hash-consed so equal stacks are one node id: de-duplication is comparing
 * ids. A stack's top always sits on a character set; LC_GSTACK_DONE
 * stands for the empty stack (the root rule is complete). Nodes are only
 * appended; lc_gpool_truncate drops everything after a mark, which the
 * sampler uses to undo the nodes of a token it only tried. */
#define LC_GNODE_NIL UINT32_MAX
#define LC_GSTACK_DONE (UINT32_MAX - 1)

typedef struct lc_gnode {
    uint32_t pos, parent;
} lc_gnode;

typedef struct lc_gpool {
    lc_env env;
    lc_gnode *nodes;
    uint32_t *next;  /* hash chain */
    uint32_t *stamp; /* visit marks of the current step */
    size_t n, cap;
    uint32_t *buckets;
    size_t n_buckets; /* power of two */
    uint32_t clock;
    uint64_t steps; /* stacks stepped over since the caller last zeroed it */
    uint32_t *work; /* scratch work list */
    size_t work_cap;
} lc_gpool;

/* Partially read UTF-8 sequence (the bytes fed so far end inside one). */
typedef struct lc_gpartial {
    uint8_t have, need; /* bytes read, bytes the sequence has (0: none pending) */
    uint8_t lead;
    uint8_t pad;
    uint32_t value;
} lc_gpartial;

/* A set of live stacks: tops[0..n). */
typedef struct lc_gstacks {
    uint32_t *tops;
    size_t n, cap;
    lc_gpartial partial;
} lc_gstacks;

void lc_gpool_init(lc_gpool *p, const lc_env *env);
void lc_gpool_free(lc_gpool *p);
void lc_gpool_truncate(lc_gpool *p, size_t mark);
/* Stacks of the root rule before any input. */
llamac_status lc_gstacks_start(const lc_grammar *g, lc_gpool *p, lc_gstacks *out);
/* out := the stacks after reading byte b from in (out may be empty: no
 * parse continues). LLAMAC_ERR_LIMIT past LC_GRAMMAR_MAX_STACKS. */
llamac_status lc_gstacks_feed(const lc_grammar *g, lc_gpool *p, const lc_gstacks *in, uint8_t b,
                              lc_gstacks *out);
/* True when the root rule can end here (and no UTF-8 sequence is open). */
bool lc_gstacks_complete(const lc_gstacks *s);
/* Rebuilds the pool keeping only nodes reachable from s (renumbering s). */
llamac_status lc_gpool_compact(lc_gpool *p, lc_gstacks *s);
llamac_status lc_gstacks_copy(const lc_env *env, lc_gstacks *dst, const lc_gstacks *src);

#endif
