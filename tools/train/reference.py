"""Step 4: run the EXPORTED GGUF the way llamac should, as the reference it is checked
against: weights read back from the file (F16 -> F32), tokenizer rebuilt from the file's
tokenizer.ggml.* arrays (spm.py), forward pass from model.py.

    reference.py MODEL.gguf --perplexity models/kjv-valid.txt
    reference.py MODEL.gguf --prompt "And God said" -n 32

--f16-activations also rounds every matrix product's input to F16, as GGML does when it
multiplies by F16 weights (its vec_dot type for F16 is F16); comparing both runs shows how
much that rounding moves the result and how close each greedy choice is to a tie.
"""
import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

import evaluate  # noqa: E402
from gguf_reader import read_gguf  # noqa: E402
from model import Config, Llama  # noqa: E402
from spm import SpmVocab  # noqa: E402

_BLOCK = {"attn_norm.weight": "attn_norm", "attn_q.weight": "wq.weight",
          "attn_k.weight": "wk.weight", "attn_v.weight": "wv.weight",
          "attn_output.weight": "wo.weight", "ffn_norm.weight": "ffn_norm",
          "ffn_gate.weight": "w_gate.weight", "ffn_up.weight": "w_up.weight",
          "ffn_down.weight": "w_down.weight"}


def load(path):
    kv, tensors = read_gguf(path)

    def u(k):
        return kv["llama." + k][1]

    cfg = Config(vocab_size=len(kv["tokenizer.ggml.tokens"][1]), n_embd=u("embedding_length"),
                 n_layer=u("block_count"), n_head=u("attention.head_count"),
                 n_head_kv=u("attention.head_count_kv"), n_ff=u("feed_forward_length"),
                 n_ctx=u("context_length"), rms_eps=u("attention.layer_norm_rms_epsilon"),
                 rope_base=u("rope.freq_base"))
    if u("rope.dimension_count") != cfg.head_dim:
        raise ValueError("partial RoPE is not what model.py computes")
    state = {}
    for name, (_, _, arr) in tensors.items():
        if name == "token_embd.weight":
            key = "tok_embd.weight"
        elif name in ("output_norm.weight",):
            key = "output_norm"
        elif name == "output.weight":
            key = "output.weight"
        else:
            _, n, rest = name.split(".", 2)
            key = f"blocks.{n}.{_BLOCK[rest]}"
        state[key] = torch.from_numpy(arr.astype("float32"))
    model = Llama(cfg)
    model.load_state_dict(state)
    return model, SpmVocab.from_gguf_kv(kv)


def round_matmul_inputs_to_f16(model):
    for mod in model.modules():
        if isinstance(mod, torch.nn.Linear):
            mod.register_forward_pre_hook(lambda m, inp: (inp[0].half().float(),))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--perplexity", metavar="TEXT_FILE")
    ap.add_argument("--prompt")
    ap.add_argument("-n", type=int, default=32)
    ap.add_argument("--f16-activations", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, vocab = load(args.model)
    if args.f16_activations:
        round_matmul_inputs_to_f16(model)
    if args.perplexity:
        with open(args.perplexity, "rb") as f:
            text = f.read().decode("utf-8")
        ids = vocab.encode(text)
        loss, ppl, n = evaluate.perplexity(model, ids)
        print(f"{args.perplexity}: {len(text.encode())} bytes, {len(ids)} tokens, "
              f"{len(evaluate.windows(ids))} windows of <= {evaluate.WINDOW}; "
              f"mean NLL {loss:.6f} nats, perplexity {ppl:.6f}")
    if args.prompt is not None:
        p = vocab.encode(args.prompt)
        out, margins = evaluate.greedy(model, p, args.n)
        print(f"prompt ids (after BOS=1): {p}")
        print(f"greedy ids: {out}")
        print(f"smallest top1-top2 logit margin: {min(margins):.4f} at step "
              f"{margins.index(min(margins))}")
        print(f"text: {args.prompt}{vocab.decode(out)!r}")


if __name__ == "__main__":
    main()
