//! Cutting one long sentence into short sentences that each stand alone.
//!
//! The sentence is read in "units" (a word with the punctuation that belongs to it) and tagged
//! (`tag`). A cut may fall only where both sides can be complete: after `;` `:` `—` or a comma
//! before a new clause; before a coordinator ("et" goes, "mais", "car", "puis", "donc" stay);
//! before a relative "qui", whose antecedent comes back as a subject pronoun ("…cette lettre,
//! qui me parvint" → "Elle me parvint"); before a second verb of the same subject, which the
//! cut repeats ("Il se leva et partit." → "Il partit."). Of all the ways to cut at those places
//! whose every piece passes the completeness check (`clause`), the one chosen leaves the
//! fewest words over the limit, then makes the fewest pieces. When no cut does better, the
//! sentence stays whole: a long complete sentence beats short fragments.

use super::clause::{self, Subject};
use super::tag::{Class, Tagged, Tok, Word, tag};
use super::words::{QuoteDepth, word_count};
use crate::engine::PieceKind;

#[derive(Debug, Clone, Copy)]
pub struct SplitOptions {
    pub max_words: usize,
    pub min_words: usize,
    pub keep_dialogue_whole: bool,
}

/// One sentence made from a source sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub kind: PieceKind,
    /// Words the piece has that its source does not have there: a restored subject.
    pub added: Vec<String>,
}

/// From each cut place, pieces are tried to the following places until this many are complete
/// sentences: a longer one never costs less.
const CHOICES: usize = 8;
/// ... or until a piece would hold this many words: past that, the sentence stays whole
/// rather than the search growing with the square of its length.
const MAX_PIECE_WORDS: usize = 400;

/// Cuts one sentence into complete sentences of at most `max_words` words where it can (see
/// the module doc). A sentence within the limit comes back whole; a blank one gives nothing.
/// With `keep_dialogue_whole`, text inside « … », “ … ” or "…" is never cut.
#[cfg(test)]
pub fn split_sentence(sentence: &str, opts: SplitOptions) -> Vec<Piece> {
    split_quoted(sentence, opts, false)
}

/// [`split_sentence`] for a sentence that may stand inside a quotation opened by an earlier
/// sentence of its paragraph (`quoted`): its pieces are marked as speech like the others.
pub fn split_quoted(sentence: &str, opts: SplitOptions, quoted: bool) -> Vec<Piece> {
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    if tokens.is_empty() {
        return Vec::new();
    }
    let whole = tokens.join(" ");
    let max = opts.max_words.max(1);
    let units = build_units(&tokens);
    if units.len() <= max {
        return vec![whole_piece(&whole, max, quoted)];
    }
    let tagged = tag(&whole);
    let layout = Layout::new(&tokens, units, &tagged, quoted);
    let nodes = find_cuts(&layout, opts);
    match choose(&layout, &nodes, max, opts.min_words.max(1)) {
        Some(pieces) if pieces.len() > 1 => pieces,
        _ => vec![whole_piece(&whole, max, quoted)],
    }
}

/// Opens the quotation a sentence stands in, unless it opens one itself.
fn mark_speech(text: &str, quoted: bool) -> String {
    if quoted && !text.starts_with(['«', '“', '"', '—', '–']) {
        format!("« {text}")
    } else {
        text.to_owned()
    }
}

fn whole_piece(whole: &str, max: usize, quoted: bool) -> Piece {
    Piece {
        text: balance(&mark_speech(whole, quoted)),
        kind: if word_count(whole) > max {
            PieceKind::OverLimit
        } else {
            PieceKind::Verbatim
        },
        added: Vec::new(),
    }
}

/// The sentence's tokens, units and tags, and which tags each unit holds.
struct Layout<'a> {
    tokens: &'a [&'a str],
    units: Vec<Unit>,
    tagged: &'a Tagged,
    /// Tok index range of each unit.
    unit_toks: Vec<std::ops::Range<usize>>,
    /// The apostrophe the book uses, for a restored "j'".
    apostrophe: char,
    /// How deep inside quotations each unit starts, and (last) where the sentence ends: a
    /// piece starting inside one is speech too, and is not cut when dialogue stays whole.
    quote_depth: Vec<u32>,
}

