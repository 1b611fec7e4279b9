#!/usr/bin/env python3
"""ReportLab Platypus PDF with the base-14 fonts Times-Roman / Times-Bold / Times-Italic
(standard fonts, NOT embedded), justified paragraphs, running head (book title) and
page number drawn in onPage callbacks, chapter headings; also plain ragged-right
12 pt pages for the OCR fixture and whole novels for the benchmark books.

  mk_reportlab.py fixture EXCERPT.json OUT.pdf
  mk_reportlab.py ocr-source EXCERPT.json OUT.pdf      (ragged right, no hyphenation, 12 pt)
  mk_reportlab.py long ELTEC_PATH XID "Title" "Author" OUT.pdf
"""
import json
import sys
from xml.sax.saxutils import escape

from reportlab import rl_config

rl_config.invariant = 1  # fixed dates and document ID: deterministic output

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer


def markup(tokens):
    out = []
    for t in tokens:
        if "note" in t:
            raise SystemExit("footnotes are not used in the ReportLab fixture")
        s = escape(t["t"])
        out.append("<i>%s</i>" % s if t["i"] else s)
    return "".join(out)


def styles(size=11, align=TA_JUSTIFY, indent=14):
    body = ParagraphStyle("body", fontName="Times-Roman", fontSize=size, leading=size * 1.3,
                          alignment=align, firstLineIndent=indent, spaceAfter=1)
    head = ParagraphStyle("head", fontName="Times-Bold", fontSize=size + 6, leading=size + 10,
                          alignment=TA_CENTER, spaceBefore=30, spaceAfter=18)
    title = ParagraphStyle("title", fontName="Times-Bold", fontSize=26, leading=32, alignment=TA_CENTER,
                           spaceBefore=6 * cm, spaceAfter=1 * cm)
    author = ParagraphStyle("author", fontName="Times-Italic", fontSize=15, leading=20, alignment=TA_CENTER)
    return body, head, title, author


def build(out, book_title, author_line, chapters, pagesize=A4, size=11, margins=(2.5 * cm, 2.2 * cm),
          furniture=True, align=TA_JUSTIFY, indent=14, title_page=True, newpage_chapters=False, meta_author=""):
    body, head, title, author = styles(size, align, indent)
    story = []
    if title_page:
        story += [Paragraph(escape(book_title), title), Paragraph(escape(author_line), author), PageBreak()]
    for n, (heading, paras) in enumerate(chapters):
        if n and newpage_chapters:
            story.append(PageBreak())
        if heading:
            story.append(Paragraph(escape(heading), head))
        story += [Paragraph(p, body) for p in paras]

    def later(canvas, doc):
        if not furniture:
            return
        canvas.saveState()
        w, h = pagesize
        canvas.setFont("Times-Italic", 9)
        canvas.drawCentredString(w / 2, h - margins[1] + 0.8 * cm, book_title)
        canvas.setFont("Times-Roman", 9)
        canvas.drawCentredString(w / 2, margins[1] - 1.0 * cm, str(doc.page))
        canvas.restoreState()

    def first(canvas, doc):
        if not title_page:
            later(canvas, doc)

    doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=margins[0], rightMargin=margins[0],
                            topMargin=margins[1], bottomMargin=margins[1], title=book_title,
                            author=meta_author, creator="ReportLab Platypus (scripts/producers/mk_reportlab.py)")
    doc.build(story, onFirstPage=first, onLaterPages=later)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd in ("fixture", "ocr-source"):
        ex = json.load(open(sys.argv[2], encoding="utf-8"))
        chapters = [(ch["title"], [markup(p) for p in ch["tokens"]]) for ch in ex["chapters"]]
        if cmd == "fixture":
            build(sys.argv[3], ex["book_title"], ex["author_line"], chapters, newpage_chapters=True,
                  meta_author=ex["source"]["author"])
        else:
            # the "scan": plain 12 pt serif, ragged right, no hyphenation, no furniture
            build(sys.argv[3], ex["book_title"], ex["author_line"], chapters, size=12, align=TA_LEFT,
                  furniture=False, title_page=False, margins=(2.5 * cm, 2.5 * cm),
                  meta_author=ex["source"]["author"])
    elif cmd == "long":
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        import eltec
        path, xid, title, author, out = sys.argv[2:7]
        e = eltec.Eltec(path)
        chapters = []
        cur = None
        for kind, payload in eltec.blocks(e.tei(xid)):
            if kind in ("part", "chapter"):
                cur = (" — ".join(payload), [])
                chapters.append(cur)
            else:
                if cur is None:
                    cur = ("", [])
                    chapters.append(cur)
                if kind == "break":
                    cur[1].append("*   *   *")
                else:
                    cur[1].append(markup([{"t": t, "i": i} for t, i in payload]))
        build(out, title, author, chapters, pagesize=A5, size=10, margins=(1.5 * cm, 1.6 * cm),
              newpage_chapters=True, meta_author=author)
    else:
        raise SystemExit(__doc__)
