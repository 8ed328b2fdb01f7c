"""KJV corpus: extraction from Debian's `bible` program and the train/validation split.

`bible -f Gen1:1-Rev22:21` (package bible-kjv, text from bible-kjv-text) prints one verse
per line as "<book abbreviation><chapter>:<verse> <text>", e.g. "Ge1:3 And God said, ...".
We keep only <text>, with runs of whitespace collapsed to one space (the source has two
stray double spaces and one trailing space), so every line is one clean verse.

Split: verse number i (0-based, canonical order Genesis 1:1 .. Revelation 22:21) goes to
validation when i % 20 == 19 (every 20th verse), to training otherwise. Nothing random.
"""
import re
import subprocess

EXPECTED_VERSES = 31102  # verses in the KJV (Protestant canon)
VALID_EVERY = 20

_REF = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def read_kjv(bible_cmd="bible"):
    """Returns the list of verse texts (no references), in canonical order."""
    out = subprocess.run([bible_cmd, "-f", "Gen1:1-Rev22:21"], check=True,
                         stdout=subprocess.PIPE).stdout
    text = out.decode("ascii")  # the Debian text is pure ASCII; fail loudly otherwise
    verses = []
    for n, line in enumerate(text.split("\n")):
        if line == "":
            continue
        m = _REF.match(line)
        if not m:
            raise ValueError(f"line {n + 1} of bible output has no verse reference: {line[:60]!r}")
        verse = " ".join(m.group(4).split())
        if not verse:
            raise ValueError(f"line {n + 1} ({m.group(0)[:20]!r}) has an empty verse")
        verses.append(verse)
    if len(verses) != EXPECTED_VERSES:
        raise ValueError(f"expected {EXPECTED_VERSES} verses, found {len(verses)}")
    return verses


def split(verses):
    """(train, valid) lists of verses; every VALID_EVERY-th verse is held out."""
    train = [v for i, v in enumerate(verses) if i % VALID_EVERY != VALID_EVERY - 1]
    valid = [v for i, v in enumerate(verses) if i % VALID_EVERY == VALID_EVERY - 1]
    return train, valid


def as_text(verses):
    """The text form both splits are tokenized in: one verse per line, each line ending
    in "\\n" (so the file is a normal text file and its bytes are exactly this string)."""
    return "".join(v + "\n" for v in verses)
