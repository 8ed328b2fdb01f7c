/* Writes the seed corpus of every fuzz target, from the project's own
 * code only: `gen_corpus DIR` fills DIR/gguf, DIR/vocab, DIR/tokenize,
 * DIR/detokenize, DIR/cli, DIR/state, DIR/json, DIR/json_schema and
 * DIR/jinja (docs/fuzzing.md). The bytes are the same on
 * every run, so regenerating the committed corpus (tests/fuzz/corpus)
 * changes nothing unless a seed or the writer changed. Built by meson,
 * never run by `meson test`. */
#include "fuzz_states.h"
#include "fuzz_vocabs.h"
#include "../model_builder.h"
#include "../test_gguf_cases.h"

#include "llamac.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *out_root;
static int failures;

static void make_dir(const char *path) {
    if (mkdir(path, 0777) && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: cannot create %s\n", path);
        failures++;
    }
}

static void seed_path(char *buf, size_t size, const char *target, const char *name) {
    snprintf(buf, size, "%s/%s/%s", out_root, target, name);
}

static void save(const char *target, const char *name, const void *data, size_t len) {
    char path[1024];
    seed_path(path, sizeof path, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        failures++;
    }
}

static void check(llamac_status st, const char *what) {
    if (st != LLAMAC_OK) {
        fprintf(stderr, "gen_corpus: %s: %s\n", what, llamac_last_error());
        failures++;
    }
}

/* ---- gguf: the reader's valid and malformed files, vocabularies, models ---- */

static void gguf_seeds(void) {
    gbuf b = {0};
    gguf_build_valid(&b);
    save("gguf", "valid.gguf", b.p, b.len);
    gb_free(&b);
    for (size_t i = 0; i < gguf_n_bad_cases; i++) {
        char name[256];
        gguf_bad_cases[i].build(&b);
        snprintf(name, sizeof name, "bad-%s.gguf", gguf_bad_cases[i].name);
        save("gguf", name, b.p, b.len);
        gb_free(&b);
    }
    char path[1024];
    seed_path(path, sizeof path, "gguf", "vocab-spm.gguf");
    check(fv_write(FV_SPM, NULL, path), path);
    seed_path(path, sizeof path, "gguf", "vocab-bpe.gguf");
    check(fv_write(FV_BPE, NULL, path), path);
    /* A whole model, as small as the builder allows: one layer, Q8_0
     * weights (rows a whole number of 32-wide blocks). */
    tm_spec s;
    tm_spec_default(&s);
    s.wtype = LLAMAC_TYPE_Q8_0;
    s.n_vocab = 32;
    s.n_layer = 1;
    s.n_ff = 32;
    seed_path(path, sizeof path, "gguf", "model-q8_0.gguf");
    check(tm_write(&s, path), path);
}

/* ---- vocab: both kinds, and files the loader must refuse or default ---- */

typedef struct vocab_seed {
    const char *name;
    fv_kind kind;
    fv_variant variant;
} vocab_seed;

static const vocab_seed vocab_seeds_table[] = {
    {"spm", FV_SPM, {0}},
    {"bpe", FV_BPE, {0}},
    {"spm-no-scores", FV_SPM, {.no_scores = true}},
    {"spm-no-types", FV_SPM, {.no_types = true}},
    {"spm-eos-no-prefix", FV_SPM, {.add_eos = true, .no_space_prefix = true}},
    {"spm-bos-out-of-range", FV_SPM, {.bos_id = 5000}},
    {"bpe-pre-llama3", FV_BPE, {.pre = "llama3"}},
    {"bpe-no-types", FV_BPE, {.no_types = true, .add_eos = true}},
    {"bpe-no-merges", FV_BPE, {.no_merges = true}},
    {"bpe-bad-merge", FV_BPE, {.bad_merge = true}},
    {"bpe-unknown-pre", FV_BPE, {.pre = "qwen2"}},
    {"unknown-model", FV_SPM, {.model = "t5"}},
};

static void vocab_seeds(void) {
    for (size_t i = 0; i < sizeof vocab_seeds_table / sizeof vocab_seeds_table[0]; i++) {
        const vocab_seed *s = &vocab_seeds_table[i];
        char name[128], path[1024];
        snprintf(name, sizeof name, "%s.gguf", s->name);
        seed_path(path, sizeof path, "vocab", name);
        check(fv_write(s->kind, &s->variant, path), path);
    }
}

