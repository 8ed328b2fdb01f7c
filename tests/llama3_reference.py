#!/usr/bin/python3
"""Independent check of llamac on a Llama-3-style model.

Runs the llama3_fixture program (given as argv[1]), which writes a GGUF with
llamac's writer (tied embeddings, rope_freqs, GQA ratio 4, rope theta 500000)
and llamac's logits for fixed tokens. This script reads the GGUF with its own
parser, runs the llama forward pass in float64 with numpy — written from the
architecture's definition, sharing no code with llamac — and compares:

  F32 KV cache: mean KLD < 1e-10 and logits within 1e-4
  F16 KV cache: mean KLD < 1e-6

Exit 0 on success, 1 on a mismatch, 77 (meson's "skipped") without numpy.
"""
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed (Debian: python3-numpy)")
    sys.exit(77)

GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
                10: "<Q", 11: "<q", 12: "<d"}


def read_gguf(path):
    """Metadata dict and {name: float64 array shaped [ne1, ne0]} (F32 only)."""
    data = open(path, "rb").read()
    off = 0

    def take(fmt):
        nonlocal off
        v = struct.unpack_from(fmt, data, off)[0]
        off += struct.calcsize(fmt)
        return v

    def string():
        nonlocal off
        n = take("<Q")
        s = data[off:off + n].decode("utf-8")
        off += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(GGUF_SCALARS[t])

    assert data[:4] == b"GGUF", "not a GGUF file"
    off = 4
    version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    assert version in (2, 3)
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        n_dims = take("<I")
        ne = [take("<Q") for _ in range(n_dims)]
        infos.append((name, ne, take("<I"), take("<Q")))
    align = meta.get("general.alignment", 32)
    data_start = (off + align - 1) // align * align
    tensors = {}
    for name, ne, ttype, toff in infos:
        assert ttype == 0, f"{name}: expected F32, found type {ttype}"
        count = int(np.prod(ne))
        arr = np.frombuffer(data, dtype="<f4", count=count, offset=data_start + toff)
        tensors[name] = arr.astype(np.float64).reshape(list(reversed(ne)))
    return meta, tensors


def read_golden(path):
    data = open(path, "rb").read()
    magic, version, n_vocab, n_prompt, n_gen = struct.unpack_from("<4sIIII", data, 0)
    assert magic == b"LGLD" and version == 1
    rows = n_prompt + n_gen
    tokens = np.frombuffer(data, dtype="<i4", count=rows, offset=20)
    logits = np.frombuffer(data, dtype="<f4", count=rows * n_vocab, offset=20 + 4 * rows)
    return tokens.astype(np.int64), logits.reshape(rows, n_vocab).astype(np.float64)


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, positions, base, freq_factors):
    """x: [tokens, heads, head_dim]; rotates adjacent pairs (2i, 2i+1)."""
    head_dim = x.shape[-1]
    i = np.arange(head_dim // 2)
    inv_freq = base ** (-2.0 * i / head_dim) / freq_factors
    angle = positions[:, None] * inv_freq[None, :]          # [tokens, head_dim/2]
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def forward(meta, w, tokens):
    n_layer = meta["llama.block_count"]
    n_head = meta["llama.attention.head_count"]
    n_kv = meta["llama.attention.head_count_kv"]
    eps = meta["llama.attention.layer_norm_rms_epsilon"]
    base = meta["llama.rope.freq_base"]
    emb = w["token_embd.weight"]                               # [vocab, embd]
    n_tok, n_embd = len(tokens), emb.shape[1]
    head_dim = n_embd // n_head
    freq_factors = w.get("rope_freqs.weight", np.ones(head_dim // 2))
    positions = np.arange(n_tok, dtype=np.float64)
    causal = np.tril(np.ones((n_tok, n_tok), dtype=bool))
    x = emb[tokens]
    for l in range(n_layer):
        p = f"blk.{l}."
        h = rms_norm(x, w[p + "attn_norm.weight"], eps)
        q = (h @ w[p + "attn_q.weight"].T).reshape(n_tok, n_head, head_dim)
        k = (h @ w[p + "attn_k.weight"].T).reshape(n_tok, n_kv, head_dim)
        v = (h @ w[p + "attn_v.weight"].T).reshape(n_tok, n_kv, head_dim)
        q, k = rope(q, positions, base, freq_factors), rope(k, positions, base, freq_factors)
        att = np.empty((n_tok, n_head, head_dim))
        for hd in range(n_head):
            g = hd // (n_head // n_kv)
            scores = q[:, hd, :] @ k[:, g, :].T / np.sqrt(head_dim)
            scores = np.where(causal, scores, -np.inf)
            scores = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs = scores / scores.sum(axis=1, keepdims=True)
            att[:, hd, :] = probs @ v[:, g, :]
        x = x + att.reshape(n_tok, n_embd) @ w[p + "attn_output.weight"].T
        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        gate = h @ w[p + "ffn_gate.weight"].T
        up = h @ w[p + "ffn_up.weight"].T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "ffn_down.weight"].T
    out = w.get("output.weight", emb)                          # tied when absent
    return rms_norm(x, w["output_norm.weight"], eps) @ out.T


def mean_kld(ref, test):
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    lp, lq = log_softmax(ref), log_softmax(test)
    return float(np.mean(np.sum(np.exp(lp) * (lp - lq), axis=1)))


def main():
    fixture = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="llamac-llama3-") as tmp:
        subprocess.run([fixture, tmp], check=True)
        meta, weights = read_gguf(os.path.join(tmp, "llama3.gguf"))
        assert "output.weight" not in weights and "rope_freqs.weight" in weights
        assert meta["llama.attention.head_count"] == 4 * meta["llama.attention.head_count_kv"]
        assert meta["llama.rope.freq_base"] == 500000.0
        failed = False
        for kv, kld_max, abs_max in (("f32", 1e-10, 1e-4), ("f16", 1e-6, None)):
            tokens, ours = read_golden(os.path.join(tmp, f"llama3-kv-{kv}.golden"))
            ref = forward(meta, weights, tokens)
            kld = mean_kld(ref, ours)
            worst = float(np.max(np.abs(ref - ours)))
            agree = int(np.sum(ref.argmax(axis=1) == ours.argmax(axis=1)))
            ok = kld < kld_max and (abs_max is None or worst < abs_max)
            failed |= not ok
            print(f"KV {kv}: mean KLD to float64 numpy {kld:.3e} (limit {kld_max:.0e}), "
                  f"max |logit diff| {worst:.3e}, top-1 agree {agree}/{len(tokens)}, "
                  f"logit std {ref.std():.2f}: {'PASS' if ok else 'FAIL'}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
