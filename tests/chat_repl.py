#!/usr/bin/env python3
"""`llamac chat` driven through a pipe on the shipped model (issue 15, item 5).

Usage: chat_repl.py LLAMAC   (the model from env LLAMAC_SHIPPED_MODEL)

What it checks, greedy (--temp 0) so that every run is the same:
  - three turns with --template chatml: turn 1 reuses nothing and decodes the
    whole rendered prompt; turns 2 and 3 reuse what the cache holds of the
    previous turn (its prompt and all of its answer but the last sampled
    token, which is never decoded) and decode only the rest. The expected
    token counts come from other commands: the conversation (with the
    answers as printed on stdout) formatted by `llamac chat-template
    --template chatml --add-generation-prompt` and counted by
    `llamac tokenize --parse-special`;
  - /reset: the next turn reuses nothing again;
  - /save FILE, /reset, /load FILE: the next turn is the one a run without
    them gives (same counts, same answer), and FILE.json holds the messages;
  - an unknown /command is a message and the chat goes on;
  - a bad --template name, and a model without a chat template: exit 1 with
    a message;
  - a template that renders earlier turns differently (here: a turn count
    at the top) reuses only the tokens before the first difference, and the
    answer is the one a chat that decodes everything afresh gives;
  - a full context: without --keep the answer stops with a message and a
    prompt that does not fit is refused; with --keep the chat goes on
    through context shifts;
  - SIGINT during an answer ends the answer, not the program;
  - BOS once: a Jinja template file (no built-in detected) that starts with
    {{ bos_token }} costs the tokens of `chat-template --jinja` (which drops
    that BOS text) counted by `tokenize` (which adds BOS), not one more; and
    `llamac run -p "<s>..."` decodes as many prompt tokens as the text
    without "<s>" has.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

LLAMAC = sys.argv[1]
MODEL = os.environ.get("LLAMAC_SHIPPED_MODEL", "")
STATS = re.compile(r"^prompt: reused (\d+), decoded (\d+) tokens; generated (\d+) tokens, ([0-9.]+) t/s$")
BASE = [LLAMAC, "chat", "-m", MODEL, "--template", "chatml", "--temp", "0", "-t", "2"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def chat(lines, *extra, timeout=120):
    p = subprocess.run(BASE + list(extra), input="".join(l + "\n" for l in lines).encode(),
                       capture_output=True, timeout=timeout)
    err = p.stderr.decode(errors="replace")
    stats = [tuple(int(x) for x in m.groups()[:3]) for m in map(STATS.match, err.splitlines()) if m]
    return p.returncode, p.stdout.decode(errors="replace"), err, stats


def n_tokens(messages, tmp):
    """Tokens of the conversation as chat renders it, through other commands."""
    mpath = os.path.join(tmp, "msgs.json")
    with open(mpath, "w") as f:
        json.dump(messages, f)
    prompt = subprocess.run([LLAMAC, "chat-template", "--template", "chatml", "--messages", mpath,
                             "--add-generation-prompt"], capture_output=True, check=True).stdout
    ppath = os.path.join(tmp, "prompt.txt")
    with open(ppath, "wb") as f:
        f.write(prompt)
    ids = subprocess.run([LLAMAC, "tokenize", "-m", MODEL, "-f", ppath, "--ids", "--parse-special"],
                         capture_output=True, check=True).stdout.split()
    return len(ids)


def three_turns(tmp):
    turns = ["In the beginning", "And God said", "What is light?"]
    rc, out, err, stats = chat(turns, "-n", "8")
    check(rc == 0, f"3 turns: exit {rc}: {err}")
    check(len(stats) == 3, f"3 turns: want 3 stats lines, got {stats}: {err}")
    answers = out.split("\n")[:-1]
    check(len(answers) == 3, f"3 turns: want 3 answer lines on stdout, got {answers!r}")
    if len(stats) != 3 or len(answers) != 3:
        return
    messages = []
    for i, (text, (r, d, g)) in enumerate(zip(turns, stats)):
        messages.append({"role": "user", "content": text})
        want = n_tokens(messages, tmp)
        print(f"turn {i + 1}: reused {r}, decoded {d}, generated {g}; rendered prompt {want} tokens")
        check(r + d == want, f"turn {i + 1}: reused + decoded = {r + d}, the rendered prompt has {want}")
        check(1 <= g <= 8, f"turn {i + 1}: generated {g} (-n 8)")
        if i == 0:
            check(r == 0, f"turn 1 reuses {r} tokens of an empty cache")
        else:
            pr, pd, pg = stats[i - 1]
            # all the previous prompt and answer but its last, undecoded token
            check(r == pr + pd + pg - 1, f"turn {i + 1}: reused {r}, want {pr + pd + pg - 1} "
                                         f"(previous prompt {pr + pd} + answer {pg} - 1)")
            check(d < want - pr - pd, f"turn {i + 1}: decoded {d}, not fewer than the turn's new text")
        messages.append({"role": "assistant", "content": answers[i]})


def reset_and_unknown_command():
    rc, out, err, stats = chat(["In the beginning", "/bogus", "/reset", "In the beginning"], "-n", "4")
    check(rc == 0, f"/reset: exit {rc}: {err}")
    check("unknown command '/bogus'" in err, f"/bogus: no message in {err!r}")
    check(len(stats) == 2 and stats[1][0] == 0, f"/reset: the turn after it reuses nothing: {stats}")
    check(len(stats) == 2 and stats[0] == stats[1], f"/reset: the same turn again decodes the same: {stats}")
    a = out.split("\n")
    check(len(a) == 3 and a[0] == a[1], f"/reset: the same answer again: {a!r}")


def save_and_load(tmp):
    state = os.path.join(tmp, "conv.state")
    plain = chat(["In the beginning", "And God said"], "-n", "6")
    rc, out, err, stats = chat(["In the beginning", f"/save {state}", "/reset", f"/load {state}",
                                "And God said"], "-n", "6")
    check(rc == 0 and plain[0] == 0, f"/save /load: exit {rc}: {err}")
    check(len(stats) == 2 and stats == plain[3], f"/load: counts {stats}, without /save /load {plain[3]}")
    check(out == plain[1], f"/load: answers {out!r}, without /save /load {plain[1]!r}")
    check(stats and stats[1][0] > 0, f"/load: the turn after it reuses the loaded cache: {stats}")
    with open(state + ".json") as f:
        saved = json.load(f)
    check([m["role"] for m in saved] == ["user", "assistant"] and saved[0]["content"] == "In the beginning"
          and saved[1]["content"] == out.split("\n")[0], f"/save: FILE.json holds {saved!r}")
    rc, out, err, stats = chat([f"/load {os.path.join(tmp, 'missing')}", "/save", "In the beginning"], "-n", "2")
    check(rc == 0 and len(stats) == 1, f"/load of a missing file is a message: exit {rc}, {stats}")
    check("missing.json" in err and "/save needs a file name" in err, f"/load, /save messages: {err!r}")


def refusals(tmp):
    p = subprocess.run([LLAMAC, "chat", "-m", MODEL, "--template", "no-such-format"], input=b"Hi\n",
                       capture_output=True, timeout=60)
    err = p.stderr.decode()
    check(p.returncode == 1 and "neither a file nor a built-in" in err and p.stdout == b"",
          f"bad --template: exit {p.returncode}: {err!r}")
    p = subprocess.run([LLAMAC, "chat", "-m", MODEL], input=b"Hi\n", capture_output=True, timeout=60)
    err = p.stderr.decode()
    check(p.returncode == 1 and "tokenizer.chat_template" in err, f"no template: exit {p.returncode}: {err!r}")
    p = subprocess.run([LLAMAC, "chat", "-m", MODEL, "--temp", "hot"], capture_output=True, timeout=60)
    check(p.returncode == 2 and "--temp takes" in p.stderr.decode(), f"bad --temp: exit {p.returncode}")


COUNTING = ("Turn {{ messages|length }}.\n{% for m in messages %}[{{ m.role }}] {{ m.content }} END\n{% endfor %}"
            "{% if add_generation_prompt %}[assistant] {% endif %}")


def rerender(tmp):
    tpath = os.path.join(tmp, "counting.jinja")
    with open(tpath, "w") as f:
        f.write(COUNTING)
    args = ["--template", tpath, "-n", "6"]
    base = [LLAMAC, "chat", "-m", MODEL, "--temp", "0", "-t", "2"] + args
    both = subprocess.run(base, input=b"In the beginning\nAnd God said\n", capture_output=True, timeout=60)
    stats = [tuple(int(x) for x in m.groups()[:3]) for m in map(STATS.match, both.stderr.decode().splitlines()) if m]
    check(both.returncode == 0 and len(stats) == 2, f"counting template: {both.stderr.decode()!r}")
    if len(stats) != 2:
        return
    (r1, d1, g1), (r2, d2, g2) = stats
    # "Turn 1." vs "Turn 3.": the tokens before the count are reused, no more
    check(0 < r2 < 8, f"counting template: turn 2 reuses {r2} tokens (only those before the count)")
    check(r2 + d2 > r1 + d1 + g1 - 1, f"counting template: {stats}")
    # the same conversation with an empty cache: /load of messages whose
    # state file is missing loads the messages only
    state = os.path.join(tmp, "count.state")
    subprocess.run(base, input=f"In the beginning\n/save {state}\n".encode(), capture_output=True, timeout=60,
                   check=True)
    os.remove(state)
    fresh = subprocess.run(base, input=f"/load {state}\nAnd God said\n".encode(), capture_output=True, timeout=60)
    fstats = [tuple(int(x) for x in m.groups()[:3]) for m in map(STATS.match, fresh.stderr.decode().splitlines())
              if m]
    check(fstats == [(0, r2 + d2, g2)], f"counting template afresh: {fstats}, after reuse {stats[1]}")
    check(fresh.stdout.decode() == both.stdout.decode().split("\n", 1)[1],
          f"counting template: answer after partial reuse {both.stdout!r}, afresh {fresh.stdout!r}")


def full_context():
    turns = ["In the beginning God created", "And God said let there be light", "What is light?", "Amen"]
    rc, out, err, stats = chat(turns, "-n", "30", "-c", "64")
    check(rc == 0 and "is full: the answer stops here" in err and "does not fit the context of 64" in err,
          f"-c 64 without --keep: exit {rc}: {err!r}")
    # the last sampled token is never decoded: prompt + answer - 1 cells
    check(len(stats) >= 1 and stats[0][1] + stats[0][2] - 1 == 64, f"-c 64: {stats}")
    rc, out, err, stats = chat(turns, "-n", "30", "-c", "64", "--keep", "4")
    check(rc == 0 and len(stats) == 4 and "does not fit" not in err, f"-c 64 --keep 4: exit {rc}: {err!r}")
    check(all(g == 30 for _, _, g in stats), f"--keep: every answer runs to -n: {stats}")


def sigint_ends_the_answer_only():
    p = subprocess.Popen(BASE + ["-n", "5000", "-c", "256", "--keep", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(b"In the beginning\n")
    p.stdin.flush()
    first = p.stdout.read(1)  # the answer has started
    time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(input=b"/reset\n/quit\n", timeout=120)
    err = err.decode(errors="replace")
    stats = [m for m in map(STATS.match, err.splitlines()) if m]
    check(first != b"" and p.returncode == 0, f"SIGINT: exit {p.returncode}: {err[-500:]!r}")
    check("interrupted" in err, f"SIGINT: no 'interrupted' in {err[-500:]!r}")
    check(len(stats) == 1 and int(stats[0].group(3)) < 5000, f"SIGINT: the answer was cut: {err[-500:]!r}")
    check("starts over" in err, f"SIGINT: the chat read on (/reset): {err[-500:]!r}")


JINJA = ("{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }} END\n{% endfor %}"
         "{% if add_generation_prompt %}[assistant] {% endif %}")


def bos_once(tmp):
    tpath = os.path.join(tmp, "t.jinja")
    with open(tpath, "w") as f:
        f.write(JINJA)
    p = subprocess.run([LLAMAC, "chat", "-m", MODEL, "--template", tpath, "--temp", "0", "-n", "6", "-t", "2"],
                       input=b"In the beginning\n", capture_output=True, timeout=60)
    err = p.stderr.decode(errors="replace")
    stats = [tuple(int(x) for x in m.groups()[:3]) for m in map(STATS.match, err.splitlines()) if m]
    check(p.returncode == 0 and len(stats) == 1 and "(Jinja)" in err, f"Jinja template: exit {p.returncode}: {err!r}")
    mpath = os.path.join(tmp, "one.json")
    with open(mpath, "w") as f:
        json.dump([{"role": "user", "content": "In the beginning"}], f)
    prompt = subprocess.run([LLAMAC, "chat-template", "--jinja", "--template", tpath, "--messages", mpath,
                             "--add-generation-prompt", "--bos", "<s>", "--eos", "</s>"],
                            capture_output=True, check=True).stdout
    check(not prompt.startswith(b"<s>") and prompt.startswith(b"[user]"), f"chat-template --jinja: {prompt!r}")
    ppath = os.path.join(tmp, "jprompt.txt")
    with open(ppath, "wb") as f:
        f.write(prompt)
    want = len(subprocess.run([LLAMAC, "tokenize", "-m", MODEL, "-f", ppath, "--ids", "--parse-special"],
                              capture_output=True, check=True).stdout.split())
    if stats:
        check(stats[0][0] == 0 and stats[0][1] == want, f"Jinja + BOS once: decoded {stats[0][1]}, want {want}")
    count = {}
    for text in ("<s>In the beginning", "In the beginning"):
        p = subprocess.run([LLAMAC, "run", "-m", MODEL, "-p", text, "-n", "1", "--temp", "0", "-t", "2"],
                           capture_output=True, timeout=60)
        m = re.search(r"prompt .* (\d+) tokens ", p.stderr.decode())
        count[text] = int(m.group(1)) if m else -1
    check(count["<s>In the beginning"] == count["In the beginning"] > 0, f"run with BOS once: {count}")


def main():
    if not MODEL or not os.path.exists(MODEL):
        print("LLAMAC_SHIPPED_MODEL is not set or missing")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        three_turns(tmp)
        reset_and_unknown_command()
        save_and_load(tmp)
        refusals(tmp)
        rerender(tmp)
        full_context()
        sigint_ends_the_answer_only()
        bos_once(tmp)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
