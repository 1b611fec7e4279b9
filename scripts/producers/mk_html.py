#!/usr/bin/env python3
"""HTML sources for WeasyPrint, Chromium and MuPDF.

  mk_html.py weasyprint EXCERPT.json OUT.html   two columns, hyphens:auto, @page running head
  mk_html.py chromium   EXCERPT.json OUT.html   title page, <h2> chapters, U+00AD soft hyphens (pyphen fr)
  mk_html.py mupdf      EXCERPT.json OUT.html   plain reflowable HTML for `mutool convert`
  mk_html.py chromium-long ELTEC_PATH XID "Title" "Author line" OUT.html
"""
import json
import re
import sys
from html import escape

WORD = re.compile(r"[^\W\d_]{5,}")
_pyphen = None


def soft_hyphens(s):
    global _pyphen
    if _pyphen is None:
        import pyphen
        _pyphen = pyphen.Pyphen(lang="fr_FR", left=2, right=3)
    return WORD.sub(lambda m: _pyphen.inserted(m.group(0), hyphen="\u00ad"), s)


def runs(tokens, shy=False):
    out = []
    for t in tokens:
        if "note" in t:
            raise SystemExit("footnotes are not used in the HTML fixtures")
        s = escape(t["t"], quote=False)
        if shy:
            s = soft_hyphens(s)
        out.append("<i>%s</i>" % s if t["i"] else s)
    return "".join(out)


def page(title, css, body, lang="fr"):
    return ("<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n"
            "<style>\n%s</style>\n</head>\n<body>\n%s</body>\n</html>\n" % (lang, escape(title), css, body))


WEASY_CSS = """@page {
  size: A4; margin: 2.2cm 1.8cm 2cm 1.8cm;
  @top-center { content: "%(title)s"; font: italic 9pt "DejaVu Serif"; }
  @bottom-center { content: counter(page); font: 9pt "DejaVu Serif"; }
}
@page :first { @top-center { content: none; } @bottom-center { content: none; } }
html { font-family: "DejaVu Serif"; font-size: 9.5pt; line-height: 1.35; }
.titlepage { break-after: page; text-align: center; padding-top: 8cm; }
.titlepage h1 { font-size: 24pt; margin: 0 0 1cm 0; }
.titlepage p { font-size: 14pt; font-style: italic; text-align: center; text-indent: 0; }
h2 { text-align: center; font-size: 14pt; margin: 0.8cm 0 0.5cm 0; }
.cols { column-count: 2; column-gap: 0.8cm; text-align: justify; hyphens: auto; }
.cols p { margin: 0; text-indent: 1.2em; }
"""

CHROME_CSS = """body { font-family: "Liberation Serif"; font-size: 13pt; line-height: 1.4; margin: 0 1.5em; }
.titlepage { break-after: page; text-align: center; padding-top: 35vh; }
.titlepage h1 { font-size: 26pt; margin-bottom: 1em; }
.titlepage p { font-size: 15pt; text-align: center; text-indent: 0; }
h2 { text-align: center; font-size: 17pt; margin: 1.2em 0 1em 0; break-before: page; }
p { text-align: justify; text-indent: 1.5em; margin: 0 0 0.15em 0; }
"""

MUPDF_CSS = """@page { margin: 1.6cm 1.5cm; }
body { font-size: 11pt; line-height: 1.3; }
.titlepage { page-break-after: always; text-align: center; }
.titlepage h1 { margin-top: 6em; font-size: 22pt; }
.titlepage p { font-size: 14pt; font-style: italic; text-align: center; text-indent: 0; }
h2 { text-align: center; font-size: 15pt; margin: 1.5em 0 1em 0; page-break-before: always; }
p { text-align: justify; text-indent: 1.4em; margin: 0; }
"""


def title_page(ex):
    return ('<section class="titlepage">\n<h1>%s</h1>\n<p>%s</p>\n</section>\n'
            % (escape(ex["book_title"]), escape(ex["author_line"])))


def weasyprint(ex):
    body = [title_page(ex)]
    for ch in ex["chapters"]:
        body.append("<h2>%s</h2>\n<div class=\"cols\">\n" % escape(ch["title"]))
        body += ["<p>%s</p>\n" % runs(p) for p in ch["tokens"]]
        body.append("</div>\n")
    css = WEASY_CSS % {"title": ex["book_title"].replace('"', '\\"')}
    return page(ex["book_title"], css, "".join(body))


def chromium(ex):
    body = [title_page(ex)]
    for ch in ex["chapters"]:
        body.append("<h2>%s</h2>\n" % escape(ch["title"]))
        body += ["<p>%s</p>\n" % runs(p, shy=True) for p in ch["tokens"]]
    return page(ex["book_title"], CHROME_CSS, "".join(body))


def mupdf(ex):
    body = [title_page(ex)]
    for ch in ex["chapters"]:
        body.append("<h2>%s</h2>\n" % escape(ch["title"]))
        body += ["<p>%s</p>\n" % runs(p) for p in ch["tokens"]]
    return page(ex["book_title"], MUPDF_CSS, "".join(body))


def chromium_long(path, xid, title, author):
    import eltec
    e = eltec.Eltec(path)
    blocks = eltec.blocks(e.tei(xid))
    body = ['<section class="titlepage">\n<h1>%s</h1>\n<p>%s</p>\n</section>\n' % (escape(title), escape(author))]
    for kind, payload in blocks:
        if kind == "part":
            body.append("<h1 class=\"part\">%s</h1>\n" % escape(" — ".join(payload)))
        elif kind == "chapter":
            body.append("<h2>%s</h2>\n" % escape(" — ".join(payload)))
        elif kind == "p":
            body.append("<p>%s</p>\n" % runs([{"t": t, "i": i} for t, i in payload], shy=True))
        elif kind == "verse":
            body.append("<p class=\"verse\">%s</p>\n" % runs([{"t": t, "i": i} for t, i in payload]))
        elif kind == "break":
            body.append("<p class=\"verse\">*   *   *</p>\n")
    css = "@page { size: A5; }\n" + CHROME_CSS + \
        "h1.part { break-before: page; text-align: center; margin-top: 30vh; }\nh1.part + h2 { break-before: avoid; }\n" \
        "p.verse { text-align: center; text-indent: 0; }\n"
    return page(title, css, "".join(body))


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "chromium-long":
        path, xid, title, author, out = sys.argv[2:7]
        text = chromium_long(path, xid, title, author)
    else:
        ex = json.load(open(sys.argv[2], encoding="utf-8"))
        out = sys.argv[3]
        text = {"weasyprint": weasyprint, "chromium": chromium, "mupdf": mupdf}[kind](ex)
    open(out, "w", encoding="utf-8").write(text)
