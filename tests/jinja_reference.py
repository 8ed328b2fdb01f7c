#!/usr/bin/python3
"""`llamac chat-template --jinja` against Python's jinja2, live.

    /usr/bin/python3 tests/jinja_reference.py PATH/TO/llamac [--list]

Renders every chat template of the corpus with every conversation of
tests/data/chat_conversations twice: with Python's jinja2 configured as
Hugging Face's apply_chat_template (the environment of tests/jinja_expected.py:
ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop controls,
tojson as json.dumps(ensure_ascii=False), raise_exception, strftime_now on a
fixed clock), and through the CLI (--jinja --keep-bos-eos, the same clock
via --now). The two must give the same bytes, or both must fail (jinja2
raises, the CLI exits 1 with a message). Known differences are listed, each
with its reason, in tests/data/jinja_known_mismatches.txt; an unlisted
mismatch fails, and so does a listed case that now matches (the list must
shrink as the engine improves).

The corpus: the published chat templates of tests/data/jinja/templates and
tests/data/chat_templates (SOURCES.md in each), and the 30 templates of
llama.cpp's chat-template test (tests/data/chat/peer_cases.txt). The
conversations marked "needs": "tools" (or "documents") go only to templates
that mention the word. Each runs with add_generation_prompt, and two of
them (NOAGP) without it too, on the published templates. Every case runs first without the
system polyfill; for a template that llama.cpp's probe finds without system
support, conversations with a system message run again with the polyfill,
against jinja2 rendering the polyfilled messages (jinja_expected.polyfill).

Exit status: 0 all as expected, 1 a difference, 77 (skip) without jinja2.
"""
import concurrent.futures
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("LLAMAC_TEST_DATA", os.path.join(HERE, "data"))

try:
    import jinja2  # noqa: F401  (jinja_expected needs it)
except ImportError:
    print("SKIP: Python's jinja2 is missing (Debian python3-jinja2; scripts/deps.sh installs it)")
    sys.exit(77)

sys.path.insert(0, HERE)
import jinja_expected  # noqa: E402  the Hugging Face environment, the polyfill and the probe

BOS, EOS = "<s>", "</s>"
ENV = jinja_expected.environment()
COMPILED = {}


def render(text, messages, agp, tools, documents):
    """jinja_expected.render with one environment and each template compiled
    once (as transformers caches its compiled templates)."""
    try:
        if text not in COMPILED:
            COMPILED[text] = ENV.from_string(text)
        kwargs = {k: v for k, v in (("tools", tools), ("documents", documents)) if v is not None}
        return COMPILED[text].render(messages=messages, add_generation_prompt=agp, bos_token=BOS, eos_token=EOS,
                                     **kwargs), None
    except Exception as e:  # jinja2 refused: the CLI must refuse too
        return None, f"{type(e).__name__}: {e}"

# The conversations also rendered without add_generation_prompt (it only
# changes the end of a prompt, so two suffice and keep the test fast).
NOAGP = ("01-system-multi-turn", "10-tool-call-and-result")


def peer_templates():
    """(name, text) of each case in tests/data/chat/peer_cases.txt."""
    out, name = [], None
    esc = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"'}
    with open(os.path.join(DATA, "chat", "peer_cases.txt"), encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r'^(case|template) "(.*)"$', line.rstrip("\n"))
            if not m:
                continue
            value = re.sub(r"\\(.)", lambda k: esc[k.group(1)], m.group(2))
            if m.group(1) == "case":
                name = value
            else:
                out.append(("peer:" + name, value))
    return out


def corpus():
    templates, names = [], set()
    for sub in ("jinja/templates", "chat_templates"):
        folder = os.path.join(DATA, sub)
        for f in sorted(os.listdir(folder)):
            if f.endswith(".jinja") and f not in names:  # one copy of each (the engine's folder first)
                names.add(f)
                with open(os.path.join(folder, f), encoding="utf-8") as fh:
                    templates.append((f, fh.read(), os.path.join(folder, f)))
    conversations = []
    folder = os.path.join(DATA, "chat_conversations")
    for f in sorted(os.listdir(folder)):
        if f.endswith(".json"):
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                conversations.append((f[:-5], json.load(fh), os.path.join(folder, f)))
    return templates, conversations


