#!/usr/bin/env python3
"""Other held-out fixtures.

  mk_misc.py groff      -> groff_ragged.pdf  groff -ms, US letter, Palatino 12pt, ragged right, no indent +
                                              space between paragraphs, "CHAPITRE PREMIER" / title headings
                                              mid-page, LH/RH running heads, page number bottom right
  mk_misc.py weasy      -> weasy_a5.pdf      WeasyPrint A5, Liberation Serif 10pt, ragged right, paragraph
                                              spacing, outer running heads + outer page numbers at the foot,
                                              "1." headings, a sung verse quotation (real ELTeC <quote>)
  mk_misc.py reportlab  -> rl_pocket.pdf     ReportLab, DejaVu Serif TTF embedded, 11x18 cm, 9pt justified,
                                              two-line headings mid-page, page number top outer + centred
                                              running head, a '*' footnote drawn at the page foot
  mk_misc.py chromium   -> chromium_sans.pdf Chromium print-to-pdf, no default header/footer, CSS @page margin
                                              boxes, US letter, Liberation Sans 11pt, justified, paragraph
                                              spacing, part title + "– 1 –" heading, epigraph, dialogue-heavy
  mk_misc.py mutool     -> mutool_plain.pdf  mutool convert HTML, 11x18 cm, DejaVu Serif 9.5pt via @font-face,
                                              headings in BODY SIZE bold "I. — Title" mid-page, no furniture
"""
import os
import sys
from html import escape
from xml.sax.saxutils import escape as xesc

import common as C

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")


def bdir(name):
    d = os.path.join(BUILD, name)
    os.makedirs(d, exist_ok=True)
    return d


# --------------------------------------------------------------------------- groff
def groff_esc(s):
    s = s.replace("\\", "\\[rs]").replace("'", "\\[aq]")
    return s


def groff_line(s):
    s = groff_esc(s)
    return "\\&" + s if s.startswith((".", "'")) else s