impl<'a> Layout<'a> {
    fn new(tokens: &'a [&'a str], units: Vec<Unit>, tagged: &'a Tagged, quoted: bool) -> Self {
        let mut unit_toks = Vec::with_capacity(units.len());
        let mut t = 0;
        for u in &units {
            while t < tagged.ws.len() && tagged.ws[t] < u.first {
                t += 1;
            }
            let start = t;
            while t < tagged.ws.len() && tagged.ws[t] <= u.last {
                t += 1;
            }
            unit_toks.push(start..t);
        }
        let apostrophe = if tokens.iter().any(|t| t.contains('’')) {
            '’'
        } else {
            '\''
        };
        let mut quotes = QuoteDepth::default();
        if quoted {
            quotes.feed('«');
        }
        let mut quote_depth = Vec::with_capacity(units.len() + 1);
        for u in &units {
            quote_depth.push(quotes.depth());
            for t in tokens.get(u.first..=u.last).unwrap_or_default() {
                t.chars().for_each(|c| {
                    quotes.feed(c);
                });
            }
        }
        quote_depth.push(quotes.depth());
        Self {
            tokens,
            units,
            tagged,
            unit_toks,
            apostrophe,
            quote_depth,
        }
    }

    fn unit_text(&self, u: usize) -> String {
        let u = self.units[u];
        self.tokens
            .get(u.first..=u.last)
            .map(|ts| ts.join(" "))
            .unwrap_or_default()
    }

    /// The text of units `from..to`.
    fn body(&self, from: usize, to: usize) -> String {
        if from >= to {
            return String::new();
        }
        let first = self.units[from].first;
        let last = self.units[to - 1].last;
        self.tokens
            .get(first..=last)
            .map(|ts| ts.join(" "))
            .unwrap_or_default()
    }

    /// The punctuation after unit `u`'s word (`trailing`) or before it.
    fn edge(&self, u: usize, trailing: bool) -> Edge {
        let Some(range) = self.unit_toks.get(u) else {
            return Edge::default();
        };
        let toks = &self.tagged.toks[range.clone()];
        let is_word = |t: &Tok| matches!(t, Tok::Word(_));
        let puncts = if trailing {
            &toks[toks.iter().rposition(is_word).map_or(0, |i| i + 1)..]
        } else {
            &toks[..toks.iter().position(is_word).unwrap_or(toks.len())]
        };
        Edge::of(puncts)
    }

    fn first_word(&self, u: usize) -> Option<(usize, &Word)> {
        let range = self.unit_toks.get(u)?.clone();
        range
            .into_iter()
            .find_map(|i| self.tagged.word(i).map(|w| (i, w)))
    }

    fn last_word(&self, u: usize) -> Option<(usize, &Word)> {
        let range = self.unit_toks.get(u)?.clone();
        range
            .rev()
            .find_map(|i| self.tagged.word(i).map(|w| (i, w)))
    }

    fn refs(&self) -> Vec<&Tok> {
        self.tagged.toks.iter().collect()
    }
}

/// A place to cut, and how the piece after it begins.
struct Node {
    /// The piece before ends before this unit.
    end_before: usize,
    /// Words the next piece begins with that are not its units: a kept coordinator, a
    /// restored subject.
    head: String,
    head_toks: Vec<Tok>,
    /// Words of `head` as the piece counts them ("j'" and its verb are one).
    head_words: usize,
    added: Vec<String>,
    /// The next piece's units start here.
    resume: usize,
    /// The next piece is a relative clause made a sentence: it must end where the clause
    /// does, at the next cut, with no pause inside ("Elle ressemblait…, et par un regard…").
    relative: bool,
}

impl Node {
    fn start() -> Self {
        Node {
            end_before: 0,
            head: String::new(),
            head_toks: Vec::new(),
            head_words: 0,
            added: Vec::new(),
            resume: 0,
            relative: false,
        }
    }
}

/// The punctuation on one side of a unit's word, as the cut there needs it.
#[derive(Default)]
struct Edge {
    /// `;` `:` `…` `!` `?` a dash or a parenthesis: a pause between sentences.
    strong: bool,
    comma: bool,
    empty: bool,
}

impl Edge {
    fn of(puncts: &[Tok]) -> Self {
        let mut edge = Edge {
            empty: true,
            ..Edge::default()
        };
        let mut dots = 0;
        for t in puncts {
            let Tok::Punct(c) = t else { continue };
            edge.empty = false;
            match c {
                ';' | ':' | '…' | '!' | '?' | '—' | '–' | '―' | ')' | '(' => {
                    edge.strong = true
                }
                ',' => edge.comma = true,
                '.' => dots += 1,
                _ => {}
            }
        }
        edge.strong |= dots >= 2;
        edge
    }
}

