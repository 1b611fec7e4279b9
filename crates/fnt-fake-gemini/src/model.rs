//! The simulated model: it reads the numbered source sentences of a protocol v2 prompt (or,
//! with PDF input, the attached pages), answers each sentence with pieces (the local engine's,
//! which paraphrase with the source's own words), and now and then makes the mistakes real
//! models make.
//!
//! Every random choice about a source sentence is seeded from that sentence's text alone (its
//! whitespace normalised, so PDF and text input agree), never from its id, the model id, the
//! request or a global generator: a retried request gets byte-identical output, and a sentence
//! sent again in another request (a halved chunk, renumbered; the same page as PDF) gets the
//! same pieces. Only `merge` and `reorder` need the next sentence; at a request's last
//! sentence (with PDF input, a page's) they do nothing. JSON damage (`malformed`) is a verdict
//! on the whole answer, seeded from the whole request.
//!
//! With PDF input, a page as a whole also draws, seeded by its number and its sentences: it
//! can go missing, come twice, or (the first asked) bring the context page before it along.
//! Those draws come on top of its sentences', so PDF answers err a little more often.
//!
//! A re-ask (the prompt carries corrections, or asks to paraphrase) is drawn in another seed
//! domain, as a corrected model answers afresh: a sentence answered wrong is usually answered
//! right, yet re-asks err at the same rate, and a retried re-ask gets the same answer. Told to
//! paraphrase, the model never copies a sentence back whole.
//!
//! The model works on "source sentence → its pieces" ([`Item`]) and writes them out in the
//! shape of the protocol's answer ([`Answer`]): `[{id, sentences}]`, or per page with PDF input.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use fnt::engine::gemini::protocol::{Answered, PageAnswer, PageSource};
use fnt::engine::local::tag::{Class, Tok, tag};
use fnt::engine::local::words::{word_count, words};

/// A mistake the simulated model can make, by name (`--model-errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelError {
    /// A long sentence answered whole, as one piece over the word limit.
    OverLimit,
    /// A piece cut before its verb, or a subordinate clause standing alone.
    Fragment,
    /// A sentence answered with its own pieces and the next one's, the next id left out (with
    /// PDF input: two sources of a page as one, their originals joined).
    Merge,
    /// An id left out (with PDF input: a source, or a whole page).
    Drop,
    /// Two adjacent entries swapped (with PDF input: two sources of a page).
    Reorder,
    /// A word that is not in the source added to a piece.
    Invent,
    /// An id answered twice in a row, the second time the same or with a word added (with PDF
    /// input: a page answered twice).
    DuplicateId,
    /// An entry under an id that was not asked (above every asked id), holding a context
    /// sentence's rewrite: the model rewrote past the section it was given (with PDF input:
    /// the context page before the asked ones answered first).
    UnknownId,
    /// The whole answer's JSON damaged (mostly repairably). Last in `ALL`: the other kinds
    /// are the sentence kinds.
    Malformed,
}

impl ModelError {
    pub const ALL: [ModelError; 9] = [
        ModelError::OverLimit,
        ModelError::Fragment,
        ModelError::Merge,
        ModelError::Drop,
        ModelError::Reorder,
        ModelError::Invent,
        ModelError::DuplicateId,
        ModelError::UnknownId,
        ModelError::Malformed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ModelError::OverLimit => "over-limit",
            ModelError::Fragment => "fragment",
            ModelError::Merge => "merge",
            ModelError::Drop => "drop",
            ModelError::Reorder => "reorder",
            ModelError::Invent => "invent",
            ModelError::DuplicateId => "duplicate-id",
            ModelError::UnknownId => "unknown-id",
            ModelError::Malformed => "malformed",
        }
    }

    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|&e| e == self).unwrap_or(0)
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelError {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        ModelError::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = ModelError::ALL.iter().map(|e| e.name()).collect();
                format!("unknown model error '{s}' (known: {})", names.join(", "))
            })
    }
}

/// How often the model errs, and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Behaviour {
    /// Per source sentence for the sentence kinds; per answer for `malformed`.
    pub(crate) rate: f64,
    pub(crate) kinds: Vec<ModelError>,
}

impl Behaviour {
    fn enabled(&self, kind: ModelError) -> bool {
        self.kinds.contains(&kind)
    }
}

