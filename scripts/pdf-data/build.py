#!/usr/bin/env python3
"""Writes the glyph and font-metric tables the PDF text reader needs, into src/pdf/data/.

Sources (Debian packages, read offline):
  - Adobe Glyph List 2.0 (Apache-2.0) and TeX's additions, from texlive-base:
      /usr/share/texlive/texmf-dist/fonts/map/glyphlist/{glyphlist,texglyphlist}.txt
  - Glyph widths of the 14 standard PDF fonts, from Adobe's AFM files in
    texlive-fonts-recommended / texlive-base (fonts/afm/adobe/…); only names and widths are kept.
  - StandardEncoding: the codes those AFM files give (their EncodingScheme is AdobeStandardEncoding).
  - MacRomanEncoding: Python's mac_roman codec, mapped back to glyph names through the glyph list,
    with the PDF specification's differences (0xDB is currency, not the euro).

Run from the repository root:  python3 scripts/pdf-data/build.py
"""
import codecs
import os
import sys

TEX = "/usr/share/texlive/texmf-dist/fonts"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "pdf", "data")

STD14 = {
    "Times-Roman": "adobe/times/ptmr8a.afm",
    "Times-Bold": "adobe/times/ptmb8a.afm",
    "Times-Italic": "adobe/times/ptmri8a.afm",
    "Times-BoldItalic": "adobe/times/ptmbi8a.afm",
    "Helvetica": "adobe/helvetic/phvr8a.afm",
    "Helvetica-Bold": "adobe/helvetic/phvb8a.afm",
    "Helvetica-Oblique": "adobe/helvetic/phvro8a.afm",
    "Helvetica-BoldOblique": "adobe/helvetic/phvbo8a.afm",
    "Courier": "adobe/courier/pcrr8a.afm",
    "Courier-Bold": "adobe/courier/pcrb8a.afm",
    "Courier-Oblique": "adobe/courier/pcrro8a.afm",
    "Courier-BoldOblique": "adobe/courier/pcrbo8a.afm",
    "Symbol": "adobe/symbol/psyr.afm",
    "ZapfDingbats": "adobe/zapfding/pzdr.afm",
}


def read_afm(path):
    """(code, name, width) for every character metric line."""
    out = []
    with open(os.path.join(TEX, "afm", path), encoding="latin-1") as f:
        for line in f:
            if not line.startswith("C "):
                continue
            fields = dict(
                part.strip().split(" ", 1) for part in line.split(";") if part.strip()
            )
            out.append((int(fields["C"]), fields["N"], int(float(fields["WX"]))))
    return out


def glyph_list():
    names = {}
    for file in ("glyphlist.txt", "texglyphlist.txt"):
        with open(os.path.join(TEX, "map", "glyphlist", file), encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or ";" not in line:
                    continue
                name, codes = line.strip().split(";", 1)
                # The first list wins; TeX's only adds names Adobe's lacks.
                names.setdefault(name, codes.split(",")[0].split(" "))
    return names


def main():
    os.makedirs(OUT, exist_ok=True)
    agl = glyph_list()
    with open(os.path.join(OUT, "glyphlist.txt"), "w", encoding="utf-8") as f:
        f.write("# glyph name;Unicode (hex, space-separated for sequences)\n")
        f.write("# Adobe Glyph List 2.0 (Apache-2.0) plus TeX's glyph list additions.\n")
        for name in sorted(agl):
            f.write(f"{name};{' '.join(agl[name])}\n")

    standard = ["" for _ in range(256)]
    for code, name, _ in read_afm(STD14["Times-Roman"]):
        if 0 <= code < 256:
            standard[code] = name

    by_unicode = {}
    for name in sorted(agl, key=lambda n: (len(n), n)):
        codes = agl[name]
        if len(codes) == 1:
            by_unicode.setdefault(int(codes[0], 16), name)
    mac = ["" for _ in range(256)]
    for code in range(32, 256):
        ch = codecs.decode(bytes([code]), "mac_roman")
        if code == 0x7F:
            continue
        if code == 0xDB:
            mac[code] = "currency"
            continue
        name = by_unicode.get(ord(ch))
        if name is None:
            sys.exit(f"no glyph name for mac_roman {code:#x} {ch!r}")
        mac[code] = name
    with open(os.path.join(OUT, "encodings.txt"), "w", encoding="utf-8") as f:
        f.write("# encoding code glyph-name: the base encodings simple fonts use besides WinAnsi\n")
        for label, table in (("StandardEncoding", standard), ("MacRomanEncoding", mac)):
            for code, name in enumerate(table):
                if name:
                    f.write(f"{label} {code} {name}\n")

    with open(os.path.join(OUT, "std14-widths.txt"), "w", encoding="utf-8") as f:
        f.write("# Glyph widths (1/1000 em) of the 14 standard PDF fonts, from Adobe's AFM files.\n")
        f.write("# Each font starts with a line '= FontName'; then 'glyph width' per line.\n")
        for font, path in STD14.items():
            f.write(f"= {font}\n")
            for _, name, width in sorted(set(read_afm(path)), key=lambda t: t[1]):
                f.write(f"{name} {width}\n")


if __name__ == "__main__":
    main()
