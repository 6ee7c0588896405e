"""The English text the generation models learn: every fortune cookie of Debian's `fortunes` and `fortunes-min` packages
(/usr/share/games/fortunes/*.u8, BSD-licensed quotations, jokes and aphorisms, about 2.5 MB in 40 files).

Why these: real English prose written by people, shipped by a Debian package anyone can install, in small self-contained
documents (one fortune each) that a model this size can learn to continue and end, and with a license that allows
committing a model trained on them. `ascii-art` is left out (drawings, not text) and so is `fortunes-off` (not installed).

Each fortune is NFKC-normalized, its whitespace runs (the line breaks and tab-indented attributions) collapsed to one
space; empty and duplicate fortunes are dropped. A seeded shuffle puts 2% aside as held-out text.
"""
import glob
import os
import random
import re
import unicodedata

FORTUNES = "/usr/share/games/fortunes"
EXCLUDED = {"ascii-art"}


def fortunes():
    files = sorted(glob.glob(os.path.join(FORTUNES, "*.u8")))
    if not files:
        raise SystemExit(f"no fortune files in {FORTUNES}: apt-get install -y fortunes fortunes-min")
    seen, result = set(), []
    for path in files:
        if os.path.basename(path)[:-3] in EXCLUDED:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for entry in re.split(r"^%\s*$", f.read(), flags=re.MULTILINE):
                text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", entry)).strip()
                if text and text not in seen:
                    seen.add(text)
                    result.append(text)
    return result


def split(seed=7, held_out=0.02):
    texts = fortunes()
    random.Random(seed).shuffle(texts)
    cut = int(len(texts) * held_out)
    return texts[cut:], texts[:cut]


if __name__ == "__main__":
    train, valid = split()
    print(f"{len(train)} training fortunes ({sum(map(len, train))} chars), {len(valid)} held out")
    print(train[0])
