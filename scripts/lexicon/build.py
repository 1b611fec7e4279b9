#!/usr/bin/python3
"""Build src/lexicon/data/fr.lex.z and fr.idx, the French full-form lexicon
embedded by src/lexicon.

Source: the "fr-allvars" dictionary of Grammalecte's graphspell, as shipped by
Debian's python3-grammalecte (Dicollecte lexicon: classic + 1990-reform
spellings). Run with the system python, which sees the Debian package:

    /usr/bin/python3 scripts/lexicon/build.py

The output is deterministic for a given source dictionary and zlib version.
The binary layout is documented in src/lexicon/mod.rs (module docs, "Data
layout"); the constants below must stay in sync with it. Bump MAGIC when the
layout changes.
"""

import collections
import os
import struct
import sys
import zlib

from grammalecte.graphspell.ibdawg import IBDAWG

DICTIONARY = "fr-allvars.json"
HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "src", "lexicon", "data"))
OUT = os.path.join(DATA_DIR, "fr.lex.z")
OUT_INDEX = os.path.join(DATA_DIR, "fr.idx")

MAGIC = b"FLX3"
INDEX_MAGIC = b"FLXI"
# Hash index entry: form index in the low bits, hash bits above.
INDEX_BITS = 21
TAG_MASK = 0xFFFFFFFF & ~((1 << INDEX_BITS) - 1)

# Packed analysis code (u16), mirrored by `decode` in src/lexicon/mod.rs.
# bits 0-3 pos, 4-5 gender, 6-7 number, 8-9 person, 10-12 mood, 13-15 tense.
POS = {
    "Noun": 0, "ProperNoun": 1, "Adjective": 2, "Verb": 3, "Auxiliary": 4,
    "Adverb": 5, "Pronoun": 6, "Determiner": 7, "Preposition": 8,
    "CoordConj": 9, "SubConj": 10, "Interjection": 11, "Number": 12,
    "LocutionPart": 13, "Other": 14,
}
GENDER = {None: 0, "m": 1, "f": 2, "e": 3}
NUMBER = {None: 0, "s": 1, "p": 2, "i": 3}
MOOD = {None: 0, "Indicative": 1, "Subjunctive": 2, "Conditional": 3, "Imperative": 4,
        "Infinitive": 5, "PresentParticiple": 6, "PastParticiple": 7}
TENSE = {None: 0, "Present": 1, "Imperfect": 2, "SimplePast": 3, "Future": 4}

# Grammalecte verb tense tags -> (mood, tense).
FINITE = {
    "Ip": ("Indicative", "Present"), "Iq": ("Indicative", "Imperfect"),
    "Is": ("Indicative", "SimplePast"), "If": ("Indicative", "Future"),
    "Sp": ("Subjunctive", "Present"), "Sq": ("Subjunctive", "Imperfect"),
    "K": ("Conditional", "Present"), "E": ("Imperative", "Present"),
}
PERSONS = {"1s", "2s", "3s", "1p", "2p", "3p"}
# Inverted first person ("aimè-je", "dussé-je", "puissé-je"): kept as a finite
# first-person singular form when it is the only person on the tag.
INVERTED = {"1ś", "1ŝ"}

# Hand-written additions for closed-class words the source under-describes.
# (form, lemma, pos, gender, number)
SUPPLEMENT = [
    # Grammalecte tags "au"/"aux" as preposition+determiner but "du"/"des"
    # only as determiners, although they are the same contractions (de+le,
    # de+les): "la porte du jardin".
    ("du", "du", "Preposition", None, None),
    ("des", "des", "Preposition", None, None),
    # Elided "ça" ("ç’a été") is missing from the source.
    ("ç’", "ça", "Pronoun", "m", "s"),
    # The source only knows "etc" as part of the locution "et cetera".
    ("etc", "etc", "Adverb", None, None),
]


def code(pos, gender=None, number=None, person=None, mood=None, tense=None):
    return (POS[pos] | GENDER[gender] << 4 | NUMBER[number] << 6
            | (person or 0) << 8 | MOOD[mood] << 10 | TENSE[tense] << 13)


