#!/usr/bin/env python3
"""Write tests/fixtures/producers/README.md (to stdout) from the generated files, and
sanity-check them: page counts 3-12, sizes, qpdf encryption, and a crude recall check
(share of reference words found in `pdftotext` output, after removing U+00AD and
joining line-end hyphens).

  report.py ROOT > tests/fixtures/producers/README.md
"""
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter

ORDER = ["libreoffice", "qpdf", "pdftex", "ghostscript", "lualatex", "groff", "weasyprint",
         "chromium", "mupdf", "reportlab", "ocr"]
LONG = [("pdftex-long", "FRA04001", "Verne, Un capitaine de quinze ans (1878)"),
        ("ghostscript-long", "FRA04001", "Verne, Un capitaine de quinze ans (1878), pdftex-long redistilled"),
        ("lualatex-long", "FRA03704", "Sand, Horace (1840)"),
        ("chromium-long", "FRA02702", "Maupassant, Une vie (1883)"),
        ("libreoffice-long", "FRA01302", "Flaubert, Madame Bovary (1857)"),
        ("reportlab-long", "FRA02701", "Maupassant, Bel-Ami (1885)")]
SHORT_HOW = {
    "libreoffice": "script-built .fodt (title page, TOC, Heading 1, hyphenation, header/footer, 2 footnotes) → `soffice --headless --convert-to pdf`",
    "qpdf": "libreoffice.pdf → `qpdf --object-streams=generate --linearize --encrypt \"\" owner-secret 256`",
    "pdftex": "pdflatex ×2, book/twoside, babel french, T1+lmodern, fancyhdr (odd: chapter numeral left, page right), 2 footnotes",
    "ghostscript": "pdftex.pdf → `gs -sDEVICE=pdfwrite`",
    "lualatex": "lualatex ×2, same style as pdftex, fontspec + Latin Modern OTF, 2 footnotes",
    "groff": "`groff -k -mfr -ms -Tps | ps2pdf`, .RP cover, .SH headings, CH running head",
    "weasyprint": "HTML, `column-count: 2`, justify, `hyphens: auto` (lang=fr), @page @top-center / @bottom-center",
    "chromium": "HTML with U+00AD soft hyphens (pyphen fr), `--print-to-pdf` with default header/footer (faketime)",
    "mupdf": "HTML → `mutool convert` (Charis SIL, fi/fl/ff ligatures)",
    "reportlab": "Platypus, base-14 Times not embedded, onPage head/foot",
    "ocr": "ReportLab 12 pt ragged → pdftoppm 300 dpi gray → ImageMagick noise + 0.35° → 200 dpi JPEG → `ocrmypdf -l fra`",
}


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True).stdout


def info(pdf):
    d = {}
    for line in run("pdfinfo", pdf).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


def fonts(pdf):
    rows = run("pdffonts", pdf).splitlines()[2:]
    kinds = Counter()
    for r in rows:
        m = re.match(r"(\S.*?)\s+(Type 1C|Type 1|Type 3|TrueType|CID Type 0C|CID Type 0|CID TrueType|Type 0)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)", r)
        if not m:
            continue
        name, typ, enc, emb, sub, uni = m.groups()
        base = name.split("+", 1)[-1]
        label = typ
        if typ.startswith("CID"):
            label += " " + enc
        elif typ in ("Type 1", "Type 1C", "TrueType"):
            label += " " + enc
        label += "" if emb == "yes" else " NOT embedded (base-14)" if base in BASE14 else " NOT embedded"
        if emb == "yes" and sub == "no":
            label += " (full font)"
        if uni == "no":
            label += " no ToUnicode"
        kinds[(label, base)] += 1
    by_label = {}
    for (label, base) in kinds:
        by_label.setdefault(label, set()).add(base)
    return "; ".join("%s: %s" % (l, ", ".join(sorted(b))) for l, b in sorted(by_label.items()))


BASE14 = {"Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Helvetica", "Helvetica-Bold",
          "Helvetica-Oblique", "Helvetica-BoldOblique", "Courier", "Courier-Bold", "Courier-Oblique",
          "Courier-BoldOblique", "Symbol", "ZapfDingbats"}


