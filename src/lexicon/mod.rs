//! French full-form lexicon: every inflected form with its lemma, part of
//! speech and morphology.
//!
//! The data is Grammalecte's "fr-allvars" dictionary (Dicollecte lexicon,
//! classic and 1990-reform spellings; see `data/README.md` for
//! provenance and licence), flattened by `scripts/lexicon/build.py` into
//! `data/fr.lex.z` and `fr.idx`, embedded in the binary and unpacked
//! once on first use.
//!
//! # What the source distinguishes
//!
//! * One `Analysis` per (lemma, part of speech, morphology); a form such as
//!   "mange" yields several (indicative and subjunctive present 1s/3s,
//!   imperative 2s). Grammalecte tags that list several moods and persons are
//!   expanded as a cross product.
//! * `Pos::Auxiliary` is Grammalecte's verb group 0, i.e. every form of
//!   *être* and *avoir*; whether a given occurrence is an auxiliary or a main
//!   verb is a matter of syntax, not of the lexicon.
//! * Past participles carry gender and number; finite forms carry person and
//!   number (number derived from the person: 3p is plural); pronouns carry
//!   person when the source gives it (je/tu/il…, not le/la/les or relatives).
//! * `Pos::LocutionPart` marks words that only occur inside a fixed
//!   multi-word expression ("parce" in *parce que*, "afin", "instar").
//! * Inverted first-person forms ("aimè-je", "dussé-je", "puissé-je") are kept
//!   as first-person singular finite forms when the form exists only for that
//!   use; on past participles ("mangé-je") that reading is dropped so that
//!   "mangé" is not a finite verb.
//! * Forms Grammalecte marks as erroneous ("qu" without apostrophe, "t’il"),
//!   punctuation and symbols are left out. A few closed-class gaps are filled
//!   by a hand-written table in the generator ("du"/"des" as preposition +
//!   article contractions like "au"/"aux", "ç’", "etc").
//! * Lemmas are Grammalecte's: articles and personal pronouns are their own
//!   lemma ("la" → "la", "elles" → "elles"), "du" → "du".
//!
//! Lookups expect NFC text with ligatures (ﬁ, ﬂ) already expanded.
//!
//! # Data layout
//!
//! `fr.lex.z` is a little-endian u32 with the inflated size followed by a zlib
//! stream (0.7 MB inflating to 3.2 MB). The inflated blob is:
//!
//! ```text
//! "FLX3"
//! u32 forms, morphsets, codes, entries, analyses, text_len, buckets
//! u32 morph_index[morphsets + 1]   morphset m = codes[morph_index[m]..morph_index[m + 1]]
//! u16 codes[codes]                 packed analyses without lemma
//! forms, sorted by UTF-8 bytes, front-coded: u8 shared prefix, u8 suffix len, suffix
//! entries, form by form, one per lemma: varint (morphset << 2 | last << 1 | lemma is
//!     this form), then unless the lemma is the form itself a zigzag varint of
//!     (lemma's form index - form index): every lemma is itself a form
//! u8  bucket_sizes[buckets]
//! ```
//!
//! A code packs pos (bits 0-3, the variant's position in `Pos`), gender
//! (4-5), number (6-7), person (8-9), mood (10-12) and tense (13-15); those
//! are 0 for "none", otherwise 1 + the variant's position (the person itself).
//!
//! `fr.idx` is the hash index, kept out of the zlib stream because it is
//! random data that deflate cannot shrink; it is used in place, straight from
//! the binary. It holds "FLXI", u32 forms, u32 buckets, then for each bucket
//! in turn a u32 per form: form index (bits 0-20) | hash bits 21-31. A form
//! belongs to bucket `(hash * buckets) >> 64` (128-bit product), with `hash`
//! from `hash_bytes`.
//!
//! Loading therefore only inflates and expands sequential data (about 25 ms
//! of CPU in a release build): sorted order keeps the big part small, and no
//! hash table is built at run time.

use std::fmt;
use std::iter::FusedIterator;
use std::sync::OnceLock;

use flate2::{Decompress, FlushDecompress, Status};

static COMPRESSED: &[u8] = include_bytes!("data/fr.lex.z");
static INDEX: &[u8] = include_bytes!("data/fr.idx");

