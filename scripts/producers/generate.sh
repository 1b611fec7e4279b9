#!/usr/bin/env bash
# Regenerate the PDF-producer test corpus (tests/fixtures/producers/) and, with --long,
# the ~300-page benchmark books (benches/books/), from public-domain ELTeC-fra novels.
#
# Debian 12 (bookworm) packages needed:
#   git poppler-utils ghostscript groff qpdf mupdf-tools imagemagick faketime
#   python3 python3-lxml python3-reportlab python3-pyphen hyphen-fr python3-img2pdf
#   weasyprint chromium tesseract-ocr tesseract-ocr-fra ocrmypdf
#   texlive-latex-base texlive-latex-recommended texlive-lang-french texlive-luatex
#   texlive-fonts-recommended lmodern libreoffice-writer-nogui fonts-dejavu fonts-liberation2
#
# Usage:
#   scripts/producers/generate.sh [--long | --long-only] [--only NAME[,NAME...]] [ELTEC_PATH]
#   ELTEC_PATH (or env ELTEC): a git mirror (bare is fine) or a checkout of
#   https://github.com/COST-ELTeC/ELTeC-fra ; default /work/.mirror/COST-ELTeC+ELTeC-fra/repo
#   env WORK: scratch directory (default /tmp/corpus-work/build)
#   env PYTHON: a python3 that sees the Debian python3-* modules (default /usr/bin/python3)
#
# Deterministic where the tools allow: SOURCE_DATE_EPOCH (pdfTeX, LuaTeX, WeasyPrint),
# ReportLab invariant mode, Chromium under faketime, ImageMagick -seed. LibreOffice,
# Ghostscript, MuPDF, qpdf and ocrmypdf still write their own dates / IDs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
WORK=${WORK:-/tmp/corpus-work/build}
OUT=$ROOT/tests/fixtures/producers
BOOKS=$ROOT/benches/books
CHROME_DIR=/tmp/eltec-fixtures       # fixed: the file URL is printed in Chromium's footer
FAKETIME_AT='2024-01-15 12:00:00'     # fixed: the date is printed in Chromium's header
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} FORCE_SOURCE_DATE=1 TZ=UTC LC_ALL=C.UTF-8

DO_FIXTURES=1 DO_LONG=0 ONLY=""
ELTEC=${ELTEC:-/work/.mirror/COST-ELTeC+ELTeC-fra/repo}
while [ $# -gt 0 ]; do
  case "$1" in
    --long) DO_LONG=1 ;;
    --long-only) DO_LONG=1 DO_FIXTURES=0 ;;
    --only) ONLY=",$2,"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) ELTEC=$1 ;;
  esac
  shift
done
[ -e "$ELTEC" ] || { echo "ELTeC-fra not found at $ELTEC" >&2; exit 1; }
mkdir -p "$WORK" "$OUT"
cd "$HERE"

want() { [ -z "$ONLY" ] || [[ "$ONLY" == *",$1,"* ]]; }
say() { printf '\n== %s\n' "$*" >&2; }
excerpt() { "$PY" fixtures.py excerpt "$1" "$ELTEC" "$WORK/$1.excerpt.json"; }
expected() { "$PY" fixtures.py expected "$1" "$WORK/$1.excerpt.json" "$OUT/$1.pdf" "$OUT/$1.json" ${2:-}; }
soffice_pdf() {  # soffice_pdf DIR FILE.fodt
  soffice -env:UserInstallation="file://$WORK/lo-profile" --headless --convert-to pdf --outdir "$1" "$1/$2" >/dev/null 2>&1
}
latex2() {  # latex2 ENGINE DIR NAME
  (cd "$2" && for _ in 1 2; do "$1" -interaction=nonstopmode -halt-on-error "$3.tex" >/dev/null; done)
}
chromium_pdf() {  # chromium_pdf HTML PDF
  local prof; prof=$(mktemp -d "$WORK/chrome-profile.XXXXXX")
  faketime "$FAKETIME_AT" chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --print-to-pdf="$2" "file://$1" >/dev/null 2>&1
  rm -rf "$prof"
}

