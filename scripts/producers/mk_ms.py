#!/usr/bin/env python3
"""groff -ms source (UTF-8, run through preconv with `groff -k`), French hyphenation
via -mfr, justified, cover page (.RP no), centred .SH chapter headings, running head
with the book title (CH) and the page number in the footer (CF).

  mk_ms.py EXCERPT.json OUT.ms
"""
import json
import sys


def esc(s):
    s = s.replace("\\", "\\[rs]")
    # keep the source's straight apostrophe (groff would print ' as a right quote)
    s = s.replace("'", "\\[aq]")
    # a leading '.' would be a request
    if s.startswith("."):
        s = "\\&" + s
    return s


def runs(tokens):
    out = []
    for t in tokens:
        if "note" in t:
            raise SystemExit("footnotes are not used in the groff fixture")
        out.append(("\\fI%s\\fP" % esc(t["t"])) if t["i"] else esc(t["t"]))
    text = "".join(out)
    if text.startswith("."):
        text = "\\&" + text
    return text


def build(ex):
    title, author = esc(ex["book_title"]), esc(ex["author_line"])
    out = [
        '.\\" -*- coding: utf-8 -*-',
        '.\\" groff -k -mfr -ms -Tps; generated from ELTeC %s' % ex["source"]["eltec_id"],
        ".nr PS 11", ".nr VS 14", ".nr PI 1.5m", ".nr PD 0", ".nr LL 6i", ".nr PO 1.25i",
        ".nr HM 1i", ".nr FM 1i",
        ".ds LH", ".ds CH \\fI%s\\fP" % title, ".ds RH", ".ds LF", ".ds RF",
        ".ds CF %",
        ".RP no",
        ".ds DY",
        ".TL", title, ".AU", author, ".AB no", ".AE",
    ]
    for n, ch in enumerate(ex["chapters"]):
        if n:
            out.append(".bp")
        out.append(".SH")
        out.append(".ce %d" % len(ch["heads"]))
        out.extend(esc(h) for h in ch["heads"])
        out.append(".sp 1")
        for par in ch["tokens"]:
            out.append(".PP")
            out.append(runs(par))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    ex = json.load(open(sys.argv[1], encoding="utf-8"))
    open(sys.argv[2], "w", encoding="utf-8").write(build(ex))
