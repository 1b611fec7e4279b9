#!/usr/bin/env python3
"""Flat ODT (.fodt) for LibreOffice Writer: title page, table of contents, Heading 1
chapters, justified + hyphenated (fo:hyphenate) body with first-line indents, header
with the book title, footer with the page number, real Writer footnotes.

  mk_fodt.py fixture EXCERPT.json OUT.fodt [TOCPAGES]   TOCPAGES: "3,6" (pass 2)
  mk_fodt.py tocpages PDF "Title 1" "Title 2" ...        print the page of each heading
  mk_fodt.py long ELTEC_PATH XID "Book title" "Author" OUT.fodt
"""
import json
import subprocess
import sys
from xml.sax.saxutils import escape

import eltec

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:meta>
  <dc:title>{title}</dc:title>
  <meta:initial-creator>{author}</meta:initial-creator>
  <dc:language>fr-FR</dc:language>
 </office:meta>
 <office:font-face-decls>
  <style:font-face style:name="Liberation Serif" svg:font-family="'Liberation Serif'" style:font-family-generic="roman" style:font-pitch="variable"/>
 </office:font-face-decls>
 <office:styles>
  <style:default-style style:family="paragraph">
   <style:paragraph-properties fo:hyphenation-ladder-count="no-limit" style:writing-mode="lr-tb" style:tab-stop-distance="1.25cm"/>
   <style:text-properties style:font-name="Liberation Serif" fo:font-size="{size}" fo:language="fr" fo:country="FR"
      fo:hyphenate="false" fo:hyphenation-remain-char-count="2" fo:hyphenation-push-char-count="2"/>
  </style:default-style>
  <style:style style:name="Standard" style:family="paragraph" style:class="text"/>
  <style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard" style:class="text">
   <style:paragraph-properties fo:text-align="justify" fo:text-indent="0.6cm" fo:margin-top="0cm" fo:margin-bottom="0.05cm" fo:line-height="115%" fo:orphans="2" fo:widows="2"/>
   <style:text-properties fo:hyphenate="true" fo:hyphenation-remain-char-count="2" fo:hyphenation-push-char-count="2"/>
  </style:style>
  <style:style style:name="Verse" style:family="paragraph" style:parent-style-name="Text_20_body" style:class="text">
   <style:paragraph-properties fo:text-align="center" fo:text-indent="0cm"/>
  </style:style>
  <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body" style:default-outline-level="1" style:class="text">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="2.5cm" fo:margin-bottom="1cm" fo:break-before="page" fo:keep-with-next="always"/>
   <style:text-properties fo:font-size="18pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body" style:default-outline-level="2" style:class="text">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="1.2cm" fo:margin-bottom="0.6cm" fo:keep-with-next="always"/>
   <style:text-properties fo:font-size="14pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="6cm" fo:margin-bottom="1cm"/>
   <style:text-properties fo:font-size="26pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Subtitle" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="0.5cm"/>
   <style:text-properties fo:font-size="16pt" fo:font-style="italic"/>
  </style:style>
  <style:style style:name="Header" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:text-align="center"/>
   <style:text-properties fo:font-size="9pt" fo:font-style="italic"/>
  </style:style>
  <style:style style:name="Footer" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:text-align="center"/>
   <style:text-properties fo:font-size="9pt"/>
  </style:style>
  <style:style style:name="Footnote" style:family="paragraph" style:parent-style-name="Standard" style:class="extra">
   <style:paragraph-properties fo:margin-left="0.5cm" fo:text-indent="-0.5cm" fo:text-align="justify"/>
   <style:text-properties fo:font-size="8.5pt"/>
  </style:style>
  <style:style style:name="Contents_20_Heading" style:display-name="Contents Heading" style:family="paragraph" style:parent-style-name="Standard" style:class="index">
   <style:paragraph-properties fo:text-align="center" fo:margin-top="2.5cm" fo:margin-bottom="1cm"/>
   <style:text-properties fo:font-size="16pt" fo:font-weight="bold"/>
  </style:style>
  <style:style style:name="Contents_20_1" style:display-name="Contents 1" style:family="paragraph" style:parent-style-name="Standard" style:class="index">
   <style:paragraph-properties fo:margin-bottom="0.2cm">
    <style:tab-stops><style:tab-stop style:position="{tabpos}" style:type="right" style:leader-style="dotted" style:leader-text="."/></style:tab-stops>
   </style:paragraph-properties>
  </style:style>
  <style:style style:name="Footnote_20_Symbol" style:display-name="Footnote Symbol" style:family="text"/>
  <style:style style:name="Footnote_20_anchor" style:display-name="Footnote anchor" style:family="text">
   <style:text-properties style:text-position="super 58%"/>
  </style:style>
  <text:notes-configuration text:note-class="footnote" text:citation-style-name="Footnote_20_Symbol" text:citation-body-style-name="Footnote_20_anchor" style:num-format="1" text:start-value="0" text:footnotes-position="page" text:start-numbering-at="document"/>
 </office:styles>
 <office:automatic-styles>
  <style:style style:name="PTitle" style:family="paragraph" style:parent-style-name="Title" style:master-page-name="First_20_Page"/>
  <style:style style:name="PToc" style:family="paragraph" style:parent-style-name="Contents_20_Heading" style:master-page-name="Standard">
   <style:paragraph-properties style:page-number="auto"/>
  </style:style>
  <style:style style:name="Sect1" style:family="section"/>
  <style:style style:name="TI" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
  <style:page-layout style:name="pm1">
   <style:page-layout-properties fo:page-width="{pw}" fo:page-height="{ph}" fo:margin-top="1.2cm" fo:margin-bottom="1.2cm" fo:margin-left="{ml}" fo:margin-right="{ml}"/>
   <style:header-style><style:header-footer-properties fo:min-height="0.5cm" fo:margin-bottom="0.4cm"/></style:header-style>
   <style:footer-style><style:header-footer-properties fo:min-height="0.5cm" fo:margin-top="0.4cm"/></style:footer-style>
  </style:page-layout>
  <style:page-layout style:name="pm2">
   <style:page-layout-properties fo:page-width="{pw}" fo:page-height="{ph}" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="{ml}" fo:margin-right="{ml}"/>
  </style:page-layout>
 </office:automatic-styles>
 <office:master-styles>
  <style:master-page style:name="Standard" style:page-layout-name="pm1">
   <style:header><text:p text:style-name="Header">{title}</text:p></style:header>
   <style:footer><text:p text:style-name="Footer"><text:page-number text:select-page="current">1</text:page-number></text:p></style:footer>
  </style:master-page>
  <style:master-page style:name="First_20_Page" style:display-name="First Page" style:page-layout-name="pm2" style:next-style-name="Standard"/>
 </office:master-styles>
 <office:body>
  <office:text text:use-soft-page-breaks="false">
   <text:p text:style-name="PTitle">{title}</text:p>
   <text:p text:style-name="Subtitle">{author}</text:p>
