/* The inside of a llamac_vocab, shared by the tokenizer's own files
 * (vocab_load.c, vocab_map.c, tokenize*.c, pretokenize_llama3.c,
 * detokenize.c). Nothing else in the library includes this. */
#ifndef LLAMAC_VOCAB_IMPL_H
#define LLAMAC_VOCAB_IMPL_H

#include "common/buffer.h"
#include "common/internal.h"
#include "vocab.h"

/* ---- hash maps -------------------------------------------------------- */

/* Byte string -> id, open addressing. Keys live in a caller-owned arena and
 * are referenced by offset, so the map stays valid while the arena does.
 * Inserting an existing key replaces its id (the last token with a given
 * text wins, as in llama.cpp). */
typedef struct lc_strmap_slot {
    uint32_t hash;
    int32_t id;   /* -1: empty */
    uint32_t off; /* key bytes: arena[off .. off+len) */
    uint32_t len;
} lc_strmap_slot;

typedef struct lc_strmap {
    lc_strmap_slot *slots;
    uint32_t mask; /* capacity - 1; capacity is a power of two */
    uint32_t count;
    const char *const *arena; /* points at the owner's arena pointer, which
                                 may move while the owner grows it */
} lc_strmap;

uint32_t lc_hash_bytes(const void *data, size_t len);
llamac_status lc_strmap_init(lc_strmap *m, const lc_env *env, size_t expected,
                             const char *const *arena);
void lc_strmap_free(lc_strmap *m, const lc_env *env);
/* Key arena[off..off+len) -> id; grows the table as needed. */
llamac_status lc_strmap_put(lc_strmap *m, const lc_env *env, uint32_t off, uint32_t len, int32_t id);
/* id of the key equal to s[0..len), or -1. */
int32_t lc_strmap_get(const lc_strmap *m, const void *s, size_t len);

/* BPE merge table: (left symbol, right symbol) -> (rank, merged symbol).
 * Symbols are "sids": ids of byte strings that appear as tokens or as
 * merge halves/results (see lc_vocab.n_sids). The first merge listed for a
 * pair wins, as in llama.cpp. */
typedef struct lc_pairmap_slot {
    int32_t left;  /* -1: empty */
    int32_t right;
    int32_t rank;
    int32_t result;
} lc_pairmap_slot;

typedef struct lc_pairmap {
    lc_pairmap_slot *slots;
    uint32_t mask;
} lc_pairmap;

llamac_status lc_pairmap_init(lc_pairmap *m, const lc_env *env, size_t expected);
void lc_pairmap_free(lc_pairmap *m, const lc_env *env);
/* Returns false (and changes nothing) if the pair is already present. */
bool lc_pairmap_put(lc_pairmap *m, int32_t left, int32_t right, int32_t rank, int32_t result);
/* Slot of the pair, or NULL. */
const lc_pairmap_slot *lc_pairmap_get(const lc_pairmap *m, int32_t left, int32_t right);

/* ---- merge priority queue --------------------------------------------- */

/* A candidate merge of symbol `left` with the symbol after it. Ordered by
 * key, then by left (the leftmost of equally good merges goes first, as in
 * SentencePiece and llama.cpp). `size` is the byte length of the merged
 * text when queued: if either symbol changed since, the sum of their lengths
 * differs and the entry is stale. */
typedef struct lc_merge {
    uint32_t key;
    int32_t left;
    uint32_t size;
} lc_merge;

/* Plain binary heap of merges (the queue's overflow). */
typedef struct lc_merge_heap {
    lc_merge *items;
    size_t n, cap;
} lc_merge_heap;

llamac_status lc_heap_push(lc_merge_heap *h, const lc_env *env, lc_merge m);
/* Removes the smallest entry into *out; false when empty. */
bool lc_heap_pop(lc_merge_heap *h, lc_merge *out);
void lc_heap_free(lc_merge_heap *h, const lc_env *env);

/* The merge queue proper (merge_queue.c): per-key lanes sorted by left,
 * so long runs of equal keys pop in O(1). Same order as one heap. */
typedef struct lc_mq_item {
    int32_t left;
    uint32_t size;
} lc_mq_item;

typedef struct lc_mq_lane {
    uint32_t key;
    uint32_t slot; /* its slot in the key map */
    uint32_t head, len, cap;
    lc_mq_item *items;
} lc_mq_lane;

typedef struct lc_merge_queue {
    lc_mq_lane *lanes; /* lanes[0..n_lanes) in use; buffers kept for reuse */
    uint32_t n_lanes, cap_lanes;
    int32_t *map; /* key -> lane, open addressing, -1 empty */
    uint32_t map_mask;
    uint32_t *active; /* heap of non-empty lanes by (key, front left) */
    uint32_t n_active;
    lc_merge_heap overflow; /* entries that arrived out of order */
} lc_merge_queue;

