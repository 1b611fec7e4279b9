#!/usr/bin/env python3
"""Reference text for the OCR fixture: what Tesseract really read.

Takes Tesseract's plain-text output for the page images (the same text that ocrmypdf
puts in the hidden layer), joins its lines, and cuts the word stream back into the
source's chapters/paragraphs by aligning it to the source words (difflib). Writes a
JSON fragment with "chapters" and the number of words that differ from the source.

  mk_ocr_ref.py EXCERPT.json TESSERACT.txt OUT.json
"""
import difflib
import json
import re
import sys
import unicodedata


def ocr_words(text):
    text = unicodedata.normalize("NFC", text.replace("\f", "\n"))
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    joined = ""
    hyphen_joins = 0
    for l in lines:
        if joined.endswith("-") and re.search(r"[^\W\d_]-$", joined) and l[:1].islower():
            joined = joined[:-1] + l  # undo a line-end hyphen (only if Tesseract emitted one)
            hyphen_joins += 1
        else:
            joined = (joined + " " + l) if joined else l
    return joined.split(), hyphen_joins


def main(exfile, txtfile, outfile):
    ex = json.load(open(exfile, encoding="utf-8"))
    src, tags = [], []
    for ci, ch in enumerate(ex["chapters"]):
        for w in ch["title"].split():
            src.append(w)
            tags.append(("H", ci, 0))
        for pi, par in enumerate(ch["plain"]):
            for w in par.split():
                src.append(w)
                tags.append(("P", ci, pi))
    ocr, hyphen_joins = ocr_words(open(txtfile, encoding="utf-8").read())
    sm = difflib.SequenceMatcher(None, src, ocr, autojunk=False)
    where = []  # source index for each OCR word
    differing = 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            differing += max(i2 - i1, j2 - j1)
        if op in ("equal", "replace"):
            for k in range(j2 - j1):
                where.append(i1 + min((k * (i2 - i1)) // max(j2 - j1, 1), i2 - i1 - 1) if i2 > i1 else max(i1 - 1, 0))
        elif op == "insert":
            where += [max(i1 - 1, 0)] * (j2 - j1)
    groups = {}
    for w, si in zip(ocr, where):
        groups.setdefault(tags[si], []).append(w)
    chapters = []
    for ci, ch in enumerate(ex["chapters"]):
        title = " ".join(groups.get(("H", ci, 0), []))
        paras = [" ".join(groups[("P", ci, pi)]) for pi in range(len(ch["plain"])) if ("P", ci, pi) in groups]
        chapters.append({"title": title, "paragraphs": paras})
    nsrc = len(src)
    out = {
        "chapters": chapters,
        "ocr_word_differences": {
            "source_words": nsrc,
            "ocr_words": len(ocr),
            "differing_words": differing,
            "line_end_hyphens_undone": hyphen_joins,
            "diff": [
                {"source": " ".join(src[i1:i2]), "ocr": " ".join(ocr[j1:j2])}
                for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal"
            ],
        },
    }
    json.dump(out, open(outfile, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print("OCR: %d source words, %d OCR words, %d differing" % (nsrc, len(ocr), differing), file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
