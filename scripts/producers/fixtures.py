#!/usr/bin/env python3
"""Fixture definitions (which novel, which excerpt, how headings print) and the
excerpt / expected-JSON steps shared by every producer.

  fixtures.py excerpt NAME ELTEC_PATH OUT.json      cut the excerpt (with footnote anchors)
  fixtures.py expected NAME EXCERPT.json PDF OUT.json [extra.json]
                                                    write tests/fixtures/producers/NAME.json
"""
import json
import re
import subprocess
import sys
import unicodedata

import eltec

# chapter-title renderers: how the heading is printed (what a reader sees)
def joined(heads, i):
    return " — ".join(heads)


def chapitre(heads, i):
    # a bare numeral head "I" is printed as "Chapitre I"
    return "Chapitre " + " — ".join(heads)


def latex_roman(heads, i):
    # book class + babel french + \thechapter = \Roman: "Chapitre I" then the ELTeC title line(s)
    num = ["I", "II", "III", "IV", "V"][i]
    titles = [h for h in heads
              if not h.lower().startswith("chapitre") and not re.fullmatch(r"[IVXLC]+\.?|[0-9]+\.?", h)]
    return " — ".join(["Chapitre " + num] + titles)


FIXTURES = {
    "libreoffice": dict(
        xid="FRA04801", book_title="Les révélées", author_line="Michel Corday",
        spec=[{"chapter": 0, "words": 1100}, {"chapter": 1, "words": 900}],
        chapter_title=chapitre,
        footnotes=[
            {"chapter": 0, "paragraph": 2, "after": "Louis XVI fleuri",
             "text": "Style décoratif de la fin du XVIIIe siècle, aux motifs de fleurs et de rubans."},
            {"chapter": 1, "paragraph": 2, "after": "Champ-de-Mars",
             "text": "Quartier de Paris qui s'étend de l'École militaire à la Seine."},
        ]),
    "pdftex": dict(
        xid="FRA02201", book_title="Quand je serai grande", author_line="Julie Gouraud",
        spec=[{"chapter": 0, "words": 1100}, {"chapter": 1, "words": 1100}],
        chapter_title=latex_roman,
        footnotes=[
            {"chapter": 0, "paragraph": 2, "after": "Lorraine",
             "text": "Ancienne province de l'est de la France."},
            {"chapter": 1, "paragraph": 0, "after": "Marguerite se maria",
             "text": "Marguerite est la sœur aînée de Laure."},
        ]),
    "lualatex": dict(
        xid="FRA05501", book_title="L'effrayante aventure", author_line="Jules Lermina",
        spec=[{"chapter": 0}, {"chapter": 1}],
        chapter_title=latex_roman,
        footnotes=[
            {"chapter": 0, "paragraph": 1, "after": "Nouvelliste",
             "text": "Journal du soir imaginé par l'auteur ; il n'a jamais paru."},
            {"chapter": 1, "paragraph": 1, "after": "Sherlock Holmes",
             "text": "Le détective de Conan Doyle était déjà célèbre en France en 1910."},
        ]),
    "groff": dict(
        xid="FRA05401", book_title="Madeleine", author_line="Paul de Kock",
        spec=[{"chapter": 0, "words": 1200}, {"chapter": 1, "words": 1000}],
        chapter_title=joined, footnotes=[]),
    "weasyprint": dict(
        xid="FRA06301", book_title="La porteuse de pain", author_line="Xavier de Montépin",
        spec=[{"chapter": 0}, {"chapter": 1, "words": 900}],
        chapter_title=joined, footnotes=[]),
    "chromium": dict(
        xid="FRA04002", book_title="Le Secret de Wilhelm Storitz", author_line="Verne, Jules (1828-1905)",
        spec=[{"chapter": 0}, {"chapter": 1, "words": 700}],
        chapter_title=joined, footnotes=[]),
    "mupdf": dict(
        xid="FRA03101", book_title="La baronne trépassée", author_line="Pierre-Alexis Ponson du Terrail",
        spec=[{"chapter": 0}, {"chapter": 1}],
        chapter_title=joined, footnotes=[]),
    "reportlab": dict(
        xid="FRA02101", book_title="Marguerite, ou Deux amours", author_line="Delphine de Girardin",
        spec=[{"chapter": 0, "words": 1500}, {"chapter": 1, "words": 1300}],
        chapter_title=joined, footnotes=[]),
    "ocr": dict(
        xid="FRA01902", book_title="Monsieur Lecoq", author_line="Émile Gaboriau",
        spec=[{"chapter": 0, "words": 520}, {"chapter": 1, "words": 420}],
        chapter_title=joined, footnotes=[]),
}
# same PDF content, other producer
ALIASES = {"ghostscript": "pdftex", "qpdf": "libreoffice"}


