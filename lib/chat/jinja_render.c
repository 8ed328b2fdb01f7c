/* llamac_chat_render_jinja (llamac.h, section 11): argument checks, the
 * variables a template sees, the system-role polyfill, and the one place
 * where a render's errors land (setjmp) and its arena is freed. */
#include "jinja.h"

#include "common/json.h"
#include "common/params.h"

#include <string.h>

#define FN "llamac_chat_render_jinja"

void llamac_jinja_params_init(llamac_jinja_params *params, size_t size) {
    static const llamac_jinja_params defaults = {
        .now = LLAMAC_JINJA_NOW_CURRENT,
        .system_polyfill = true,
    };
    lc_params_init(params, size, &defaults, sizeof defaults);
}

typedef struct inputs {
    const lc_env *env;
    const char *tmpl;
    size_t tmpl_len;
    const llamac_jinja_params *p;
    const llamac_chat_message *messages;
    size_t n_messages;
    const lc_json *messages_json, *tools, *documents, *extra;
} inputs;

typedef enum mode {
    MODE_PROBE,   /* llama.cpp's capability probe: does a system message's text show? */
    MODE_PLAIN,   /* render the messages as given */
    MODE_POLYFILL /* merge system messages into user messages first */
} mode;

#define SYS_NEEDLE "<System Needle>"
#define USER_NEEDLE "<User Needle>"

static jv message(jctx *c, const char *role, size_t role_n, const char *content, size_t content_n) {
    jv m = jv_dict_new(c, 2);
    jdict_set(c, m.u.d, jv_cstr("role"), jv_strcopy(c, role, role_n));
    jdict_set(c, m.u.d, jv_cstr("content"), jv_strcopy(c, content, content_n));
    return m;
}

static bool str_is(const jv *v, const char *s) {
    return v && v->k == JV_STR && v->u.s.n == strlen(s) && memcmp(v->u.s.p, s, v->u.s.n) == 0;
}

/* llama.cpp's system-role polyfill (common/minja/chat-template.hpp at
 * c392e50, chat_template::apply): system texts are collected (joined by
 * "\n"); the next user message gets them prepended ("SYS\nUSER", or just
 * "SYS" when its content is empty); any other role first receives them as
 * a user message of their own, as does the end of the conversation.
 * Messages whose content is not a string are passed through unchanged. */
static jv polyfill(jctx *c, jv msgs) {
    jv out = jv_list_new(c, msgs.u.l->n);
    jbuf pending = {0};
    for (size_t i = 0; i < msgs.u.l->n; i++) {
        jv m = msgs.u.l->v[i];
        const jv *role = m.k == JV_DICT ? jdict_find_str(c, m.u.d, "role", 4) : NULL;
        const jv *content = m.k == JV_DICT ? jdict_find_str(c, m.u.d, "content", 7) : NULL;
        if (!content || content->k != JV_STR) {
            jlist_push(c, out.u.l, m);
            continue;
        }
        if (str_is(role, "system")) {
            if (pending.n) jbuf_put(c, &pending, "\n", 1);
            jbuf_put(c, &pending, content->u.s.p, content->u.s.n);
            continue;
        }
        if (pending.n) {
            if (str_is(role, "user")) {
                jbuf merged = {0};
                jbuf_put(c, &merged, pending.p, pending.n);
                if (content->u.s.n) {
                    jbuf_put(c, &merged, "\n", 1);
                    jbuf_put(c, &merged, content->u.s.p, content->u.s.n);
                }
                jv copy = jv_dict_new(c, m.u.d->n);
                for (size_t k = 0; k < m.u.d->n; k++) jdict_set(c, copy.u.d, m.u.d->key[k], m.u.d->val[k]);
                jdict_set(c, copy.u.d, jv_cstr("content"), jv_str(merged.p, merged.n));
                m = copy;
            } else {
                jlist_push(c, out.u.l, message(c, "user", 4, pending.p, pending.n));
            }
            pending = (jbuf){0};
        }
        jlist_push(c, out.u.l, m);
    }
    if (pending.n) jlist_push(c, out.u.l, message(c, "user", 4, pending.p, pending.n));
    return out;
}

static void bind_globals(jctx *c, const inputs *in, mode md) {
    jscope *g = c->globals;
    jv msgs;
    if (md == MODE_PROBE) {
        msgs = jv_list_new(c, 2);
        jlist_push(c, msgs.u.l, message(c, "system", 6, SYS_NEEDLE, strlen(SYS_NEEDLE)));
        jlist_push(c, msgs.u.l, message(c, "user", 4, USER_NEEDLE, strlen(USER_NEEDLE)));
    } else if (in->messages_json) {
        msgs = jv_from_json(c, in->messages_json);
    } else {
        msgs = jv_list_new(c, in->n_messages);
        for (size_t i = 0; i < in->n_messages; i++)
            jlist_push(c, msgs.u.l, message(c, in->messages[i].role, strlen(in->messages[i].role),
                                            in->messages[i].content, strlen(in->messages[i].content)));
    }
    if (md == MODE_POLYFILL) msgs = polyfill(c, msgs);
    /* extra first, so the named variables win over its members */
    if (in->extra && md != MODE_PROBE)
        for (size_t i = 0; i < lc_json_count(in->extra); i++) {
            size_t kn;
            const char *k = lc_json_key_at(in->extra, i, &kn);
            jscope_define(c, g, jstrdup(c, k, kn), jv_from_json(c, lc_json_at(in->extra, i)));
        }
    jscope_define(c, g, "messages", msgs);
    jscope_define(c, g, "add_generation_prompt", jv_bool(md != MODE_PROBE && in->p->add_generation_prompt));
    const char *bos = in->p->bos_token ? in->p->bos_token : "", *eos = in->p->eos_token ? in->p->eos_token : "";
    jscope_define(c, g, "bos_token", jv_strcopy(c, bos, strlen(bos)));
    jscope_define(c, g, "eos_token", jv_strcopy(c, eos, strlen(eos)));
    if (md != MODE_PROBE) {
        if (in->tools) jscope_define(c, g, "tools", jv_from_json(c, in->tools));
        if (in->documents) jscope_define(c, g, "documents", jv_from_json(c, in->documents));
    }
}

