#!/usr/bin/env python3
"""Office-made held-out fixtures (LibreOffice Writer → PDF).

  mk_office.py lo_tocend   -> lo_tocend.pdf  .fodt, US letter, DejaVu Serif 10pt ragged-right, NO first-line
                                               indent (space between paragraphs), mirrored header with the page
                                               number on the OUTER side at the TOP, "Chapitre N : Titre" headings
                                               mid-page (no page break), scene break, TOC at the END
  mk_office.py docx        -> docx.pdf       python-docx .docx (Word-like: Liberation Sans 11pt, spacing after,
                                               no indent, Heading 1 = bare roman numeral, page break before,
                                               centred header, PAGE field in footer) → soffice
Run with a venv with python-docx (pip install python-docx) (python-docx from pip).
"""
import os
import subprocess
import sys
from xml.sax.saxutils import escape as x

import common as C

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
PROFILE = "file://" + os.path.join(BUILD, "lo-profile")


def soffice(d, fname):
    C.sh("soffice", "-env:UserInstallation=" + PROFILE, "--headless", "--convert-to", "pdf", "--outdir", d,
         os.path.join(d, fname))
    return os.path.join(d, os.path.splitext(fname)[0] + ".pdf")


def runs_odt(tokens):
    out = []
    for t in tokens:
        if "note" in t:
            raise SystemExit("no notes here")
        out.append('<text:span text:style-name="TI">%s</text:span>' % x(t["t"]) if t["i"] else x(t["t"]))
    return "".join(out)


FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta><dc:title>{title}</dc:title><dc:language>fr-FR</dc:language></office:meta>
 <office:font-face-decls>
  <style:font-face style:name="DejaVu Serif" svg:font-family="'DejaVu Serif'" style:font-family-generic="roman" style:font-pitch="variable"/>
 </office:font-face-decls>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties style:writing-mode="lr-tb"/>
   <style:text-properties style:font-name="DejaVu Serif" fo:font-size="10pt" fo:language="fr" fo:country="FR" fo:hyphenate="false"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard" style:class="text">
   <style:paragraph-properties fo:text-align="start" fo:text-indent="0cm" fo:margin-top="0cm" fo:margin-bottom="0.3cm" fo:line-height="120%" fo:orphans="2" fo:widows="2"/>
  </style:style>
  <style:style style:name="Center" style:family="paragraph" style:parent-style-name="Text_20_body">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="0.2cm" fo:margin-bottom="0.5cm"/>
  </style:style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body" style:default-outline-level="1" style:class="text">
   <style:paragraph-properties fo:text-align="start" fo:margin-top="1.0cm" fo:margin-bottom="0.5cm" fo:keep-with-next="always"/>
   <style:text-properties fo:font-size="14pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="7cm" fo:margin-bottom="0.8cm"/>
   <style:text-properties fo:font-size="28pt"/>
  </style:style>
  <style:style style:name="Subtitle" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="0.3cm"/>
   <style:text-properties fo:font-size="14pt" fo:letter-spacing="0.05cm"/>
  </style:style>
  <style:style style:name="Publisher" style:family="paragraph" style:parent-style-name="Standard">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="9cm"/>
   <style:text-properties fo:font-size="10pt" fo:font-style="italic"/>
  </style:style>
  <style:style style:name="HeaderL" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:text-align="start"/>
   <style:text-properties fo:font-size="8.5pt" fo:letter-spacing="0.03cm"/>
  </style:style>
  <style:style style:name="HeaderR" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:text-align="end"/>
   <style:text-properties fo:font-size="8.5pt" fo:letter-spacing="0.03cm"/>
  </style:style>
  <style:style style:name="Contents_20_Heading" style:display-name="Contents Heading" style:family="paragraph" style:parent-style-name="Standard" style:class="index">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="1.5cm" fo:margin-bottom="1cm" fo:break-before="page"/>
   <style:text-properties fo:font-size="14pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Contents_20_1" style:display-name="Contents 1" style:family="paragraph" style:parent-style-name="Standard" style:class="index">
   <style:paragraph-properties fo:margin-bottom="0.25cm">
    <style:tab-stops><style:tab-stop style:position="16.5cm" style:type="right" style:leader-style="dotted" style:leader-text="."/></style:tab-stops>
   </style:paragraph-properties>
  </style:style>
 </office:styles>
 <office:automatic-styles>
  <style:style style:name="PTitle" style:family="paragraph" style:parent-style-name="Title" style:master-page-name="First_20_Page"/>
  <style:style style:name="PFirstBody" style:family="paragraph" style:parent-style-name="Text_20_body" style:master-page-name="Standard">
   <style:paragraph-properties style:page-number="auto" fo:break-before="page"/>
  </style:style>
  <style:style style:name="Sect1" style:family="section"/>
  <style:style style:name="TI" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
  <style:page-layout style:name="pm1" style:page-usage="mirrored">
   <style:page-layout-properties fo:page-width="21.59cm" fo:page-height="27.94cm" fo:margin-top="1.5cm" fo:margin-bottom="2.2cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm"/>
   <style:header-style><style:header-footer-properties fo:min-height="0.5cm" fo:margin-bottom="0.6cm"/></style:header-style>
  </style:page-layout>
  <style:page-layout style:name="pm2">
   <style:page-layout-properties fo:page-width="21.59cm" fo:page-height="27.94cm" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm"/>
  </style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">
   <style:header><text:p text:style-name="HeaderR">{title_uc}<text:s text:c="4"/><text:page-number text:select-page="current">1</text:page-number></text:p></style:header>
   <style:header-left><text:p text:style-name="HeaderL"><text:page-number text:select-page="current">1</text:page-number><text:s text:c="4"/>{author_uc}</text:p></style:header-left>
  </style:master-page>
  <style:master-page style:name="First_20_Page" style:display-name="First Page" style:page-layout-name="pm2" style:next-style-name="Standard"/>
 </office:master-styles>
 <office:body>
  <office:text text:use-soft-page-breaks="false">
