/* Hostile templates through llamac_chat_render_jinja: each must end within
 * a second with an error naming the limit (or the syntax problem) and a
 * line and column, with the memory it took bounded by max_memory_bytes
 * (measured through a byte-counting allocator) and nothing left allocated.
 * ASan/UBSan builds run the same cases. */
#include "test_util.h"

#include "llamac.h"

#include <string.h>
#include <time.h>

/* An allocator counting live and peak bytes (a size header per block). */
typedef struct bytes_counter {
    size_t live, peak;
    long blocks;
} bytes_counter;

typedef union header {
    size_t size;
    max_align_t align;
} header;

static void *count_malloc(void *user, size_t n) {
    bytes_counter *c = user;
    header *h = malloc(sizeof(header) + n);
    if (!h) return NULL;
    h->size = n;
    c->live += n;
    c->blocks++;
    if (c->live > c->peak) c->peak = c->live;
    return h + 1;
}

static void count_free(void *user, void *p) {
    bytes_counter *c = user;
    if (!p) return;
    header *h = (header *)p - 1;
    c->live -= h->size;
    c->blocks--;
    free(h);
}

static void *count_realloc(void *user, void *p, size_t n) {
    bytes_counter *c = user;
    if (!p) return count_malloc(user, n);
    header *h = (header *)p - 1;
    const size_t old = h->size;
    header *g = realloc(h, sizeof(header) + n);
    if (!g) return NULL;
    g->size = n;
    c->live = c->live - old + n;
    if (c->live > c->peak) c->peak = c->live;
    return g + 1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define MEMORY_LIMIT ((size_t)16 << 20)

/* Renders tmpl, expects `want` and a message with "line " and needle;
 * checks time (< 1 s), peak memory and that nothing stays allocated. */
static void expect_refused(const char *what, const char *tmpl, llamac_status want, const char *needle) {
    bytes_counter counter = {0};
    llamac_allocator alloc = {.user = &counter, .malloc_fn = count_malloc, .realloc_fn = count_realloc,
                              .free_fn = count_free};
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    p.allocator = &alloc;
    p.max_memory_bytes = MEMORY_LIMIT;
    static const llamac_chat_message msgs[] = {{"system", "S"}, {"user", "U"}};
    char buf[256];
    size_t n = 1;
    const double t0 = now_seconds();
    const llamac_status st = llamac_chat_render_jinja(tmpl, msgs, 2, &p, buf, sizeof buf, &n);
    const double dt = now_seconds() - t0;
    printf("%-28s %-24s %.3f s, peak %zu KiB: %s\n", what, llamac_status_name(st), dt, counter.peak >> 10,
           llamac_last_error());
    if (st != want) fail_msg("%s: %s, expected %s", what, llamac_status_name(st), llamac_status_name(want));
    assert_int_equal(n, 0);
    assert_non_null(strstr(llamac_last_error(), "line "));
    assert_non_null(strstr(llamac_last_error(), needle));
    if (dt >= 1.0) fail_msg("%s took %.3f s", what, dt);
    /* the arena's chunks, the output and the JSON trees: all counted */
    if (counter.peak > MEMORY_LIMIT + ((size_t)1 << 20)) fail_msg("%s: peak %zu bytes", what, counter.peak);
    assert_int_equal(counter.live, 0);
    assert_int_equal(counter.blocks, 0);
}

/* a template of `count` copies of unit between head and tail */
static char *repeated(const char *head, const char *unit, size_t count, const char *tail) {
    const size_t hn = strlen(head), un = strlen(unit), tn = strlen(tail);
    char *s = malloc(hn + un * count + tn + 1);
    memcpy(s, head, hn);
    for (size_t i = 0; i < count; i++) memcpy(s + hn + i * un, unit, un);
    memcpy(s + hn + un * count, tail, tn + 1);
    return s;
}

static void macro_recursion(void **state) {
    (void)state;
    expect_refused("macro recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", LLAMAC_ERR_LIMIT,
                   "max_depth");
    expect_refused("mutual recursion", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
                   LLAMAC_ERR_LIMIT, "max_depth");
}

static void huge_ranges_and_loops(void **state) {
    (void)state;
    expect_refused("range(10**9)", "{% for i in range(10**9) %}{{ i }}{% endfor %}", LLAMAC_ERR_LIMIT, "range");
    expect_refused("nested loops, no output",
                   "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                   LLAMAC_ERR_LIMIT, "max_");
    expect_refused("nested loops, one list",
                   "{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
                   LLAMAC_ERR_LIMIT, "max_steps");
    expect_refused("nested loops, output",
                   "{% for i in range(100000) %}{% for j in range(100000) %}0123456789{% endfor %}{% endfor %}",
                   LLAMAC_ERR_LIMIT, "max_"); /* output or memory, whichever comes first */
    expect_refused("string doubling",
                   "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                   LLAMAC_ERR_LIMIT, "max_");
    expect_refused("string repetition", "{{ 'abc' * 10**12 }}", LLAMAC_ERR_LIMIT, "max_output_bytes");
    expect_refused("list repetition", "{{ ([1] * 10**7)|length }}", LLAMAC_ERR_LIMIT, "max_");
}

static void deep_nesting(void **state) {
    (void)state;
    char *t = repeated("{{ ", "(", 100000, "1");
    char *u = repeated(t, ")", 100000, " }}");
    expect_refused("100,000 parentheses", u, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
    free(u);
    t = repeated("{{ ", "[", 100000, "");
    expect_refused("100,000 brackets, unclosed", t, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
    t = repeated("", "{% if true %}", 100000, "x");
    /* 400,000 tokens: over the 16 MiB this test allows before the parser
     * sees the depth */
    expect_refused("100,000 nested ifs", t, LLAMAC_ERR_LIMIT, "max_");
    free(t);
    t = repeated("{{ 'x'", "|trim", 100000, " }}");
    expect_refused("100,000 chained filters", t, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
    t = repeated("{{ 1", " + 1", 100000, " }}");
    expect_refused("100,000 additions", t, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
    t = repeated("{{ ", "not ", 100000, "1 }}");
    expect_refused("100,000 nots", t, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
    t = repeated("{{ ", "- ", 100000, "1 }}");
    expect_refused("100,000 minus signs", t, LLAMAC_ERR_LIMIT, "max_depth");
    free(t);
}

static void unterminated_and_invalid(void **state) {
    (void)state;
    expect_refused("unterminated {{", "text\n{{ 1 + 2", LLAMAC_ERR_FORMAT, "line 2, column 1");
    expect_refused("unterminated {%", "{% if true", LLAMAC_ERR_FORMAT, "line 1");
    expect_refused("unterminated {#", "ok\n\n  {# comment", LLAMAC_ERR_FORMAT, "line 3, column 3");
    expect_refused("unterminated raw", "{% raw %}abc", LLAMAC_ERR_FORMAT, "line 1");
    expect_refused("unterminated string", "{{ 'abc }}", LLAMAC_ERR_FORMAT, "line 1");
    expect_refused("unclosed block", "{% for x in y %}\n{% if x %}", LLAMAC_ERR_FORMAT, "line 2");
    expect_refused("invalid UTF-8", "ok\nab\xff{{ 1 }}", LLAMAC_ERR_FORMAT, "line 2, column 3");
    expect_refused("truncated UTF-8", "\xe2\x82", LLAMAC_ERR_FORMAT, "UTF-8");
    expect_refused("overlong UTF-8", "\xc0\xaf", LLAMAC_ERR_FORMAT, "UTF-8");
}

/* The limits given by the caller are the ones applied. */
static void caller_limits(void **state) {
    (void)state;
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    char buf[64];
    size_t n;
    p.max_output_bytes = 10;
    assert_int_equal(llamac_chat_render_jinja("{{ 'x' * 11 }}", NULL, 0, &p, buf, sizeof buf, &n), LLAMAC_ERR_LIMIT);
    assert_int_equal(llamac_chat_render_jinja("{{ 'x' * 10 }}", NULL, 0, &p, buf, sizeof buf, &n), LLAMAC_OK);
    llamac_jinja_params_init(&p, sizeof p);
    p.max_steps = 1000;
    assert_int_equal(llamac_chat_render_jinja("{% for i in range(2000) %}{% endfor %}", NULL, 0, &p, buf, sizeof buf, &n),
                     LLAMAC_ERR_LIMIT);
    assert_non_null(strstr(llamac_last_error(), "max_steps (1000)"));
    llamac_jinja_params_init(&p, sizeof p);
    p.max_depth = 10;
    assert_int_equal(llamac_chat_render_jinja("{{ ((((((((((((1)))))))))))) }}", NULL, 0, &p, buf, sizeof buf, &n),
                     LLAMAC_ERR_LIMIT);
    assert_non_null(strstr(llamac_last_error(), "max_depth (10)"));
    llamac_jinja_params_init(&p, sizeof p);
    p.max_memory_bytes = 1000; /* less than one arena chunk */
    assert_int_equal(llamac_chat_render_jinja("x", NULL, 0, &p, buf, sizeof buf, &n), LLAMAC_ERR_LIMIT);
    assert_non_null(strstr(llamac_last_error(), "max_memory_bytes"));
}

int main(void) {
    return run_cases(NULL, NULL, macro_recursion, huge_ranges_and_loops, deep_nesting, unterminated_and_invalid,
                     caller_limits);
}
