/* The render's arena, its limits and its error exit (jinja.h). */
#include "jinja.h"

#include <stdio.h>
#include <string.h>

struct jchunk {
    jchunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define CHUNK_MIN ((size_t)64 * 1024)

_Noreturn static void jump(jctx *c, llamac_status st) {
    c->status = st;
    longjmp(c->jb, 1);
}

static void vfail(jctx *c, uint32_t line, uint32_t col, const char *fmt, va_list ap) {
    int k = snprintf(c->msg, sizeof c->msg, "jinja: line %u, column %u: ", (unsigned)line, (unsigned)col);
    if (k < 0) k = 0;
    if ((size_t)k < sizeof c->msg) vsnprintf(c->msg + k, sizeof c->msg - (size_t)k, fmt, ap);
}

void jfail(jctx *c, llamac_status st, uint32_t line, uint32_t col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(c, line, col, fmt, ap);
    va_end(ap);
    jump(c, st);
}

void jfail_at(jctx *c, const jnode *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(c, n ? n->line : c->cur_line, n ? n->col : c->cur_col, fmt, ap);
    va_end(ap);
    jump(c, LLAMAC_ERR_FORMAT);
}

void jstep(jctx *c, const jnode *at) {
    if (++c->steps > c->max_steps)
        jfail(c, LLAMAC_ERR_LIMIT, at ? at->line : c->cur_line, at ? at->col : c->cur_col,
              "the template ran more than max_steps (%llu) evaluation steps", (unsigned long long)c->max_steps);
}

void jdepth_enter(jctx *c, uint32_t line, uint32_t col) {
    if (++c->depth > c->max_depth)
        jfail(c, LLAMAC_ERR_LIMIT, line, col, "nesting deeper than max_depth (%u)", (unsigned)c->max_depth);
}

_Noreturn static void out_of_memory(jctx *c, size_t n) {
    jfail(c, LLAMAC_ERR_LIMIT, c->cur_line, c->cur_col,
          "the render needs more than max_memory_bytes (%zu; %zu in use, %zu more asked)", c->max_memory,
          c->used_memory, n);
}

void *jalloc(jctx *c, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    jchunk *ch = c->chunks;
    if (!ch || ch->cap - ch->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        size_t total;
        if (lc_add_overflow_size(cap, sizeof(jchunk), &total) || total > c->max_memory ||
            c->used_memory > c->max_memory - total)
            out_of_memory(c, n);
        jchunk *fresh = lc_malloc(c->env, total);
        if (!fresh) {
            snprintf(c->msg, sizeof c->msg, "jinja: line %u, column %u: out of memory (%zu bytes)",
                     (unsigned)c->cur_line, (unsigned)c->cur_col, total);
            jump(c, LLAMAC_ERR_NO_MEMORY);
        }
        c->used_memory += total;
        fresh->used = 0;
        fresh->cap = cap;
        /* A big block goes behind the current chunk so that the current
         * chunk's free space stays in use. */
        if (ch && cap == n && ch->cap - ch->used >= 1024) {
            fresh->next = ch->next;
            ch->next = fresh;
            fresh->used = n;
            memset(fresh->data, 0, n);
            return fresh->data;
        }
        fresh->next = ch;
        c->chunks = ch = fresh;
    }
    void *p = ch->data + ch->used;
    ch->used += n;
    memset(p, 0, n);
    return p;
}

void *jalloc_array(jctx *c, size_t count, size_t size) {
    size_t n;
    if (lc_mul_overflow_size(count, size, &n)) out_of_memory(c, SIZE_MAX);
    return jalloc(c, n);
}

void jarena_free(jctx *c) {
    lc_free(c->env, c->toks);
    c->toks = NULL;
    c->n_toks = 0;
    c->toks_bytes = 0;
    for (jchunk *ch = c->chunks; ch;) {
        jchunk *next = ch->next;
        lc_free(c->env, ch);
        ch = next;
    }
    c->chunks = NULL;
    c->used_memory = 0;
}

char *jstrdup(jctx *c, const char *s, size_t n) {
    if (n == SIZE_MAX) out_of_memory(c, n);
    char *p = jalloc(c, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void jbuf_put(jctx *c, jbuf *b, const char *s, size_t n) {
    if (n == 0) return;
    if (n > c->max_output || b->n > c->max_output - n)
        jfail(c, LLAMAC_ERR_LIMIT, c->cur_line, c->cur_col, "the output grows past max_output_bytes (%zu)",
              c->max_output);
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = jalloc(c, cap);
        if (b->n) memcpy(p, b->p, b->n);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}
