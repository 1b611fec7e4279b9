"""Shared helpers for the held-out fixtures: cut ELTeC excerpts into a small block model,
and write the reference JSON (same format as tests/fixtures/producers/*.json).

Block model (list of tuples), rendered by each producer script:
  ("title", [lines])                title page lines (go to title_page)
  ("part", "PREMIÈRE PARTIE")       part heading (its own reference chapter, no paragraphs)
  ("chapter", [printed lines])      chapter heading; reference title = lines joined " — "
  ("p", tokens)                     prose paragraph; tokens = [{"t": str, "i": bool} | {"note": n, "text": s, "sym": "*"}]
  ("epigraph", [lines])             each line is a reference paragraph
  ("verse", [lines])                each verse line is a reference paragraph
  ("right", tokens)                 right-aligned line (dateline, signature): one reference paragraph
  ("break", None)                   scene break "* * *" (not text)
  ("toc", [titles])                 table of contents entries (title_page)
"""
import json
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import eltec  # noqa: E402  (read-only use of the project's ELTeC reader)

ELTEC = "/work/.mirror/COST-ELTeC+ELTeC-fra/repo"
_E = eltec.Eltec(ELTEC)


def nfc(s):
    return unicodedata.normalize("NFC", s)


def meta(xid):
    return _E.meta(xid)


def cut(xid, chapter, words=None, keep_verse=True):
    """Blocks of one ELTeC chapter: ("p", tokens) / ("verse", lines) / ("break", None), up to `words`."""
    doc = _E.tei(xid)
    ch = eltec.chapters(doc)[chapter]
    out, n = [], 0
    for blk in ch:
        if not isinstance(blk.tag, str):
            continue
        name = eltec.local(blk.tag)
        if name in ("head", "pb", "gap", "lb", "fw", "note"):
            continue
        if name == "p":
            r = eltec.runs(blk)
            if not r:
                continue
            out.append(("p", [{"t": t, "i": i} for t, i in r]))
            n += len(eltec.plain(r).split())
        elif name in ("quote", "lg") and keep_verse:
            lines = [eltec.norm("".join(x.itertext())) for x in blk if isinstance(x.tag, str)
                     and eltec.local(x.tag) in ("p", "l")]
            lines = [l for l in lines if l]
            if not lines:
                break
            out.append(("verse", lines))
            n += sum(len(l.split()) for l in lines)
        elif name == "milestone":
            out.append(("break", None))
        else:
            break
        if words and n >= words:
            break
    return out


def heads(xid, chapter):
    doc = _E.tei(xid)
    return eltec.heads(eltec.chapters(doc)[chapter])


def add_note(blocks, after, text, sym, nth_para=None):
    """Insert a footnote token after the first occurrence of `after` in a ("p") block."""
    for bi, (kind, toks) in enumerate(blocks):
        if kind != "p":
            continue
        for k, tok in enumerate(toks):
            pos = tok.get("t", "").find(after)
            if pos >= 0:
                end = pos + len(after)
                new = [{"t": tok["t"][:end], "i": tok["i"]}, {"note": sym, "text": text, "sym": sym},
                       {"t": tok["t"][end:], "i": tok["i"]}]
                toks[k:k + 1] = [t for t in new if t.get("t", None) != ""]
                return
    raise SystemExit("footnote anchor %r not found" % after)


def plain(tokens):
    return "".join(t["t"] for t in tokens if "t" in t)


def words_of(blocks):
    return sum(len(plain(b[1]).split()) for b in blocks if b[0] == "p")


def pdfinfo(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    info = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


def reference(blocks, pdf, xid, made_with, furniture, extra_title_page=()):
    """Reference JSON from the block model (the model is exactly what was typeset)."""
    title_page, chapters, footnotes = [], [], []
    for kind, payload in blocks:
        if kind == "title":
            title_page += payload
        elif kind == "toc":
            title_page += payload
        elif kind == "part":
            chapters.append({"title": payload, "paragraphs": []})
        elif kind == "chapter":
            chapters.append({"title": " — ".join(payload), "paragraphs": []})
        elif kind in ("p", "right"):
            chapters[-1]["paragraphs"].append(plain(payload))
            footnotes += [t["text"] for t in payload if "note" in t]
        elif kind in ("epigraph", "verse"):
            chapters[-1]["paragraphs"].extend(payload)
    info = pdfinfo(pdf)
    prod, creator = info.get("Producer", ""), info.get("Creator", "")
    producer = prod if not creator or creator in prod else "%s (Creator: %s)" % (prod, creator)
    ref = {
        "producer": producer,
        "made_with": made_with,
        "source": meta(xid),
        "reference_kind": "source_text",
        "title_page": title_page + list(extra_title_page),
        "chapters": chapters,
        "furniture": furniture,
        "footnotes": footnotes,
    }

    def fix(o):
        if isinstance(o, str):
            return nfc(" ".join(o.split()))
        if isinstance(o, list):
            return [fix(x) for x in o]
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        return o
    return fix(ref)


def check_strings(pdf, strings):
    raw = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True).stdout
    flat = " ".join(raw.replace("\u00ad", "").split())
    missing = [s for s in strings if " ".join(s.split()) not in flat]
    if missing:
        print("WARNING %s: strings not found verbatim in pdftotext output: %r" % (pdf, missing), file=sys.stderr)


def write_ref(path, ref):
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(ref, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def sh(*cmd, cwd=None, env=None):
    r = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("command failed: %r\n%s\n%s" % (cmd, r.stdout[-3000:], r.stderr[-3000:]))
    return r.stdout