/// Every place a cut could fall, in order, with what the piece after it must begin with.
fn find_cuts(layout: &Layout<'_>, opts: SplitOptions) -> Vec<Node> {
    let n = layout.units.len();
    let refs = layout.refs();
    let mut nodes = vec![Node::start()];
    for g in 1..n {
        if opts.keep_dialogue_whole && layout.quote_depth.get(g).copied().unwrap_or(0) > 0 {
            continue;
        }
        let (trail, lead) = (layout.edge(g - 1, true), layout.edge(g, false));
        let strong = trail.strong || lead.strong;
        let comma = trail.comma;
        let Some((first_tok, first)) = layout.first_word(g) else {
            continue;
        };
        let coordinator = first.class == Class::Coordinator && lead.empty;
        if !(strong || comma || coordinator) {
            continue;
        }
        let mut node = Node {
            end_before: g,
            resume: g,
            ..Node::start()
        };
        let mut next_tok = first_tok;
        if coordinator {
            if g + 1 >= n {
                continue;
            }
            if first.lower != "et" {
                node.head = layout.unit_text(g);
            }
            node.resume = g + 1;
            match layout.first_word(g + 1) {
                Some((t, _)) => next_tok = t,
                None => continue,
            }
        }
        let Some(next) = layout.tagged.word(next_tok) else {
            continue;
        };
        let and_who = coordinator && first.lower == "et";
        let restored = if next.lower == "qui" && (comma && !coordinator || and_who) {
            // ", qui" hangs on the phrase before the comma; "et qui" on the one the previous
            // "qui" hung on.
            let antecedent_end = if and_who {
                previous_antecedent_end(layout, first_tok)
            } else {
                layout.last_word(g - 1).map(|(i, _)| i)
            };
            match antecedent_end.and_then(|end| relative_subject(layout, &refs, end, next_tok)) {
                Some(subject) => {
                    node.resume += 1;
                    node.relative = true;
                    Some(subject)
                }
                None => continue,
            }
        } else if opens_with_bare_verb(&refs, next_tok) {
            match shared_subject(layout, &refs, next_tok) {
                Some(subject) => Some(subject),
                // "Otez les tableaux, distinguez…": an imperative after an imperative needs no
                // subject.
                None if verb_at(&refs, next_tok)
                    .is_some_and(|v| v.feats.imperative && v.class == Class::Finite)
                    && follows_an_imperative(layout, &refs, next_tok) =>
                {
                    None
                }
                None => continue,
            }
        } else if (comma || coordinator) && !strong && !clause::opens_clause(&refs, next_tok) {
            // After a comma or "et", only a new clause makes a new sentence: "meubles et
            // immeubles", "mon ami, qui" and vocatives stay where they are.
            continue;
        } else {
            None
        };
        if let Some(subject) = restored {
            let body_start = layout.body(node.resume, (node.resume + 1).min(n));
            let subject = elide(&subject, &body_start, layout.apostrophe);
            node.added = subject.split_whitespace().map(str::to_owned).collect();
            if !node.head.is_empty() {
                node.head.push(' ');
            }
            node.head.push_str(&subject);
        }
        node.head_toks = tag(&node.head).toks;
        node.head_words = word_count(&node.head) - usize::from(node.head.ends_with(['\'', '’']));
        nodes.push(node);
    }
    nodes
}

/// A finite verb with nothing before it but a negation and object pronouns: its subject is
/// the previous clause's. An incise ("…, répondit le docteur") is not such a verb.
fn opens_with_bare_verb(toks: &[&Tok], from: usize) -> bool {
    for (i, t) in toks.iter().enumerate().skip(from) {
        let Tok::Word(w) = t else { return false };
        // "et dit avec indifférence": a form that could be a noun is the verb here.
        let verb = w.class == Class::Finite || i == from && loose_verb(w);
        match w.class {
            Class::Negation | Class::Clitic => continue,
            _ if verb => {
                let speech = w.feats.saying
                    && toks.get(i + 1).is_some_and(|t| match t {
                        Tok::Word(n) => {
                            matches!(
                                n.class,
                                Class::Determiner
                                    | Class::ProperNoun
                                    | Class::Noun
                                    | Class::Pronoun
                            ) || n.lower == "m"
                        }
                        Tok::Punct(_) => false,
                    });
                return !w.inverted
                    && !speech
                    && !super::tag::PRESENTATIVES.contains(&w.lower.as_str());
            }
            _ => return false,
        }
    }
    false
}

/// A form read as a noun that is a verb when it opens the clause after "et" ("et dit avec
/// indifférence"); never one that can be a function word ("et plus tard").
fn loose_verb(w: &Word) -> bool {
    let f = &w.feats;
    f.finite && !(f.determiner || f.adverb || f.preposition || f.pronoun || f.number)
}

/// The verb a clause opening at `from` starts with (after a negation and object pronouns).
fn verb_at<'t>(toks: &[&'t Tok], from: usize) -> Option<&'t Word> {
    toks.iter()
        .enumerate()
        .skip(from)
        .find_map(|(i, t)| match t {
            Tok::Word(w) if matches!(w.class, Class::Negation | Class::Clitic) => None,
            Tok::Word(w) if w.class == Class::Finite || i == from && loose_verb(w) => Some(Some(w)),
            _ => Some(None),
        })?
}