/* ---- tokenize: a switch byte (vocab, parse_special, add_special) + text ---- */

typedef struct text {
    const char *s;
    size_t len; /* 0: strlen */
} text;

static const text texts[] = {
    {"Hello world", 0},
    {" the hello world's   world\n\nhello", 0},
    {"caf\xC3\xA9 123 1234567 12\t\r\n", 0},
    {"<s>hi</s><|eot_id|><tool><|im_end|><unk><|begin_of_text|>x", 0},
    {"\xE2\x96\x81 \xE2\x96\x81the  \xE2\x96\x81", 0},
    {"\xFF\xC3(\xE2\x82 \xF0\x9F\x98 \xED\xA0\x80", 0},
    {"\xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 \xD0\x9F\xD1\x80\xD0\xB8", 0},
    {"a\0b\0<s>", 7},
    {"", 0},
    {"zz <tool>zz hellohello 'S 'll 'VE", 0},
};
enum { N_TEXTS = sizeof texts / sizeof texts[0] };

static size_t text_len(const text *t) { return t->len ? t->len : strlen(t->s); }

static void tokenize_seeds(void) {
    for (int i = 0; i < N_TEXTS; i++)
        for (unsigned sw = 0; sw < 8; sw++) {
            unsigned char buf[256];
            const size_t len = text_len(&texts[i]);
            buf[0] = (unsigned char)sw;
            memcpy(buf + 1, texts[i].s, len);
            char name[64];
            snprintf(name, sizeof name, "text%02d-%s-%u", i, sw & 1 ? "bpe" : "spm", sw >> 1);
            save("tokenize", name, buf, len + 1);
        }
}

/* ---- detokenize: a switch byte + 16-bit raw ids (id + 2, see the target) ---- */

enum { MAX_SEED_IDS = 128 };

static size_t put_id(unsigned char *buf, size_t at, int32_t id) {
    const uint32_t raw = (uint32_t)(id + 2);
    buf[at] = (unsigned char)raw;
    buf[at + 1] = (unsigned char)(raw >> 8);
    return at + 2;
}

/* The ids the library gives a text, as a detokenizer seed. */
static void ids_seed(const llamac_vocab *v, const char *kind, int text_i, unsigned char sw) {
    llamac_token ids[MAX_SEED_IDS];
    int32_t n = 0;
    const text *t = &texts[text_i];
    if (llamac_tokenize(v, t->s, text_len(t), ids, MAX_SEED_IDS, true, true, &n) != LLAMAC_OK) {
        check(LLAMAC_ERR_BUFFER_TOO_SMALL, "tokenize a seed text");
        return;
    }
    unsigned char buf[1 + 2 * MAX_SEED_IDS];
    size_t len = 0;
    buf[len++] = sw;
    for (int32_t i = 0; i < n; i++) len = put_id(buf, len, ids[i]);
    char name[64];
    snprintf(name, sizeof name, "%s-text%02d-sw%02x", kind, text_i, sw);
    save("detokenize", name, buf, len);
}

/* Byte tokens of split UTF-8 (the stream must hold them back), control
 * tokens, and every out-of-range shape the target can produce. */
static void edge_seeds(const llamac_vocab *v, const char *kind, int32_t byte_base) {
    const int32_t n = llamac_vocab_n_tokens(v);
    const int32_t ids[] = {byte_base + 0xE2, byte_base + 0x82, byte_base + 0xAC, byte_base + 0xF0,
                           byte_base + 0xFF, byte_base + 0x20, 1, 2, n - 1, n - 2};
    const int32_t bad[] = {-2, -1, n, n + 1};
    unsigned char buf[64];
    size_t len = 0;
    char name[64];
    for (unsigned sw = 0; sw < 64; sw += 13) {
        len = 0;
        buf[len++] = (unsigned char)sw;
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) len = put_id(buf, len, ids[i]);
        snprintf(name, sizeof name, "%s-bytes-sw%02x", kind, sw);
        save("detokenize", name, buf, len);
    }
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        len = 0;
        buf[len++] = 0x0E;
        len = put_id(buf, len, ids[0]);
        len = put_id(buf, len, bad[k]);
        len = put_id(buf, len, ids[1]);
        snprintf(name, sizeof name, "%s-out-of-range-%zu", kind, k);
        save("detokenize", name, buf, len);
    }
}