const MAGIC: &[u8; 4] = b"FLX3";
const INDEX_MAGIC: &[u8; 4] = b"FLXI";
/// Form indexes take the low 21 bits of a u32; entries keep their morphset
/// above them, the hash index keeps hash bits there so that most bucket
/// neighbours are rejected without touching their text.
const INDEX_BITS: u32 = 21;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// The embedded lexicon, unpacked on first call (about 12 MB of memory).
#[allow(dead_code)] // entry point for the hyphenation and sentence passes, not wired yet
pub(crate) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        // The blob is generated and embedded at build time and every test
        // loads it, so a failure here is a build bug, not a runtime condition.
        Lexicon::from_compressed(COMPRESSED, INDEX).expect(
            "embedded src/lexicon/data/fr.lex.z or fr.idx is invalid; rerun scripts/lexicon/build.py",
        )
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pos {
    Noun,
    ProperNoun,
    Adjective,
    Verb,
    /// Any form of *être* or *avoir*.
    Auxiliary,
    Adverb,
    Pronoun,
    Determiner,
    Preposition,
    CoordConj,
    SubConj,
    Interjection,
    /// Cardinal numbers, including Roman numerals.
    Number,
    /// A word that only occurs inside a fixed locution ("parce", "afin").
    LocutionPart,
    /// Prefixes and suffixes listed as such ("archi", "austro").
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Gender {
    Masculine,
    Feminine,
    /// Same form for both genders ("jeune", "je").
    Epicene,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Number {
    Singular,
    Plural,
    /// Same form for both numbers ("souris", "de").
    Invariable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Mood {
    Indicative,
    Subjunctive,
    Conditional,
    Imperative,
    Infinitive,
    PresentParticiple,
    PastParticiple,
}

impl Mood {
    /// Whether a verb in this mood can head a clause on its own.
    pub(crate) fn is_finite(self) -> bool {
        matches!(
            self,
            Mood::Indicative | Mood::Subjunctive | Mood::Conditional | Mood::Imperative
        )
    }
}

/// Simple tenses; conditional and imperative forms are all `Present`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tense {
    Present,
    Imperfect,
    /// Passé simple.
    SimplePast,
    Future,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)] // fields are read by callers that land later
pub(crate) struct Analysis<'a> {
    pub(crate) lemma: &'a str,
    pub(crate) pos: Pos,
    pub(crate) gender: Option<Gender>,
    pub(crate) number: Option<Number>,
    /// 1, 2 or 3.
    pub(crate) person: Option<u8>,
    pub(crate) mood: Option<Mood>,
    pub(crate) tense: Option<Tense>,
}

impl Analysis<'_> {
    /// Indicative, subjunctive, conditional or imperative.
    pub(crate) fn is_finite_verb(&self) -> bool {
        self.mood.is_some_and(Mood::is_finite)
    }
}

pub(crate) struct Lexicon {
    /// Every form, sorted by bytes, concatenated. Each form is UTF-8, checked
    /// when it is read as a lemma (validating 5 MB of accented text at load
    /// cost several ms).
    text: Vec<u8>,
    /// `[text offset, entry offset]` of each form, plus a sentinel.
    forms: Vec<[u32; 2]>,
    /// One per (form, lemma): lemma's form index | morphset << INDEX_BITS.
    entries: Vec<u32>,
    morph_index: Vec<u32>,
    codes: Vec<u16>,
    /// Start of each bucket's run in `index`, plus a sentinel.
    buckets: Vec<u32>,
    /// `fr.idx` after its header: per bucket, u32 LE form index | hash bits.
    index: &'static [u8],
    analyses: usize,
}

impl fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexicon")
            .field("forms", &self.form_count())
            .field("analyses", &self.analyses)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataError(&'static str);

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid lexicon data: {}", self.0)
    }
}

impl std::error::Error for DataError {}