def nfc(s):
    return unicodedata.normalize("NFC", s)


def cut(name, eltec_path):
    f = FIXTURES[ALIASES.get(name, name)]
    e = eltec.Eltec(eltec_path)
    doc = e.tei(f["xid"])
    chs = eltec.excerpt(doc, f["spec"])
    # tokens: {"t": text, "i": italic} or {"note": n}
    for ch in chs:
        ch["tokens"] = [[{"t": t, "i": i} for t, i in par] for par in ch["paragraphs"]]
        ch["plain"] = [eltec.plain(par) for par in ch["paragraphs"]]
        del ch["paragraphs"]
    for n, fn in enumerate(f["footnotes"], 1):
        toks = chs[fn["chapter"]]["tokens"][fn["paragraph"]]
        for k, tok in enumerate(toks):
            pos = tok.get("t", "").find(fn["after"])
            if pos >= 0:
                end = pos + len(fn["after"])
                toks[k:k + 1] = [{"t": tok["t"][:end], "i": tok["i"]}, {"note": n, "text": fn["text"]},
                                 {"t": tok["t"][end:], "i": tok["i"]}]
                break
        else:
            raise SystemExit("footnote anchor %r not found" % fn["after"])
        chs[fn["chapter"]]["tokens"][fn["paragraph"]] = [t for t in toks if t.get("t", None) != ""]
    for i, ch in enumerate(chs):
        ch["title"] = f["chapter_title"](ch["heads"], i)
    return {
        "name": name,
        "source": e.meta(f["xid"]),
        "book_title": f["book_title"],
        "author_line": f["author_line"],
        "chapters": chs,
        "footnotes": [fn["text"] for fn in f["footnotes"]],
    }


def _first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return "?"
    for line in (r.stdout + "\n" + r.stderr).splitlines():
        line = line.strip()
        if line and "unexpected operator" not in line:
            return line
    return "?"


def versions():
    import reportlab
    return {
        "soffice": _first_line(["soffice", "--version"]),
        "pdftex": _first_line(["pdflatex", "--version"]),
        "lualatex": _first_line(["lualatex", "--version"]),
        "gs": "GPL Ghostscript " + _first_line(["gs", "--version"]),
        "groff": _first_line(["groff", "--version"]),
        "weasyprint": _first_line(["weasyprint", "--version"]),
        "chromium": _first_line(["chromium", "--version"]),
        "mutool": _first_line(["mutool", "-v"]),
        "reportlab": "ReportLab " + reportlab.Version,
        "tesseract": _first_line(["tesseract", "--version"]),
        "ocrmypdf": "ocrmypdf " + _first_line(["ocrmypdf", "--version"]),
        "qpdf": _first_line(["qpdf", "--version"]),
        "imagemagick": _first_line(["/usr/bin/convert", "-version"]).replace("Version: ", "").split(" https:")[0],
    }


