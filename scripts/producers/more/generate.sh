#!/usr/bin/env bash
# Regenerates the second set of producer fixtures (x-*.pdf/json in tests/fixtures/producers), made
# as a held-out test of layouts the first set lacks: two columns, pocket formats, letters, spaced
# paragraphs, a table of contents at the end, Word documents, ragged right, MuPDF's fonts.
# It writes NAME.pdf and NAME.json in this folder; copy the ones wanted to
# tests/fixtures/producers/x-NAME.{pdf,json}.
# Needs: pdflatex, lualatex (texlive-luatex, fonts-urw-base35 for P052), memoir/charter (texlive),
# soffice, weasyprint, chromium, mutool, groff + ps2pdf, /usr/bin/python3 with lxml + reportlab,
# and a venv with python-docx (created here if missing: python3 -m venv venv; venv/bin/pip install python-docx lxml).
# Texts: ELTeC-fra mirror at /work/.mirror/COST-ELTeC+ELTeC-fra/repo, read with the project's
# scripts/producers/eltec.py (read-only import).
set -euo pipefail
cd "$(dirname "$0")"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC LC_ALL=C.UTF-8
  [ -x venv/bin/python ] || { python3 -m venv venv && venv/bin/pip install -q python-docx lxml; }
  /usr/bin/python3 mk_tex.py twocol pocket letters
  venv/bin/python mk_office.py lo_tocend docx_word
  /usr/bin/python3 mk_misc.py groff weasy reportlab chromium mutool mutool_lib dropcap
