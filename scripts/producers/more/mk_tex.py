#!/usr/bin/env python3
"""LaTeX-made held-out fixtures.

  mk_tex.py twocol   -> twocol.pdf   pdflatex, article \twocolumn, US letter, Times (mathptmx) 10pt,
                                       bare roman numeral headings mid-column, symbol footnotes (*, †)
  mk_tex.py pocket   -> pocket.pdf   lualatex, 11x18 cm, P052 (Palatino clone) 9.5pt, part page
                                       "PREMIÈRE PARTIE", chapter "I" + title, epigraph, heads centred
  mk_tex.py letters  -> letters.pdf  pdflatex, memoir A5, Charter 10pt, epistolary chapters with
                                       dateline + right-aligned signature, page numbers top outer
"""
import os
import sys

import common as C

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mk_tex import esc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")


def toks_tex(tokens):
    out = []
    for t in tokens:
        if "note" in t:
            out.append(r"\footnote{%s}" % esc(t["text"]))
        elif t["i"]:
            out.append(r"\emph{%s}" % esc(t["t"]))
        else:
            out.append(esc(t["t"]))
    return "".join(out)


def run_latex(engine, name, tex):
    d = os.path.join(BUILD, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name + ".tex"), "w", encoding="utf-8") as fh:
        fh.write(tex)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", FORCE_SOURCE_DATE="1")
    for _ in range(2):
        C.sh(engine, "-interaction=nonstopmode", "-halt-on-error", name + ".tex", cwd=d, env=env)
    pdf = os.path.join(HERE, name + ".pdf")
    os.replace(os.path.join(d, name + ".pdf"), pdf)
    return pdf


# --------------------------------------------------------------------------- twocol
def twocol():
    xid = "FRA02501"  # Loti, Mon frère Yves
    title, author = "Mon frère Yves", "Pierre Loti"
    blocks = [("title", [title, author])]
    parts = [(0, None), (1, None), (2, 1700)]
    for ch, w in parts:
        bl = C.cut(xid, ch, w)
        if ch == 0:
            C.add_note(bl, "livret de marin", "Document officiel où sont inscrits les services du matelot.", "*")
        if ch == 2:
            C.add_note(bl, "à Brest", "Port militaire du Finistère.", "*")
        blocks += [("chapter", C.heads(xid, ch))] + bl
    body = []
    for kind, p in blocks:
        if kind == "chapter":
            body.append("\n\\begin{center}\\large\\bfseries %s\\end{center}\n" % esc(p[0]))
        elif kind == "p":
            body.append("\n" + toks_tex(p) + "\n")
        elif kind == "break":
            body.append("\n\\begin{center}*\\quad*\\quad*\\end{center}\n")
        elif kind == "verse":
            body.append("\n\\begin{center}\\itshape %s\\end{center}\n" % "\\\\\n".join(esc(l) for l in p))
    tex = r"""\documentclass[10pt,letterpaper,twocolumn]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{mathptmx}
\usepackage{textcomp}
\usepackage[french]{babel}
\usepackage[letterpaper,margin=0.8in,columnsep=0.28in]{geometry}
\usepackage{fancyhdr}
\pdftrailerid{}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0.4pt}
\fancyhead[C]{\small\itshape %(title)s}
\fancyfoot[C]{\small\thepage}
\renewcommand{\thefootnote}{\fnsymbol{footnote}}
\setlength{\emergencystretch}{1em}
\begin{document}
\begin{titlepage}
\centering\vspace*{6cm}
{\Huge %(title)s\par}\vspace{1cm}
{\Large\itshape %(author)s\par}
\end{titlepage}
%(body)s
\end{document}
""" % {"title": esc(title), "author": esc(author), "body": "".join(body)}
    pdf = run_latex("pdflatex", "twocol", tex)
    ref = C.reference(blocks, pdf, xid,
                      "pdflatex x2: article 10pt letterpaper \\twocolumn, T1 + mathptmx (Times, Type 1), babel french, "
                      "justified + hyphenated, bare roman numeral chapter headings (\\large bold, centred) "
                      "starting mid-column with no page break, fancyhdr: centred italic running head (book title) "
                      "with rule, page number centred at the foot; 2 footnotes numbered with \\fnsymbol (*, †); "
                      "title page without furniture",
                      furniture=[title])
    C.write_ref(os.path.join(HERE, "twocol.json"), ref)