# what each fixture prints besides the body text: title page + TOC lines, running heads/feet
# (page numbers are implied and not listed), and how it was made
def extras(name, ex, v, pdf):
    title, author = ex["book_title"], ex["author_line"]
    ch = [c["title"] for c in ex["chapters"]]
    toc_tex = [" ".join(t.split(" — ")[0].split()[1:2] + t.split(" — ")[1:]) for t in ch]
    E = {
        "libreoffice": dict(
            title_page=[title, author, "Table des matières"] + ch,
            furniture=[title],
            made_with="flat ODT (.fodt) written by scripts/producers/mk_fodt.py: title page (First Page style, no header), "
                      "table of contents (entries: chapter title, dot leader, page number; filled in a 2nd pass), "
                      "Heading 1 chapters, justified 'Text body' with fo:hyphenate=true (fr-FR, hyphen-fr patterns) "
                      "and first-line indent, header = book title, footer = page number, 2 Writer footnotes, "
                      "Liberation Serif 10.5 pt on A5; converted with soffice --headless --convert-to pdf (%s)" % v["soffice"]),
        "qpdf": dict(
            producer=None,
            title_page=[title, author, "Table des matières"] + ch,
            furniture=[title],
            made_with="libreoffice.pdf rewritten by `qpdf --object-streams=generate --linearize --encrypt \"\" owner-secret 256 "
                      "-- libreoffice.pdf qpdf.pdf` (%s): AES-256 (V5/R6), empty user password, owner password "
                      "'owner-secret', linearized, object streams; same reference as libreoffice" % v["qpdf"]),
        "pdftex": dict(
            title_page=[title, author, "Table des matières"] + toc_tex,
            furniture=[title, "I", "II"],
            made_with="pdflatex x2 (%s): book class 11pt a4paper twoside openany, babel french, T1 fontenc + lmodern "
                      "(embedded Type 1 subsets), justified with French hyphenation, \\maketitle title page, "
                      "\\tableofcontents, \\chapter with \\thechapter=\\Roman (\"Chapitre I\"), fancyhdr: even pages "
                      "= book title left + page number right, odd pages = chapter numeral left + page number right, "
                      "chapter-opening pages plain (page number centred at foot); 2 \\footnote's; straight apostrophes "
                      "kept with \\textquotesingle; SOURCE_DATE_EPOCH + FORCE_SOURCE_DATE" % v["pdftex"]),
        "ghostscript": dict(
            title_page=[title, author, "Table des matières"] + toc_tex,
            furniture=[title, "I", "II"],
            made_with="pdftex.pdf redistilled: gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile=ghostscript.pdf "
                      "pdftex.pdf (%s); fonts become Type 1C (CFF), most without ToUnicode; same reference as pdftex" % v["gs"]),
        "lualatex": dict(
            title_page=[title, author, "Table des matières"] + toc_tex,
            furniture=[title, "I", "II"],
            made_with="lualatex x2 (%s): same source style as pdftex (book class, babel french, fancyhdr with chapter "
                      "numeral on odd pages, 2 \\footnote's) but fontspec + Latin Modern Roman OpenType "
                      "(CID CFF Identity-H); SOURCE_DATE_EPOCH" % v["lualatex"]),
        "groff": dict(
            title_page=[title, author],
            furniture=[title],
            made_with="groff -k -mfr -ms -Tps | ps2pdf (%s, %s): .RP cover page (title, author, no date), "
                      "justified .PP paragraphs with French hyphenation (-mfr: hyphen.fr), centred two-line .SH chapter "
                      "headings, running head CH = book title (italic), footer CF = page number, Times (Nimbus) "
                      "embedded by Ghostscript; straight apostrophes kept with \\[aq]" % (v["groff"], v["gs"])),
        "weasyprint": dict(
            title_page=[title, author],
            furniture=[title],
            made_with="HTML + CSS (scripts/producers/mk_html.py weasyprint) rendered by %s: lang=fr, A4, title page, "
                      "h2 chapter headings full width, body in column-count: 2, text-align: justify, hyphens: auto "
                      "(pyphen fr; break hyphen is U+2010), @page @top-center = book title, @bottom-center = "
                      "counter(page), DejaVu Serif 9.5 pt" % v["weasyprint"]),
        "chromium": dict(
            title_page=[title, author],
            furniture=None,  # filled in below (date + URL printed by Chromium)
            made_with="HTML with U+00AD soft hyphens inserted by pyphen fr_FR in every word of 5+ letters, title page, "
                      "<h2> chapters (new page), justified Liberation Serif 13 pt; printed by %s with --headless "
                      "--print-to-pdf and WITHOUT --no-pdf-header-footer, under faketime '2024-01-15 12:00:00', "
                      "Letter paper. Chromium's default header = date/time (left) + <title> (centre); default "
                      "footer = file URL (left) + \"page/pages\" e.g. \"1/8\" (right). Skia places every glyph "
                      "separately; each soft-hyphen opportunity stays in the text layer as an invisible U+00AD "
                      "(the reference has none); line-end breaks draw a visible U+2010" % v["chromium"]),
        "mupdf": dict(
            producer="(no Producer/Creator in the Info dictionary) %s, mutool convert HTML -> PDF" % v["mutool"],
            title_page=[title, author],
            furniture=[],
            made_with="HTML (scripts/producers/mk_html.py mupdf) converted by `mutool convert -O "
                      "compress,compress-fonts,garbage` (%s): MuPDF's built-in Charis SIL (CID CFF, full font), "
                      "HarfBuzz shaping ligates fi, fl, ff, ffi, ffl and the ToUnicode maps those glyphs to "
                      "U+FB00..U+FB04; the reference text has them decomposed (the source has no ligature "
                      "characters); A5 page, no running heads" % v["mutool"]),
        "reportlab": dict(
            title_page=[title, author],
            furniture=[title],
            made_with="%s Platypus (scripts/producers/mk_reportlab.py): base-14 Times-Roman / Times-Bold / "
                      "Times-Italic, NOT embedded (WinAnsi), justified Paragraphs with first-line indent, "
                      "title page, chapter headings on new pages, onPage callbacks draw the running head (book "
                      "title) and the page number; rl_config.invariant=1 (fixed dates)" % v["reportlab"]),
        "ocr": dict(
            title_page=[],
            furniture=[],
            reference_kind="ocr_text_layer",
            made_with="source typeset by ReportLab (Times-Roman 12 pt, ragged right, no hyphenation, A4), "
                      "rasterised with pdftoppm -r 300 -gray, then ImageMagick (%s) -rotate 0.35 -attenuate 0.25 "
                      "+noise Gaussian (-seed 42), downsampled to 200 dpi JPEG q60, img2pdf, and %s -l fra "
                      "--output-type pdf (%s; hidden GlyphLessFont text layer). Reference = Tesseract's own text "
                      "(tesseract page.jpg - -l fra, identical to ocrmypdf --sidecar), lines joined and cut back "
                      "into the source paragraphs by word alignment" % (v["imagemagick"], v["ocrmypdf"], v["tesseract"])),
    }
    e = dict(E[name])
    if name == "chromium":
        txt = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", pdf, "-"],
                             capture_output=True, text=True).stdout
        lines = [l for l in txt.splitlines() if l.strip()]
        date = lines[0].split("  ")[0].strip()
        url = [w for w in txt.split() if w.startswith("file://")][0]
        e["furniture"] = [date, title, url]
    if name == "qpdf":
        info = pdfinfo(pdf)
        e["producer"] = "%s (Creator: %s), rewritten by %s: AES-256 encrypted, empty user password, linearized, object streams" % (
            info.get("Producer"), info.get("Creator"), v["qpdf"])
    return e