/// Whether the nearest finite verb before `from` is an imperative without a subject.
fn follows_an_imperative(layout: &Layout<'_>, toks: &[&Tok], from: usize) -> bool {
    (0..from)
        .rev()
        .find(|&i| {
            layout
                .tagged
                .word(i)
                .is_some_and(|w| w.class == Class::Finite)
        })
        .is_some_and(|i| {
            let w = layout.tagged.word(i);
            w.is_some_and(|w| w.feats.imperative || w.imperative_clitics)
                && clause::subject_of(toks, i).is_none()
        })
}

/// The subject the previous main clause had, for a verb at `verb_from` that shares it.
fn shared_subject(layout: &Layout<'_>, toks: &[&Tok], verb_from: usize) -> Option<String> {
    let verb = verb_at(toks, verb_from)?;
    // The cut's own pause and coordinator are crossed; another one means the verb had a
    // subject of its own in between ("; et tout, dans l'appartement, sembla").
    let mut i = verb_from;
    while i > 0 && is_pause(toks[i - 1]) {
        i -= 1;
    }
    let floor = i.saturating_sub(120);
    while i > floor {
        i -= 1;
        let w = match toks[i] {
            Tok::Punct(';' | ':' | '—' | '–') => return None,
            Tok::Punct(_) => continue,
            Tok::Word(w) if w.class == Class::Coordinator => return None,
            Tok::Word(w) => w,
        };
        if w.class != Class::Finite || w.inverted {
            continue;
        }
        match clause::subject_of(toks, i) {
            Some(Subject::Relative) => return None,
            Some(Subject::Phrase { start, end }) => {
                if toks[..start].last().is_some_and(|t| {
                    matches!(t, Tok::Word(b) if matches!(b.class, Class::Relative | Class::Subordinator))
                }) {
                    return None;
                }
                return subject_words(layout, start, end, verb);
            }
            None => continue,
        }
    }
    None
}

fn is_pause(t: &Tok) -> bool {
    match t {
        Tok::Punct(_) => true,
        Tok::Word(w) => w.class == Class::Coordinator,
    }
}

/// The words that restore the subject `start..=end` before `verb`, if the verb agrees.
fn subject_words(layout: &Layout<'_>, start: usize, end: usize, verb: &Word) -> Option<String> {
    let words = clause::words_between(layout.tagged, start, end);
    if let [only] = words.as_slice()
        && matches!(only.class, Class::Subject | Class::Ce)
    {
        let pronoun = match only.lower.as_str() {
            "j'" => "je",
            "c'" | "ç'" => "ce",
            other => other,
        };
        let (person, plural) = clause::person_of(pronoun)?;
        return verb
            .feats
            .agrees_with(person, plural)
            .then(|| pronoun.to_owned());
    }
    noun_phrase_subject(layout, start, end, verb)
}

/// A pronoun for the noun phrase `start..=end` (or the phrase itself, for a name or when its
/// gender does not show), if the verb agrees with it.
fn noun_phrase_subject(
    layout: &Layout<'_>,
    start: usize,
    end: usize,
    verb: &Word,
) -> Option<String> {
    let words = clause::words_between(layout.tagged, start, end);
    let proper = words.iter().any(|w| w.class == Class::ProperNoun);
    if !proper && let Some(pronoun) = clause::pronoun_for(&words) {
        let plural = matches!(pronoun, "ils" | "elles");
        return verb
            .feats
            .agrees_with(3, plural)
            .then(|| pronoun.to_owned());
    }
    let plural = words.iter().any(|w| w.lower == "et");
    let agrees =
        verb.feats.agrees_with(3, plural) || !proper && !plural && verb.feats.agrees_with(3, true);
    agrees.then(|| phrase_text(layout.tagged, start, end))
}

/// The words of toks `start..=end` as written ("M. Stepark", "l'homme").
fn phrase_text(tagged: &Tagged, start: usize, end: usize) -> String {
    let mut out = String::new();
    for t in &tagged.toks[start..=end] {
        match t {
            Tok::Word(w) => {
                if !out.is_empty() && !out.ends_with(['\'', '’']) {
                    out.push(' ');
                }
                out.push_str(&w.text);
            }
            Tok::Punct('.') => out.push('.'),
            Tok::Punct(_) => {}
        }
    }
    out
}

/// Where the antecedent of the last "qui" before `before` ends ("…une femme de ménage qui
/// s'occupait de tout, et qui tenait…").
fn previous_antecedent_end(layout: &Layout<'_>, before: usize) -> Option<usize> {
    let qui = (0..before)
        .rev()
        .find(|&i| layout.tagged.word(i).is_some_and(|w| w.lower == "qui"))?;
    (0..qui).rev().find(|&i| layout.tagged.word(i).is_some())
}