static void detokenize_seeds(void) {
    for (int k = 0; k < 2; k++) {
        const fv_kind kind = k ? FV_BPE : FV_SPM;
        const char *kname = k ? "bpe" : "spm";
        llamac_vocab *v = fv_load(kind);
        if (!v) {
            failures++;
            continue;
        }
        for (int i = 0; i < N_TEXTS; i++) ids_seed(v, kname, i, (unsigned char)(k | (i % 8) << 1 | 8));
        /* SPM byte tokens start at 3; BPE's are ids 0..255 */
        edge_seeds(v, kname, k ? 0 : 3);
        llamac_vocab_free(v);
    }
}

/* ---- cli: the parser's index in fuzz_cli.c, then NUL-separated args ---- */

typedef struct cli_seed {
    unsigned char parser; /* run, logits, perplexity, bench, tokenize, info, quantize, synth, state,
                             chat-template, grammar, chat */
    const char *args;     /* NULs written as \n here, for readability */
} cli_seed;

static const cli_seed cli_seeds_table[] = {
    {0, "-m\nm.gguf\n-p\nOnce upon\n-n\n16\n--temp\n0.5\n--top-k\n10\n--seed\n42"},
    {0, "-f\nprompt.txt\n-c\n2147483647\n-t\n2\n--ids\n--min-p\n0\n--top-p\n1"},
    {0, "-p\nx\n--stop\na\n--stop\nb\n--repeat-penalty\n1.1\n--repeat-last-n\n0"},
    {0, "-p\nx\n--stop\n1\n--stop\n2\n--stop\n3\n--stop\n4\n--stop\n5\n--stop\n6\n--stop\n7\n--stop\n8\n"
        "--stop\n9\n--stop\n10\n--stop\n11\n--stop\n12\n--stop\n13\n--stop\n14\n--stop\n15\n--stop\n16\n--stop\n17"},
    {0, "--temp\n1e30\n-p\nx"},
    {0, "-p\nx\n-f\ny"},
    {0, "--seed\n-1\n-p\nx\n-n"},
    {0, "--help"},
    {0, "-p\nx\n-n"},
    {0, "-p\nx\n--stop"},
    {1, "-m\nm.gguf\n--tokens\n1,2,3\n--kv\nf32\n-t\n4\n--chunk\n2"},
    {1, "-m\nm.gguf\n--golden\ng.bin\n--golden-f32\nh.bin\n--type\nQ8_0\n-o\nout"},
    {1, "-m\nm\n--golden\ng\n--gen\n4\n--kv\nbf16"},
    {2, "-m\nm.gguf\n-f\ntext.txt\n-c\n128\n-t\n1\n-q"},
    {2, "-c\n1\n-f\nx"},
    {2, "-f\nx\n-c"},
    {3, "-m\nm.gguf\n-p\n512\n-n\n128\n-t\n2\n-r\n5\n-o\ncsv\n--no-warmup\n--no-repack"},
    {3, "-m\nm\n-p\n0\n-n\n0"},
    {3, "-m\nm\n-p"},
    {3, "-r\n1001\n-m\nm\n-o\nxml"},
    {4, "-m\nv.gguf\n-p\nhello\n--ids\n--no-bos\n--parse-special"},
    {4, "-m\nv.gguf\n--bench\n--repeat\n3\n-f\ncorpus.txt"},
    {4, "-m\nv\n-p\nx\n-f\ny\n--repeat\n0"},
    {4, "-m\nv\n--repeat"},
    {5, "model.gguf"},
    {5, "-x\nmodel.gguf\nother.gguf"},
    {6, "in.gguf\nout.gguf\nQ4_K_M\n-t\n2\n--pure\n--allow-requantize\n-q"},
    {6, "in\nout\nQ9_9\nextra"},
    {7, "--shape\n7B\n-o\nx.gguf\n--type\nf16\n--seed\n0x10\n-t\n2\n-q"},
    {7, "--type\nbf16\n--seed\n-1\n--shape"},
    {7, "-o\nx.gguf\n--shape"},
    {6, "in\nout\nQ8_0\n-t"},
    {0, "-p\nx\n-c\n64\n--keep\n8\n-n\n300\n--ids"},
    {0, "--keep\n-2\n-p\nx\n--keep"},
    {0, "-m\nm.gguf\n-p\nx\n-n\n0\n--save-state\ns.state\n--temp\n0"},
    {0, "--load-state\ns.state\n-n\n24\n--ids\n--save-state\nt.state"},
    {0, "--load-state\ns.state\n-f\nmore.txt\n--prompt-cache\nc.state"},
    {0, "-f\nprompt.txt\n--prompt-cache\nc.state\n-c\n1024\n--keep\n4"},
    {0, "-p\nx\n--save-state\n\n--load-state"},
    {8, "s.state"},
    {8, "--tokens\ns.state"},
    {8, "a.state\nb.state\n--bogus"},
    {8, "--tokens"},
    {9, "--template\nllama3\n--messages\nm.json\n--add-generation-prompt\n--prompt-limit\n1M"},
    {9, "--template\nt.jinja\n--detect"},
    {9, "--detect\n--template\nchatml\n--messages\nm.json"},
    {9, "--template\nchatml\n--messages"},
    {9, "--messages\nm.json\n--jinja"},
    {11, "-m\nm.gguf\n--template\nchatml\n--system\nBe brief.\n-c\n512\n-n\n64\n--temp\n0\n--seed\n1"},
    {11, "--template\nt.jinja\n--keep\n4\n--top-k\n0\n--top-p\n1\n--min-p\n0\n-t\n2"},
    {11, "--keep\n-2\n--template"},
    {11, "--repeat-penalty\n0\n--bogus"},
};