llamac_status lc_mq_push(lc_merge_queue *q, const lc_env *env, uint32_t key, int32_t left, uint32_t size);
bool lc_mq_pop(lc_merge_queue *q, lc_merge *out);
/* Empties the queue (keeps its memory for the next word). */
void lc_mq_reset(lc_merge_queue *q);
void lc_mq_free(lc_merge_queue *q, const lc_env *env);

/* A symbol of the merge loops: a run of input bytes in a doubly linked
 * list; n == 0 marks a symbol merged into its left neighbour. */
typedef struct lc_symbol {
    int32_t prev, next;
    uint32_t start, n;
} lc_symbol;

/* ---- the vocabulary ---------------------------------------------------- */

/* Token types exactly as numbered in tokenizer.ggml.token_type. */
enum {
    LC_TT_UNDEFINED = 0,
    LC_TT_NORMAL = 1,
    LC_TT_UNKNOWN = 2,
    LC_TT_CONTROL = 3,
    LC_TT_USER_DEFINED = 4,
    LC_TT_UNUSED = 5,
    LC_TT_BYTE = 6
};

typedef struct lc_token_rec {
    uint32_t text_off, text_len;   /* text as stored in the file */
    uint32_t piece_off, piece_len; /* what the token prints as (special on) */
    float score;
    uint8_t type;
} lc_token_rec;

/* Trie of the texts that the special-token pass cuts out of input text. */
typedef struct lc_trie_node {
    int32_t child;   /* first child, -1 none */
    int32_t sibling; /* next sibling, -1 none */
    int32_t token;   /* token ending here, -1 none */
    uint8_t byte;
} lc_trie_node;

#define LC_MAX_EOG 16

struct llamac_vocab {
    lc_env env;
    int kind; /* llamac_vocab_type */
    int32_t n_tokens;
    lc_token_rec *tokens;
    char *arena; /* texts and pieces, each NUL-terminated */
    size_t arena_size;

    lc_strmap text_map; /* stored text -> id, every token */

    /* SentencePiece: stored text -> id for tokens merges may produce
     * (normal, user-defined, unused), and each byte's fallback token. */
    lc_strmap spm_map;
    llamac_token byte_token[256];
    uint32_t max_piece_len; /* longest text in spm_map */
    /* True when no piece has ▁ right after another character, so no merge
     * can join a character to a following ▁: the text is then merged one
     * word (▁ run + following characters) at a time, which is exact and
     * keeps the merge queue small. */
    bool spm_word_split;

    /* Byte-level BPE: raw (decoded) bytes -> sid; sids < n_tokens are tokens,
     * the rest name merge halves/results that are not tokens. */
    lc_strmap raw_map;
    char *raw_arena;
    lc_pairmap merges;
    int32_t byte_sid[256];
    int32_t n_sids;
    bool ignore_merges; /* a pre-token that is itself a token is kept whole */

    lc_trie_node *trie;
    int32_t n_trie;
    int32_t trie_root[256]; /* node for each first byte, -1 none */

    llamac_token bos, eos, eot, eom, unk, pad;
    llamac_token eog[LC_MAX_EOG];
    int n_eog;
    bool add_bos, add_eos, add_space_prefix;
};

/* Growable token output shared by the tokenizers: writes while there is
 * room, keeps counting after, so callers learn the size they need. */
typedef struct lc_tok_out {
    llamac_token *buf;
    int64_t cap;
    int64_t n;
} lc_tok_out;

static inline void lc_tok_push(lc_tok_out *o, llamac_token t) {
    if (o->n < o->cap) o->buf[o->n] = t;
    o->n++;
}

/* Text of token id (stored form) and its piece. */
static inline const char *lc_token_text(const llamac_vocab *v, llamac_token id) {
    return v->arena + v->tokens[id].text_off;
}
static inline const char *lc_token_piece(const llamac_vocab *v, llamac_token id) {
    return v->arena + v->tokens[id].piece_off;
}

/* ---- tokenizer stages ---------------------------------------------------- */

/* End (byte offset) of the Llama 3 pre-token starting at text[pos], pos <
 * len. Pre-tokens tile the text: calling again from the returned offset
 * walks all of them. */
size_t lc_llama3_pretoken_end(const unsigned char *text, size_t len, size_t pos);

/* SentencePiece BPE of one text fragment (no special tokens inside):
 * applies the ▁ escaping itself; `space_prefix` prepends one ▁. */
llamac_status lc_tokenize_spm(const llamac_vocab *v, const char *text, size_t len,
                              bool space_prefix, lc_tok_out *out);

/* Byte-level BPE of one text fragment: Llama 3 pre-tokenizer, then merges. */
llamac_status lc_tokenize_bpe(const llamac_vocab *v, const char *text, size_t len,
                              lc_tok_out *out);

#endif