/// The antecedent ending at tok `end` of "qui" at `qui_tok`, as a subject for its verb.
fn relative_subject(
    layout: &Layout<'_>,
    toks: &[&Tok],
    end: usize,
    qui_tok: usize,
) -> Option<String> {
    let verb = verb_at(toks, qui_tok + 1)?;
    let mut end = end;
    // The nearest noun, then the one its complement hangs on ("la mère de ces enfants").
    for _ in 0..3 {
        let w = layout.tagged.word(end)?;
        if !matches!(w.class, Class::Noun | Class::ProperNoun) {
            return None;
        }
        let start = clause::phrase_start(toks, end);
        let before = start.checked_sub(1)?;
        // "une femme de ménage, qui": a bare noun after "de" completes the noun before it.
        let bare_complement = !matches!(toks[start], Tok::Word(d) if d.class == Class::Determiner)
            && w.class == Class::Noun
            && layout
                .tagged
                .word(before)
                .is_some_and(|p| p.class == Class::Preposition);
        if !bare_complement && let Some(subject) = noun_phrase_subject(layout, start, end, verb) {
            return Some(subject);
        }
        if layout.tagged.word(before)?.class != Class::Preposition {
            return None;
        }
        end = before.checked_sub(1)?;
    }
    None
}

/// "je" before a vowel is "j'"; "ce" is "c'".
fn elide(subject: &str, next: &str, apostrophe: char) -> String {
    let vowel = next
        .chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| "aeiouyhâàéèêëîïôûùœAEIOUYHÂÀÉÈÊËÎÏÔÛÙŒ".contains(c));
    match subject {
        "je" if vowel => format!("j{apostrophe}"),
        "ce" if vowel => format!("c{apostrophe}"),
        _ => subject.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Cost {
    /// Words over the limit, summed over pieces.
    excess: usize,
    over: usize,
    pieces: usize,
    rewritten: usize,
}

/// The best way through the cut places, or `None` when only the whole sentence is complete.
/// Pieces are judged on the sentence's tags; only the chosen ones are written out.
fn choose(layout: &Layout<'_>, nodes: &[Node], max: usize, min: usize) -> Option<Vec<Piece>> {
    let n = layout.units.len();
    let end = nodes.len();
    let mut best: Vec<Option<(Cost, usize)>> = vec![None; end + 1];
    let zero = Cost {
        excess: 0,
        over: 0,
        pieces: 0,
        rewritten: 0,
    };
    best[0] = Some((zero, 0));
    for i in 0..end {
        let Some((base, _)) = best[i] else { continue };
        let from = &nodes[i];
        let mut complete = 0;
        for j in i + 1..=end {
            let stop = if j == end { n } else { nodes[j].end_before };
            if stop <= from.resume || (i == 0 && j == end) {
                continue;
            }
            if complete >= CHOICES || stop - from.resume > MAX_PIECE_WORDS {
                break;
            }
            let Some(words) = piece_words(layout, from, stop, j == end, min) else {
                continue;
            };
            complete += 1;
            let cost = Cost {
                excess: base.excess + words.saturating_sub(max),
                over: base.over + usize::from(words > max),
                pieces: base.pieces + 1,
                rewritten: base.rewritten + usize::from(!from.added.is_empty()),
            };
            if best[j].is_none_or(|b| cost < b.0) {
                best[j] = Some((cost, i));
            }
        }
    }
    let (cost, _) = best[end]?;
    if cost.excess >= n.saturating_sub(max) {
        return None;
    }
    let mut cuts = Vec::new();
    let mut j = end;
    while j > 0 {
        let (_, i) = best[j]?;
        cuts.push((i, j));
        j = i;
    }
    cuts.reverse();
    Some(
        cuts.into_iter()
            .map(|(i, j)| {
                let stop = if j == end { n } else { nodes[j].end_before };
                write_piece(layout, &nodes[i], stop, i == 0, j == end, max)
            })
            .collect(),
    )
}

/// How many words the piece from `from` to the unit before `stop` has, if it is a sentence
/// of its own (read on the sentence's tags, without writing it out).
fn piece_words(
    layout: &Layout<'_>,
    from: &Node,
    stop: usize,
    last: bool,
    min: usize,
) -> Option<usize> {
    let words = from.head_words + (stop - from.resume);
    if words < min || words == 0 {
        return None;
    }
    let range = layout.unit_toks.get(from.resume)?.start..layout.unit_toks.get(stop - 1)?.end;
    let body = &layout.tagged.toks[range];
    let inner = body.split_last().map_or(&[][..], |(_, inner)| inner);
    if from.relative
        && inner
            .iter()
            .any(|t| matches!(t, Tok::Punct(',' | ';' | ':' | '—' | '–' | '(')))
    {
        return None;
    }
    let toks: Vec<&Tok> = from.head_toks.iter().chain(body.iter()).collect();
    let ending = clause::Ending {
        mark: final_mark(body),
        at_source_end: last,
    };
    clause::complete(&toks, ending).then_some(words)
}

/// The sentence mark a piece ending with these toks ends with: its own "!" or "?", or the
/// full stop a cut gives it.
fn final_mark(toks: &[Tok]) -> char {
    for t in toks.iter().rev() {
        match t {
            Tok::Punct(c @ ('!' | '?')) => return *c,
            Tok::Punct(_) => continue,
            Tok::Word(_) => break,
        }
    }
    '.'
}

/// The text of the piece from `from` to the unit before `stop`, and its kind.
fn write_piece(
    layout: &Layout<'_>,
    from: &Node,
    stop: usize,
    first: bool,
    last: bool,
    max: usize,
) -> Piece {
    let mut text = from.head.clone();
    if !text.is_empty() && !text.ends_with(['\'', '’']) {
        text.push(' ');
    }
    text.push_str(&layout.body(from.resume, stop));
    if !first {
        text = text
            .trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | ':' | '—' | '–' | '―' | '-' | ')')
            })
            .to_owned();
    }
    if !last {
        text = end_sentence(&text);
    }
    // Speech cut inside its quotation marks stays marked as speech.
    let quoted = layout.quote_depth.get(from.resume).is_some_and(|&d| d > 0);
    let text = balance(&mark_speech(&capitalise_first(&text), quoted));
    let kind = if word_count(&text) > max {
        PieceKind::OverLimit
    } else if from.added.is_empty() {
        PieceKind::Split
    } else {
        PieceKind::Rewritten
    };
    Piece {
        text,
        kind,
        added: from.added.clone(),
    }
}

