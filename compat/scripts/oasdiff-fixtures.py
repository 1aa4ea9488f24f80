#!/usr/bin/env python3
"""Runs openapi-compat over the before/after pairs that oasdiff's own checker
tests diff as published, and compares verdicts.

Usage: oasdiff-fixtures.py OASDIFF_CHECKOUT OPENAPI_COMPAT_BINARY [--list]

A pair is the first two fixture files a test function of checker/*_test.go
opens (`open("../data/...")`, or `d(t, cfg, v1, v2)` for the numbered
`data/openapi-test<v>.yaml`), when the test does not edit either document in
code. oasdiff's verdict for the pair is what the test asserts: breaking when
it expects a change of level ERR, or any change from all checks at oasdiff's
default level; not breaking when it runs every check and expects only INFO
changes, or none. A test of a single check that expects no ERR says nothing
of the other checks, and WARN ("may break") is no verdict: not counted.
Several tests of one pair: breaking if any expects ERR.

Also reads every fixture document (data/**/*.yaml, *.yml, *.json) on its
own, and compares every pair by name (X_base/X_revision, base/revision).
Prints counts; --list prints what could not be read and every disagreement
with our findings.
"""

import json
import re
import subprocess
import sys
from pathlib import Path


def test_functions(text):
    starts = [m.start() for m in re.finditer(r"^func Test\w*\(", text, re.M)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        yield text[start:end]


def pair_and_verdict(body, checker_dir):
    opened = re.findall(r'(\w+)(?:, \w+)? :?= open\("([^"]+)"\)', body)
    numbered = re.search(r"\bd\(t, [^,]+, (\d+), (\d+)\)", body)
    if len(opened) >= 2:
        (v1, f1), (v2, f2) = opened[0], opened[1]
        names = [v1, v2]
    elif numbered:
        f1, f2 = (f"../data/openapi-test{v}.yaml" for v in numbered.groups())
        names = []
    else:
        return None
    for name in names:
        # The document is changed in code: not the pair as published.
        edited = rf"(^\s*{name}\.[^\n]*[^=!<>]=[^=]|delete\({name}\.|{name}\.Spec\.\w+\.(Set|Delete))"
        if re.search(edited, body, re.M):
            return None
    levels = set(re.findall(r"Level:\s*checker\.(ERR|WARN|INFO)", body))
    # All checks at oasdiff's default level (WARN and up), or the numbered
    # pairs, which `d` checks the same way: any change found breaks.
    all_checks = "CheckBackwardCompatibility(allChecksConfig()" in body or bool(numbered)
    if all_checks and re.search(r"require\.NotEmpty\(t, errs\)", body):
        levels.add("ERR")
    if all_checks and re.search(r"require\.(Empty\(t, errs\)|Len\(t, errs, 0\))", body):
        levels.add("NONE")
    # A test of a single check says nothing of the others: only its ERR is
    # a verdict on the pair. WARN alone ("may break") is no verdict.
    whole = "singleCheckConfig" not in body
    if "ERR" in levels:
        verdict = True
    elif whole and levels and levels <= {"INFO", "NONE"}:
        verdict = False
    else:
        return None
    old = (checker_dir / f1).resolve()
    new = (checker_dir / f2).resolve()
    return old, new, verdict


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, binary = Path(sys.argv[1]), sys.argv[2]
    listing = "--list" in sys.argv[3:]
    checker_dir = root / "checker"
    pairs = {}
    for test in sorted(checker_dir.glob("*_test.go")):
        for body in test_functions(test.read_text()):
            found = pair_and_verdict(body, checker_dir)
            if found:
                old, new, verdict = found
                pairs[(old, new)] = pairs.get((old, new), False) or verdict
    read = agree = 0
    unreadable, disagree = [], []
    for (old, new), expected in sorted(pairs.items()):
        run = subprocess.run(
            [binary, "diff", str(old), str(new), "--format", "json"],
            capture_output=True,
            text=True,
        )
        name = f"{old.relative_to(root)} -> {new.relative_to(root)}"
        if run.returncode == 2:
            unreadable.append((name, run.stderr.strip().splitlines()[-1:]))
            continue
        read += 1
        ours = run.returncode == 1
        if ours == expected:
            agree += 1
        else:
            rules = sorted({c["rule"] for c in json.loads(run.stdout)["changes"]
                            if c["severity"] == "breaking" or not ours})
            disagree.append((name, expected, rules))
    documents = sorted(
        p for p in (root / "data").rglob("*") if p.suffix in (".yaml", ".yml", ".json")
    )
    refused, warned = [], 0
    for document in documents:
        run = subprocess.run(
            [binary, "diff", str(document), str(document)], capture_output=True, text=True
        )
        if run.returncode == 2:
            refused.append((document.relative_to(root), run.stderr.strip().splitlines()[-1:]))
        elif "warning:" in run.stderr:
            warned += 1
    print(f"documents: {len(documents)}, read: {len(documents) - len(refused)} "
          f"({warned} with warnings), refused: {len(refused)}")
    # Pairs by name, as published: X_base.yaml with X_revision.yaml, and
    # base.yaml with revision.yaml in one folder.
    named = []
    for base in documents:
        if base.name == "base.yaml":
            named.append((base, base.with_name("revision.yaml")))
        elif base.stem.endswith("_base"):
            named.append((base, base.with_name(base.stem[: -len("base")] + "revision" + base.suffix)))
    named = [(a, b) for a, b in named if b.exists()]
    compared = sum(
        subprocess.run([binary, "diff", str(a), str(b)], capture_output=True).returncode != 2
        for a, b in named
    )
    print(f"pairs by name (X_base/X_revision, base/revision): {len(named)}, compared: {compared}")
    print(f"pairs with a verdict: {len(pairs)}, read: {read}, unreadable: {len(unreadable)}, "
          f"verdicts agree: {agree} of {read}")
    if listing:
        for name, why in refused:
            print(f"refused  {name}: {' '.join(why)}")
        for name, why in unreadable:
            print(f"unreadable  {name}: {' '.join(why)}")
        for name, expected, rules in disagree:
            verdict = "breaking" if expected else "not breaking"
            print(f"disagree  {name}: oasdiff {verdict}, ours {rules}")


if __name__ == "__main__":
    main()