def groff():
    xid = "FRA04401"  # Barbusse, Le Feu
    title, author = "Le Feu", "Henri Barbusse"
    sub = "Journal d'une escouade"
    blocks = [("title", [author, title, sub])]
    for ch, w in ((0, None), (1, 750)):
        h = C.heads(xid, ch)[0]
        num, rest = h.split(" ", 1)[0], h.split(" ", 1)[1]
        num2, name = rest.split(" ", 1)
        blocks.append(("chapter", ["%s %s" % (num, num2), name]))
        blocks += C.cut(xid, ch, w)
    out = ['.\\" groff -k -mfr -ms -Tps -P-pletter',
           ".pl 11i", ".fam P", ".nr PS 12", ".nr VS 15", ".nr PI 0", ".nr PD 0.6v", ".nr LL 6.3i", ".nr PO 1.1i",
           ".nr HM 0.9i", ".nr FM 1i",
           ".ds LH \\fI%s\\fP" % groff_esc(title), ".ds CH", ".ds RH \\s-2%s\\s+2" % groff_esc(author.upper()),
           ".ds LF", ".ds CF", ".ds RF %",
           ".na",
           # title page by hand (no .RP): centred lines, then a new page
           ".LP", ".sp 2.5i", ".ce 3", "\\s+2%s\\s-2" % groff_esc(author), ".sp 0.5i", "\\s[+14]\\fB%s\\fP\\s[-14]" % groff_esc(title),
           ".sp 0.3i", "\\fI%s\\fP" % groff_esc(sub), ".bp"]
    first = True
    for kind, p in blocks:
        if kind == "chapter":
            if not first:
                out.append(".sp 2")
            first = False
            out += [".LP", ".ne 6", ".ce 2", "\\s+2\\fB%s\\fP\\s-2" % groff_esc(p[0]), "\\fI%s\\fP" % groff_esc(p[1]), ".sp 1"]
        elif kind == "p":
            out.append(".PP")
            out.append(".na")
            txt = "".join(("\\fI%s\\fP" % groff_esc(t["t"])) if t["i"] else groff_esc(t["t"]) for t in p)
            out.append("\\&" + txt if txt.startswith((".", "'")) else txt)
    d = bdir("groff")
    src = os.path.join(d, "groff_ragged.ms")
    open(src, "w", encoding="utf-8").write("\n".join(out) + "\n")
    ps = C.sh("groff", "-k", "-mfr", "-ms", "-Tps", "-P-pletter", src)
    open(os.path.join(d, "groff_ragged.ps"), "w", encoding="latin-1", errors="replace").write(ps)
    import subprocess
    subprocess.run("groff -k -mfr -ms -Tps -P-pletter %s > %s/g.ps && ps2pdf -sPAPERSIZE=letter %s/g.ps %s/groff_ragged.pdf"
                   % (src, d, d, HERE), shell=True, check=True)
    pdf = os.path.join(HERE, "groff_ragged.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "groff -k -mfr -ms -Tps -P-pletter | ps2pdf: US letter, Palatino (groff P family = URW P052 "
                      "via Ghostscript) 12/15pt, ragged right (.na) with French hyphenation, NO paragraph indent "
                      "(PI 0) and 0.6v between paragraphs; hand-made title page; headings = bold 'CHAPITRE PREMIER' "
                      "+ italic title line, centred, the 2nd chapter starting mid-page; running head: book title "
                      "left (italic), author right (caps, smaller); page number bottom right; ms puts no header on "
                      "page 1",
                      furniture=[title, author.upper()])
    C.write_ref(os.path.join(HERE, "groff_ragged.json"), ref)


# --------------------------------------------------------------------------- weasyprint
def html_runs(tokens):
    out = []
    for t in tokens:
        if "note" in t:
            out.append('<span class="fn">%s</span>' % escape(t["text"]))
        else:
            s = escape(t["t"], quote=False)
            out.append("<i>%s</i>" % s if t["i"] else s)
    return "".join(out)


def page(title, css, body):
    return ('<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n<title>%s</title>\n'
            "<style>\n%s</style>\n</head>\n<body>\n%s</body>\n</html>\n" % (escape(title), css, body))


def weasy():
    xid = "FRA03001"  # Ohnet, La Grande Marnière (ch. I has a sung verse quote)
    title, author = "La Grande Marnière", "Georges Ohnet"
    blocks = [("title", [title, author])]
    b0 = C.cut(xid, 0)
    vi = [i for i, b in enumerate(b0) if b[0] == "verse"][0]
    blocks.append(("chapter", ["1."]))
    blocks += b0[:vi + 5]  # from the chapter start to 4 paragraphs after the song
    blocks.append(("chapter", ["2."]))
    blocks += C.cut(xid, 1, 450)
    css = """@page { size: A5; margin: 1.6cm 1.4cm 1.8cm 1.4cm; }
@page :left { @top-left { content: "%(author)s"; font: 8pt "Liberation Serif"; letter-spacing: 0.05em; }
              @bottom-left { content: counter(page); font: 9pt "Liberation Serif"; } }
@page :right { @top-right { content: "%(title)s"; font: italic 8pt "Liberation Serif"; }
               @bottom-right { content: counter(page); font: 9pt "Liberation Serif"; } }
@page :first { @top-right { content: none; } @bottom-right { content: none; } }
html { font-family: "Liberation Serif"; font-size: 9.5pt; line-height: 1.25; }
.titlepage { break-after: page; text-align: center; padding-top: 5cm; }
.titlepage h1 { font-size: 22pt; font-weight: normal; margin: 0 0 0.6cm 0; }
.titlepage p { font-size: 12pt; font-variant: small-caps; text-align: center; }
h2 { break-before: page; text-align: center; font-size: 16pt; font-weight: bold; margin: 2.5cm 0 1cm 0; }
p { text-align: left; text-indent: 0; margin: 0 0 0.5em 0; hyphens: manual; }
.verse { margin: 0.6em 0 0.8em 2.2em; font-style: italic; }
.verse p { margin: 0; }
""" % {"title": title, "author": author.upper()}
    body = []
    for kind, p in blocks:
        if kind == "title":
            body.append('<section class="titlepage"><h1>%s</h1><p>%s</p></section>\n' % (escape(p[0]), escape(p[1])))
        elif kind == "chapter":
            body.append("<h2>%s</h2>\n" % escape(p[0]))
        elif kind == "p":
            body.append("<p>%s</p>\n" % html_runs(p))
        elif kind == "verse":
            body.append('<div class="verse">%s</div>\n' % "".join("<p>%s</p>" % escape(l) for l in p))
    d = bdir("weasy")
    src = os.path.join(d, "weasy_a5.html")
    open(src, "w", encoding="utf-8").write(page(title, css, "".join(body)))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    import subprocess
    subprocess.run(["weasyprint", src, os.path.join(HERE, "weasy_a5.pdf")], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    pdf = os.path.join(HERE, "weasy_a5.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "WeasyPrint HTML: A5, Liberation Serif 10pt / 1.3, ragged right, no hyphenation, NO indent, "
                      "0.5em between paragraphs; title page; chapter headings are just '1.' / '2.' (16pt bold, new "
                      "page); a 5-line sung verse (ELTeC <quote type=song>) set as an indented italic block (each "
                      "line is a reference paragraph); running heads on the OUTER side (verso: author in caps top "
                      "left; recto: italic title top right), page numbers at the foot on the outer side",
                      furniture=[title, author.upper()])
    C.write_ref(os.path.join(HERE, "weasy_a5.json"), ref)


# --------------------------------------------------------------------------- reportlab
def reportlab():
    from reportlab import rl_config
    rl_config.invariant = 1
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import (BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph, Spacer,
                                    CondPageBreak)
    from reportlab.lib.fonts import addMapping

    ddir = "/usr/share/fonts/truetype/dejavu/"
    for nm, f in (("DejaVuSerif", "DejaVuSerif.ttf"), ("DejaVuSerif-Bold", "DejaVuSerif-Bold.ttf"),
                  ("DejaVuSerif-Italic", "DejaVuSerif-Italic.ttf"), ("DejaVuSerif-BoldItalic", "DejaVuSerif-BoldItalic.ttf")):
        pdfmetrics.registerFont(TTFont(nm, ddir + f))
    addMapping("DejaVuSerif", 0, 0, "DejaVuSerif")
    addMapping("DejaVuSerif", 1, 0, "DejaVuSerif-Bold")
    addMapping("DejaVuSerif", 0, 1, "DejaVuSerif-Italic")
    addMapping("DejaVuSerif", 1, 1, "DejaVuSerif-BoldItalic")

    xid = "FRA04601"  # Bazin, Le blé qui lève
    title, author = "Le blé qui lève", "René Bazin"
    blocks = [("title", [title, author])]
    b0 = C.cut(xid, 0, 900)
    note = "Celles de la côte atlantique, à plus de cent kilomètres de là."
    blocks += [("chapter", C.heads(xid, 0))] + b0
    blocks += [("chapter", C.heads(xid, 1))] + C.cut(xid, 1, 500)
    W, H = 11 * cm, 18 * cm
    body = ParagraphStyle("b", fontName="DejaVuSerif", fontSize=9, leading=11.3, alignment=TA_JUSTIFY,
                          firstLineIndent=12)
    h1 = ParagraphStyle("h1", fontName="DejaVuSerif", fontSize=9, leading=12, alignment=TA_CENTER,
                        spaceBefore=22, spaceAfter=2)
    h2 = ParagraphStyle("h2", fontName="DejaVuSerif-Bold", fontSize=11, leading=14, alignment=TA_CENTER,
                        spaceAfter=14)
    tt = ParagraphStyle("t", fontName="DejaVuSerif", fontSize=20, leading=24, alignment=TA_CENTER, spaceBefore=4 * cm,
                        spaceAfter=0.8 * cm)
    ta = ParagraphStyle("a", fontName="DejaVuSerif-Italic", fontSize=11, leading=14, alignment=TA_CENTER)
    story = []
    fn_state = {"page": None}
    for kind, p in blocks:
        if kind == "title":
            story += [Paragraph(xesc(p[0]), tt), Paragraph(xesc(p[1]), ta), PageBreak()]
        elif kind == "chapter":
            story += [CondPageBreak(3 * cm), Paragraph(xesc(p[0].upper()), h1), Paragraph(xesc(p[1]), h2)]
        elif kind == "p":
            story.append(Paragraph("".join(("<i>%s</i>" % xesc(t["t"])) if t["i"] else xesc(t["t"]) for t in p), body))
    # a footnote: marker '*' after "bûcherons" in the first paragraph, note drawn at the foot of that page
    first_p = [i for i, s in enumerate(story) if isinstance(s, Paragraph) and s.style is body][0]
    txt = story[first_p].text
    k = txt.find("falaises")
    anchor_para = None
    if k < 0:
        k = txt.find(" ", 40)
    else:
        k += len("falaises")
    story[first_p] = Paragraph(txt[:k] + '<super rise="3" size="6">*</super>' + txt[k:], body)
    anchor_para = story[first_p]  # the reference text has no marker: nothing to change in `blocks`
    margins = dict(l=1.3 * cm, r=1.1 * cm, t=1.6 * cm, b=1.5 * cm)

    class Doc(BaseDocTemplate):
        def afterFlowable(self, fl):
            if fl is anchor_para:
                fn_state["page"] = self.page

    def on_page(canv, doc):
        if doc.page == 1:
            return
        canv.saveState()
        canv.setFont("DejaVuSerif", 7.5)
        y = H - 1.0 * cm
        if doc.page % 2:
            canv.drawRightString(W - margins["r"], y, str(doc.page))
        else:
            canv.drawString(margins["l"], y, str(doc.page))
        canv.setFont("DejaVuSerif-Italic", 7.5)
        canv.drawCentredString(W / 2, y, title)
        if fn_state["page"] == doc.page or (fn_state["page"] is None and doc.page == 2):
            canv.setLineWidth(0.4)
            canv.line(margins["l"], margins["b"] - 0.05 * cm, margins["l"] + 2.5 * cm, margins["b"] - 0.05 * cm)
            canv.setFont("DejaVuSerif", 7)
            canv.drawString(margins["l"], margins["b"] - 0.4 * cm, "* " + note)
        canv.restoreState()

    d = bdir("reportlab")
    doc = Doc(os.path.join(HERE, "rl_pocket.pdf"), pagesize=(W, H), leftMargin=margins["l"],
              rightMargin=margins["r"], topMargin=margins["t"], bottomMargin=margins["b"], title=title,
              author=author, creator="ReportLab Platypus (scripts/producers/more/mk_misc.py)")
    frame = Frame(margins["l"], margins["b"], W - margins["l"] - margins["r"], H - margins["t"] - margins["b"],
                  id="f", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="p", frames=[frame], onPage=on_page)])
    doc.build(story)
    pdf = os.path.join(HERE, "rl_pocket.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "ReportLab Platypus: 11x18 cm pocket page, DejaVu Serif TTF embedded (subset), 9/11.3pt "
                      "justified (ReportLab does not hyphenate), 12pt first-line indent; title page; headings = "
                      "'CHAPITRE 1' (body size, caps) + bold title line, centred, following the text on the same "
                      "page (CondPageBreak only); header drawn in onPage: page number on the OUTER side + centred "
                      "italic title on the same baseline; one footnote ('*' superscript after 'falaises', note "
                      "text drawn at the page foot below a short rule, 7pt)",
                      furniture=[title])
    ref["footnotes"] = [note]
    C.write_ref(os.path.join(HERE, "rl_pocket.json"), ref)
    # headings printed in capitals
    ref["chapters"][0]["title"] = ref["chapters"][0]["title"].replace("Chapitre 1", "CHAPITRE 1")
    ref["chapters"][1]["title"] = ref["chapters"][1]["title"].replace("Chapitre 2", "CHAPITRE 2")
    C.write_ref(os.path.join(HERE, "rl_pocket.json"), ref)