/// A piece that ended at a comma or a colon ends with a full stop instead; closing quotes
/// stay after it.
fn end_sentence(text: &str) -> String {
    let closers_at = text
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '»' | '”' | '"' | ')' | ']'))
        .len();
    let (core, closers) = text.split_at(closers_at);
    let core = core.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '–' | '—' | '―' | '-')
    });
    let mut out = core.to_owned();
    if !ends_with_sentence_punct(&out) {
        out.push('.');
    }
    let closers = closers.trim();
    if !closers.is_empty() {
        if closers.starts_with('»') {
            out.push(' ');
        }
        out.push_str(closers);
    }
    out
}

/// Closes what the piece opens and opens what it closes: « », “ ”, ( ), and ASCII quotes. A
/// paragraph that opens with » continues a quotation (the French convention): the mark goes.
fn balance(text: &str) -> String {
    let text = match text.strip_prefix('»') {
        Some(rest) if !rest.trim().is_empty() => rest.trim_start(),
        _ => text,
    };
    // Each kind of mark is counted on its own: an opener closed by the wrong closer in a
    // garbled source must not leave either unmatched.
    const PAIRS: [(char, char); 3] = [('«', '»'), ('“', '”'), ('(', ')')];
    let mut prefix = String::new();
    let mut suffix = String::new();
    for (opener, closer) in PAIRS {
        let mut depth = 0usize;
        let mut missing = 0usize;
        for c in text.chars() {
            if c == opener {
                depth += 1;
            } else if c == closer {
                if depth == 0 {
                    missing += 1;
                } else {
                    depth -= 1;
                }
            }
        }
        for _ in 0..missing {
            prefix.push(opener);
            if opener == '«' {
                prefix.push(' ');
            }
        }
        for _ in 0..depth {
            if closer == '»' {
                suffix.push(' ');
            }
            suffix.push(closer);
        }
    }
    if text.matches('"').count() % 2 == 1 {
        suffix.push('"');
    }
    if prefix.is_empty() && suffix.is_empty() {
        return text.to_owned();
    }
    format!("{prefix}{text}{suffix}")
}

/// Token index range (inclusive) making up one word and its detached punctuation.
#[derive(Debug, Clone, Copy)]
struct Unit {
    first: usize,
    last: usize,
}

fn is_word_token(t: &str) -> bool {
    word_count(t) > 0
}

fn is_dash_token(t: &str) -> bool {
    t.chars().all(|c| matches!(c, '—' | '–' | '―' | '-'))
}