def cases(tmpdir):
    templates, conversations = corpus()
    peer = []
    for i, (name, text) in enumerate(peer_templates()):
        path = os.path.join(tmpdir, f"peer{i:02d}.jinja")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        peer.append((name, text, path))
    out = []
    for tname, text, tpath in templates + peer:
        is_peer = tname.startswith("peer:")
        system_ok = jinja_expected.supports_system(text)
        for cname, conv, cpath in conversations:
            need = conv.get("needs")
            if need and (is_peer or need not in text):
                continue
            for agp in (True, False) if not is_peer and cname in NOAGP else (True,):
                base = dict(template=tname, tmpl_path=tpath, text=text, conv=conv, conv_path=cpath, agp=agp)
                out.append(dict(base, id=f"{tname}|{cname}|{'agp' if agp else 'noagp'}", polyfill=False))
                if not system_ok and agp and any(m["role"] == "system" for m in conv["messages"]):
                    out.append(dict(base, id=f"{tname}|{cname}|polyfill", polyfill=True))
    return out


def write_json(tmpdir, name, value):
    path = os.path.join(tmpdir, name)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False)
    return path


def run_case(llamac, tmpdir, c, index):
    conv = c["conv"]
    msgs = conv["messages"]
    want, err = render(c["text"], jinja_expected.polyfill(msgs) if c["polyfill"] else msgs, c["agp"],
                       conv.get("tools"), conv.get("documents"))
    args = [llamac, "chat-template", "--jinja", "--template", c["tmpl_path"], "--keep-bos-eos",
            "--bos", BOS, "--eos", EOS, "--now", str(jinja_expected.NOW),
            "--messages", write_json(tmpdir, f"m{index}.json", msgs)]
    for key in ("tools", "documents"):
        if key in conv:
            args += ["--" + key, write_json(tmpdir, f"{key}{index}.json", conv[key])]
    if c["agp"]:
        args.append("--add-generation-prompt")
    if not c["polyfill"]:
        args.append("--no-system-polyfill")
    try:
        p = subprocess.run(args, capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "differ", "the CLI ran over 20 s"
    got = p.stdout.decode("utf-8", "replace")
    stderr = p.stderr.decode("utf-8", "replace").strip()
    if err is not None:
        if p.returncode == 1 and p.stdout == b"" and stderr:
            return "both_raised", f"jinja2: {err} | llamac: {stderr}"
        return "differ", f"jinja2 raised ({err}); llamac exit {p.returncode}, stdout {got!r}"
    if p.returncode != 0:
        return "differ", f"llamac exit {p.returncode}: {stderr}; jinja2 rendered {want!r}"
    if p.stdout != want.encode("utf-8"):
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        return "differ", f"first difference at character {at}: llamac {got[at:at + 60]!r} / jinja2 {want[at:at + 60]!r}"
    return "identical", ""


def known_mismatches():
    path = os.path.join(DATA, "jinja_known_mismatches.txt")
    known = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            case_id, sep, reason = line.partition("\t")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{n}: want CASE<TAB>REASON")
            known[case_id] = reason
    return known


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    llamac = os.path.abspath(sys.argv[1])
    listing = "--list" in sys.argv[2:]
    import tempfile
    with tempfile.TemporaryDirectory(prefix="jinja_reference.") as tmpdir:
        all_cases = cases(tmpdir)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda ic: run_case(llamac, tmpdir, ic[1], ic[0]), enumerate(all_cases)))
    known = known_mismatches()
    counts = {"identical": 0, "both_raised": 0, "known": 0}
    failures = []
    seen = set()
    for c, (verdict, detail) in zip(all_cases, results):
        seen.add(c["id"])
        if listing and verdict != "identical":
            print(f"{c['id']}\t{detail}")
        if verdict == "differ":
            if c["id"] in known:
                counts["known"] += 1
            else:
                failures.append(f"MISMATCH {c['id']}: {detail}")
        else:
            counts[verdict] += 1
            if c["id"] in known:
                failures.append(f"NOW MATCHES (remove it from jinja_known_mismatches.txt): {c['id']}")
    for case_id in sorted(set(known) - seen):
        failures.append(f"UNKNOWN CASE in jinja_known_mismatches.txt: {case_id}")
    templates = len({c["template"] for c in all_cases})
    print(f"{len(all_cases)} cases ({templates} templates x {len(corpus()[1])} conversations): "
          f"{counts['identical']} identical, {counts['both_raised']} both raised, "
          f"{counts['known']} known mismatches; {len(failures)} failures")
    for f in failures:
        print(f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