/// A mistake the model made, as [`FakeState::mistakes`](super::FakeState::mistakes) lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    pub kind: ModelError,
    /// The ids it concerns, with numbered input: the sentence's; for `merge` its own and the
    /// next, which is missing; for `reorder` both, in the order they were asked; for
    /// `unknown-id` the id made up. Empty with PDF input and for `malformed`.
    pub ids: Vec<u32>,
    /// With PDF input, the book page it happened on (for `unknown-id`, the page answered
    /// though not asked).
    pub page: Option<u32>,
    /// The source sentence whose draw made the mistake, on one line; `None` for `malformed`
    /// and for the mistakes about a whole page.
    pub sentence: Option<String>,
    /// Made answering a re-ask (corrections or paraphrase).
    pub reask: bool,
}

impl Mistake {
    /// The whole answer's JSON damaged.
    pub(crate) fn malformed(ask: Ask) -> Self {
        Self {
            kind: ModelError::Malformed,
            ids: Vec::new(),
            page: None,
            sentence: None,
            reask: ask.reask,
        }
    }
}

/// A sentence the model read: its id (numbered input), its text, and the pieces it would
/// write; with PDF input, the book page it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) id: u32,
    pub(crate) original: String,
    pub(crate) pieces: Vec<String>,
    pub(crate) page: u32,
}

/// What the model read, as [`answer`] takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// Numbered sentences, and the pieces of a context sentence (the first after them, else
    /// the last before), which a model that answers an id not asked writes.
    Sentences {
        sources: Vec<Source>,
        context: Vec<String>,
    },
    /// Book pages of an attached PDF, each of the asked range once (in order, perhaps without
    /// any source), and the page before the range when the PDF holds it (context), which a
    /// model that answers a page not asked writes.
    Pages {
        pages: Vec<(u32, Vec<Source>)>,
        before: Option<(u32, Vec<Source>)>,
    },
}

/// What the request asks of the model beyond its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ask {
    /// The prompt's word limit: an over-limit answer must break it.
    pub(crate) limit: usize,
    /// Asked again, with corrections or to paraphrase: the draws come from another domain, so
    /// that a corrected model mostly gets right what it got wrong, and still errs as often.
    pub(crate) reask: bool,
    /// Told to write in its own words: the model never copies a sentence back whole.
    pub(crate) paraphrase: bool,
}

/// One entry of the answer before it is written out: an id's pieces, or with PDF input one
/// source's original and pieces (`id` unused).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    id: u32,
    original: String,
    pieces: Vec<String>,
}

impl Item {
    fn of(source: &Source) -> Self {
        Self {
            id: source.id,
            original: source.original.clone(),
            pieces: source.pieces.clone(),
        }
    }
}

/// The answer, in the shape of the protocol's response schema for its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Sentences(Vec<Answered>),
    Pages(Vec<PageAnswer>),
}

impl Answer {
    /// The answer's JSON, as the model writes it before any damage.
    pub(crate) fn render(&self) -> serde_json::Result<String> {
        match self {
            Answer::Sentences(entries) => serde_json::to_string(entries),
            Answer::Pages(pages) => serde_json::to_string(pages),
        }
    }

    /// The texts of the answer that Google's recitation check reads, in answer order: every
    /// rewritten sentence and, with PDF input, every original the answer transcribes.
    pub(crate) fn texts(&self) -> Vec<&str> {
        match self {
            Answer::Sentences(entries) => entries
                .iter()
                .flat_map(|e| &e.sentences)
                .map(String::as_str)
                .collect(),
            Answer::Pages(pages) => pages
                .iter()
                .flat_map(|p| &p.sources)
                .flat_map(|s| std::iter::once(&s.original).chain(&s.sentences))
                .map(String::as_str)
                .collect(),
        }
    }
}

/// The answer and the mistakes made in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Said {
    pub(crate) answer: Answer,
    pub(crate) mistakes: Vec<Mistake>,
}

/// Deterministic draws from a seed: FNV-1a over the seed text, then SplitMix64 (both fixed
/// here, so outputs do not move with a dependency's version).
#[derive(Debug, Clone)]
pub(crate) struct Draws(u64);

