/* The sandboxed Jinja engine behind llamac_chat_render_jinja (llamac.h,
 * section 11): the types every part of it shares.
 *
 * One render is one `jctx`. Everything it allocates (tokens, the syntax
 * tree, values, strings, output) comes from its arena, which counts bytes
 * against max_memory_bytes and is freed at once when the render ends. Any
 * error (syntax, runtime, limit, memory) formats its message into the
 * context and longjmps back to the render's entry (jinja_render.c), so no
 * code path below needs to clean up: nothing outside the arena is held.
 *
 * Pipeline: jinja_lex.c turns the text into tokens (whitespace control,
 * trim_blocks and lstrip_blocks applied there, as jinja2's lexer does),
 * jinja_parse.c builds the tree (recursion bounded by max_depth),
 * jinja_eval.c runs it, jinja_filters.c / jinja_tests.c / jinja_methods.c
 * hold the filters, tests and methods, jinja_value.c the values and their
 * Python-compatible printing. */
#ifndef LLAMAC_JINJA_H
#define LLAMAC_JINJA_H

#include "common/internal.h"

#include <setjmp.h>

typedef struct jctx jctx;
typedef struct jnode jnode;
typedef struct jscope jscope;

/* ---- values ---- */

typedef enum jkind {
    JV_UNDEF, /* jinja2's default Undefined: prints as "", falsy, errors on use */
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STR,
    JV_LIST,
    JV_TUPLE,
    JV_DICT,
    JV_NS,     /* namespace(): the one mutable object */
    JV_MACRO,  /* a macro, or the `caller` of a call block */
    JV_FUNC,   /* a global function (range, namespace, ...) */
    JV_METHOD, /* an attribute that is a method, bound to its object */
    JV_LOOP,   /* the `loop` variable of a for loop */
    JV_CYCLER  /* unused placeholder kind for future helpers */
} jkind;

typedef struct jlist jlist;
typedef struct jdict jdict;
typedef struct jmacro jmacro;
typedef struct jloop jloop;
typedef struct jbound jbound;

typedef struct jv {
    uint8_t k; /* jkind */
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            const char *p;
            size_t n;
        } s; /* JV_STR: bytes (valid UTF-8); JV_UNDEF: the missing name (may be NULL) */
        jlist *l;
        jdict *d;
        jmacro *m;
        int fn;
        jbound *bm;
        jloop *loop;
    } u;
} jv;

struct jlist {
    size_t n, cap;
    jv *v;
};

struct jdict {
    size_t n, cap;
    jv *key;
    jv *val;
};

struct jbound {
    jv self;
    const char *name;
};

struct jmacro {
    const jnode *node; /* the macro (or call block's caller) definition */
    jscope *closure;
    jv caller;          /* a call block's caller for this macro, else undefined */
};

struct jloop {
    const jv *items;
    int64_t length, index0;
    const jnode *at;
};

/* ---- the syntax tree ---- */

typedef enum jop {
    /* expressions */
    N_CONST, N_NAME, N_ATTR, N_ITEM, N_SLICE, N_CALL, N_FILTER, N_TEST, N_NOT, N_NEG, N_POS, N_BIN, N_AND,
    N_OR, N_CMP, N_COND, N_LIST, N_TUPLE, N_DICT, N_CONCAT,
    /* statements */
    N_TEXT, N_OUT, N_BODY, N_IF, N_FOR, N_SET, N_SETBLOCK, N_MACRO, N_CALLBLOCK, N_FILTERBLOCK, N_BREAK,
    N_CONTINUE
} jop;

/* Binary operators and comparisons (N_BIN / N_CMP): the token's text. */
typedef enum jbin {
    B_ADD, B_SUB, B_MUL, B_DIV, B_FDIV, B_MOD, B_POW, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_IN, B_NOTIN
} jbin;