#[allow(dead_code)] // API for the hyphenation and sentence passes, not wired yet
impl Lexicon {
    /// Every analysis of the exact form; if none, of its lowercase form
    /// ("Maison" → "maison"). The apostrophes ' and ʼ are read as ’.
    pub(crate) fn lookup(&self, word: &str) -> Analyses<'_> {
        let exact = if word.contains(['\'', 'ʼ']) {
            self.find_normalized(Normalized::new(word, false))
        } else {
            self.find(word.as_bytes())
        };
        let form = exact.or_else(|| {
            if word.chars().any(char::is_uppercase) {
                self.find_normalized(Normalized::new(word, true))
            } else {
                None
            }
        });
        let entries = form.and_then(|i| self.entries_of(i)).unwrap_or_default();
        Analyses {
            lexicon: self,
            entries,
            lemma: "",
            codes: &[],
        }
    }

    pub(crate) fn is_word(&self, word: &str) -> bool {
        !self.lookup(word).is_empty()
    }

    /// Whether any analysis is an indicative, subjunctive, conditional or
    /// imperative form (infinitives and participles are not finite).
    pub(crate) fn is_finite_verb(&self, word: &str) -> bool {
        self.morphology(word).any(|a| a.is_finite_verb())
    }

    /// The analyses of [`Self::lookup`] without their lemmas (left empty): when only the
    /// morphology matters, the lemmas (another cache miss each) are not resolved.
    pub(crate) fn morphology(&self, word: &str) -> impl Iterator<Item = Analysis<'static>> {
        self.lookup(word)
            .entries
            .iter()
            .filter_map(|&entry| self.morphset((entry >> INDEX_BITS) as usize))
            .flatten()
            .map(|&code| decode("", code))
    }

    /// Number of distinct forms.
    pub(crate) fn form_count(&self) -> usize {
        self.forms.len().saturating_sub(1)
    }

    /// Number of analyses over all forms.
    pub(crate) fn analysis_count(&self) -> usize {
        self.analyses
    }
}

impl Lexicon {
    fn from_compressed(data: &[u8], index: &'static [u8]) -> Result<Self, DataError> {
        let (size, stream) = data
            .split_first_chunk::<4>()
            .ok_or(DataError("truncated size prefix"))?;
        let size = u32::from_le_bytes(*size) as usize;
        let mut blob = Vec::with_capacity(size);
        let status = Decompress::new(true)
            .decompress_vec(stream, &mut blob, FlushDecompress::Finish)
            .map_err(|_| DataError("corrupt zlib stream"))?;
        if status != Status::StreamEnd || blob.len() != size {
            return Err(DataError("inflated size mismatch"));
        }
        Self::from_blob(&blob, index)
    }

