"""Step 3: write the trained model and its tokenizer as a GGUF v3 file of the `llama`
architecture (matrices F16, norm weights F32, general.file_type 1 = mostly F16), then read
the file back with gguf_reader.py and check every key and tensor against the source.

Tensor map (torch name -> GGUF name, torch shape -> GGUF ne):
    tok_embd.weight          [vocab, embd] -> token_embd.weight      ne [embd, vocab]
    blocks.N.attn_norm       [embd]        -> blk.N.attn_norm.weight
    blocks.N.wq/wk/wv.weight [out, embd]   -> blk.N.attn_q/attn_k/attn_v.weight  ne [embd, out]
    blocks.N.wo.weight       [embd, embd]  -> blk.N.attn_output.weight
    blocks.N.ffn_norm        [embd]        -> blk.N.ffn_norm.weight
    blocks.N.w_gate/w_up     [ff, embd]    -> blk.N.ffn_gate/ffn_up.weight        ne [embd, ff]
    blocks.N.w_down          [embd, ff]    -> blk.N.ffn_down.weight               ne [ff, embd]
    output_norm              [embd]        -> output_norm.weight
    output.weight            [vocab, embd] -> output.weight           ne [embd, vocab]
Wq and Wk are NOT permuted: the model was trained with GGML's adjacent-pair RoPE.
"""
import argparse
import hashlib
import os

import numpy as np
import torch
from sentencepiece import sentencepiece_model_pb2

import gguf_writer as gw
from gguf_reader import read_gguf
from model import Config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

_BLOCK_MAP = [("attn_norm", "attn_norm.weight"), ("wq.weight", "attn_q.weight"),
              ("wk.weight", "attn_k.weight"), ("wv.weight", "attn_v.weight"),
              ("wo.weight", "attn_output.weight"), ("ffn_norm", "ffn_norm.weight"),
              ("w_gate.weight", "ffn_gate.weight"), ("w_up.weight", "ffn_up.weight"),
              ("w_down.weight", "ffn_down.weight")]


def tensor_plan(state, cfg):
    """[(gguf name, numpy array, ggml type)] in file order."""
    def t(name):
        return state[name].detach().float().numpy()

    def typ(a):
        return gw.GGML_F32 if a.ndim == 1 else gw.GGML_F16

    plan = [("token_embd.weight", t("tok_embd.weight"))]
    for n in range(cfg.n_layer):
        for src, dst in _BLOCK_MAP:
            plan.append((f"blk.{n}.{dst}", t(f"blocks.{n}.{src}")))
    plan += [("output_norm.weight", t("output_norm")), ("output.weight", t("output.weight"))]
    return [(name, a, typ(a)) for name, a in plan]


def build(state, cfg, sp_model_path, name):
    proto = sentencepiece_model_pb2.ModelProto()
    with open(sp_model_path, "rb") as f:
        proto.ParseFromString(f.read())
    if len(proto.pieces) != cfg.vocab_size:
        raise ValueError(f"tokenizer has {len(proto.pieces)} pieces, model {cfg.vocab_size}")
    if not proto.normalizer_spec.add_dummy_prefix:
        raise ValueError("tokenizer was saved without add_dummy_prefix")
    w = gw.GGUFWriter()
    w.set_string("general.architecture", "llama")
    w.set_string("general.name", name)
    w.set_string("general.license", "MIT")
    w.set_u32("general.file_type", 1)  # LLAMA_FTYPE_MOSTLY_F16
    w.set_u32("llama.context_length", cfg.n_ctx)
    w.set_u32("llama.embedding_length", cfg.n_embd)
    w.set_u32("llama.block_count", cfg.n_layer)
    w.set_u32("llama.feed_forward_length", cfg.n_ff)
    w.set_u32("llama.attention.head_count", cfg.n_head)
    w.set_u32("llama.attention.head_count_kv", cfg.n_head_kv)
    w.set_f32("llama.attention.layer_norm_rms_epsilon", cfg.rms_eps)
    w.set_u32("llama.rope.dimension_count", cfg.head_dim)
    w.set_f32("llama.rope.freq_base", cfg.rope_base)
    w.set_u32("llama.vocab_size", cfg.vocab_size)
    w.set_string("tokenizer.ggml.model", "llama")
    # SentencePiece piece types (1 normal, 2 unknown, 3 control, 4 user, 5 unused, 6 byte)
    # are numbered exactly as llama.cpp's token types, so they are copied as they are.
    w.set_array("tokenizer.ggml.tokens", gw.STRING, [p.piece for p in proto.pieces])
    w.set_array("tokenizer.ggml.scores", gw.FLOAT32, [p.score for p in proto.pieces])
    w.set_array("tokenizer.ggml.token_type", gw.INT32, [int(p.type) for p in proto.pieces])
    w.set_u32("tokenizer.ggml.bos_token_id", proto.trainer_spec.bos_id)
    w.set_u32("tokenizer.ggml.eos_token_id", proto.trainer_spec.eos_id)
    w.set_u32("tokenizer.ggml.unknown_token_id", proto.trainer_spec.unk_id)
    w.set_bool("tokenizer.ggml.add_bos_token", True)
    w.set_bool("tokenizer.ggml.add_eos_token", False)
    w.set_bool("tokenizer.ggml.add_space_prefix", True)
    plan = tensor_plan(state, cfg)
    for tname, arr, gtype in plan:
        w.add_tensor(tname, arr, gtype)
    return w, plan, proto


def verify(path, plan, proto, cfg):
    kv, tensors = read_gguf(path)
    assert kv["general.architecture"][1] == "llama"
    assert kv["llama.rope.dimension_count"][1] == cfg.head_dim
    assert kv["tokenizer.ggml.tokens"][1] == [p.piece for p in proto.pieces]
    assert kv["tokenizer.ggml.token_type"][1] == [int(p.type) for p in proto.pieces]
    assert np.array_equal(np.float32(kv["tokenizer.ggml.scores"][1]),
                          np.float32([p.score for p in proto.pieces]))
    assert list(tensors) == [p[0] for p in plan], "tensor order/names differ"
    for tname, arr, gtype in plan:
        ftype, ne, data = tensors[tname]
        assert ftype == gtype and ne == list(reversed(arr.shape)), tname
        want = arr.astype(np.float16 if gtype == gw.GGML_F16 else np.float32)
        assert np.array_equal(data, want), f"{tname}: data differs after reading back"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/llamac-train")
    ap.add_argument("--checkpoint", default="final.pt", help="file in WORKDIR")
    ap.add_argument("--name", default="kjv-6m")
    ap.add_argument("--out", default=os.path.join(REPO, "models", "kjv-6m-f16.gguf"))
    args = ap.parse_args()
    ck = torch.load(os.path.join(args.workdir, args.checkpoint))
    cfg = Config(**ck["cfg"])
    w, plan, proto = build(ck["model"], cfg, os.path.join(args.workdir, "kjv.model"), args.name)
    w.write(args.out)
    verify(args.out, plan, proto, cfg)
    with open(args.out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    n_params = sum(a.size for _, a, _ in plan)
    print(f"wrote {args.out}: {os.path.getsize(args.out)} bytes, {len(plan)} tensors, "
          f"{n_params} parameters, sha256 {digest}; read back and verified")


if __name__ == "__main__":
    main()
