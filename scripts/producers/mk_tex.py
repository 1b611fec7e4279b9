#!/usr/bin/env python3
"""LaTeX sources (book class, babel french, fancyhdr) for pdflatex and lualatex.

  mk_tex.py fixture pdftex|lualatex EXCERPT.json OUT.tex
  mk_tex.py long pdftex|lualatex ELTEC_PATH XID "Book title" "Author" OUT.tex
"""
import json
import re
import sys

import eltec

TEX_MAP = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    # keep the source's straight quotes straight (no ’ from the T1/tlig "'" glyph)
    "'": r"\textquotesingle{}", '"': r"\textquotedbl{}", "`": r"\textasciigrave{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}


def esc(s):
    out = "".join(TEX_MAP.get(c, c) for c in s)
    # break TeX ligatures that would change the text: -- --- ,, !` ?`
    out = out.replace("--", "-{}-").replace("--", "-{}-").replace(",,", ",{},")
    return out


def runs_tex(tokens):
    parts = []
    for t in tokens:
        if "note" in t:
            parts.append(r"\footnote{%s}" % esc(t["text"]))
        elif t["i"]:
            parts.append(r"\emph{%s}" % esc(t["t"]))
        else:
            parts.append(esc(t["t"]))
    return "".join(parts)


def preamble(engine, title, author, oddhead, size="11pt"):
    fonts = {
        "pdftex": "\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n\\usepackage{lmodern}\n\\usepackage{textcomp}\n",
        "lualatex": "\\usepackage{fontspec}\n\\setmainfont{Latin Modern Roman}\n",
    }[engine]
    ids = "\\pdftrailerid{}\n" if engine == "pdftex" else "\\pdfvariable trailerid {}\n"
    return r"""\documentclass[%(size)s,a4paper,twoside,openany]{book}
%(fonts)s\usepackage[french]{babel}
\usepackage{fancyhdr}
%(ids)s\title{%(title)s}
\author{%(author)s}
\date{}
\renewcommand{\thechapter}{\Roman{chapter}}
\setlength{\headheight}{14pt}
\setlength{\emergencystretch}{1.5em}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0pt}
%% even pages: book title on the outer (left) side, page number right;
%% odd pages: chapter numeral left, page number right (e.g. "II" ... "7")
\fancyhead[LE]{\textit{%(title)s}}
\fancyhead[RE]{\thepage}
\fancyhead[LO]{%(oddhead)s}
\fancyhead[RO]{\thepage}
\begin{document}
\maketitle
\tableofcontents
""" % {"size": size, "fonts": fonts, "ids": ids, "title": esc(title), "author": esc(author), "oddhead": oddhead}


def fixture(engine, ex):
    out = [preamble(engine, ex["book_title"], ex["author_line"], r"\thechapter")]
    for ch in ex["chapters"]:
        titles = [h for h in ch["heads"]
                  if not h.lower().startswith("chapitre") and not re.fullmatch(r"[IVXLC]+\.?|[0-9]+\.?", h)]
        out.append("\n\\chapter{%s}\n" % esc(" — ".join(titles)))
        for par in ch["tokens"]:
            out.append("\n" + runs_tex(par) + "\n")
    out.append("\n\\end{document}\n")
    return "".join(out)


def long_book(engine, eltec_path, xid, title, author):
    e = eltec.Eltec(eltec_path)
    blocks = eltec.blocks(e.tei(xid))
    # ~300 pages: 11pt for Verne (pdftex-long), 12pt for Sand (lualatex-long)
    out = [preamble(engine, title, author, r"\textit{\leftmark}", "11pt" if engine == "pdftex" else "12pt")]
    for kind, payload in blocks:
        if kind == "part":
            h = esc(" — ".join(payload))
            out.append("\n\\part*{%s}\\addcontentsline{toc}{part}{%s}\n" % (h, h))
        elif kind == "chapter":
            h = esc(" — ".join(payload))
            out.append("\n\\chapter*{%s}\\addcontentsline{toc}{chapter}{%s}\\markboth{%s}{%s}\n" % (h, h, h, h))
        elif kind == "p":
            out.append("\n" + runs_tex([{"t": t, "i": i} for t, i in payload]) + "\n")
        elif kind == "verse":
            out.append("\n{\\centering %s\\par}\n" % runs_tex([{"t": t, "i": i} for t, i in payload]))
        elif kind == "break":
            out.append("\n\\begin{center}*\\quad*\\quad*\\end{center}\n")
    out.append("\n\\end{document}\n")
    return "".join(out)


if __name__ == "__main__":
    mode, engine = sys.argv[1], sys.argv[2]
    if mode == "fixture":
        ex = json.load(open(sys.argv[3], encoding="utf-8"))
        text = fixture(engine, ex)
        outfile = sys.argv[4]
    else:
        path, xid, title, author, outfile = sys.argv[3:8]
        text = long_book(engine, path, xid, title, author)
    with open(outfile, "w", encoding="utf-8") as fh:
        fh.write(text)