"""


def toc(titles, pages):
    entries = "".join('    <text:p text:style-name="Contents_20_1">%s<text:tab/>%s</text:p>\n' % (x(t), p)
                      for t, p in zip(titles, pages))
    return """   <text:table-of-content text:style-name="Sect1" text:protected="true" text:name="Table des matières1">
    <text:table-of-content-source text:outline-level="1">
     <text:index-title-template text:style-name="Contents_20_Heading">Table des matières</text:index-title-template>
     <text:table-of-content-entry-template text:outline-level="1" text:style-name="Contents_20_1">
      <text:index-entry-text/><text:index-entry-tab-stop style:type="right" style:leader-char="."/><text:index-entry-page-number/>
     </text:table-of-content-entry-template>
    </text:table-of-content-source>
    <text:index-body>
     <text:index-title text:style-name="Sect1" text:name="Table des matières1_Head">
      <text:p text:style-name="Contents_20_Heading">Table des matières</text:p>
     </text:index-title>
%s    </text:index-body>
   </text:table-of-content>
""" % entries


def lo_tocend():
    xid = "FRA07601"  # Leroux, La Reine du Sabbat
    title, author = "La Reine du Sabbat", "Gaston Leroux"
    titles = ["Reginald", "Une petite fête intime à l'ambassade d'Austrasie",
              "Ce que Reginald trouva dans les couloirs de l'ambassade d'Austrasie"]
    blocks = [("title", [title, author, "Paris, Jules Tallandier, éditeur"])]
    for ch, w in ((0, 800), (1, 700), (2, 450)):
        blocks.append(("chapter", ["Chapitre %d : %s" % (ch + 1, titles[ch])]))
        blocks += C.cut(xid, ch, w)
    heads = [b[1][0] for b in blocks if b[0] == "chapter"]
    d = os.path.join(BUILD, "lo_tocend")
    os.makedirs(d, exist_ok=True)

    def fodt(pages):
        out = [FODT.format(title=x(title), title_uc=x(title.upper()), author_uc=x(author.upper()))]
        out.append('   <text:p text:style-name="PTitle">%s</text:p>\n' % x(title))
        out.append('   <text:p text:style-name="Subtitle">%s</text:p>\n' % x(author))
        out.append('   <text:p text:style-name="Publisher">Paris, Jules Tallandier, éditeur</text:p>\n')
        first = True
        for kind, p in blocks:
            if kind == "chapter":
                style = "Heading_20_1"
                if first:
                    # first heading starts the Standard master page
                    out.append('   <text:p text:style-name="PFirstBody"/>\n')
                    first = False
                out.append('   <text:h text:style-name="%s" text:outline-level="1">%s</text:h>\n' % (style, x(p[0])))
            elif kind == "p":
                out.append('   <text:p text:style-name="Text_20_body">%s</text:p>\n' % runs_odt(p))
            elif kind == "break":
                out.append('   <text:p text:style-name="Center">*<text:s text:c="3"/>*<text:s text:c="3"/>*</text:p>\n')
        out.append(toc(heads, pages))
        out.append("  </office:text>\n </office:body>\n</office:document>\n")
        return "".join(out)

    open(os.path.join(d, "lo_tocend.fodt"), "w", encoding="utf-8").write(fodt(["0"] * len(heads)))
    pdf = soffice(d, "lo_tocend.fodt")
    pages = []
    n = int(C.pdfinfo(pdf)["Pages"])
    for h in heads:
        for p in range(2, n + 1):
            t = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), pdf, "-"], capture_output=True, text=True).stdout
            if h[:30] in " ".join(t.split()) and "Table des mati" not in t:
                pages.append(str(p))
                break
    open(os.path.join(d, "lo_tocend.fodt"), "w", encoding="utf-8").write(fodt(pages))
    pdf = soffice(d, "lo_tocend.fodt")
    os.replace(pdf, os.path.join(HERE, "lo_tocend.pdf"))
    pdf = os.path.join(HERE, "lo_tocend.pdf")
    blocks.append(("toc", ["Table des matières"] + heads))
    ref = C.reference(blocks, pdf, xid,
                      "flat ODT → soffice --headless --convert-to pdf: US letter, DejaVu Serif 10pt, ragged right "
                      "(text-align start), no hyphenation, NO first-line indent, 0.3 cm space after each paragraph; "
                      "title page with a publisher line; 'Chapitre N : Titre' Heading 1 (14pt bold, left-aligned) "
                      "that do NOT start a new page; one '*   *   *' scene break; mirrored header: recto "
                      "'TITLE    page' right-aligned, verso 'page    AUTHOR' left-aligned (page number top outer), no "
                      "footer; table of contents at the END of the book (entries with dot leaders + page numbers, "
                      "2nd pass). Chapter titles re-cased from the ELTeC ALL-CAPS heads.",
                      furniture=[title.upper(), author.upper()])
    C.write_ref(os.path.join(HERE, "lo_tocend.json"), ref)


# --------------------------------------------------------------------------- docx
def docx_word():
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    xid = "FRA01101"  # Dombre, Une pupille gênante
    title, author = "Une pupille gênante", "Roger Dombre"
    blocks = [("title", [title, author])]
    for ch, w in ((0, 850), (1, 700)):
        blocks.append(("chapter", C.heads(xid, ch)))
        blocks += C.cut(xid, ch, w)
    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.5))
    sec.different_first_page_header_footer = True
    st = doc.styles["Normal"]
    st.font.name = "Liberation Sans"
    st.font.size = Pt(11)
    st.element.rPr.rFonts.set(qn("w:eastAsia"), "Liberation Sans")
    pf = st.paragraph_format
    pf.space_after = Pt(8)
    pf.line_spacing = 1.08
    h1 = doc.styles["Heading 1"]
    h1.font.name = "Liberation Sans"
    h1.font.size = Pt(16)
    h1.font.bold = False
    h1.font.color.rgb = RGBColor(0x2F, 0x54, 0x96)
    h1.paragraph_format.space_before = Pt(12)
    h1.paragraph_format.space_after = Pt(12)
    h1.paragraph_format.page_break_before = True
    tstyle = doc.styles["Title"]
    tstyle.font.name = "Liberation Sans"
    tstyle.font.size = Pt(28)
    # header/footer (not on the first page)
    hp = sec.header.paragraphs[0]
    hp.text = "%s – %s" % (author, title)
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for r in hp.runs:
        r.font.size = Pt(9)
        r.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    fp._p.append(fld)
    for kind, p in blocks:
        if kind == "title":
            para = doc.add_paragraph(p[0], style="Title")
            para.paragraph_format.space_before = Pt(200)
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            a = doc.add_paragraph(p[1])
            a.alignment = WD_ALIGN_PARAGRAPH.CENTER
            a.runs[0].font.size = Pt(16)
        elif kind == "chapter":
            doc.add_heading(" — ".join(p), level=1)
        elif kind == "p":
            para = doc.add_paragraph()
            for tk in p:
                run = para.add_run(tk["t"])
                run.italic = tk["i"] or None
    core = doc.core_properties
    core.title, core.author = title, author
    d = os.path.join(BUILD, "docx")
    os.makedirs(d, exist_ok=True)
    doc.save(os.path.join(d, "docx.docx"))
    pdf = soffice(d, "docx.docx")
    os.replace(pdf, os.path.join(HERE, "docx.pdf"))
    pdf = os.path.join(HERE, "docx.pdf")
    ref = C.reference(blocks, pdf, xid,
                      "python-docx %s → .docx (Word defaults imitated: A4, 2.5 cm margins, Liberation Sans 11pt, "
                      "8pt space after, 1.08 line spacing, left-aligned, no first-line indent, no hyphenation; "
                      "'Heading 1' = the bare roman numeral 'I' / 'II' in 16pt blue, page break before; title page "
                      "with Title style; centred grey header 'Author – Title' and a PAGE field right-aligned in the "
                      "footer, not on the first page) → soffice --convert-to pdf. Dialogue-heavy text (many '— ' lines)."
                      % docx.__version__ if hasattr(docx, "__version__") else "",
                      furniture=["%s – %s" % (author, title)])
    C.write_ref(os.path.join(HERE, "docx.json"), ref)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        globals()[name]()