def parse_tag(tag):
    """Grammalecte morphology tag -> list of packed codes ([] = drop the entry).

    A tag looks like ":V1_it_q__a:Ip:Sp:1s:3s;É#G/*": fields separated by ':',
    then optional ';x' / '#x' / '!' markers (usage notes, semantic classes) and
    '/v' (spelling variant). Moods and persons on one tag combine as a cross
    product: ":Ip:Sp:1s:3s" is Ip1s, Ip3s, Sp1s, Sp3s.
    """
    body = tag.split("/", 1)[0]
    for mark in (";", "#", "!"):
        body = body.split(mark, 1)[0]
    fields = [f for f in body.split(":") if f]
    fset = set(fields)
    gender = next((f for f in fields if f in ("m", "f", "e")), None)
    number = next((f for f in fields if f in ("s", "p", "i")), None)

    # Erroneous forms ("qu" without apostrophe, "t’il"), the "_" placeholder
    # and punctuation/symbol characters are not words.
    if "F" in fset or "H" in fset or any(f.startswith("@") for f in fields):
        return []

    verb = next((f for f in fields if f.startswith("V") and len(f) > 1 and f[1].isdigit()), None)
    if verb:
        pos = "Auxiliary" if verb[1] == "0" else "Verb"
        moods = [f for f in fields if f in FINITE]
        persons = [f for f in fields if f in PERSONS]
        out = []
        if "Y" in fset:
            out.append(code(pos, mood="Infinitive"))
        if "P" in fset:
            out.append(code(pos, mood="PresentParticiple"))
        if "Q" in fset:
            # The 1ŝ on past participles ("mangé-je") is dropped: it would make
            # every -er past participle look like a finite verb.
            out.append(code(pos, gender, number, mood="PastParticiple"))
        elif moods and not persons and fset & INVERTED:
            persons = ["1s"]
        for m in moods:
            mood, tense = FINITE[m]
            for p in persons:
                out.append(code(pos, None, p[1], int(p[0]), mood, tense))
        if not out:
            raise ValueError("verb tag without mood: " + tag)
        return out

    out = []

    def nominal(pos):
        out.append(code(pos, gender, number))

    person = next((int(f[1]) for f in fields if f in ("O1", "O2", "O3")), None)
    for f in fields:
        if f in ("N", "T"):
            nominal("Noun")
        elif f in ("M1", "M2", "MP", "NM"):
            nominal("ProperNoun")
        elif f == "A":
            nominal("Adjective")
        elif f in ("W", "X", "U"):
            out.append(code("Adverb"))
        elif f == "J":
            out.append(code("Interjection"))
        elif f in ("B", "Br"):
            nominal("Number")
        elif f == "R":
            out.append(code("Preposition"))
        elif f in ("Cc", "C"):
            # Bare "C" is only used for "sinon" and "partant", which grammars
            # list with the coordinating conjunctions.
            out.append(code("CoordConj"))
        elif f == "Cs":
            out.append(code("SubConj"))
        elif f in ("D", "Dp", "Dd", "Di", "Dn", "De"):
            nominal("Determiner")
        elif f in ("Os", "Oo", "Od", "Oi", "Ot", "Or", "On", "Ow"):
            out.append(code("Pronoun", gender, number, person))
        elif f.startswith("É"):
            out.append(code("LocutionPart"))
        elif f in ("Zp", "Zs"):
            out.append(code("Other"))
        elif f in ("G", "Rv", "Ov", "O1", "O2", "O3", "m", "f", "e", "s", "p", "i"):
            pass  # flags already folded into the analyses above
        else:
            raise ValueError("unknown field %r in tag %r" % (f, tag))
    if not out:
        raise ValueError("tag without part of speech: " + tag)
    return out


def word_hash(data):
    """Word-at-a-time FxHash-style mix + murmur3 fmix64; mirrors `hash_bytes`
    in src/lexicon/mod.rs."""
    m = 0xFFFFFFFFFFFFFFFF
    h = 0
    for i in range(0, len(data), 8):
        word = int.from_bytes(data[i:i + 8], "little")
        h = ((((h << 5) | (h >> 59)) & m) ^ word) * 0x517CC1B727220A95 & m
    h ^= len(data)
    h ^= h >> 33
    h = h * 0xFF51AFD7ED558CCD & m
    h ^= h >> 33
    h = h * 0xC4CEB9FE1A85EC53 & m
    return h ^ (h >> 33)


def write(path, data):
    with open(path + ".tmp", "wb") as fh:
        fh.write(data)
    os.replace(path + ".tmp", path)


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return out