    fn from_blob(blob: &[u8], index: &'static [u8]) -> Result<Self, DataError> {
        let mut r = Reader(blob);
        if r.take(4)? != MAGIC {
            return Err(DataError("bad magic (data older or newer than the code?)"));
        }
        let n = r.u32()?;
        let (morphsets, n_codes, n_entries) = (r.u32()?, r.u32()?, r.u32()?);
        let (analyses, text_len, n_buckets) = (r.u32()?, r.u32()?, r.u32()?);
        if n > INDEX_MASK as usize || morphsets > (u32::MAX >> INDEX_BITS) as usize {
            return Err(DataError(
                "too many forms or morphsets for the packed layout",
            ));
        }
        // Bounds that hold for any valid blob, checked before allocating.
        let room = blob.len();
        if n_buckets == 0
            || n_buckets > room
            || 2 * n > room
            || 2 * n_codes > room
            || n_entries > room
            || text_len > 255 * n
        {
            return Err(DataError("section sizes do not fit the blob"));
        }

        // The raw index is generated together with the blob; a mismatch means
        // one of the two files is stale.
        let mut ir = Reader(index);
        if ir.take(4)? != INDEX_MAGIC || ir.u32()? != n || ir.u32()? != n_buckets {
            return Err(DataError("fr.idx does not match fr.lex.z"));
        }
        let index = ir.0;
        if index.len() != 4 * n {
            return Err(DataError("fr.idx has the wrong length"));
        }

        let morph_index = (0..=morphsets)
            .map(|_| r.u32_raw())
            .collect::<Result<Vec<_>, _>>()?;
        // Every morphset is non-empty, which `Analyses::is_empty` relies on.
        let increasing = morph_index.windows(2).all(|w| w[0] < w[1]);
        if morph_index.first() != Some(&0)
            || !increasing
            || morph_index.last() != Some(&(n_codes as u32))
        {
            return Err(DataError("morphset index out of order"));
        }
        let codes = (0..n_codes)
            .map(|_| r.u16())
            .collect::<Result<Vec<_>, _>>()?;

        let mut text = vec![0; text_len];
        let mut forms = Vec::with_capacity(n + 1);
        let (mut end, mut previous) = (0, 0..0);
        for _ in 0..n {
            let [shared, suffix] = r.array()?.map(usize::from);
            let start = end;
            end = start + shared + suffix;
            if shared > previous.len() || end > text_len {
                return Err(DataError("front coding out of range"));
            }
            text.copy_within(previous.start..previous.start + shared, start);
            text[start + shared..end].copy_from_slice(r.take(suffix)?);
            forms.push([start as u32, 0]);
            previous = start..end;
        }
        if end != text_len {
            return Err(DataError("text length mismatch"));
        }
        forms.push([end as u32, 0]);

        let mut entries = Vec::with_capacity(n_entries);
        for (i, form) in forms.iter_mut().enumerate().take(n) {
            form[1] = entries.len() as u32;
            loop {
                let header = r.varint()?;
                let morphset = header >> 2;
                let lemma = if header & 1 != 0 {
                    Some(i)
                } else {
                    let delta = r.varint()?;
                    let magnitude = (delta >> 1) as usize;
                    if delta & 1 == 0 {
                        i.checked_add(magnitude)
                    } else {
                        i.checked_sub(magnitude + 1)
                    }
                };
                let lemma = lemma
                    .filter(|&l| l < n)
                    .ok_or(DataError("lemma out of range"))?;
                if morphset >= morphsets as u64 {
                    return Err(DataError("morphset out of range"));
                }
                entries.push(lemma as u32 | (morphset as u32) << INDEX_BITS);
                if header & 2 != 0 {
                    break;
                }
            }
        }
        if let Some(sentinel) = forms.last_mut() {
            sentinel[1] = entries.len() as u32;
        }
        if entries.len() != n_entries {
            return Err(DataError("entry count mismatch"));
        }

        let mut buckets = Vec::with_capacity(n_buckets + 1);
        let mut total = 0;
        buckets.push(0);
        for &size in r.take(n_buckets)? {
            total += usize::from(size);
            buckets.push(total as u32);
        }
        if total != n || !r.0.is_empty() {
            return Err(DataError("bucket sizes do not match the forms"));
        }

        Ok(Lexicon {
            text,
            forms,
            entries,
            morph_index,
            codes,
            buckets,
            index,
            analyses,
        })
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        self.probe(hash_bytes(key), |form| form == key)
    }

    fn find_normalized(&self, key: Normalized<'_>) -> Option<usize> {
        let (h, len) = hash_iter(key.clone());
        self.probe(h, |form| {
            form.len() == len && form.iter().copied().eq(key.clone())
        })
    }

    fn probe(&self, h: u64, mut matches: impl FnMut(&[u8]) -> bool) -> Option<usize> {
        let n_buckets = self.buckets.len() - 1;
        let bucket = ((u128::from(h) * n_buckets as u128) >> 64) as usize;
        let start = *self.buckets.get(bucket)? as usize;
        let end = *self.buckets.get(bucket + 1)? as usize;
        let (run, _) = self.index.get(4 * start..4 * end)?.as_chunks::<4>();
        let tag = h as u32 & !INDEX_MASK;
        for &value in run {
            let value = u32::from_le_bytes(value);
            if value & !INDEX_MASK == tag {
                let i = (value & INDEX_MASK) as usize;
                if self.form_bytes(i).is_some_and(&mut matches) {
                    return Some(i);
                }
            }
        }
        None
    }

    fn form_range(&self, i: usize, field: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.forms.get(i)?.get(field)?;
        let end = *self.forms.get(i + 1)?.get(field)?;
        Some(start as usize..end as usize)
    }

    fn form_bytes(&self, i: usize) -> Option<&[u8]> {
        self.text.get(self.form_range(i, 0)?)
    }