struct jnode {
    uint8_t op;  /* jop */
    uint8_t sub; /* jbin for N_BIN/N_CMP; negation for N_TEST; recursive flag for N_FOR */
    uint32_t line, col;
    jv val;            /* N_CONST: the value; N_NAME/N_ATTR/N_FILTER/N_TEST/N_MACRO/N_SET name in u.s */
    const jnode *a, *b, *c, *d; /* operands / bodies, by kind (jinja_parse.c documents each) */
    const jnode **kids;         /* list elements, call args, body statements, if branches */
    size_t n_kids;
    const jnode **kw;           /* keyword arguments: values */
    const char **kw_names;
    size_t n_kw;
};

/* ---- tokens ---- */

typedef enum jtok {
    T_EOF, T_TEXT, T_VAR_BEGIN, T_VAR_END, T_BLOCK_BEGIN, T_BLOCK_END, T_NAME, T_INT, T_FLOAT, T_STRING, T_OP
} jtok;

typedef struct jtoken {
    uint8_t kind;
    uint32_t line, col;
    const char *p; /* T_TEXT/T_NAME/T_OP: the text; T_STRING: the unescaped bytes */
    size_t n;
    int64_t i; /* T_INT */
    double f;  /* T_FLOAT */
} jtoken;

/* ---- the render context ---- */

typedef struct jchunk jchunk;

typedef struct jbuf {
    char *p;
    size_t n, cap;
} jbuf;

struct jscope {
    jscope *parent;
    size_t n, cap;
    const char **names;
    jv *vals;
};

struct jctx {
    const lc_env *env;
    jmp_buf jb;
    llamac_status status;
    char msg[512];
    /* limits */
    uint64_t max_steps, steps;
    uint32_t max_depth, depth;
    size_t max_output, max_memory, used_memory;
    jchunk *chunks;
    /* lexer output */
    jtoken *toks; /* lc_realloc'd (not in the arena), freed by jarena_free */
    size_t n_toks, pos, toks_bytes;
    /* rendering */
    jbuf *out;  /* where text goes now (captures push their own) */
    jscope *globals;
    jscope *cur_scope;
    int64_t now;
    int loop_ctl; /* 1 break, 2 continue, pending */
    uint32_t cur_line, cur_col;
};

/* ---- errors (all of them longjmp to the render's entry) ---- */

_Noreturn void jfail(jctx *c, llamac_status st, uint32_t line, uint32_t col, const char *fmt, ...) LC_PRINTF(5, 6);
/* An error at the node being evaluated. */
_Noreturn void jfail_at(jctx *c, const jnode *n, const char *fmt, ...) LC_PRINTF(3, 4);
/* One evaluation step; fails with LLAMAC_ERR_LIMIT at max_steps. */
void jstep(jctx *c, const jnode *at);
void jdepth_enter(jctx *c, uint32_t line, uint32_t col);
static inline void jdepth_leave(jctx *c) { c->depth--; }

/* ---- the arena (jinja_arena.c) ---- */

void *jalloc(jctx *c, size_t n); /* zeroed, 16-byte aligned; never NULL */
void *jalloc_array(jctx *c, size_t count, size_t size);
void jarena_free(jctx *c);
char *jstrdup(jctx *c, const char *s, size_t n);

/* Growable text buffer in the arena, bounded by max_output_bytes. */
void jbuf_put(jctx *c, jbuf *b, const char *s, size_t n);
static inline void jbuf_puts(jctx *c, jbuf *b, const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    jbuf_put(c, b, s, n);
}

/* ---- lexer and parser ---- */

void jlex(jctx *c, const char *src, size_t len);
const jnode *jparse(jctx *c);

/* ---- values (jinja_value.c) ---- */