def recall(pdf, ref):
    txt = run("pdftotext", pdf, "-").replace("\u00ad", "")
    txt = unicodedata.normalize("NFKC", txt)  # ﬁ -> fi for the check only
    txt = re.sub(r"([^\W\d_])[-\u2010]\n([^\W\d_])", r"\1\2", txt)
    have = Counter(re.findall(r"[^\W\d_]+", txt.lower()))
    want = Counter()
    for ch in ref["chapters"]:
        for p in ch["paragraphs"]:
            want.update(re.findall(r"[^\W\d_]+", p.lower()))
    hit = sum(min(c, have[w]) for w, c in want.items())
    return hit / max(sum(want.values()), 1)


def cell(s):
    return s.replace("|", "\\|")


def kb(n):
    return "%d KB" % round(n / 1024) if n < 1024 * 1024 else "%.2f MB" % (n / 1024 / 1024)


def main(root):
    out_dir = os.path.join(root, "tests/fixtures/producers")
    books = os.path.join(root, "benches/books")
    problems = []
    rows = []
    notes = []
    for name in ORDER:
        pdf = os.path.join(out_dir, name + ".pdf")
        js = os.path.join(out_dir, name + ".json")
        if not (os.path.exists(pdf) and os.path.exists(js)):
            problems.append("%s: missing" % name)
            continue
        ref = json.load(open(js, encoding="utf-8"))
        i = info(pdf)
        pages = int(i.get("Pages", 0))
        size = os.path.getsize(pdf)
        if not 3 <= pages <= 12:
            problems.append("%s: %d pages" % (name, pages))
        if size > 1.5 * 1024 * 1024:
            problems.append("%s: %s" % (name, kb(size)))
        if name == "qpdf" and "AESv3" not in run("qpdf", "--show-encryption", pdf):
            problems.append("qpdf: not AES-256")
        r = recall(pdf, ref)
        if r < 0.97:
            problems.append("%s: only %.1f%% of the reference words found by pdftotext" % (name, 100 * r))
        src = ref["source"]
        nwords = sum(len(p.split()) for c in ref["chapters"] for p in c["paragraphs"])
        rows.append("| `%s.pdf` | %s | %s | %s | %d | %s | %s, *%s* (%s), %s; %d words |" % (
            name, cell(ref["producer"]), cell(SHORT_HOW[name]), fonts(pdf), pages, kb(size),
            src["author"].split(" [")[0], src["title"], src["year"], src["eltec_id"], nwords))
        if name == "ocr":
            m = re.search(r"differs from the ELTeC source in (\d+) of (\d+) words", ref["made_with"])
            notes.append("- `ocr.json`: `reference_kind` is `ocr_text_layer` (Tesseract's own text, which is also the "
                         "hidden text layer); it differs from the true source in %s of %s words (listed at the end "
                         "of `made_with`)." % (m.group(1), m.group(2)) if m else "?")
    lrows = []
    for name, xid, novel in LONG:
        pdf = os.path.join(books, name + ".pdf")
        if not os.path.exists(pdf):
            continue
        i = info(pdf)
        size = os.path.getsize(pdf)
        if size > 2.5 * 1024 * 1024:
            problems.append("%s: %s" % (name, kb(size)))
        lrows.append("| `benches/books/%s.pdf` | %s | %s | %s | %s | %s (%s) |" % (
            name, i.get("Producer", "?"), fonts(pdf), i.get("Pages"), kb(size), novel, xid))

    print("""# PDF producer fixtures

Short French novel excerpts (3–12 pages), each typeset by a different real PDF producer,
with a reference text (`NAME.json`) for measuring the text extractor per producer.
Generated by `scripts/producers/generate.sh`; do not edit by hand.

## Fixtures

| file | producer (pdfinfo) | how made | fonts (pdffonts) | pages | size | source |
|---|---|---|---|---|---|---|""")
    print("\n".join(rows))
    print("""
## Reference files (`NAME.json`)

- `producer`: pdfinfo Producer (and Creator); `made_with`: the exact recipe and tool versions.
- `source`: ELTeC id, author, title, year (ELTeC reference year = first edition), licence.
- `reference_kind`: `source_text` (the typeset text is exactly the ELTeC text, whitespace-normalised,
  NFC) or `ocr_text_layer` (what the hidden OCR layer says).
- `title_page`: lines of the title page and of the table of contents (TOC entries without dot leaders
  and page numbers). They must never become sentences.
- `chapters[].title`: the heading as printed (two-line headings joined with " — ");
  `chapters[].paragraphs`: body text in reading order, one string per paragraph, no hyphenation,
  single spaces, without footnote markers or footnote bodies.
- `furniture`: running heads / feet as printed, minus page numbers (page numbers are implied).
- `footnotes`: footnote bodies (they are editorial notes written for these fixtures, not ELTeC text).

Notes per producer:

- All typesetters keep the source's straight apostrophe U+0027 (TeX: `\\textquotesingle`, groff: `\\[aq]`),
  so the reference needs no quote normalisation. TeX's French spacing (babel) turns the space before
  `; : ! ?` into a thin or non-breaking space: an extractor must still emit one U+0020 there.
- `pdftex`/`ghostscript`/`lualatex`: odd pages carry the chapter numeral on the left ("I", "II") and the page
  number on the right; even pages the book title and the page number; chapter-opening pages only a centred
  page number. `ghostscript.pdf` (Type 1C) mostly has no ToUnicode: text comes from glyph names/encodings.
- `pdftex` uses Gouraud (no U+2026 in the excerpt: pdfTeX + T1 would print `…` as three spaced periods).
- `weasyprint`: hyphenation breaks are drawn with U+2010; two columns per page.
- `chromium`: Skia positions every glyph separately, and each soft-hyphen opportunity stays in the text
  layer as an invisible U+00AD (pdftotext -raw: `ar\\u00ad` + newline + `rive`; MuPDF: `ar rive`); a
  line-end break draws a visible U+2010. Header = date + `<title>`, footer = file URL + `n/N`
  (e.g. `1/8`); these strings are in `furniture`, the `n/N` page numbers are implied.
- `mupdf`: ligature glyphs map to U+FB00–U+FB04 in ToUnicode; the reference has plain letters.
- `reportlab`: Times base-14 fonts are not embedded (ReportLab also declares an unused Helvetica).
- `qpdf`: AES-256 (R6) with an empty user password — opens without a password, must be decrypted.""")
    print("\n".join(notes))
    print("""
## Long books (speed benchmark, `benches/books/`)

Whole novels, ~300 pages, with chapter headings and running heads; no reference text.

| file | producer | fonts | pages | size | novel (ELTeC id) |
|---|---|---|---|---|---|""")
    print("\n".join(lrows) if lrows else "| (not generated: run with `--long`) | | | | | |")
    print("""
## Licence

The novels are in the public domain. Texts come from ELTeC-fra (COST Action CA16204
"Distant Reading for European Literary History", https://github.com/COST-ELTeC/ELTeC-fra),
whose encoding is licensed CC-BY 4.0; attribution: ELTeC-fra, Schöch, Christof et al. The footnote texts
and the layouts are ours. Fonts embedded by the producers: Latin Modern (GUST Font License), Liberation
(SIL OFL), DejaVu (free licence), Charis SIL (SIL OFL), URW Nimbus (AGPL w/ font exception / GPL).

## Regenerate

```sh
# Debian 12 packages: see the header of scripts/producers/generate.sh
scripts/producers/generate.sh /path/to/ELTeC-fra            # fixtures + this README
scripts/producers/generate.sh --long /path/to/ELTeC-fra     # also benches/books/*.pdf
scripts/producers/generate.sh --only chromium,ocr /path/to/ELTeC-fra
```

The ELTeC path may be a bare git mirror (read with `git show HEAD:...`) or a checkout.
Outputs are deterministic where the tools allow it (SOURCE_DATE_EPOCH, ReportLab invariant mode,
Chromium under faketime, ImageMagick -seed): with the same tool versions, re-running gives byte-identical
pdftex, ghostscript, lualatex, groff, weasyprint, chromium, mupdf and reportlab PDFs; libreoffice, qpdf
(random AES salt/IV) and ocr (ocrmypdf/pikepdf dates and IDs) differ from run to run in metadata only.
A different tool version will produce different PDFs: regenerate the JSON together with the PDFs (the
script always does; the JSON files were identical between runs).""")
    if problems:
        print("\n".join("PROBLEM: " + p for p in problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