# --------------------------------------------------------------------------- pocket
def pocket():
    xid = "FRA00901"  # Daudet, Le Petit Chose
    title, author = "Le Petit Chose", "Alphonse Daudet"
    blocks = [("title", [author, title, "Histoire d'un enfant"]), ("part", "PREMIÈRE PARTIE")]
    h0 = C.heads(xid, 0)[0].split(" -- ")
    blocks.append(("chapter", h0))
    blocks.append(("epigraph", ["Le cœur a ses raisons que la raison ne connaît point.", "Pascal."]))
    blocks += C.cut(xid, 0, 800)
    h1 = C.heads(xid, 1)[0].split(" -- ")
    blocks.append(("chapter", h1))
    blocks += C.cut(xid, 1, 450)
    body = []
    for kind, p in blocks:
        if kind == "part":
            body.append("\n\\blankclear\\thispagestyle{empty}\\vspace*{4cm}\\begin{center}\\Large\\scshape %s\\end{center}\\blankclear\n"
                        % esc(p.title() if False else p))
        elif kind == "chapter":
            body.append("\n\\clearpage\\thispagestyle{plain}\\vspace*{2cm}\\begin{center}{\\large %s}\\\\[2mm]{\\normalsize\\bfseries %s}\\end{center}\\vspace{6mm}\\markboth{%s}{%s}\n"
                        % (esc(p[0]), esc(p[1]), esc(p[1]), esc(p[1])))
        elif kind == "epigraph":
            body.append("\n\\begin{flushright}\\begin{minipage}{0.62\\textwidth}\\footnotesize\\itshape %s\\par\\raggedleft\\upshape --- %s\\end{minipage}\\end{flushright}\\vspace{4mm}\n"
                        % (esc(p[0]), esc(p[1])))
        elif kind == "p":
            body.append("\n" + toks_tex(p) + "\n")
    tex = r"""\documentclass[twoside]{book}
\usepackage{fontspec}
\setmainfont{P052}[Extension=.otf,UprightFont=*-Roman,ItalicFont=*-Italic,BoldFont=*-Bold,BoldItalicFont=*-BoldItalic]
\usepackage[french]{babel}
\usepackage[paperwidth=11cm,paperheight=18cm,top=1.5cm,bottom=1.6cm,inner=1.4cm,outer=1.1cm,headsep=4mm,footskip=7mm]{geometry}
\usepackage{fancyhdr}
\pdfvariable trailerid {}
\makeatletter\renewcommand\normalsize{\@setfontsize\normalsize{9.5}{11.6}}\makeatother
\normalsize
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0pt}
\fancyhead[CE]{\footnotesize\scshape %(author)s}
\fancyhead[CO]{\footnotesize\scshape %(title)s}
\fancyfoot[C]{\footnotesize\thepage}
\fancypagestyle{plain}{\fancyhf{}\fancyfoot[C]{\footnotesize\thepage}}
\setlength{\parindent}{1.2em}
\newcommand\blankclear{\clearpage\ifodd\value{page}\else\thispagestyle{empty}\null\clearpage\fi}
\setlength{\emergencystretch}{1em}
\begin{document}
\thispagestyle{empty}
\begin{center}\vspace*{2cm}
{\large\scshape %(author)s\par}\vspace{1.2cm}
{\huge %(title)s\par}\vspace{4mm}
{\small\itshape %(sub)s\par}
\end{center}
%(body)s
\end{document}
""" % {"title": esc(title), "author": esc(author), "body": "".join(body), "sub": esc("Histoire d'un enfant")}
    pdf = run_latex("lualatex", "pocket", tex)
    ref = C.reference(blocks, pdf, xid,
                      "lualatex x2: book class twoside, pocket page 11x18 cm, fontspec P052 (URW Palatino clone, OTF "
                      "CFF) at 9.5/11.6 pt, babel french, justified + hyphenated, first-line indent; title page "
                      "(author above title, subtitle), a part page 'PREMIÈRE PARTIE' (small caps, alone on a recto), "
                      "chapters = numeral line + bold title line on a new page, an epigraph (Pascal) in a "
                      "right-aligned italic minipage under chapter I; running heads centred small caps (verso "
                      "author, recto title), page number centred at the foot",
                      furniture=[author, title])
    C.write_ref(os.path.join(HERE, "pocket.json"), ref)