    fn form_str(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.form_bytes(i)?).ok()
    }

    fn entries_of(&self, i: usize) -> Option<&[u32]> {
        self.entries.get(self.form_range(i, 1)?)
    }

    fn morphset(&self, id: usize) -> Option<&[u16]> {
        let start = *self.morph_index.get(id)? as usize;
        let end = *self.morph_index.get(id + 1)? as usize;
        self.codes.get(start..end)
    }
}

/// Bounds-checked little-endian reader over the inflated blob.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DataError> {
        if n > self.0.len() {
            return Err(DataError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DataError> {
        let (bytes, rest) = self.0.split_first_chunk().ok_or(DataError("truncated"))?;
        self.0 = rest;
        Ok(*bytes)
    }

    fn u16(&mut self) -> Result<u16, DataError> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32_raw(&mut self) -> Result<u32, DataError> {
        self.array().map(u32::from_le_bytes)
    }

    fn u32(&mut self) -> Result<usize, DataError> {
        self.u32_raw().map(|v| v as usize)
    }

    fn varint(&mut self) -> Result<u64, DataError> {
        let mut value = 0;
        for shift in (0..64).step_by(7) {
            let [byte] = self.array()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DataError("varint too long"))
    }
}

/// The analyses of one form, grouped by lemma.
#[derive(Clone, Debug)]
pub(crate) struct Analyses<'a> {
    lexicon: &'a Lexicon,
    /// Entries (lemmas) not yet started.
    entries: &'a [u32],
    lemma: &'a str,
    /// Remaining codes of the current entry.
    codes: &'a [u16],
}

impl Analyses<'_> {
    /// True when nothing is left, e.g. for an unknown word.
    pub(crate) fn is_empty(&self) -> bool {
        // Morphsets are never empty (checked at load).
        self.codes.is_empty() && self.entries.is_empty()
    }
}

impl<'a> Iterator for Analyses<'a> {
    type Item = Analysis<'a>;

    fn next(&mut self) -> Option<Analysis<'a>> {
        loop {
            if let Some((&code, rest)) = self.codes.split_first() {
                self.codes = rest;
                return Some(decode(self.lemma, code));
            }
            let (&entry, rest) = self.entries.split_first()?;
            self.entries = rest;
            // Indexes were range-checked at load and every form is UTF-8 (a
            // test walks them all), so the fallbacks are unreachable.
            self.lemma = self
                .lexicon
                .form_str((entry & INDEX_MASK) as usize)
                .unwrap_or_default();
            self.codes = self
                .lexicon
                .morphset((entry >> INDEX_BITS) as usize)
                .unwrap_or_default();
        }
    }
}

impl FusedIterator for Analyses<'_> {}

fn decode(lemma: &str, code: u16) -> Analysis<'_> {
    const POS: [Pos; 16] = [
        Pos::Noun,
        Pos::ProperNoun,
        Pos::Adjective,
        Pos::Verb,
        Pos::Auxiliary,
        Pos::Adverb,
        Pos::Pronoun,
        Pos::Determiner,
        Pos::Preposition,
        Pos::CoordConj,
        Pos::SubConj,
        Pos::Interjection,
        Pos::Number,
        Pos::LocutionPart,
        Pos::Other,
        Pos::Other,
    ];
    const GENDER: [Option<Gender>; 4] = [
        None,
        Some(Gender::Masculine),
        Some(Gender::Feminine),
        Some(Gender::Epicene),
    ];
    const NUMBER: [Option<Number>; 4] = [
        None,
        Some(Number::Singular),
        Some(Number::Plural),
        Some(Number::Invariable),
    ];
    const MOOD: [Option<Mood>; 8] = [
        None,
        Some(Mood::Indicative),
        Some(Mood::Subjunctive),
        Some(Mood::Conditional),
        Some(Mood::Imperative),
        Some(Mood::Infinitive),
        Some(Mood::PresentParticiple),
        Some(Mood::PastParticiple),
    ];
    const TENSE: [Option<Tense>; 8] = [
        None,
        Some(Tense::Present),
        Some(Tense::Imperfect),
        Some(Tense::SimplePast),
        Some(Tense::Future),
        None,
        None,
        None,
    ];
    let field = |shift: u16, mask: u16| usize::from((code >> shift) & mask);
    let person = field(8, 3) as u8;
    Analysis {
        lemma,
        pos: POS[field(0, 15)],
        gender: GENDER[field(4, 3)],
        number: NUMBER[field(6, 3)],
        person: (person != 0).then_some(person),
        mood: MOOD[field(10, 7)],
        tense: TENSE[field(13, 7)],
    }
}