/// Decides, for every punctuation-only token, whether it belongs to the word
/// after it (openers) rather than to the word before it.
fn attaches_forward(tokens: &[&str], is_word: &[bool]) -> Vec<bool> {
    let first_word = is_word.iter().position(|&w| w);
    let last_word = is_word.iter().rposition(|&w| w);
    let (Some(first_word), Some(last_word)) = (first_word, last_word) else {
        return vec![false; tokens.len()];
    };
    let mid = |i: usize| i > first_word && i < last_word;
    // Dashes in the middle of a sentence come in pairs around an incise
    // ("il vint — disait-on — hier"): the first of a pair opens, the second
    // closes. An unpaired one separates two clauses like a colon, so it stays
    // with the clause it ends.
    let mid_dashes = tokens
        .iter()
        .enumerate()
        .filter(|&(i, t)| mid(i) && !is_word[i] && is_dash_token(t))
        .count();
    let paired_dashes = mid_dashes - mid_dashes % 2;
    let mut dashes_seen = 0;
    let mut ascii_quote_open = false;
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if is_word[i] {
                return false;
            }
            if i < first_word {
                return true;
            }
            if i > last_word {
                return false;
            }
            if is_dash_token(t) {
                dashes_seen += 1;
                return dashes_seen <= paired_dashes && dashes_seen % 2 == 1;
            }
            if *t == "\"" {
                ascii_quote_open = !ascii_quote_open;
                return ascii_quote_open;
            }
            t.chars()
                .next()
                .is_some_and(|c| matches!(c, '«' | '“' | '(' | '[' | '{' | '‘' | '‹' | '„'))
        })
        .collect()
}

fn build_units(tokens: &[&str]) -> Vec<Unit> {
    let is_word: Vec<bool> = tokens.iter().map(|t| is_word_token(t)).collect();
    let forward = attaches_forward(tokens, &is_word);
    let word_positions: Vec<usize> = (0..tokens.len()).filter(|&i| is_word[i]).collect();
    let mut units = Vec::with_capacity(word_positions.len());
    let mut start = 0;
    for (k, &w) in word_positions.iter().enumerate() {
        let end = match word_positions.get(k + 1) {
            // The punctuation between two words is shared at the first opener.
            Some(&next) => (w + 1..next)
                .find(|&i| forward.get(i).copied().unwrap_or(false))
                .map_or(next - 1, |i| i - 1),
            None => tokens.len() - 1,
        };
        units.push(Unit {
            first: start,
            last: end,
        });
        start = end + 1;
    }
    units
}

/// Only the first alphanumeric char is looked at, so a piece starting with a
/// number ("12 hommes") is left alone; letters whose capital is several chars
/// (ß → SS) are left alone too, keeping the word sequence comparable.
fn capitalise_first(s: &str) -> String {
    let Some((pos, c)) = s.char_indices().find(|&(_, c)| c.is_alphanumeric()) else {
        return s.to_string();
    };
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) if c.is_lowercase() => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push_str(s.get(..pos).unwrap_or(""));
            out.push(u);
            out.push_str(s.get(pos + c.len_utf8()..).unwrap_or(""));
            out
        }
        _ => s.to_string(),
    }
}

fn ends_with_sentence_punct(s: &str) -> bool {
    s.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '»' | '”' | '"' | ')' | ']'))
        .chars()
        .next_back()
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | '…'))
}

#[cfg(test)]
mod tests {
    use super::super::golden::contract_breach;
    use super::*;
    use fnt_testkit::lcg::Lcg;

    fn opts(max_words: usize, keep: bool) -> SplitOptions {
        SplitOptions {
            max_words,
            min_words: 2,
            keep_dialogue_whole: keep,
        }
    }