static void cli_seeds(void) {
    for (size_t i = 0; i < sizeof cli_seeds_table / sizeof cli_seeds_table[0]; i++) {
        const cli_seed *s = &cli_seeds_table[i];
        unsigned char buf[512];
        size_t len = strlen(s->args);
        buf[0] = s->parser;
        for (size_t k = 0; k < len; k++) buf[1 + k] = s->args[k] == '\n' ? 0 : (unsigned char)s->args[k];
        char name[32];
        snprintf(name, sizeof name, "args%02zu-parser%u", i, s->parser);
        save("cli", name, buf, len + 1);
    }
}

/* ---- state: states of fuzz_states.c's model, each kind the format has ---- */

static void state_seed(llamac_context *ctx, llamac_seq_id seq, int32_t level, const llamac_sampler *smpl,
                       const llamac_token *tokens, int32_t n_tokens, const char *name) {
    llamac_state_params sp = llamac_state_default_params();
    sp.compression = level;
    sp.sampler = smpl;
    sp.tokens = tokens;
    sp.n_tokens = n_tokens;
    size_t size = 0;
    check(llamac_state_save_size(ctx, seq, &sp, &size), name);
    unsigned char *buf = malloc(size);
    if (!buf) return;
    check(llamac_state_save(ctx, seq, &sp, buf, size, &size), name);
    save("state", name, buf, size);
    free(buf);
}

static void state_seeds(void) {
    llamac_model *m = fs_model_load();
    llamac_context *ctx = m ? fs_context(m) : NULL;
    llamac_sampler *smpl = fs_sampler();
    if (!ctx || !smpl) {
        failures++;
        return;
    }
    state_seed(ctx, LLAMAC_STATE_ALL_SEQS, 0, NULL, NULL, 0, "empty-stored.state");
    const llamac_token toks[7] = {1, 5, 9, 13, 2, 40, 63};
    llamac_batch b;
    check(llamac_batch_init(&b, 7, 2, NULL), "batch");
    const llamac_seq_id both[2] = {0, 1}, one = 1;
    for (int32_t i = 0; i < 4; i++) llamac_batch_add(&b, toks[i], i, both, 2, false); /* shared prefix */
    for (int32_t i = 4; i < 7; i++) llamac_batch_add(&b, toks[i], i, &one, 1, true);
    check(llamac_decode(ctx, &b), "decode");
    llamac_batch_free(&b);
    llamac_token t;
    float l[64] = {0};
    for (int i = 0; i < 5; i++) check(llamac_sampler_sample(smpl, l, 64, &t), "sample");
    state_seed(ctx, LLAMAC_STATE_ALL_SEQS, 0, smpl, toks, 7, "whole-stored-sampler.state");
    state_seed(ctx, LLAMAC_STATE_ALL_SEQS, 1, smpl, toks, 7, "whole-deflated-sampler.state");
    state_seed(ctx, LLAMAC_STATE_ALL_SEQS, 9, NULL, NULL, 0, "whole-deflated-9.state");
    state_seed(ctx, 1, 0, NULL, toks, 7, "seq1-stored-logits.state");
    state_seed(ctx, 1, 1, smpl, toks, 7, "seq1-deflated-logits.state");
    state_seed(ctx, 0, 0, NULL, toks, 4, "seq0-stored-no-logits.state");
    llamac_sampler_free(smpl);
    llamac_context_free(ctx);
    llamac_model_free(m);
}

