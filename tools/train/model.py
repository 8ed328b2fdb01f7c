"""The Llama-architecture transformer, computed exactly as a GGUF `llama` model is run by
llama.cpp and llamac, so the exported weights need no conversion.

Per layer (h = hidden state, one row per token):
    a = rmsnorm(h) * attn_norm
    q, k, v = Wq a, Wk a, Wv a           split into heads of HEAD_DIM, head-major
    q, k = rope(q), rope(k)
    h = h + Wo attention(q, k, v)        causal softmax(q k^T / sqrt(head_dim)) v
    f = rmsnorm(h) * ffn_norm
    h = h + W_down (silu(W_gate f) * W_up f)
then logits = W_out (rmsnorm(h) * output_norm).

rmsnorm(x) = x / sqrt(mean(x^2) + eps). No biases anywhere.

RoPE is GGML's "normal" mode (the one llama.cpp uses for the llama architecture):
ADJACENT pairs (x[2i], x[2i+1]) of each head are rotated by the angle
pos * freq_base^(-2i/head_dim):
    x[2i]'   = x[2i] cos - x[2i+1] sin
    x[2i+1]' = x[2i] sin + x[2i+1] cos
(checked against ggml-cpu's rope: mode 0 rotates src[i0], src[i0+1] with
theta = pos * powf(freq_base, -2/n_dims)^(i0/2)). Hugging Face checkpoints use the
half-split form instead and their converter permutes Wq/Wk rows; this model is trained in
the adjacent form directly, so Wq/Wk are exported unpermuted.

Grouped-query attention: query head j reads key/value head j // (n_head / n_head_kv), i.e.
each kv head serves that many CONSECUTIVE query heads (ggml's broadcast in mul_mat).
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 2048
    n_embd: int = 256
    n_layer: int = 6
    n_head: int = 8
    n_head_kv: int = 4
    n_ff: int = 768
    n_ctx: int = 256
    rms_eps: float = 1e-5
    rope_base: float = 10000.0
    dropout: float = 0.0  # training only; inference has none

    @property
    def head_dim(self):
        return self.n_embd // self.n_head

    def to_dict(self):
        return asdict(self)


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope_tables(n_ctx, head_dim, base):
    """cos/sin of shape [n_ctx, head_dim/2]: angle(pos, i) = pos * base^(-2i/head_dim)."""
    i = torch.arange(head_dim // 2, dtype=torch.float64)
    inv_freq = base ** (-2.0 * i / head_dim)
    ang = torch.arange(n_ctx, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    """x: [batch, seq, heads, head_dim]; rotates adjacent pairs (see module comment)."""
    b, t, h, d = x.shape
    xp = x.reshape(b, t, h, d // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    c = cos[:t][None, :, None, :]
    s = sin[:t][None, :, None, :]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).reshape(b, t, h, d)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, hd = cfg.n_embd, cfg.head_dim
        self.cfg = cfg
        self.attn_norm = nn.Parameter(torch.ones(d))
        self.wq = nn.Linear(d, cfg.n_head * hd, bias=False)
        self.wk = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wv = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wo = nn.Linear(cfg.n_head * hd, d, bias=False)
        self.ffn_norm = nn.Parameter(torch.ones(d))
        self.w_gate = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_up = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_down = nn.Linear(cfg.n_ff, d, bias=False)

    def forward(self, h, cos, sin, mask):
        cfg = self.cfg
        b, t, _ = h.shape
        hd = cfg.head_dim
        a = rms_norm(h, self.attn_norm, cfg.rms_eps)
        q = apply_rope(self.wq(a).view(b, t, cfg.n_head, hd), cos, sin)
        k = apply_rope(self.wk(a).view(b, t, cfg.n_head_kv, hd), cos, sin)
        v = self.wv(a).view(b, t, cfg.n_head_kv, hd)
        group = cfg.n_head // cfg.n_head_kv
        q = q.transpose(1, 2)                                      # [b, H, t, hd]
        k = k.transpose(1, 2).repeat_interleave(group, dim=1)      # kv head j -> q heads j*group..
        v = v.transpose(1, 2).repeat_interleave(group, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(mask[:t, :t], float("-inf"))
        att = F.softmax(att, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, t, cfg.n_head * hd)
        h = h + F.dropout(self.wo(o), cfg.dropout, self.training)
        f = rms_norm(h, self.ffn_norm, cfg.rms_eps)
        m = self.w_down(F.silu(self.w_gate(f)) * self.w_up(f))
        return h + F.dropout(m, cfg.dropout, self.training)


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_embd = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.output_norm = nn.Parameter(torch.ones(cfg.n_embd))
        self.output = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg.n_ctx, cfg.head_dim, cfg.rope_base)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        mask = torch.triu(torch.ones(cfg.n_ctx, cfg.n_ctx, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def init_weights(self, generator):
        """GPT-2 style: N(0, 0.02) for every matrix, residual-output projections scaled by
        1/sqrt(2 n_layer) so the residual stream does not grow with depth; norms at 1."""
        std = 0.02
        resid_std = std / math.sqrt(2 * self.cfg.n_layer)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if p.dim() == 1:
                    p.fill_(1.0)
                elif name.endswith("wo.weight") or name.endswith("w_down.weight"):
                    p.normal_(0.0, resid_std, generator=generator)
                else:
                    p.normal_(0.0, std, generator=generator)

    def forward(self, tokens):
        """tokens: [batch, seq] int64 (seq <= n_ctx), positions 0..seq-1. Returns logits."""
        h = self.tok_embd(tokens)
        for blk in self.blocks:
            h = blk(h, self.rope_cos, self.rope_sin, self.causal_mask)
        return self.output(rms_norm(h, self.output_norm, self.cfg.rms_eps))

    def n_params(self):
        return sum(p.numel() for p in self.parameters())