impl Draws {
    pub(crate) fn from_text(domain: &str, text: &str) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in domain.bytes().chain([0]).chain(text.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(hash)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): a rate of 0 never hits and 1 always does.
    pub(crate) fn unit(&mut self) -> f64 {
        // 53 random bits: exactly representable, strictly below 1.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n).unwrap_or(0)
    }
}

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The draws for one page of PDF input: its number and its sentences are the seed (pages
/// without text differ by number), in the domain of a first ask or of a re-ask.
fn page_draws(page: u32, sources: &[Source], ask: Ask) -> Draws {
    let domain = if ask.reask {
        "fake-gemini page reask"
    } else {
        "fake-gemini page"
    };
    let text: Vec<String> = sources.iter().map(|s| normalized(&s.original)).collect();
    Draws::from_text(domain, &format!("{page}\n{}", text.join("\n")))
}

/// The draws for one source sentence: its text is the whole seed, in the domain of a first
/// ask or of a re-ask.
fn sentence_draws(original: &str, ask: Ask) -> Draws {
    let domain = if ask.reask {
        "fake-gemini reask"
    } else {
        "fake-gemini sentence"
    };
    Draws::from_text(domain, &normalized(original))
}

/// The sentence kinds: all but `malformed`, which `ALL` lists last.
const SENTENCE_KINDS: &[ModelError] = match ModelError::ALL.split_last() {
    Some((_, kinds)) => kinds,
    None => &[],
};

/// What can go wrong with a page of PDF input as a whole: missing, answered twice, or the
/// context page before it answered too.
const PAGE_KINDS: [ModelError; 3] = [
    ModelError::Drop,
    ModelError::DuplicateId,
    ModelError::UnknownId,
];

/// The sentence kinds within a page of PDF input: there are no ids to duplicate or make up.
const PDF_SENTENCE_KINDS: [ModelError; 6] = [
    ModelError::OverLimit,
    ModelError::Fragment,
    ModelError::Merge,
    ModelError::Drop,
    ModelError::Reorder,
    ModelError::Invent,
];

/// Words a model likes to slip in; one not in the source is chosen.
const INVENTED: [&str; 8] = [
    "soudain",
    "doucement",
    "vraiment",
    "toujours",
    "alors",
    "encore",
    "tranquillement",
    "pourtant",
];

/// Answers what the model read, with `behaviour`'s mistakes.
pub(crate) fn answer(read: &Read, behaviour: &Behaviour, ask: Ask) -> Said {
    match read {
        Read::Sentences { sources, context } => {
            let (items, mistakes) = walk(sources, SENTENCE_KINDS, context, None, behaviour, ask);
            let entries = items
                .into_iter()
                .map(|item| Answered {
                    id: item.id,
                    sentences: item.pieces,
                })
                .collect();
            Said {
                answer: Answer::Sentences(entries),
                mistakes,
            }
        }
        Read::Pages { pages, before } => answer_pages(pages, before.as_ref(), behaviour, ask),
    }
}

/// Answers book pages: each page as a whole may go missing, come twice, or (the first) bring
/// the context page before it along; within a page, its sentences as they draw.
fn answer_pages(
    pages: &[(u32, Vec<Source>)],
    before: Option<&(u32, Vec<Source>)>,
    behaviour: &Behaviour,
    ask: Ask,
) -> Said {
    let mut mistakes = Vec::new();
    let mut answered = Vec::with_capacity(pages.len());
    for (n, (page, sources)) in pages.iter().enumerate() {
        let mut draws = page_draws(*page, sources, ask);
        let kind = choose(&mut draws, behaviour, &PAGE_KINDS, |kind| {
            kind != ModelError::UnknownId || (n == 0 && before.is_some())
        });
        let made = |kind: ModelError, page: u32| Mistake {
            kind,
            ids: Vec::new(),
            page: Some(page),
            sentence: None,
            reask: ask.reask,
        };
        if kind == Some(ModelError::Drop) {
            mistakes.push(made(ModelError::Drop, *page));
            continue;
        }
        if kind == Some(ModelError::UnknownId)
            && let Some((context_page, context)) = before
        {
            // Answered plainly: the mistake is answering it at all.
            answered.push(page_answer(*context_page, context.iter().map(Item::of)));
            mistakes.push(made(ModelError::UnknownId, *context_page));
        }
        // Within a page only: a merge or reorder never crosses into the next page.
        let (items, made_here) = walk(
            sources,
            &PDF_SENTENCE_KINDS,
            &[],
            Some(*page),
            behaviour,
            ask,
        );
        mistakes.extend(made_here);
        let answer = page_answer(*page, items.into_iter());
        if kind == Some(ModelError::DuplicateId) {
            answered.push(answer.clone());
            mistakes.push(made(ModelError::DuplicateId, *page));
        }
        answered.push(answer);
    }
    Said {
        answer: Answer::Pages(answered),
        mistakes,
    }
}

fn page_answer(page: u32, items: impl Iterator<Item = Item>) -> PageAnswer {
    PageAnswer {
        page,
        sources: items
            .map(|item| PageSource {
                original: item.original,
                sentences: item.pieces,
            })
            .collect(),
    }
}

/// Answers `sources` in order, each as its draws say, with mistakes among `kinds`; `context`
/// is what an entry under an id not asked holds. `page` is set with PDF input, where the
/// mistakes are told by page rather than by id.
fn walk(
    sources: &[Source],
    kinds: &[ModelError],
    context: &[String],
    page: Option<u32>,
    behaviour: &Behaviour,
    ask: Ask,
) -> (Vec<Item>, Vec<Mistake>) {
    let mut items = Vec::with_capacity(sources.len());
    let mut mistakes = Vec::new();
    // Ids made up for `unknown-id` go above every asked one, so they can never be an asked id.
    let mut unasked = sources.iter().map(|s| s.id).max().unwrap_or(0);
    let mut i = 0;
    while let Some(source) = sources.get(i) {
        let mut draws = sentence_draws(&source.original, ask);
        let kind = choose(&mut draws, behaviour, kinds, |kind| {
            possible(kind, source, ask)
        });
        let next = sources.get(i + 1);
        i += 1;
        let made = |kind: ModelError, ids: &[u32]| Mistake {
            kind,
            ids: if page.is_none() {
                ids.to_vec()
            } else {
                Vec::new()
            },
            page,
            sentence: Some(normalized(&source.original)),
            reask: ask.reask,
        };
        match (kind, next) {
            (Some(ModelError::Drop), _) => mistakes.push(made(ModelError::Drop, &[source.id])),
            (Some(ModelError::Merge), Some(next)) => {
                let mut item = Item::of(source);
                item.original = format!("{} {}", source.original.trim(), next.original.trim());
                item.pieces.extend(next.pieces.iter().cloned());
                items.push(item);
                mistakes.push(made(ModelError::Merge, &[source.id, next.id]));
                i += 1;
            }
            (Some(ModelError::Reorder), Some(next)) => {
                items.push(Item::of(next));
                items.push(Item::of(source));
                mistakes.push(made(ModelError::Reorder, &[source.id, next.id]));
                i += 1;
            }
            (Some(ModelError::DuplicateId), _) => {
                let mut again = Item::of(source);
                if draws.below(2) == 1
                    && let Some(pieces) = damaged_pieces(ModelError::Invent, source, &mut draws)
                {
                    again.pieces = pieces;
                }
                items.push(Item::of(source));
                items.push(again);
                mistakes.push(made(ModelError::DuplicateId, &[source.id]));
            }
            (Some(ModelError::UnknownId), _) => {
                items.push(Item::of(source));
                if let Some(id) = unasked.checked_add(1) {
                    unasked = id;
                    let pieces = if context.is_empty() {
                        source.pieces.clone()
                    } else {
                        context.to_vec()
                    };
                    items.push(Item {
                        id,
                        original: String::new(),
                        pieces,
                    });
                    mistakes.push(made(ModelError::UnknownId, &[id]));
                }
            }
            (
                Some(kind @ (ModelError::OverLimit | ModelError::Fragment | ModelError::Invent)),
                _,
            ) => {
                let mut item = Item::of(source);
                if let Some(pieces) = damaged_pieces(kind, source, &mut draws) {
                    item.pieces = pieces;
                    mistakes.push(made(kind, &[source.id]));
                }
                items.push(item);
            }
            // No error, or a pair error at the last sentence.
            _ => items.push(Item::of(source)),
        }
    }
    (items, mistakes)
}

/// Whether the model errs on one thing (a sentence, a page), and how: one of `kinds` that is
/// enabled and `possible` for it, so that the choice depends on the thing alone.
fn choose(
    draws: &mut Draws,
    behaviour: &Behaviour,
    kinds: &[ModelError],
    possible: impl Fn(ModelError) -> bool,
) -> Option<ModelError> {
    if draws.unit() >= behaviour.rate {
        return None;
    }
    let candidates: Vec<ModelError> = kinds
        .iter()
        .copied()
        .filter(|&kind| behaviour.enabled(kind) && possible(kind))
        .collect();
    candidates.get(draws.below(candidates.len())).copied()
}

fn possible(kind: ModelError, source: &Source, ask: Ask) -> bool {
    match kind {
        ModelError::OverLimit => !ask.paraphrase && word_count(&source.original) > ask.limit,
        ModelError::Fragment => source.pieces.iter().any(|p| fragments(p).is_some()),
        ModelError::Invent => source
            .pieces
            .iter()
            .any(|p| p.chars().any(char::is_alphanumeric)),
        ModelError::Merge
        | ModelError::Drop
        | ModelError::Reorder
        | ModelError::DuplicateId
        | ModelError::UnknownId => true,
        ModelError::Malformed => false,
    }
}

fn damaged_pieces(kind: ModelError, source: &Source, draws: &mut Draws) -> Option<Vec<String>> {
    match kind {
        // The lazy answer: the sentence copied back whole.
        ModelError::OverLimit => Some(vec![normalized(&source.original)]),
        ModelError::Fragment => {
            let at = source.pieces.iter().position(|p| fragments(p).is_some())?;
            let (head, tail) = fragments(&source.pieces[at])?;
            let mut pieces = source.pieces.clone();
            pieces.splice(at..=at, [head, tail]);
            Some(pieces)
        }
        ModelError::Invent => {
            let present: Vec<String> = words(&source.original)
                .into_iter()
                .map(str::to_lowercase)
                .collect();
            let choices: Vec<&str> = INVENTED
                .into_iter()
                .filter(|w| !present.iter().any(|p| p == w))
                .collect();
            let word = choices.get(draws.below(choices.len()))?;
            let mut pieces = source.pieces.clone();
            let piece = pieces
                .iter_mut()
                .find(|p| p.chars().any(char::is_alphanumeric))?;
            *piece = with_word_at_end(piece, word);
            Some(pieces)
        }
        _ => None,
    }
}

/// `piece` cut where a careless model cuts it, as two "sentences" at least one of which is
/// not complete: before a relative or subordinate clause ("Il pensait à sa fille." + "Qui
/// vivait à Paris."), else just before the first finite verb ("Le vieil homme." + "Marchait
/// vers la gare."). `None` when neither place exists.
fn fragments(piece: &str) -> Option<(String, String)> {
    let tokens: Vec<&str> = piece.split_whitespace().collect();
    let tagged = tag(piece);
    let class_at = |i: usize| match &tagged.toks[i] {
        Tok::Word(word) => Some((word.class, tagged.ws[i])),
        Tok::Punct(_) => None,
    };
    let found = |wanted: &dyn Fn(Class) -> bool, min_ws: usize| {
        (0..tagged.toks.len())
            .filter_map(class_at)
            .find(|&(class, ws)| wanted(class) && ws >= min_ws && ws < tokens.len())
            .map(|(_, ws)| ws)
    };
    let cut = found(&|c| matches!(c, Class::Relative | Class::Subordinator), 2)
        .or_else(|| found(&|c| c == Class::Finite, 1))?;
    let head = tokens[..cut]
        .join(" ")
        .trim_end_matches([',', ';', ':', ' '])
        .to_owned();
    if !head.chars().any(char::is_alphanumeric) {
        return None;
    }
    let tail = capitalized(&tokens[cut..].join(" "));
    Some((format!("{head}."), tail))
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `word` after the piece's last word, before its closing punctuation.
fn with_word_at_end(piece: &str, word: &str) -> String {
    match piece.rfind(char::is_alphanumeric) {
        Some(at) => {
            let end = at + piece[at..].chars().next().map_or(1, char::len_utf8);
            format!("{} {word}{}", &piece[..end], &piece[end..])
        }
        None => format!("{piece} {word}"),
    }
}

/// How the whole answer's JSON is damaged, when it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Damage {
    /// In a ```json fence: clients strip it.
    Fence,
    /// A comma before the last `]`: a lenient parser repairs it.
    TrailingComma,
    /// The closing brackets missing: a lenient parser repairs it.
    Unclosed,
    /// A line of prose before the JSON and a remark after it: a reader that skips to the
    /// first `[` still meets the remark, and no repair removes it.
    Prose,
}

/// Whether this request's answer is damaged, and how: seeded from the whole request's text.
pub(crate) fn damage(request_text: &str, behaviour: &Behaviour) -> Option<Damage> {
    if !behaviour.enabled(ModelError::Malformed) {
        return None;
    }
    let mut draws = Draws::from_text("fake-gemini answer", request_text);
    if draws.unit() >= behaviour.rate {
        return None;
    }
    // Mostly the repairable kinds, as models mostly break JSON in small ways.
    Some(match draws.below(10) {
        0..=2 => Damage::Fence,
        3..=5 => Damage::TrailingComma,
        6..=8 => Damage::Unclosed,
        _ => Damage::Prose,
    })
}

pub(crate) fn damaged(json: &str, damage: Damage) -> String {
    match damage {
        Damage::Fence => format!("```json\n{json}\n```"),
        Damage::TrailingComma => match json.rfind(']') {
            Some(at) => format!("{},{}", &json[..at], &json[at..]),
            None => format!("{json},"),
        },
        Damage::Unclosed => json.trim_end().trim_end_matches(['}', ']']).to_owned(),
        Damage::Prose => {
            format!("Voici les phrases réécrites :\n{json}\nJ'ai gardé l'ordre du texte.")
        }
    }
}

/// The first answer text that copies a run of at least `min_words` consecutive words from
/// `source` (compared case-blind); `None` when none does or `min_words` is 0.
pub(crate) fn reciting<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    source: &str,
    min_words: usize,
) -> Option<&'a str> {
    if min_words == 0 {
        return None;
    }
    let lower =
        |text: &str| -> Vec<String> { words(text).into_iter().map(str::to_lowercase).collect() };
    let source_words = lower(source);
    if source_words.len() < min_words {
        return None;
    }
    let windows: HashSet<&[String]> = source_words.windows(min_words).collect();
    texts
        .into_iter()
        .find(|text| lower(text).windows(min_words).any(|w| windows.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: u32, original: &str, pieces: &[&str]) -> Source {
        Source {
            id,
            original: original.into(),
            pieces: pieces.iter().map(|p| (*p).to_owned()).collect(),
            page: 1,
        }
    }

    #[test]
    fn every_kind_but_malformed_is_a_sentence_kind() {
        assert_eq!(SENTENCE_KINDS.len(), ModelError::ALL.len() - 1);
        assert!(!SENTENCE_KINDS.contains(&ModelError::Malformed));
    }

    #[test]
    fn names_round_trip() {
        for kind in ModelError::ALL {
            assert_eq!(kind.name().parse::<ModelError>(), Ok(kind));
            assert_eq!(ModelError::ALL[kind.index()], kind);
        }
        assert!(
            "typo"
                .parse::<ModelError>()
                .unwrap_err()
                .contains("unknown model error")
        );
    }

    #[test]
    fn draws_depend_on_the_text_only() {
        let mut a = Draws::from_text("d", "Il pleut.");
        let mut b = Draws::from_text("d", "Il pleut.");
        let mut c = Draws::from_text("d", "Il neige.");
        let (x, y, z) = (a.unit(), b.unit(), c.unit());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!((0.0..1.0).contains(&x));
        assert!(a.below(3) < 3);
        // Line breaks do not change a sentence's seed; a re-ask does.
        let first = Ask {
            limit: 8,
            reask: false,
            paraphrase: false,
        };
        let reask = Ask {
            reask: true,
            ..first
        };
        let mut d = sentence_draws("Il   pleuvait\ndepuis le matin.", first);
        let mut e = sentence_draws("Il pleuvait depuis le matin.", first);
        let mut f = sentence_draws("Il pleuvait depuis le matin.", reask);
        let (d, e, f) = (d.next_u64(), e.next_u64(), f.next_u64());
        assert_eq!(d, e);
        assert_ne!(e, f);
    }

    #[test]
    fn fragments_cut_before_a_clause_or_a_verb() {
        assert_eq!(
            fragments("Il pensait à sa fille qui vivait à Paris depuis des années."),
            Some((
                "Il pensait à sa fille.".into(),
                "Qui vivait à Paris depuis des années.".into()
            ))
        );
        assert_eq!(
            fragments("Le vieil homme marchait lentement vers la gare."),
            Some((
                "Le vieil homme.".into(),
                "Marchait lentement vers la gare.".into()
            ))
        );
        assert_eq!(fragments("Viens !"), None);
    }

    #[test]
    fn invented_words_go_before_the_final_punctuation() {
        assert_eq!(
            with_word_at_end("Il pleuvait.", "soudain"),
            "Il pleuvait soudain."
        );
        assert_eq!(with_word_at_end("« Oui ! »", "alors"), "« Oui alors ! »");
    }

    #[test]
    fn damage_is_mostly_repairable_and_sometimes_not() {
        use fnt::engine::gemini::protocol::read_answer;
        let json = r#"[{"id":1,"sentences":["Il pleut.","Il vente."]},{"id":2,"sentences":["Il neige."]}]"#;
        let parses = |text: &str| serde_json::from_str::<serde_json::Value>(text).is_ok();
        assert!(!parses(&damaged(json, Damage::Fence)));
        assert!(parses(fnt::engine::gemini::wire::strip_json_fences(
            &damaged(json, Damage::Fence)
        )));
        for damage in [Damage::TrailingComma, Damage::Unclosed, Damage::Prose] {
            assert!(!parses(&damaged(json, damage)), "{damage:?}");
        }
        // Only closing brackets go: a parser that closes what is open gets the answer back.
        let unclosed = damaged(json, Damage::Unclosed);
        assert!(json.starts_with(&unclosed) && unclosed.ends_with("Il neige.\""));
        // The protocol's lenient reader repairs all but the prose.
        let whole = read_answer(json).unwrap();
        for damage in [Damage::Fence, Damage::TrailingComma, Damage::Unclosed] {
            assert_eq!(read_answer(&damaged(json, damage)), Some(whole.clone()));
        }
        assert_eq!(read_answer(&damaged(json, Damage::Prose)), None);
        let always = Behaviour {
            rate: 1.0,
            kinds: vec![ModelError::Malformed],
        };
        let mut seen = std::collections::HashSet::new();
        for n in 0..200 {
            let damage = damage(&format!("request {n}"), &always).unwrap();
            seen.insert(format!("{damage:?}"));
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(
            damage(
                "x",
                &Behaviour {
                    rate: 1.0,
                    kinds: vec![]
                }
            ),
            None
        );
    }

    #[test]
    fn a_run_of_copied_words_is_found() {
        let source = "un deux trois quatre cinq six sept huit";
        assert_eq!(
            reciting(["Rien.", "Un deux trois quatre."], source, 4),
            Some("Un deux trois quatre.")
        );
        assert_eq!(reciting(["un deux trois cinq"], source, 4), None);
        assert_eq!(reciting(["un deux trois quatre"], source, 0), None);
    }

    #[test]
    fn without_errors_every_source_is_answered_in_order() {
        let sources = vec![
            source(4, "A b.", &["A b."]),
            source(5, "C d e.", &["C d.", "E."]),
        ];
        let quiet = Behaviour {
            rate: 0.0,
            kinds: ModelError::ALL.to_vec(),
        };
        let ask = Ask {
            limit: 8,
            reask: false,
            paraphrase: false,
        };
        let said = answer(
            &Read::Sentences {
                sources: sources.clone(),
                context: Vec::new(),
            },
            &quiet,
            ask,
        );
        assert!(said.mistakes.is_empty());
        assert_eq!(
            said.answer.render().unwrap(),
            r#"[{"id":4,"sentences":["A b."]},{"id":5,"sentences":["C d.","E."]}]"#
        );
        assert_eq!(said.answer.texts(), ["A b.", "C d.", "E."]);
        let pages = answer(
            &Read::Pages {
                pages: vec![(7, sources), (8, Vec::new())],
                before: None,
            },
            &quiet,
            ask,
        );
        assert_eq!(
            pages.answer.render().unwrap(),
            r#"[{"page":7,"sources":[{"original":"A b.","sentences":["A b."]},{"original":"C d e.","sentences":["C d.","E."]}]},{"page":8,"sources":[]}]"#
        );
        // With PDF input the answer transcribes the originals, which Google reads too.
        assert_eq!(
            pages.answer.texts(),
            ["A b.", "A b.", "C d e.", "C d.", "E."]
        );
    }
}