"""

TAIL = """  </office:text>
 </office:body>
</office:document>
"""


def x(s):
    return escape(s)


def runs(tokens, note_counter):
    out = []
    for t in tokens:
        if "note" in t:
            n = t["note"]
            out.append('<text:note text:id="ftn%d" text:note-class="footnote"><text:note-citation>%d</text:note-citation>'
                       '<text:note-body><text:p text:style-name="Footnote">%s</text:p></text:note-body></text:note>'
                       % (n, n, x(t["text"])))
        elif t["i"]:
            out.append('<text:span text:style-name="TI">%s</text:span>' % x(t["t"]))
        else:
            out.append(x(t["t"]))
    return "".join(out)


def toc(titles, pages):
    entries = "".join('    <text:p text:style-name="Contents_20_1">%s<text:tab/>%s</text:p>\n' % (x(t), p)
                      for t, p in zip(titles, pages))
    return """   <text:table-of-content text:style-name="Sect1" text:protected="true" text:name="Table des matières1">
    <text:table-of-content-source text:outline-level="1">
     <text:index-title-template text:style-name="Contents_20_Heading">Table des matières</text:index-title-template>
     <text:table-of-content-entry-template text:outline-level="1" text:style-name="Contents_20_1">
      <text:index-entry-link-start text:style-name="Index_20_Link"/><text:index-entry-text/><text:index-entry-tab-stop style:type="right" style:leader-char="."/><text:index-entry-page-number/><text:index-entry-link-end/>
     </text:table-of-content-entry-template>
    </text:table-of-content-source>
    <text:index-body>
     <text:index-title text:style-name="Sect1" text:name="Table des matières1_Head">
      <text:p text:style-name="PToc">Table des matières</text:p>
     </text:index-title>