/// Word-at-a-time FxHash-style mixing with murmur3's fmix64 finaliser, which
/// spreads the high bits the bucket is taken from. Must match `word_hash` in
/// scripts/lexicon/build.py; `hash_iter` gives the same result over a stream.
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = [0; 8];
        word[..tail.len()].copy_from_slice(tail);
        h = mix(h, u64::from_le_bytes(word));
    }
    finish(h, bytes.len())
}

/// `hash_bytes` over a byte stream; also returns the stream's length.
fn hash_iter(bytes: impl Iterator<Item = u8>) -> (u64, usize) {
    let (mut h, mut word, mut len) = (0, 0, 0);
    for b in bytes {
        word |= u64::from(b) << (8 * (len % 8));
        len += 1;
        if len % 8 == 0 {
            h = mix(h, word);
            word = 0;
        }
    }
    if len % 8 != 0 {
        h = mix(h, word);
    }
    (finish(h, len), len)
}

fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

fn finish(h: u64, len: usize) -> u64 {
    let mut h = h ^ len as u64;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The UTF-8 bytes of a word with ' and ʼ replaced by ’ and, optionally,
/// lowercased; computed on the fly so lookups never allocate.
#[derive(Clone)]
struct Normalized<'a> {
    chars: std::str::Chars<'a>,
    lowercase: bool,
    /// Bytes of the current source char after mapping (lowercasing yields at
    /// most 3 chars of at most 4 bytes).
    pending: [u8; 12],
    start: u8,
    end: u8,
}

impl<'a> Normalized<'a> {
    fn new(word: &'a str, lowercase: bool) -> Self {
        Normalized {
            chars: word.chars(),
            lowercase,
            pending: [0; 12],
            start: 0,
            end: 0,
        }
    }

    fn push(&mut self, c: char) {
        let end = usize::from(self.end);
        let len = c.encode_utf8(&mut self.pending[end..]).len();
        self.end += len as u8;
    }
}

