"""Read ELTeC-fra TEI novels and cut excerpts for the producer fixtures.

The ELTeC source is either a git directory (bare mirror, read with `git show HEAD:...`)
or a checked-out work tree containing level1/ and ELTeC-fra_metadata.tsv.

Text policy: the text is kept exactly as ELTeC has it; only whitespace is normalised
(every run of whitespace, including U+00A0 and U+202F, becomes one U+0020; ends are
stripped) and the result is NFC.
"""
import csv
import io
import os
import re
import subprocess
import unicodedata

from lxml import etree

TEI = "http://www.tei-c.org/ns/1.0"
NS = {"t": TEI}
LICENCE = ("public domain text; ELTeC-fra encoding CC-BY 4.0 "
           "(COST Action CA16204, https://github.com/COST-ELTeC/ELTeC-fra)")


class Eltec:
    def __init__(self, path):
        self.path = path
        self.worktree = os.path.isdir(os.path.join(path, "level1"))
        self._meta = None

    def _read(self, rel):
        if self.worktree:
            with open(os.path.join(self.path, rel), "rb") as f:
                return f.read()
        return subprocess.run(["git", "-C", self.path, "show", "HEAD:" + rel],
                              check=True, capture_output=True).stdout

    def _list(self, folder):
        if self.worktree:
            return sorted(folder + "/" + n for n in os.listdir(os.path.join(self.path, folder)))
        out = subprocess.run(["git", "-C", self.path, "ls-tree", "--name-only", "HEAD", folder + "/"],
                             check=True, capture_output=True, text=True).stdout
        return out.split()

    def tei(self, xid):
        files = [f for f in self._list("level1") if os.path.basename(f).startswith(xid + "_")]
        if len(files) != 1:
            raise SystemExit("ELTeC id %s not found (or ambiguous): %r" % (xid, files))
        return etree.fromstring(self._read(files[0]))

    def meta(self, xid):
        if self._meta is None:
            tsv = self._read("ELTeC-fra_metadata.tsv").decode("utf-8")
            self._meta = {r["xmlid"]: r for r in csv.DictReader(io.StringIO(tsv), delimiter="\t")}
        m = self._meta[xid]
        return {
            "eltec_id": xid,
            "author": m["author-name"],
            "title": m["title"],
            "year": int(m["reference-year"]),
            "licence": LICENCE,
        }


def norm(s):
    return unicodedata.normalize("NFC", " ".join(s.split()))


def local(tag):
    return tag.split("}")[1] if isinstance(tag, str) and "}" in tag else tag


def runs(el):
    """Inline content of a TEI block as [(text, italic)], whitespace-normalised.

    <hi>, <emph>, <title>, <foreign> are italic; everything else is plain text."""
    raw = []

    # a child's tail takes the parent's style
    def walk2(e, ital):
        it = ital or local(e.tag) in ("hi", "emph", "title", "foreign")
        if e.text:
            raw.append((e.text, it))
        for c in e:
            if isinstance(c.tag, str):
                walk2(c, it)
            if c.tail:
                raw.append((c.tail, it))

    walk2(el, False)
    merged = []
    for text, it in raw:
        if merged and merged[-1][1] == it:
            merged[-1] = (merged[-1][0] + text, it)
        else:
            merged.append((text, it))
    out = [(re.sub(r"\s+", " ", text), it) for text, it in merged]
    out = [(t, i) for t, i in out if t]
    # collapse spaces across run boundaries, strip ends
    res = []
    prev_space = True
    for text, it in out:
        if prev_space and text.startswith(" "):
            text = text.lstrip(" ")
        if not text:
            continue
        res.append([text, it])
        prev_space = text.endswith(" ")
    if res:
        res[-1][0] = res[-1][0].rstrip(" ")
        if not res[-1][0]:
            res.pop()
    res = [(unicodedata.normalize("NFC", t), i) for t, i in res]
    assert "".join(t for t, _ in res) == norm("".join(el.itertext())), el
    return res


def chapters(doc):
    return doc.findall(".//t:body//t:div[@type='chapter']", NS)


def heads(ch):
    return [norm("".join(h.itertext())) for h in ch.findall("t:head", NS)]


def excerpt(doc, spec):
    """spec: list of dicts {chapter: index, words: N | paragraphs: N | None (whole chapter)}.

    Takes <p> children from the chapter start; stops before the first non-<p> block
    (verse, milestone, quote...) so that every fixture paragraph is plain prose."""
    chs = chapters(doc)
    out = []
    for s in spec:
        ch = chs[s["chapter"]]
        paras = []
        nwords = 0
        for blk in ch:
            name = local(blk.tag)
            if name == "head" or not isinstance(blk.tag, str):
                continue
            if name != "p":
                break
            r = runs(blk)
            if not r:
                continue
            paras.append(r)
            nwords += len("".join(t for t, _ in r).split())
            if "words" in s and nwords >= s["words"]:
                break
            if "paragraphs" in s and len(paras) >= s["paragraphs"]:
                break
        out.append({"heads": heads(ch), "paragraphs": paras})
    return out


def plain(par):
    return "".join(t for t, _ in par)


# ---------------------------------------------------------------- whole novels
def blocks(doc):
    """Whole novel as a flat list of (kind, payload) for the long benchmark books.

    kinds: part (heads), chapter (heads), p (runs), verse (runs), break (None)."""
    out = []
    body = doc.find(".//t:body", NS)

    def walk(e):
        for c in e:
            if not isinstance(c.tag, str):
                continue
            n = local(c.tag)
            if n == "div":
                hs = heads(c)
                kind = "chapter" if c.get("type") == "chapter" else "part"
                if hs:
                    out.append((kind, hs))
                walk(c)
            elif n == "head":
                continue
            elif n in ("p", "trailer", "epigraph", "opener", "closer", "salute", "signed", "byline", "dateline"):
                if local(c.tag) == "p" or len(c) == 0 or all(local(x.tag) not in ("p", "lg", "l") for x in c):
                    r = runs(c)
                    if r:
                        out.append(("p", r))
                else:
                    walk(c)
            elif n == "l":
                r = runs(c)
                if r:
                    out.append(("verse", r))
            elif n in ("lg", "quote", "floatingText", "sp", "list", "item", "label"):
                if any(local(x.tag) in ("p", "l", "lg", "quote", "item") for x in c if isinstance(x.tag, str)):
                    walk(c)
                else:
                    r = runs(c)
                    if r:
                        out.append(("p", r))
            elif n == "milestone":
                out.append(("break", None))
            elif n in ("pb", "gap", "lb", "cb", "fw", "note"):
                continue
            else:
                r = runs(c)
                if r:
                    out.append(("p", r))

    walk(body)
    return out