# --------------------------------------------------------------------------- letters
def letters():
    xid = "FRA05201"  # Feuillet, La petite Comtesse (epistolary)
    title, author = "La petite Comtesse", "Octave Feuillet"
    blocks = [("title", [title, author])]
    # letter 1: heads 'Chapitre 1', 'Georges L. à Paul B., à Paris Du Rozel, 15 septembre.'
    blocks.append(("chapter", ["Chapitre 1", "Georges L. à Paul B., à Paris"]))
    blocks.append(("right", [{"t": "Du Rozel, 15 septembre.", "i": True}]))
    b1 = C.cut(xid, 0, 1000)
    C.add_note(b1, "basse Normandie", "Le Rozel est un village de la Manche.", "*")
    blocks += b1
    blocks.append(("right", [{"t": "George L.", "i": False}]))  # added signature
    blocks.append(("chapter", ["Chapitre 2"]))
    blocks.append(("right", [{"t": "16 septembre.", "i": True}]))
    blocks += C.cut(xid, 1, 900)
    body = []
    for kind, p in blocks:
        if kind == "chapter":
            sub = ("\\\\[3mm]{\\normalsize\\itshape %s}" % esc(p[1])) if len(p) > 1 else ""
            body.append("\n\\chapter*{%s%s}\\markboth{%s}{%s}\n" % (esc(p[0]), sub, esc(title), esc(title)))
        elif kind == "right":
            body.append("\n\\begin{flushright}%s\\end{flushright}\n" % toks_tex(p))
        elif kind == "p":
            body.append("\n" + toks_tex(p) + "\n")
    tex = r"""\documentclass[10pt,a5paper,twoside,openany]{memoir}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{charter}
\usepackage{textcomp}
\usepackage[french]{babel}
\pdftrailerid{}
\setlrmarginsandblock{1.6cm}{1.3cm}{*}
\setulmarginsandblock{1.7cm}{1.8cm}{*}
\checkandfixthelayout
\chapterstyle{dash}
\makepagestyle{book}
\makeevenhead{book}{\thepage}{\small\scshape %(author)s}{}
\makeoddhead{book}{}{\small\scshape %(title)s}{\thepage}
\pagestyle{book}
\aliaspagestyle{chapter}{empty}
\setlength{\emergencystretch}{1em}
\renewcommand{\thefootnote}{\fnsymbol{footnote}}
\begin{document}
\begin{titlingpage}
\centering\vspace*{4cm}
{\HUGE %(title)s\par}\vspace{1cm}{\Large %(author)s\par}
\end{titlingpage}
%(body)s
\end{document}
""" % {"title": esc(title), "author": esc(author), "body": "".join(body)}
    pdf = run_latex("pdflatex", "letters", tex)
    ref = C.reference(blocks, pdf, xid,
                      "pdflatex x2: memoir 10pt a5paper twoside, T1 + charter (Bitstream Charter Type 1), babel "
                      "french, \\chapterstyle{dash}; an epistolary novel: each chapter = 'Chapitre N' (+ an italic "
                      "address line for letter 1) then a right-aligned italic dateline, a footnote marked *, and a "
                      "right-aligned signature 'George L.' (added for this test, not in ELTeC); chapter openings have "
                      "no furniture; running heads: page number on the OUTER side of the header line (top left on "
                      "versos, top right on rectos) with author (verso) / title (recto) centred in small caps",
                      furniture=[author, title])
    C.write_ref(os.path.join(HERE, "letters.json"), ref)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        globals()[name]()
