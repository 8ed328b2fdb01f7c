"""The "llama" (SentencePiece-style) tokenizer as a GGUF reader runs it, from the GGUF's
tokenizer.ggml.* arrays alone: an independent re-implementation used to confirm that the
vocabulary in the exported file encodes text exactly as the SentencePiece library did
during training (so llamac/llama.cpp see the same ids the model was trained on).

Encoding:
  1. prepend " " if add_space_prefix, then replace every " " with "▁" (U+2581);
  2. start from one symbol per Unicode character;
  3. repeatedly merge the adjacent pair whose concatenation is a vocabulary token with the
     highest score (ties: leftmost pair first), until no pair is a token;
  4. a final symbol that is a token gives its id; otherwise each of its UTF-8 bytes gives
     the id of token "<0xNN>" (byte fallback).
"""
import heapq

TYPE_NORMAL, TYPE_UNKNOWN, TYPE_CONTROL, TYPE_USER, TYPE_UNUSED, TYPE_BYTE = 1, 2, 3, 4, 5, 6


class SpmVocab:
    def __init__(self, tokens, scores, types, add_space_prefix=True):
        self.tokens, self.scores, self.types = tokens, scores, types
        self.add_space_prefix = add_space_prefix
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.byte_ids = {}
        for i, (t, ty) in enumerate(zip(tokens, types)):
            if ty == TYPE_BYTE:
                self.byte_ids[int(t[3:5], 16)] = i

    @classmethod
    def from_gguf_kv(cls, kv):
        return cls(kv["tokenizer.ggml.tokens"][1], kv["tokenizer.ggml.scores"][1],
                   kv["tokenizer.ggml.token_type"][1],
                   kv.get("tokenizer.ggml.add_space_prefix", (7, True))[1])

    def encode(self, text):
        if self.add_space_prefix:
            text = " " + text
        sym = list(text.replace(" ", "\u2581"))
        n = len(sym)
        prev = list(range(-1, n - 1))
        nxt = list(range(1, n + 1))
        alive = [True] * n
        heap = []

        def push(left):
            right = nxt[left]
            if right >= n:
                return
            merged = sym[left] + sym[right]
            tid = self.ids.get(merged)
            if tid is not None:
                heapq.heappush(heap, (-self.scores[tid], left, merged))

        for i in range(n - 1):
            push(i)
        while heap:
            _, left, merged = heapq.heappop(heap)
            right = nxt[left] if alive[left] else n
            if right >= n or sym[left] + sym[right] != merged:
                continue  # stale: one side changed since this pair was queued
            sym[left] = merged
            alive[right] = False
            nxt[left] = nxt[right]
            if nxt[left] < n:
                prev[nxt[left]] = left
            if prev[left] >= 0:
                push(prev[left])
            push(left)
        out = []
        i = 0
        while i < n:
            tid = self.ids.get(sym[i])
            if tid is not None:
                out.append(tid)
            else:
                out.extend(self.byte_ids[b] for b in sym[i].encode("utf-8"))
            i = nxt[i]
        return out

    def decode(self, ids):
        """Bytes of the pieces, "▁" back to " " (the leading space of the text included)."""
        raw = bytearray()
        for i in ids:
            if self.types[i] == TYPE_BYTE:
                raw.append(int(self.tokens[i][3:5], 16))
            elif self.types[i] in (TYPE_NORMAL, TYPE_USER):
                raw += self.tokens[i].replace("\u2581", " ").encode("utf-8")
        return raw.decode("utf-8", errors="replace")