/* ---- json: documents of every kind, and ones the reader must refuse ---- */

static const text json_docs[] = {
    {"{\"role\": \"user\", \"content\": \"Hi \\u00e9 \xe2\x82\xac \\ud83d\\ude00\"}", 0},
    {"[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": "
     "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]", 0},
    {"[null, true, false, 0, -0, 1.5e-7, 1E+300, 123456789012345678901234567890, 0.1]", 0},
    {" \t\r\n{ \"a\" : [ ] , \"b\" : { } , \"a\" : \"dup\" } \n", 0},
    {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001F\"", 0},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0},
    {"\"<>&' \xf0\x9f\x98\x80\"", 0},
    {"42", 0},
    {"[1,]", 0},
    {"{\"a\" 1}", 0},
    {"\"\\ud800\"", 0},
    {"\"\xc3(\"", 0},
    {"[1e400]", 0},
    {"[01, .5, +1, NaN]", 0},
    {"{\"a\": 1} // comment", 0},
    {"\"a\0b\"", 5},
};

static void json_seeds(void) {
    for (size_t i = 0; i < sizeof json_docs / sizeof json_docs[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "doc%02zu.json", i);
        save("json", name, json_docs[i].s, text_len(&json_docs[i]));
    }
}

/* ---- json_schema: a flags byte (its low two bits), then a schema (typical and hostile) ---- */

static const text json_schema_docs[] = {
    {"0{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\", \"maxLength\": 12}, "
     "\"hp\": {\"type\": \"integer\", \"minimum\": -5, \"maximum\": 250}, \"tags\": {\"type\": \"array\", "
     "\"items\": {\"enum\": [\"a\", 1, null, {\"k\": [true]}]}, \"maxItems\": 3}}, \"required\": [\"name\"], "
     "\"additionalProperties\": {\"type\": \"number\"}}", 0},
    {"1{\"$ref\": \"#/$defs/node\", \"$defs\": {\"node\": {\"properties\": {\"next\": {\"$ref\": "
     "\"#/$defs/node\"}, \"v\": {\"format\": \"date-time\"}}}}}", 0},
    {"2{\"type\": \"string\", \"pattern\": \"^(a|b(c[d-f]{2,5})*)+\\\\.x?[^\\\"]{3}.$\"}", 0},
    {"0{\"allOf\": [{\"$ref\": \"#/definitions/a\"}, {\"anyOf\": [{\"properties\": {\"b\": {}}}]}], "
     "\"definitions\": {\"a\": {\"properties\": {\"a\": {\"type\": [\"string\", \"null\"]}}}}}", 0},
    {"0{\"oneOf\": [{\"const\": \"x\\n\\\"\"}, {\"prefixItems\": [{\"format\": \"uuid\"}, {\"type\": "
     "\"boolean\"}]}, {\"type\": \"integer\", \"exclusiveMinimum\": 9, \"exclusiveMaximum\": 10000}]}", 0},
    {"0{\"properties\": {\"\": {}, \"a\": {}, \"ab\": {}, \"\xc3\xa9\": {}}, \"additionalProperties\": true}", 0},
    {"0{\"type\": \"string\", \"pattern\": \"^((((((((((a))))))))))$\"}", 0},
    {"0{\"type\": \"string\", \"pattern\": \"^a]{$\"}", 0},
    {"0{\"type\": \"array\", \"items\": {}, \"minItems\": 1e9}", 0},
    {"0{\"$ref\": \"https://example.com/x.json#/a\"}", 0},
    {"0{\"allOf\": [{\"$ref\": \"#/$defs/a\"}], \"$defs\": {\"a\": {\"$ref\": \"#/$defs/a\"}}}", 0},
    {"0{\"type\": \"integer\", \"minimum\": -2147483648, \"maximum\": 2147483647}", 0},
    {"0{\"type\": [[[[\"string\"]]]]}", 0},
    {"0{\"a\": 1, \"a\": 2}", 0},
    {"0[1, 2", 0},
    {"", 0},
};