impl Iterator for Normalized<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        while self.start == self.end {
            let c = match self.chars.next()? {
                '\'' | 'ʼ' => '’',
                c => c,
            };
            self.start = 0;
            self.end = 0;
            if self.lowercase {
                c.to_lowercase().for_each(|l| self.push(l));
            } else {
                self.push(c);
            }
        }
        let b = self.pending[usize::from(self.start)];
        self.start += 1;
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyses(word: &str) -> Vec<Analysis<'static>> {
        lexicon().lookup(word).collect()
    }

    fn has_pos(word: &str, pos: Pos) -> bool {
        lexicon().lookup(word).any(|a| a.pos == pos)
    }

    #[test]
    fn noun_gender_and_number() {
        let a = analyses("maison");
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].lemma, "maison");
        assert_eq!(a[0].pos, Pos::Noun);
        assert_eq!(a[0].gender, Some(Gender::Feminine));
        assert_eq!(a[0].number, Some(Number::Singular));
        assert_eq!(a[0].mood, None);
        let a = analyses("chevaux");
        assert!(a.iter().any(|a| a.lemma == "cheval"
            && a.pos == Pos::Noun
            && a.gender == Some(Gender::Masculine)
            && a.number == Some(Number::Plural)));
    }

    #[test]
    fn compounds_versus_typesetter_breaks() {
        let lex = lexicon();
        assert!(lex.is_word("après-midi"));
        assert!(!lex.is_word("aprèsmidi"));
        assert!(lex.is_word("nouveau-né"));
        assert!(lex.is_word("maison"));
        assert!(!lex.is_word("mai-son"));
        assert!(!lex.is_word("mai son"));
    }

    #[test]
    fn finite_and_non_finite_verbs() {
        let lex = lexicon();
        let parvint = analyses("parvint");
        assert!(parvint.contains(&Analysis {
            lemma: "parvenir",
            pos: Pos::Verb,
            gender: None,
            number: Some(Number::Singular),
            person: Some(3),
            mood: Some(Mood::Indicative),
            tense: Some(Tense::SimplePast),
        }));
        assert!(lex.is_finite_verb("parvint"));

        assert!(has_pos("partir", Pos::Verb));
        assert!(!lex.is_finite_verb("partir"));
        assert!(
            lex.lookup("partir")
                .any(|a| a.mood == Some(Mood::Infinitive))
        );

        assert!(!lex.is_finite_verb("mangé"));
        assert!(
            lex.lookup("mangé")
                .all(|a| a.mood == Some(Mood::PastParticiple))
        );
        assert!(
            lex.lookup("mangées")
                .any(|a| a.gender == Some(Gender::Feminine) && a.number == Some(Number::Plural))
        );
        assert!(!lex.is_finite_verb("mangeant"));

        // "mange": indicative and subjunctive present 1s/3s, imperative 2s.
        let moods: Vec<_> = lex.lookup("mange").map(|a| (a.mood, a.person)).collect();
        assert_eq!(moods.len(), 5, "{moods:?}");
        assert!(moods.contains(&(Some(Mood::Subjunctive), Some(3))));
        assert!(moods.contains(&(Some(Mood::Imperative), Some(2))));

        assert!(lex.lookup("vont").any(|a| a.lemma == "aller"
            && a.person == Some(3)
            && a.number == Some(Number::Plural)));
        assert!(lex.is_finite_verb("mangerions"));
        assert!(lex.is_finite_verb("fussent"));
        // Inverted-only form ("dussé-je").
        assert!(lex.is_finite_verb("dussé"));
    }

    #[test]
    fn etre_and_avoir_are_auxiliaries() {
        let lex = lexicon();
        assert!(lex.lookup("est").any(|a| a.pos == Pos::Auxiliary
            && a.lemma == "être"
            && a.mood == Some(Mood::Indicative)));
        assert!(lex.is_finite_verb("est"));
        assert!(lex.is_finite_verb("avait"));
        assert!(!lex.is_finite_verb("être"));
        assert!(lex.lookup("été").all(|a| !a.is_finite_verb()));
    }

    #[test]
    fn pronouns_carry_person_gender_number() {
        let elle = analyses("elle");
        assert!(!elle.is_empty());
        assert!(elle.iter().all(|a| a.pos == Pos::Pronoun
            && a.person == Some(3)
            && a.gender == Some(Gender::Feminine)
            && a.number == Some(Number::Singular)));
        assert!(lexicon().lookup("ils").any(|a| a.pos == Pos::Pronoun
            && a.gender == Some(Gender::Masculine)
            && a.number == Some(Number::Plural)));
        assert!(lexicon().lookup("nous").any(|a| a.person == Some(1)));
    }

    #[test]
    fn function_words() {
        for (word, pos) in [
            ("le", Pos::Determiner),
            ("le", Pos::Pronoun),
            ("la", Pos::Determiner),
            ("les", Pos::Determiner),
            ("de", Pos::Preposition),
            ("du", Pos::Preposition),
            ("du", Pos::Determiner),
            ("des", Pos::Preposition),
            ("au", Pos::Preposition),
            ("qui", Pos::Pronoun),
            ("que", Pos::SubConj),
            ("que", Pos::Pronoun),
            ("dont", Pos::Pronoun),
            ("où", Pos::Pronoun),
            ("et", Pos::CoordConj),
            ("mais", Pos::CoordConj),
            ("ou", Pos::CoordConj),
            ("lorsque", Pos::SubConj),
            ("quand", Pos::SubConj),
            ("si", Pos::SubConj),
            ("ne", Pos::Adverb),
            ("pas", Pos::Adverb),
            ("très", Pos::Adverb),
            ("hélas", Pos::Interjection),
            ("deux", Pos::Number),
            ("parce", Pos::LocutionPart),
            ("Paris", Pos::ProperNoun),
            ("etc", Pos::Adverb),
        ] {
            assert!(
                has_pos(word, pos),
                "{word} should be {pos:?}: {:?}",
                analyses(word)
            );
        }
        assert!(!has_pos("et", Pos::Noun));
        assert!(!has_pos("qui", Pos::SubConj));
    }

    #[test]
    fn case_fallback() {
        let lex = lexicon();
        assert_eq!(analyses("Maison"), analyses("maison"));
        assert!(lex.is_finite_verb("PARVINT"));
        assert!(lex.is_word("Élan"));
        // An exact hit wins: "Pierre" is a first name, not the noun.
        assert!(lex.lookup("Pierre").all(|a| a.pos == Pos::ProperNoun));
    }

    #[test]
    fn apostrophes() {
        let lex = lexicon();
        assert!(lex.is_word("aujourd'hui"));
        assert!(lex.is_word("aujourd’hui"));
        assert!(lex.is_word("aujourdʼhui"));
        assert!(lex.is_word("Aujourd'hui"));
        assert!(has_pos("qu'", Pos::SubConj));
        assert!(has_pos("l'", Pos::Determiner));
        assert!(has_pos("ç'", Pos::Pronoun));
        // Erroneous source forms are left out.
        assert!(!lex.is_word("qu"));
        assert!(!lex.is_word("t’il"));
    }

    #[test]
    fn non_words() {
        let lex = lexicon();
        for word in ["", "xqzt", "aprèsmidi", "maisonn", "'", "-", "[", "é'"] {
            assert!(lex.lookup(word).next().is_none(), "{word:?}");
            assert!(lex.lookup(word).is_empty());
            assert!(!lex.is_word(word));
            assert!(!lex.is_finite_verb(word));
        }
        let long = "a".repeat(300);
        assert!(!lex.is_word(&long));
    }

    #[test]
    fn counts() {
        let lex = lexicon();
        assert!(lex.form_count() > 470_000, "{}", lex.form_count());
        assert!(lex.analysis_count() > 600_000, "{}", lex.analysis_count());
    }

    /// Every form must be found again and have analyses with lemmas.
    #[test]
    fn every_form_round_trips() {
        let lex = lexicon();
        let mut total = 0;
        for i in 0..lex.form_count() {
            let form = lex.form_str(i).unwrap();
            assert_eq!(lex.find(form.as_bytes()), Some(i), "{form}");
            assert_eq!(
                hash_iter(form.bytes()),
                (hash_bytes(form.as_bytes()), form.len())
            );
            let analyses = Analyses {
                lexicon: lex,
                entries: lex.entries_of(i).unwrap(),
                lemma: "",
                codes: &[],
            };
            let n = analyses
                .inspect(|a| assert!(!a.lemma.is_empty(), "{form}"))
                .count();
            assert!(n > 0, "{form}");
            total += n;
        }
        assert_eq!(total, lex.analysis_count());
    }

    #[test]
    fn streamed_and_sliced_hashes_agree() {
        for word in [
            "",
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "aujourd’hui",
            "élan",
        ] {
            assert_eq!(
                hash_iter(word.bytes()),
                (hash_bytes(word.as_bytes()), word.len())
            );
        }
        let normalized: Vec<u8> = Normalized::new("AUJOURD'HUI", true).collect();
        assert_eq!(normalized, "aujourd’hui".as_bytes());
    }

    #[test]
    fn corrupt_data_is_rejected() {
        assert!(Lexicon::from_compressed(&[], INDEX).is_err());
        let half = &COMPRESSED[..COMPRESSED.len() / 2];
        assert!(Lexicon::from_compressed(half, INDEX).is_err());
        assert!(Lexicon::from_compressed(COMPRESSED, &INDEX[..INDEX.len() - 4]).is_err());
        assert!(Lexicon::from_compressed(COMPRESSED, &[]).is_err());
        assert!(Lexicon::from_blob(b"FLX3", INDEX).is_err());
        assert!(Lexicon::from_blob(b"FLX1\0\0\0\0", INDEX).is_err());
    }

    #[test]
    fn load_time() {
        let start = std::time::Instant::now();
        let lex = Lexicon::from_compressed(COMPRESSED, INDEX).unwrap();
        // Informational only; release builds should be well under 50 ms.
        println!(
            "lexicon: {} forms inflated in {:?}",
            lex.form_count(),
            start.elapsed()
        );
    }
}