# --------------------------------------------------------------------------- chromium
def chromium():
    import subprocess
    import tempfile
    xid = "FRA07401"  # Leblanc, 813
    title, author = "813", "Maurice Leblanc"
    blocks = [("title", [author, title, "Les trois crimes d'Arsène Lupin"])]
    hs = C.heads(xid, 0)  # ['LE MASSACRE', '– 1 –']
    blocks.append(("part", hs[0]))
    blocks.append(("chapter", [hs[1]]))
    blocks.append(("epigraph", ["« Il y a des jours où je voudrais être seul au monde. »", "Arsène Lupin."]))
    blocks += C.cut(xid, 0, 1100)
    blocks.append(("chapter", C.heads(xid, 1)))
    blocks += C.cut(xid, 1, 550)
    css = """@page { size: letter; margin: 2.2cm 2.4cm 2.4cm 2.4cm;
  @top-center { content: "%(author)s — %(title)s"; font: 8.5pt "Liberation Sans"; color: #555; }
  @bottom-center { content: "– " counter(page) " –"; font: 9pt "Liberation Sans"; } }
@page :first { @top-center { content: none; } @bottom-center { content: none; } }
@page part { @top-center { content: none; } }
html { font-family: "Liberation Sans"; font-size: 11pt; line-height: 1.45; }
body { margin: 0; }
.titlepage { break-after: page; text-align: center; padding-top: 6cm; }
.titlepage .a { font-size: 14pt; letter-spacing: 0.1em; text-transform: uppercase; }
.titlepage h1 { font-size: 40pt; margin: 0.8cm 0; }
.titlepage .s { font-size: 13pt; font-style: italic; }
h1.part { page: part; break-before: page; break-after: page; text-align: center; font-size: 20pt; padding-top: 8cm; letter-spacing: 0.15em; }
h2 { text-align: center; font-size: 15pt; font-weight: normal; margin: 1.8em 0 1.2em 0; }
.epi { margin: 0 0 1.6em 45%%; font-size: 9.5pt; font-style: italic; }
.epi p { text-align: left; margin: 0; }
.epi p.who { text-align: right; font-style: normal; }
p { text-align: justify; text-indent: 0; margin: 0 0 0.55em 0; }
""" % {"title": title, "author": author}
    body = []
    for kind, p in blocks:
        if kind == "title":
            body.append('<section class="titlepage"><div class="a">%s</div><h1>%s</h1><div class="s">%s</div></section>\n'
                        % tuple(escape(s) for s in p))
        elif kind == "part":
            body.append('<h1 class="part">%s</h1>\n' % escape(p))
        elif kind == "chapter":
            body.append("<h2>%s</h2>\n" % escape(p[0]))
        elif kind == "epigraph":
            body.append('<div class="epi"><p>%s</p><p class="who">%s</p></div>\n' % (escape(p[0]), escape(p[1])))
        elif kind == "p":
            body.append("<p>%s</p>\n" % html_runs(p))
    d = bdir("chromium")
    src = os.path.join(d, "chromium_sans.html")
    open(src, "w", encoding="utf-8").write(page(title, css, "".join(body)))
    prof = tempfile.mkdtemp(dir=d)
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-pdf-header-footer", "--user-data-dir=" + prof,
                    "--print-to-pdf=" + os.path.join(HERE, "chromium_sans.pdf"), "file://" + src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", prof])
    pdf = os.path.join(HERE, "chromium_sans.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "Chromium --headless --print-to-pdf --no-pdf-header-footer, CSS paged media: US letter, "
                      "Liberation Sans 11pt/1.45 (a sans-serif body), justified, no hyphenation, NO indent, 0.55em "
                      "between paragraphs; title page (author, big title, subtitle); a part page 'LE MASSACRE' "
                      "alone; chapter headings '– 1 –' / '– 2 –' (15pt regular, the 2nd mid-page); an epigraph "
                      "(invented for the test, attributed to Lupin) right of centre in italics under '– 1 –'; "
                      "@page margin boxes: centred grey running head 'author — title', page number '– n –' "
                      "centred at the foot. Very dialogue-heavy text.",
                      furniture=["%s — %s" % (author, title)])
    C.write_ref(os.path.join(HERE, "chromium_sans.json"), ref)