static inline jv jv_undef(const char *name) {
    jv v = {.k = JV_UNDEF};
    v.u.s.p = name;
    v.u.s.n = 0;
    return v;
}
static inline jv jv_none(void) { return (jv){.k = JV_NONE}; }
static inline jv jv_bool(bool b) {
    jv v = {.k = JV_BOOL};
    v.u.b = b;
    return v;
}
static inline jv jv_int(int64_t i) {
    jv v = {.k = JV_INT};
    v.u.i = i;
    return v;
}
static inline jv jv_float(double f) {
    jv v = {.k = JV_FLOAT};
    v.u.f = f;
    return v;
}
static inline jv jv_str(const char *p, size_t n) {
    jv v = {.k = JV_STR};
    v.u.s.p = p;
    v.u.s.n = n;
    return v;
}
jv jv_cstr(const char *s); /* static C string */
jv jv_strcopy(jctx *c, const char *p, size_t n);
jv jv_list_new(jctx *c, size_t cap);
jv jv_dict_new(jctx *c, size_t cap);
void jlist_push(jctx *c, jlist *l, jv v);
void jdict_set(jctx *c, jdict *d, jv key, jv val); /* replaces an equal key */
/* The value of key, or NULL. */
jv *jdict_find(jctx *c, const jdict *d, jv key);
jv *jdict_find_str(jctx *c, const jdict *d, const char *key, size_t n);

bool jv_truthy(const jv *v);
bool jv_equal(jctx *c, const jv *a, const jv *b);
/* Python's ordering for <, > and sort: numbers with numbers, strings with
 * strings, lists and tuples item by item; other pairs fail as Python's
 * TypeError does. Returns <0, 0, >0. */
int jv_compare(jctx *c, const jnode *at, const jv *a, const jv *b);
bool jv_is_seq(const jv *v); /* list or tuple */
bool jv_is_num(const jv *v); /* int, float or bool (Python's bool is an int) */
double jv_num(const jv *v);
const char *jv_type_name(const jv *v);

/* str(v) as Python prints it ({{ v }}): strings as they are, None as
 * "None", lists and dicts in repr form. */
void jv_write_str(jctx *c, jbuf *b, const jv *v, const jnode *at);
void jv_write_repr(jctx *c, jbuf *b, const jv *v, const jnode *at);
jv jv_to_string(jctx *c, const jv *v, const jnode *at);
/* json.dumps(v, ensure_ascii=False, indent=indent (<0: None), sort_keys). */
void jv_write_json(jctx *c, jbuf *b, const jv *v, int indent, bool sort_keys, const jnode *at);
/* A value of the library's JSON tree, copied into the arena. */
jv jv_from_json(jctx *c, const void *json);

/* The items a for loop or filter iterates: a list's and tuple's elements, a
 * dict's keys, a string's characters. Fails for other kinds. */
jv jv_iterable(jctx *c, const jv *v, const jnode *at);

/* ---- evaluation (jinja_eval.c) and its helpers ---- */

void jrender(jctx *c, const jnode *root);
jscope *jscope_new(jctx *c, jscope *parent);
void jscope_define(jctx *c, jscope *s, const char *name, jv v);
jv jeval(jctx *c, const jnode *n);
jv jcall_value(jctx *c, const jnode *at, const jv *callee, const jv *args, size_t n_args, const char **kw_names,
               const jv *kw, size_t n_kw);
jv jattr(jctx *c, const jnode *at, const jv *obj, const char *name, size_t n);
jv jitem(jctx *c, const jnode *at, const jv *obj, const jv *key);

/* Arguments of a filter, test or method, positional then keyword. */
typedef struct jargs {
    const jv *pos;
    size_t n_pos;
    const char **kw_names;
    const jv *kw;
    size_t n_kw;
} jargs;
/* Argument i by position, or the keyword `name`, else NULL. */
const jv *jarg(const jargs *a, size_t i, const char *name);

jv jfilter(jctx *c, const jnode *at, const char *name, const jv *val, const jargs *args);
bool jtest(jctx *c, const jnode *at, const char *name, const jv *val, const jargs *args);
jv jmethod(jctx *c, const jnode *at, const jv *self, const char *name, const jargs *args);
bool jmethod_exists(const jv *self, const char *name);
bool jfilter_exists(const char *name);
bool jtest_exists(const char *name);

/* Python's float repr (0.1, 2.0, 1e+16, inf). */
void jfloat_repr(double x, char *buf, size_t size);

#endif