%s    </text:index-body>
   </text:table-of-content>
""" % entries


def fixture(ex, pages):
    fmt = dict(title=x(ex["book_title"]), author=x(ex["author_line"]), size="10.5pt",
               pw="14.8cm", ph="21cm", ml="1.8cm", tabpos="11.2cm")
    out = [HEAD.format(**fmt)]
    titles = [ch["title"] for ch in ex["chapters"]]
    out.append(toc(titles, pages or ["0"] * len(titles)))
    for ch in ex["chapters"]:
        out.append('   <text:h text:style-name="Heading_20_1" text:outline-level="1">%s</text:h>\n' % x(ch["title"]))
        for par in ch["tokens"]:
            out.append('   <text:p text:style-name="Text_20_body">%s</text:p>\n' % runs(par, None))
    out.append(TAIL)
    return "".join(out)


def long_book(path, xid, title, author):
    e = eltec.Eltec(path)
    blocks = eltec.blocks(e.tei(xid))
    fmt = dict(title=x(title), author=x(author), size="10pt", pw="14.8cm", ph="21cm", ml="1.5cm",
               tabpos="11.8cm")
    out = [HEAD.format(**fmt)]
    has_parts = any(k == "part" for k, _ in blocks)
    for kind, payload in blocks:
        if kind == "part" or (kind == "chapter" and not has_parts):
            out.append('   <text:h text:style-name="Heading_20_1" text:outline-level="1">%s</text:h>\n'
                       % x(" — ".join(payload)))
        elif kind == "chapter":
            out.append('   <text:h text:style-name="Heading_20_2" text:outline-level="2">%s</text:h>\n'
                       % x(" — ".join(payload)))
        elif kind in ("p", "verse"):
            style = "Text_20_body" if kind == "p" else "Verse"
            out.append('   <text:p text:style-name="%s">%s</text:p>\n'
                       % (style, runs([{"t": t, "i": i} for t, i in payload], None)))
        elif kind == "break":
            out.append('   <text:p text:style-name="Verse">*   *   *</text:p>\n')
    out.append(TAIL)
    return "".join(out)


def tocpages(pdf, titles):
    n = int([l for l in subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout.splitlines()
             if l.startswith("Pages:")][0].split()[1])
    found = []
    for t in titles:
        for p in range(3, n + 1):
            txt = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), pdf, "-"],
                                 capture_output=True, text=True).stdout
            lines = [l.strip() for l in txt.splitlines() if l.strip()]
            if t in lines[:3]:
                found.append(str(p))
                break
        else:
            raise SystemExit("heading %r not found in %s" % (t, pdf))
    return found


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "fixture":
        ex = json.load(open(sys.argv[2], encoding="utf-8"))
        pages = sys.argv[4].split(",") if len(sys.argv) > 4 else None
        open(sys.argv[3], "w", encoding="utf-8").write(fixture(ex, pages))
    elif cmd == "tocpages":
        print(",".join(tocpages(sys.argv[2], sys.argv[3:])))
    elif cmd == "long":
        path, xid, title, author, out = sys.argv[2:7]
        open(out, "w", encoding="utf-8").write(long_book(path, xid, title, author))
    else:
        raise SystemExit(__doc__)