    fn texts(s: &str, max: usize) -> Vec<String> {
        split_sentence(s, opts(max, false))
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn short_and_blank_sentences() {
        assert_eq!(texts("oui  mais   non", 8), ["oui mais non"]);
        assert!(split_sentence("   ", opts(8, false)).is_empty());
        assert_eq!(texts("« … »", 8), ["« … »"]);
    }

    #[test]
    fn independent_clauses_are_cut_at_semicolons_and_conjunctions() {
        assert_eq!(
            texts(
                "Il faisait nuit depuis longtemps ; la maison dormait déjà profondément.",
                8
            ),
            [
                "Il faisait nuit depuis longtemps.",
                "La maison dormait déjà profondément."
            ]
        );
        assert_eq!(
            texts(
                "Le vent soufflait fort sur la lande, mais nous marchions encore.",
                8
            ),
            [
                "Le vent soufflait fort sur la lande.",
                "Mais nous marchions encore."
            ]
        );
    }

    #[test]
    fn a_shared_subject_and_an_antecedent_are_restored() {
        let pieces = split_sentence(
            "Il se leva lentement et partit vers la porte.",
            opts(5, false),
        );
        let got: Vec<(&str, PieceKind, &[String])> = pieces
            .iter()
            .map(|p| (p.text.as_str(), p.kind, p.added.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                ("Il se leva lentement.", PieceKind::Split, &[][..]),
                (
                    "Il partit vers la porte.",
                    PieceKind::Rewritten,
                    &["il".to_owned()][..]
                ),
            ]
        );
        assert_eq!(
            texts(
                "J'attendais avec impatience l'arrivée de cette lettre, qui me parvint de la manière habituelle.",
                8
            ),
            [
                "J'attendais avec impatience l'arrivée de cette lettre.",
                "Elle me parvint de la manière habituelle."
            ]
        );
        assert_eq!(
            texts(
                "Les soldats traversèrent le pont et arrivèrent enfin devant la ville.",
                6
            ),
            [
                "Les soldats traversèrent le pont.",
                "Ils arrivèrent enfin devant la ville."
            ]
        );
    }

    #[test]
    fn fragments_are_never_made() {
        // Each of these has commas and conjunctions the old engine cut at.
        for s in [
            "Lorsque M. Stepark aperçut la lettre que je tenais à la main, il pâlit.",
            "Dans la chambre voisine, près de la fenêtre ouverte, un homme attendait.",
            "Mon cher Henri, je vous écris de Raab où je suis arrivé hier soir.",
            "Tandis que j'ouvrais le pli et que je lisais la lettre, il se taisait.",
            "— Je ne sais pas, répondit M. Stepark, en haussant les épaules.",
        ] {
            let pieces = split_sentence(s, opts(8, false));
            assert_eq!(pieces.len(), 1, "{s:?} -> {pieces:?}");
            assert_eq!(pieces[0].kind, PieceKind::OverLimit);
        }
    }

    #[test]
    fn quotations_stay_balanced() {
        assert_eq!(
            texts(
                "« Je viens de loin, dit-il, et je repars demain matin pour Paris. »",
                8
            ),
            [
                "« Je viens de loin, dit-il. »",
                "« Je repars demain matin pour Paris. »"
            ]
        );
        assert_eq!(
            texts("« Viens ici tout de suite, mon enfant.", 20),
            ["« Viens ici tout de suite, mon enfant. »"]
        );
        assert_eq!(
            texts("» Il y a un siècle que je ne vous ai vu.", 20),
            ["Il y a un siècle que je ne vous ai vu."]
        );
    }

    #[test]
    fn dialogue_can_be_kept_whole() {
        let s = "« Je viens de loin, dit-il, et je repars demain matin pour Paris. »";
        let pieces = split_sentence(s, opts(8, true));
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].kind, PieceKind::OverLimit);
    }

    const VOCAB: &[&str] = &[
        "il",
        "elle",
        "marchait",
        "vers",
        "la",
        "gare",
        "et",
        "mais",
        "qui",
        "que",
        "dont",
        "pensait",
        "à",
        "sa",
        "fille",
        "vivait",
        "Paris",
        "depuis",
        "des",
        "années",
        "le",
        "vent",
        "soufflait",
        "M.",
        "Mme",
        "était",
        "très",
        "vieux",
        "été",
        "Éloïse",
        "ça",
        "œuvre",
        "dit-il",
        "partit",
        "se",
        "leva",
        "lettre",
        "l'homme",
        "qu'il",
    ];

    fn random_sentence(rng: &mut Lcg) -> String {
        let len = 1 + rng.below(35);
        let mut s = String::new();
        for i in 0..len {
            if i > 0 {
                s.push(' ');
            }
            match rng.below(14) {
                0 => s.push_str("« "),
                1 => s.push('('),
                2 => s.push_str("— "),
                3 => s.push('«'),
                4 => s.push_str("\" "),
                _ => {}
            }
            s.push_str(rng.pick(VOCAB));
            match rng.below(16) {
                0 | 12 | 13 => s.push(','),
                1 => s.push_str(" ;"),
                2 => s.push_str(" :"),
                3 => s.push_str(" —"),
                4 => s.push_str(" »"),
                5 => s.push(')'),
                6 => s.push_str(" !"),
                7 => s.push_str("..."),
                8 => s.push_str(" ?!"),
                9 => s.push('…'),
                10 => s.push_str(", »"),
                11 => s.push_str(" \""),
                _ => {}
            }
        }
        s.push_str(rng.pick(&[".", " !", "", " ?", "… »", ","]));
        s
    }

    #[test]
    fn property_random_sentences_keep_the_contract() {
        let mut rng = Lcg(2024);
        for _ in 0..600 {
            let s = random_sentence(&mut rng);
            for max in [3, 5, 8, 12] {
                for keep in [false, true] {
                    let pieces = split_sentence(&s, opts(max, keep));
                    // Word salad has no grammar to judge: words, quotes and kinds are checked.
                    if let Some(breach) = contract_breach(&s, &pieces, max, false) {
                        // Random quotes may be unbalanced in the source itself; the pieces
                        // never are, which `contract_breach` checks.
                        panic!("{s:?} (limit {max}) -> {pieces:?}: {breach}");
                    }
                    for p in &pieces {
                        assert_eq!(p.text.as_str(), p.text.trim());
                        assert!(!p.text.contains("  "), "{p:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_huge_sentence_is_cut_in_linear_time() {
        let clause = "il marchait vers la gare, et elle pensait à sa fille";
        let s = vec![clause; 3_000].join(", ");
        let pieces = split_sentence(&s, opts(8, false));
        assert!(pieces.len() >= 3_000, "{}", pieces.len());
    }
}