# ------------------------------------------------------------------ fixtures
fx_libreoffice() {
  local d=$WORK/libreoffice; mkdir -p "$d"; excerpt libreoffice
  "$PY" mk_fodt.py fixture "$WORK/libreoffice.excerpt.json" "$d/libreoffice.fodt"
  soffice_pdf "$d" libreoffice.fodt
  # pass 2: put the real page numbers into the table of contents
  local pages; pages=$("$PY" - "$WORK/libreoffice.excerpt.json" "$d/libreoffice.pdf" <<'EOF'
import json, subprocess, sys
ex = json.load(open(sys.argv[1]))
print(subprocess.run([sys.executable, "mk_fodt.py", "tocpages", sys.argv[2]] + [c["title"] for c in ex["chapters"]],
                     capture_output=True, text=True, check=True).stdout.strip())
EOF
)
  "$PY" mk_fodt.py fixture "$WORK/libreoffice.excerpt.json" "$d/libreoffice.fodt" "$pages"
  soffice_pdf "$d" libreoffice.fodt
  cp "$d/libreoffice.pdf" "$OUT/libreoffice.pdf"; expected libreoffice
}
fx_qpdf() {
  [ -f "$OUT/libreoffice.pdf" ] || fx_libreoffice
  excerpt qpdf
  rm -f "$OUT/qpdf.pdf"
  qpdf --object-streams=generate --linearize --encrypt "" owner-secret 256 -- "$OUT/libreoffice.pdf" "$OUT/qpdf.pdf"
  qpdf --show-encryption "$OUT/qpdf.pdf" | grep -q 'AESv3' || { echo "qpdf.pdf is not AES-256" >&2; exit 1; }
  expected qpdf
}
fx_pdftex() {
  local d=$WORK/pdftex; mkdir -p "$d"; excerpt pdftex
  "$PY" mk_tex.py fixture pdftex "$WORK/pdftex.excerpt.json" "$d/pdftex.tex"
  latex2 pdflatex "$d" pdftex
  cp "$d/pdftex.pdf" "$OUT/pdftex.pdf"; expected pdftex
}
fx_ghostscript() {
  [ -f "$OUT/pdftex.pdf" ] || fx_pdftex
  excerpt ghostscript
  gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile="$OUT/ghostscript.pdf" "$OUT/pdftex.pdf"
  expected ghostscript
}
fx_lualatex() {
  local d=$WORK/lualatex; mkdir -p "$d"; excerpt lualatex
  "$PY" mk_tex.py fixture lualatex "$WORK/lualatex.excerpt.json" "$d/lualatex.tex"
  latex2 lualatex "$d" lualatex
  cp "$d/lualatex.pdf" "$OUT/lualatex.pdf"; expected lualatex
}
fx_groff() {
  local d=$WORK/groff; mkdir -p "$d"; excerpt groff
  "$PY" mk_ms.py "$WORK/groff.excerpt.json" "$d/groff.ms"
  groff -k -mfr -ms -Tps "$d/groff.ms" > "$d/groff.ps"
  ps2pdf "$d/groff.ps" "$OUT/groff.pdf"
  expected groff
}
fx_weasyprint() {
  local d=$WORK/weasyprint; mkdir -p "$d"; excerpt weasyprint
  "$PY" mk_html.py weasyprint "$WORK/weasyprint.excerpt.json" "$d/weasyprint.html"
  weasyprint "$d/weasyprint.html" "$OUT/weasyprint.pdf" 2>/dev/null
  expected weasyprint
}
fx_chromium() {
  mkdir -p "$CHROME_DIR"; excerpt chromium
  local html=$CHROME_DIR/le-secret-de-wilhelm-storitz.html
  "$PY" mk_html.py chromium "$WORK/chromium.excerpt.json" "$html"
  chromium_pdf "$html" "$OUT/chromium.pdf"
  expected chromium
}
fx_mupdf() {
  local d=$WORK/mupdf; mkdir -p "$d"; excerpt mupdf
  "$PY" mk_html.py mupdf "$WORK/mupdf.excerpt.json" "$d/mupdf.html"
  rm -f "$OUT/mupdf.pdf"
  mutool convert -O compress,compress-fonts,garbage -o "$OUT/mupdf.pdf" "$d/mupdf.html" 2>/dev/null
  expected mupdf
}
fx_reportlab() {
  excerpt reportlab
  "$PY" mk_reportlab.py fixture "$WORK/reportlab.excerpt.json" "$OUT/reportlab.pdf"
  expected reportlab
}
fx_ocr() {
  local d=$WORK/ocr; rm -rf "$d"; mkdir -p "$d"; excerpt ocr
  "$PY" mk_reportlab.py ocr-source "$WORK/ocr.excerpt.json" "$d/source.pdf"
  pdftoppm -r 300 -gray "$d/source.pdf" "$d/page"
  local imgs=()
  for f in "$d"/page-*.pgm; do
    convert "$f" -seed 42 -background white -rotate 0.35 -gravity center -extent 2480x3508 \
      -attenuate 0.25 +noise Gaussian -resize 66.6667% -quality 60 -density 200 -units PixelsPerInch \
      -strip "${f%.pgm}.jpg"
    imgs+=("${f%.pgm}.jpg")
  done
  "$PY" -c 'import img2pdf, sys; open(sys.argv[1], "wb").write(img2pdf.convert(sys.argv[2:]))' "$d/scan.pdf" "${imgs[@]}"
  ocrmypdf -q -l fra --output-type pdf --sidecar "$d/sidecar.txt" "$d/scan.pdf" "$OUT/ocr.pdf"
  # the reference is Tesseract's own reading of the same page images
  : > "$d/tesseract.txt"
  for f in "${imgs[@]}"; do tesseract "$f" - -l fra 2>/dev/null >> "$d/tesseract.txt"; done
  if ! diff -q <(tr -d '\f' < "$d/sidecar.txt" | grep -v '^\s*$') <(tr -d '\f' < "$d/tesseract.txt" | grep -v '^\s*$') >/dev/null; then
    echo "note: ocrmypdf sidecar differs from plain tesseract output; using the sidecar (= text layer)" >&2
    cp "$d/sidecar.txt" "$d/tesseract.txt"
  fi
  "$PY" mk_ocr_ref.py "$WORK/ocr.excerpt.json" "$d/tesseract.txt" "$d/ocrref.json"
  expected ocr "$d/ocrref.json"
}

