"""Validation loss / perplexity, and greedy decoding, as llamac must reproduce them.

Perplexity protocol (the definition `llamac perplexity` implements):
  1. The text file's bytes (models/kjv-valid.txt: one verse per line, every line ending
     in "\\n") are tokenized as ONE string with the model's SentencePiece tokenizer
     (leading space prefix as usual, no BOS, no EOS).
  2. The id stream is cut into consecutive windows of 255 tokens; the last may be shorter.
  3. Each window is evaluated on its own, from an empty cache: input = [BOS=1] + window,
     at positions 0..len(window). Every window token is predicted from BOS and the window
     tokens before it (the logits at input position j predict window token j).
  4. NLL = -log softmax(logits)[target], averaged over ALL window tokens of ALL windows;
     perplexity = exp(mean NLL).
"""
import math

import torch
import torch.nn.functional as F

BOS = 1
WINDOW = 255


def windows(ids, window=WINDOW):
    return [ids[i:i + window] for i in range(0, len(ids), window)]


@torch.no_grad()
def nll_of_windows(model, wins, batch=16):
    """(sum of NLL over every window token, number of tokens) for a list of id windows."""
    model.eval()
    total, count = 0.0, 0
    full = [w for w in wins if len(w) == WINDOW]
    rest = [w for w in wins if len(w) != WINDOW]
    groups = [full[i:i + batch] for i in range(0, len(full), batch)] + [[w] for w in rest]
    for grp in groups:
        x = torch.tensor([[BOS] + list(w) for w in grp], dtype=torch.long)
        y = torch.tensor([list(w) for w in grp], dtype=torch.long)
        logits = model(x)[:, :-1, :].float()  # the last input's prediction lies beyond the window
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                              reduction="sum")
        total += float(nll.double())
        count += y.numel()
    return total, count


def perplexity(model, ids):
    """(mean NLL in nats, perplexity, token count) of an id stream, by the protocol above."""
    total, count = nll_of_windows(model, windows(list(ids)))
    mean = total / count
    return mean, math.exp(mean), count


@torch.no_grad()
def greedy(model, prompt_ids, n_new):
    """Greedy continuation of [BOS] + prompt_ids. Recomputes the whole sequence each step
    (no cache; the model is small). Returns (new ids, margin of each choice = top1 - top2
    logit) so a reader can see how close to a tie each step was."""
    model.eval()
    seq = [BOS] + list(prompt_ids)
    out, margins = [], []
    for _ in range(n_new):
        if len(seq) > model.cfg.n_ctx:
            break
        logits = model(torch.tensor([seq], dtype=torch.long))[0, -1].double()
        top2 = torch.topk(logits, 2)
        out.append(int(top2.indices[0]))
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(out[-1])
    return out, margins


def round_weights_to_f16(model):
    """In place: every matrix (2-D weight) rounded to IEEE half, as stored in the F16 GGUF;
    norms stay F32. Evaluating after this measures the exported file, not the trainer."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
    return model