# --------------------------------------------------------------------------- mutool
def mutool(name="mutool_plain", font="/usr/share/fonts/truetype/dejavu/DejaVuSerif", fontdesc="DejaVu Serif"):
    import subprocess
    xid = "FRA02802"  # Mirbeau, La Maréchale
    title, author = "La Maréchale", "Octave Mirbeau"
    blocks = [("title", [title, author])]
    for ch, w in ((0, 900), (1, 700)):
        num, chname = C.heads(xid, ch)[0].split(" -- ")
        blocks.append(("chapter", ["%s. — %s" % (num, chname)]))
        blocks += C.cut(xid, ch, w)
    css = """@font-face { font-family: "DV"; src: url("%(f)s%(r)s.ttf"); }
@font-face { font-family: "DV"; font-style: italic; src: url("%(f)s-Italic.ttf"); }
@font-face { font-family: "DV"; font-weight: bold; src: url("%(f)s-Bold.ttf"); }
@page { size: 11cm 18cm; margin: 1.3cm 1.2cm 1.4cm 1.2cm; }
body { font-family: "DV"; font-size: 9.5pt; line-height: 1.3; }
.titlepage { page-break-after: always; text-align: center; }
.titlepage h1 { margin-top: 5em; font-size: 18pt; }
.titlepage p { font-size: 11pt; text-align: center; text-indent: 0; }
h2 { text-align: left; font-size: 9.5pt; font-weight: bold; margin: 1.6em 0 0.6em 0; }
p { text-align: justify; text-indent: 1.2em; margin: 0; }
""".replace("%(r)s", "-Regular" if "liberation" in font else "").replace("%(f)s", font)
    body = []
    for kind, p in blocks:
        if kind == "title":
            body.append('<div class="titlepage"><h1>%s</h1><p>%s</p></div>\n' % (escape(p[0]), escape(p[1])))
        elif kind == "chapter":
            body.append("<h2>%s</h2>\n" % escape(p[0]))
        elif kind == "p":
            body.append("<p>%s</p>\n" % html_runs(p))
        elif kind == "break":
            body.append('<p style="text-align:center;text-indent:0">* * *</p>\n')
    d = bdir(name)
    src = os.path.join(d, name + ".html")
    open(src, "w", encoding="utf-8").write(page(title, css, "".join(body)))
    out = os.path.join(HERE, name + ".pdf")
    if os.path.exists(out):
        os.remove(out)
    subprocess.run(["mutool", "convert", "-W", "312", "-H", "510", "-O", "compress,compress-fonts,garbage", "-o", out, src], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ref = C.reference(blocks, out, xid,
                      "mutool convert -W 312 -H 510 (HTML layout size; @page size is ignored) → PDF: 11x18 cm, " + fontdesc + " 9.5pt via @font-face (full TTF embedded), "
                      "justified with first-line indent, no hyphenation; title page; chapter headings 'I. — Un "
                      "mardi aux Français' set in BODY SIZE bold, left-aligned, starting mid-page right after the "
                      "previous chapter's text; no running heads, no page numbers",
                      furniture=[])
    C.write_ref(os.path.join(HERE, name + ".json"), ref)


def mutool_lib():
    mutool("mutool_lib", "/usr/share/fonts/truetype/liberation2/LiberationSerif", "Liberation Serif")


# --------------------------------------------------------------------------- weasyprint drop caps
def dropcap():
    import subprocess
    xid = "FRA01501"  # Anatole France, Les dieux ont soif
    title, author = "Les dieux ont soif", "Anatole France"
    blocks = [("title", [author, title])]
    names = ["CHAPITRE PREMIER", "CHAPITRE II"]
    for ch, w in ((0, 700), (1, 600)):
        blocks.append(("chapter", [names[ch]]))
        blocks += C.cut(xid, ch, w)
    css = """@page { size: 12.5cm 19cm; margin: 2cm 1.5cm 1.6cm 1.6cm;
  @top-center { content: "— " counter(page) " —"; font: 8.5pt "DejaVu Serif"; } }
@page :first { @top-center { content: none; } }
html { font-family: "DejaVu Serif"; font-size: 9pt; line-height: 1.35; }
.titlepage { break-after: page; text-align: center; padding-top: 4.5cm; }
.titlepage .a { font-size: 11pt; font-variant: small-caps; }
.titlepage h1 { font-size: 20pt; font-weight: normal; margin-top: 0.6cm; }
h2 { break-before: page; text-align: center; font-size: 9pt; font-weight: normal; letter-spacing: 0.25em;
     margin: 2.2cm 0 0.2cm 0; }
.orn { text-align: center; font-size: 12pt; margin: 0 0 0.9cm 0; text-indent: 0; }
p { text-align: justify; hyphens: auto; text-indent: 1.3em; margin: 0; }
p.first { text-indent: 0; }
p.first::first-letter { float: left; font-size: 30pt; line-height: 1; margin: 0.02em 0.08em 0 0; }
p.first::first-line { font-variant: small-caps; }
"""
    body = []
    first = False
    for kind, p in blocks:
        if kind == "title":
            body.append('<section class="titlepage"><div class="a">%s</div><h1>%s</h1></section>\n' % (escape(p[0]), escape(p[1])))
        elif kind == "chapter":
            body.append('<h2>%s</h2>\n<p class="orn">\u2766</p>\n' % escape(p[0]))
            first = True
        elif kind == "p":
            body.append('<p%s>%s</p>\n' % (' class="first"' if first else "", html_runs(p)))
            first = False
    d = bdir("dropcap")
    src = os.path.join(d, "dropcap.html")
    open(src, "w", encoding="utf-8").write(page(title, css, "".join(body)))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    subprocess.run(["weasyprint", src, os.path.join(HERE, "dropcap.pdf")], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    pdf = os.path.join(HERE, "dropcap.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "WeasyPrint HTML: 12.5x19 cm, DejaVu Serif 9pt / 1.35, justified, hyphens:auto (lang fr, "
                      "drawn as U+2010), first-line indent; title page (author in small caps above the title); "
                      "chapter = letter-spaced 'CHAPITRE PREMIER' / 'CHAPITRE II' in BODY SIZE on a new page, then an "
                      "ornament U+2766, then the first paragraph with a 30pt DROP CAP (::first-letter float, ~2.5 "
                      "lines tall) and its first line in small caps (font-variant: small-caps, synthesised by "
                      "WeasyPrint as smaller capitals); page number centred at the TOP '— n —', no running head",
                      furniture=[])
    C.write_ref(os.path.join(HERE, "dropcap.json"), ref)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        globals()[name]()