def check_strings(pdf, strings):
    """every title-page / furniture string must be visible in pdftotext's output"""
    raw = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True).stdout
    flat = " ".join(raw.replace("\u00ad", "").split())
    missing = [s for s in strings if " ".join(s.split()) not in flat]
    if missing:
        raise SystemExit("%s: strings not found in pdftotext output: %r" % (pdf, missing))


def pdfinfo(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def expected(ex, pdf, extra):
    info = pdfinfo(pdf)
    prod = info.get("Producer", "")
    creator = info.get("Creator", "")
    producer = prod if not creator or creator in prod else "%s (Creator: %s)" % (prod, creator)
    if extra.get("producer"):
        producer = extra["producer"]
    out = {
        "producer": producer,
        "made_with": extra["made_with"],
        "source": ex["source"],
        "reference_kind": extra.get("reference_kind", "source_text"),
        "title_page": extra["title_page"],
        "chapters": extra.get("chapters") or [{"title": ch["title"], "paragraphs": ch["plain"]} for ch in ex["chapters"]],
        "furniture": extra["furniture"],
        "footnotes": ex["footnotes"],
    }
    if "ocr_word_differences" in extra:
        d = extra["ocr_word_differences"]
        out["made_with"] += (". Tesseract's text differs from the ELTeC source in %d of %d words%s" % (
            d["differing_words"], d["source_words"],
            (": " + "; ".join("%s -> %s" % (x["source"] or "(nothing)", x["ocr"] or "(nothing)") for x in d["diff"]))
            if len(d["diff"]) <= 30 else ""))

    def fix(o):
        if isinstance(o, str):
            return nfc(o)
        if isinstance(o, list):
            return [fix(x) for x in o]
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        return o
    return fix(out)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "excerpt":
        name, path, out = sys.argv[2:5]
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(cut(name, path), fh, ensure_ascii=False, indent=1)
    elif cmd == "expected":
        # expected NAME EXCERPT.json PDF OUT.json [OCRREF.json]
        name, exfile, pdf, out = sys.argv[2:6]
        ex = json.load(open(exfile, encoding="utf-8"))
        extra = extras(name, ex, versions(), pdf)
        if len(sys.argv) > 6:
            extra.update(json.load(open(sys.argv[6], encoding="utf-8")))
        check_strings(pdf, extra["title_page"] + extra["furniture"])
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(expected(ex, pdf, extra), fh, ensure_ascii=False, indent=2)
            fh.write("\n")
    else:
        raise SystemExit(__doc__)