def main():
    dic = IBDAWG(DICTIONARY)
    # form -> lemma -> set of codes
    table = collections.defaultdict(lambda: collections.defaultdict(set))
    raw_entries = 0
    for form, lemma, tag in dic.select():
        raw_entries += 1
        for c in parse_tag(tag):
            table[form][lemma].add(c)
    for form, lemma, pos, gender, number in SUPPLEMENT:
        table[form][lemma].add(code(pos, gender, number))

    forms = sorted(table, key=lambda s: s.encode("utf-8"))
    index = {f: i for i, f in enumerate(forms)}
    missing = sorted({lemma for f in forms for lemma in table[f] if lemma not in index})
    if missing:
        raise ValueError("lemmas that are not forms: %r" % missing[:20])
    if len(forms) >= 1 << INDEX_BITS:
        raise ValueError("too many forms for 21-bit form indexes")

    # Morphsets (distinct code lists) numbered by decreasing use so the common
    # ones get one-byte entry headers.
    uses = collections.Counter(tuple(sorted(codes)) for f in forms for codes in table[f].values())
    morphsets = sorted(uses, key=lambda key: (-uses[key], key))
    morph_id = {key: i for i, key in enumerate(morphsets)}
    if len(morphsets) >= 1 << 11:
        raise ValueError("too many morphsets for 11-bit ids: %d" % len(morphsets))

    # Forms, front-coded against the previous one, then every form's entries.
    form_bytes = bytearray()
    entry_bytes = bytearray()
    n_entries = 0
    n_analyses = 0
    previous = b""
    for i, f in enumerate(forms):
        fb = f.encode("utf-8")
        if len(fb) > 255:
            raise ValueError("form longer than 255 bytes: " + f)
        shared = 0
        while shared < min(len(previous), len(fb)) and previous[shared] == fb[shared]:
            shared += 1
        form_bytes += bytes((shared, len(fb) - shared)) + fb[shared:]
        previous = fb
        lemmas = sorted(table[f], key=lambda s: s.encode("utf-8"))
        for j, lemma in enumerate(lemmas):
            key = tuple(sorted(table[f][lemma]))
            n_entries += 1
            n_analyses += len(key)
            last = j == len(lemmas) - 1
            same = lemma == f
            entry_bytes += varint(morph_id[key] << 2 | last << 1 | same)
            if not same:
                delta = index[lemma] - i
                entry_bytes += varint(delta << 1 if delta >= 0 else (-delta << 1) - 1)

    morph_index = [0]
    codes = []
    for key in morphsets:
        codes.extend(key)
        morph_index.append(len(codes))

    # Static hash index: forms grouped by bucket (two per bucket on average).
    # It is random data that deflate cannot shrink, so it is embedded raw and
    # used in place; only the bucket sizes go into the compressed blob.
    n_buckets = max(1, len(forms) // 2)
    buckets = [[] for _ in range(n_buckets)]
    for i, f in enumerate(forms):
        h = word_hash(f.encode("utf-8"))
        buckets[(h * n_buckets) >> 64].append((h & TAG_MASK) | i)
    if max(len(b) for b in buckets) > 255:
        raise ValueError("bucket overflow")
    index_file = INDEX_MAGIC + struct.pack("<II", len(forms), n_buckets)
    index_file += struct.pack("<%dI" % len(forms), *(v for b in buckets for v in b))

    header = [len(forms), len(morphsets), len(codes), n_entries, n_analyses,
              sum(len(f.encode("utf-8")) for f in forms), n_buckets]
    blob = bytearray(MAGIC)
    blob += struct.pack("<%dI" % len(header), *header)
    blob += struct.pack("<%dI" % len(morph_index), *morph_index)
    blob += struct.pack("<%dH" % len(codes), *codes)
    blob += form_bytes
    blob += entry_bytes
    blob += bytes(len(b) for b in buckets)

    # The uncompressed size leads the file so the loader can allocate once.
    out = struct.pack("<I", len(blob)) + zlib.compress(bytes(blob), 9)
    os.makedirs(DATA_DIR, exist_ok=True)
    write(OUT, out)
    write(OUT_INDEX, index_file)

    print("source entries  %9d (%s, %s)" % (raw_entries, DICTIONARY, dic.sDate), file=sys.stderr)
    print("forms           %9d" % len(forms), file=sys.stderr)
    print("entries         %9d (form, lemma) pairs" % n_entries, file=sys.stderr)
    print("analyses        %9d" % n_analyses, file=sys.stderr)
    print("morphsets       %9d (%d codes)" % (len(morphsets), len(codes)), file=sys.stderr)
    print("uncompressed    %9d bytes" % len(blob), file=sys.stderr)
    print("written         %9d bytes -> %s" % (len(out), OUT), file=sys.stderr)
    print("written         %9d bytes -> %s" % (len(index_file), OUT_INDEX), file=sys.stderr)


if __name__ == "__main__":
    main()