static void json_schema_seeds(void) {
    for (size_t i = 0; i < sizeof json_schema_docs / sizeof json_schema_docs[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "schema%02zu", i);
        save("json_schema", name, json_schema_docs[i].s, text_len(&json_schema_docs[i]));
    }
}

/* ---- jinja: a switch byte, then a template ---- */

static const char *const jinja_templates[] = {
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% if not loop.last %}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}",
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system') }}"
    "{% endif %}[{{ m['content']|trim }}]{% endfor %}{{ eos_token }}",
    "{% set ns = namespace(n=0, s='') %}{% for m in messages if m.content is string %}{% set ns.n = ns.n + 1 %}"
    "{% set ns.s = ns.s ~ m.role[:1] %}{% endfor %}{{ ns.n }} {{ ns.s|upper }}",
    "{{ tools|tojson(indent=2) }}{{ documents|map(attribute='title')|join(', ') }}{{ messages|tojson }}",
    "{% macro f(x, y=2) %}{{ x * y }}{{ varargs }}{% endmacro %}{{ f(3) }}{{ f('a', 3, 4) }}"
    "{% call(v) f(1) %}{{ v }}{% endcall %}",
    "  {%- if true -%}  a {%+ if 1 %}b{% endif +%}\n  {# c #}\n{% raw %}{{ x }}{% endraw %}",
    "{{ [1, 2.0, 'x', none, true, (1,), {'k': [3]}] }} {{ 7 // -2 }} {{ 2 ** 10 }} {{ 'abc'[::-1] }} {{ 1e16 }}",
    "{{ 'a,b'.split(',')|select|list }} {{ {'b': 1, 'a': 2}|dictsort }} {{ [3, 1]|sort|first }}"
    " {{ 'Hello World'|title|replace('o', '0') }} {{ 'x'|indent(2, true) }} {{ range(5)|batch(2)|list }}",
    "{{ strftime_now('%Y-%m-%d') }} {{ x|default('d') }} {{ x is defined }} {{ 3 is divisibleby 3 }}",
    "{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ loop.index }}{{ loop.cycle('a', 'b') }}"
    "{% else %}none{% endfor %}{% filter upper %}up{% endfilter %}{% set b %}blk{% endset %}{{ b }}",
    "{{ ((((1)))) }} {{ 1 if x else 2 if y else 3 }} {{ a.b }}",
    "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{{ 'unterminated",
    "{% if x %}",
    "{{ messages[0].tool_calls[0].function.arguments|tojson }}{{ messages[1].content[0].text }}",
};

static void jinja_seeds(void) {
    for (size_t i = 0; i < sizeof jinja_templates / sizeof jinja_templates[0]; i++) {
        const size_t len = strlen(jinja_templates[i]);
        unsigned char *buf = malloc(len + 1);
        if (!buf) {
            failures++;
            return;
        }
        buf[0] = (unsigned char)(i & 15); /* every switch combination across the seeds */
        memcpy(buf + 1, jinja_templates[i], len);
        char name[32];
        snprintf(name, sizeof name, "t%02zu.bin", i);
        save("jinja", name, buf, len + 1);
        free(buf);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    out_root = argv[1];
    make_dir(out_root);
    const char *targets[] = {"gguf",  "vocab", "tokenize",    "detokenize", "cli",
                             "state", "json",  "json_schema", "jinja"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", out_root, targets[i]);
        make_dir(path);
    }
    if (failures) return 1;
    gguf_seeds();
    vocab_seeds();
    tokenize_seeds();
    detokenize_seeds();
    cli_seeds();
    state_seeds();
    json_seeds();
    json_schema_seeds();
    jinja_seeds();
    return failures ? 1 : 0;
}