# ------------------------------------------------------------------ long books
long_books() {
  local d=$WORK/long; mkdir -p "$d" "$BOOKS"
  say "pdftex-long (Verne, Un capitaine de quinze ans)"
  "$PY" mk_tex.py long pdftex "$ELTEC" FRA04001 "Un capitaine de quinze ans" "Jules Verne" "$d/pdftex-long.tex"
  latex2 pdflatex "$d" pdftex-long; cp "$d/pdftex-long.pdf" "$BOOKS/"
  say "ghostscript-long (pdftex-long redistilled)"
  gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile="$BOOKS/ghostscript-long.pdf" "$BOOKS/pdftex-long.pdf"
  say "lualatex-long (Sand, Horace)"
  "$PY" mk_tex.py long lualatex "$ELTEC" FRA03704 "Horace" "George Sand" "$d/lualatex-long.tex"
  latex2 lualatex "$d" lualatex-long; cp "$d/lualatex-long.pdf" "$BOOKS/"
  say "chromium-long (Maupassant, Une vie)"
  mkdir -p "$CHROME_DIR"
  "$PY" mk_html.py chromium-long "$ELTEC" FRA02702 "Une vie" "Guy de Maupassant" "$CHROME_DIR/une-vie.html"
  chromium_pdf "$CHROME_DIR/une-vie.html" "$BOOKS/chromium-long.pdf"
  say "libreoffice-long (Flaubert, Madame Bovary)"
  "$PY" mk_fodt.py long "$ELTEC" FRA01302 "Madame Bovary" "Gustave Flaubert" "$d/libreoffice-long.fodt"
  soffice_pdf "$d" libreoffice-long.fodt; cp "$d/libreoffice-long.pdf" "$BOOKS/"
  say "reportlab-long (Maupassant, Bel-Ami)"
  "$PY" mk_reportlab.py long "$ELTEC" FRA02701 "Bel-Ami" "Guy de Maupassant" "$BOOKS/reportlab-long.pdf"
}

if [ "$DO_FIXTURES" = 1 ]; then
  for n in libreoffice qpdf pdftex ghostscript lualatex groff weasyprint chromium mupdf reportlab ocr; do
    if want "$n"; then say "$n"; "fx_$n"; fi
  done
fi
if [ "$DO_LONG" = 1 ]; then long_books; fi
"$PY" "$HERE/report.py" "$ROOT" > "$OUT/README.md"
say "done: see $OUT/README.md"
