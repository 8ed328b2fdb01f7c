"""Step 1 of the pipeline: corpus, split, tokenizer, token streams.

Writes into WORKDIR (default /tmp/llamac-train):
    train.txt, valid.txt     the two splits, one verse per line (data.as_text)
    kjv.model                the SentencePiece tokenizer (tokenizer.py)
    train.npy, valid.npy     each split's text encoded as ONE string (no BOS), uint16
and writes the validation text to models/kjv-valid.txt in the repository (or, if that file
exists, checks that it is byte-identical, so a rerun proves the committed split).
"""
import argparse
import os
import sys

import numpy as np

import data
import tokenizer

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VALID_IN_REPO = os.path.join(REPO, "models", "kjv-valid.txt")


def prepare(workdir):
    os.makedirs(workdir, exist_ok=True)
    verses = data.read_kjv()
    train, valid = data.split(verses)
    train_text, valid_text = data.as_text(train), data.as_text(valid)
    for name, text in (("train.txt", train_text), ("valid.txt", valid_text)):
        with open(os.path.join(workdir, name), "w", encoding="ascii", newline="") as f:
            f.write(text)
    if os.path.exists(VALID_IN_REPO):
        with open(VALID_IN_REPO, "r", encoding="ascii", newline="") as f:
            if f.read() != valid_text:
                sys.exit(f"{VALID_IN_REPO} differs from the regenerated validation split")
    else:
        with open(VALID_IN_REPO, "w", encoding="ascii", newline="") as f:
            f.write(valid_text)
    model_path = tokenizer.train_tokenizer(os.path.join(workdir, "train.txt"),
                                           os.path.join(workdir, "kjv"))
    sp = tokenizer.load(model_path)
    for name, text in (("train", train_text), ("valid", valid_text)):
        ids = np.array(tokenizer.encode(sp, text), dtype=np.uint16)
        np.save(os.path.join(workdir, name + ".npy"), ids)
        print(f"{name}: {text.count(chr(10))} verses, {len(text)} bytes, {len(ids)} tokens")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/llamac-train")
    prepare(ap.parse_args().workdir)
