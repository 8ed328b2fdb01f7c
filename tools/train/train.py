"""Step 2: train the model on WORKDIR/train.npy (made by prepare.py).

Deterministic given --seed and --steps: weights are initialized from a seeded generator,
batches are drawn from another seeded generator, and everything runs on ONE CPU thread
(torch's own pool, OpenMP and OpenBLAS's pthreads are all pinned to 1 below, before torch
loads; torch.set_num_threads alone does not reach Debian's OpenBLAS). More threads would
change the order of float summations inside the matrix products, so results would differ
in the last bits and drift apart over training.

Each step takes BATCH sequences at uniformly drawn offsets o of the train token stream:
input [BOS] + ids[o : o+255] (256 positions), targets ids[o : o+256] — the same shape as
the validation windows, plus the 256th position. AdamW with linear warmup then cosine
decay to 10 % of the peak rate; gradient norm clipped at 1.

Use --measure to time a few steps and print how many fit a wall-time budget; the number of
steps must then be given explicitly (the schedule depends on it).

Checkpoints go to WORKDIR/ckpt.pt every --ckpt-every steps (and WORKDIR/final.pt at the
end); --resume continues from ckpt.pt with identical results.
"""
import argparse
import math
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402  (after the thread settings on purpose)
import torch  # noqa: E402
import torch.nn.functional as F

import evaluate  # noqa: E402
from model import Config, Llama  # noqa: E402

BOS = 1


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac)))


def batch_at(ids, gen, batch, n_ctx):
    offs = torch.randint(0, len(ids) - n_ctx + 1, (batch,), generator=gen)
    y = torch.stack([ids[o:o + n_ctx] for o in offs.tolist()])
    x = torch.cat([torch.full((batch, 1), BOS, dtype=torch.long), y[:, :-1]], dim=1)
    return x, y


def param_groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/llamac-train")
    ap.add_argument("--seed", type=int, default=1611)  # the year the KJV was printed
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--measure", type=float, default=0.0, metavar="MINUTES",
                    help="time 12 steps, print how many steps fit in MINUTES, and exit")
    args = ap.parse_args()

    torch.set_num_threads(1)
    cfg = Config()
    train_ids = torch.from_numpy(np.load(os.path.join(args.workdir, "train.npy")).astype(np.int64))
    valid_ids = np.load(os.path.join(args.workdir, "valid.npy")).astype(np.int64).tolist()

    model = Llama(cfg)
    model.init_weights(torch.Generator().manual_seed(args.seed))
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr,
                            betas=(0.9, 0.95), eps=1e-8)
    data_gen = torch.Generator().manual_seed(args.seed + 1)
    torch.manual_seed(args.seed + 2)  # global RNG: unused unless dropout > 0
    step0 = 0
    ckpt_path = os.path.join(args.workdir, "ckpt.pt")
    if args.resume:
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        data_gen.set_state(ck["data_gen"])
        torch.set_rng_state(ck["torch_rng"])
        step0 = ck["step"]
        if ck["args"]["steps"] != args.steps or ck["args"]["seed"] != args.seed:
            sys.exit("--steps/--seed differ from the checkpoint's")
        print(f"resumed at step {step0}", flush=True)

    if args.measure:
        model.train()
        times = []
        for i in range(12):
            t = time.time()
            x, y = batch_at(train_ids, data_gen, args.batch, cfg.n_ctx)
            loss = F.cross_entropy(model(x).reshape(-1, cfg.vocab_size), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            times.append(time.time() - t)
        per = sorted(times[2:])[len(times[2:]) // 2]
        print(f"median step {per:.3f} s ({args.batch * cfg.n_ctx / per:.0f} tokens/s); "
              f"{args.measure:.0f} min = {int(args.measure * 60 / per)} steps")
        return
    if args.steps <= 0:
        sys.exit("give --steps (see --measure)")

    print(f"params {model.n_params()} cfg {cfg.to_dict()} args {vars(args)}", flush=True)
    t_start = time.time()
    recent = []
    for step in range(step0, args.steps):
        model.train()
        lr = lr_at(step, args.steps, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch_at(train_ids, data_gen, args.batch, cfg.n_ctx)
        loss = F.cross_entropy(model(x).reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        recent = (recent + [float(loss)])[-100:]
        done = step + 1
        if done % 25 == 0 or done == step0 + 1:
            el = time.time() - t_start
            print(f"step {done}/{args.steps} loss {float(loss):.4f} avg100 "
                  f"{sum(recent) / len(recent):.4f} lr {lr:.2e} gnorm {float(gnorm):.2f} "
                  f"elapsed {el:.0f}s ({(done - step0) * args.batch * cfg.n_ctx / el:.0f} tok/s)",
                  flush=True)
        if done % args.eval_every == 0 or done == args.steps:
            vloss, vppl, vn = evaluate.perplexity(model, valid_ids)
            print(f"eval step {done} valid loss {vloss:.4f} ppl {vppl:.3f} ({vn} tokens)",
                  flush=True)
        if done % args.ckpt_every == 0 or done == args.steps:
            ck = {"model": model.state_dict(), "opt": opt.state_dict(),
                  "data_gen": data_gen.get_state(), "torch_rng": torch.get_rng_state(),
                  "step": done, "args": vars(args), "cfg": cfg.to_dict(),
                  "train_loss_avg100": sum(recent) / len(recent)}
            torch.save(ck, ckpt_path + ".tmp")
            os.replace(ckpt_path + ".tmp", ckpt_path)
    torch.save({"model": model.state_dict(), "cfg": cfg.to_dict(), "args": vars(args),
                "train_loss_avg100": sum(recent) / len(recent)},
               os.path.join(args.workdir, "final.pt"))
    print(f"done in {time.time() - t_start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