/* One render. MODE_PROBE sets *found (the system needle shows, no error);
 * the others copy the text to buf. */
static llamac_status render_once(const inputs *in, mode md, char *buf, size_t buf_size, size_t *n_out, bool *found) {
    const llamac_jinja_params *p = in->p;
    jctx ctx;
    memset(&ctx, 0, sizeof ctx);
    jctx *volatile c = &ctx;
    c->env = in->env;
    c->max_steps = p->max_steps ? p->max_steps : 10000000u;
    c->max_depth = p->max_depth ? p->max_depth : 200u;
    c->max_output = p->max_output_bytes ? p->max_output_bytes : (size_t)4 << 20;
    c->max_memory = p->max_memory_bytes ? p->max_memory_bytes : (size_t)64 << 20;
    c->now = md == MODE_PROBE ? 0 : p->now;
    c->cur_line = 1;
    c->cur_col = 1;
    if (setjmp(c->jb)) {
        jarena_free(c);
        if (md == MODE_PROBE) {
            *found = false;
            return LLAMAC_OK;
        }
        return lc_fail(c->status, FN ": %s", c->msg);
    }
    jlex(c, in->tmpl, in->tmpl_len);
    const jnode *root = jparse(c);
    c->globals = jscope_new(c, NULL);
    bind_globals(c, in, md);
    jbuf out = {0};
    c->out = &out;
    jrender(c, root);
    llamac_status st = LLAMAC_OK;
    if (md == MODE_PROBE) {
        jv hay = jv_str(out.p ? out.p : "", out.n);
        *found = false;
        for (size_t i = 0; i + strlen(SYS_NEEDLE) <= hay.u.s.n; i++)
            if (memcmp(hay.u.s.p + i, SYS_NEEDLE, strlen(SYS_NEEDLE)) == 0) *found = true;
    } else {
        *n_out = out.n;
        if (buf_size && out.n) memcpy(buf, out.p, LC_MIN(out.n, buf_size));
        if (out.n > buf_size)
            st = lc_fail(LLAMAC_ERR_BUFFER_TOO_SMALL, FN ": the text needs %zu bytes, the buffer holds %zu", out.n,
                         buf_size);
    }
    jarena_free(c);
    return st;
}

static llamac_status parse_json(const lc_env *env, const char *field, const char *text, lc_json_kind want,
                                lc_json **out) {
    *out = NULL;
    if (!text) return LLAMAC_OK;
    llamac_status st = lc_json_parse(env, text, strlen(text), NULL, out);
    if (st) {
        lc_error_prefix(FN ": params->%s: ", field);
        return st;
    }
    if (lc_json_kind_of(*out) != want) {
        lc_json_free(env, *out);
        *out = NULL;
        return lc_fail(LLAMAC_ERR_FORMAT, FN ": params->%s must be a JSON %s", field,
                       want == LC_JSON_ARRAY ? "array" : "object");
    }
    return LLAMAC_OK;
}

llamac_status llamac_chat_render_jinja(const char *tmpl, const llamac_chat_message *messages, size_t n_messages,
                                       const llamac_jinja_params *params, char *buf, size_t buf_size, size_t *n_out) {
    if (n_out) *n_out = 0;
    LC_REQUIRE(tmpl);
    LC_REQUIRE(n_out);
    if (buf_size > 0 && !buf) return lc_null_arg(FN, "buf");
    if (n_messages > 0 && !messages) return lc_null_arg(FN, "messages");
    for (size_t i = 0; i < n_messages; i++) {
        if (!messages[i].role) return lc_fail(LLAMAC_ERR_INVALID_ARG, FN ": messages[%zu].role is NULL", i);
        if (!messages[i].content) return lc_fail(LLAMAC_ERR_INVALID_ARG, FN ": messages[%zu].content is NULL", i);
    }
    llamac_jinja_params p;
    llamac_jinja_params_init(&p, sizeof p);
    llamac_status st = lc_params_read(&p, sizeof p, params, FN, "llamac_jinja");
    if (st) return st;
    lc_env env;
    lc_env_init(&env, p.allocator, NULL, NULL);
    lc_json *js[4] = {NULL, NULL, NULL, NULL};
    st = parse_json(&env, "messages_json", p.messages_json, LC_JSON_ARRAY, &js[0]);
    if (!st) st = parse_json(&env, "tools_json", p.tools_json, LC_JSON_ARRAY, &js[1]);
    if (!st) st = parse_json(&env, "documents_json", p.documents_json, LC_JSON_ARRAY, &js[2]);
    if (!st) st = parse_json(&env, "extra_json", p.extra_json, LC_JSON_OBJECT, &js[3]);
    if (!st) {
        const inputs in = {&env, tmpl, strlen(tmpl), &p, messages, n_messages, js[0], js[1], js[2], js[3]};
        bool supports_system = true;
        if (p.system_polyfill) st = render_once(&in, MODE_PROBE, NULL, 0, NULL, &supports_system);
        if (!st) st = render_once(&in, supports_system ? MODE_PLAIN : MODE_POLYFILL, buf, buf_size, n_out, NULL);
        if (st && st != LLAMAC_ERR_BUFFER_TOO_SMALL) *n_out = 0;
    }
    for (int i = 0; i < 4; i++) lc_json_free(&env, js[i]);
    return st;
}
