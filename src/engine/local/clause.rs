//! What makes a piece a sentence a learner can study alone: a main clause (a finite verb with
//! its subject, an imperative, or a presentative), not opened by a word that needs what came
//! before, not closed by one that needs what comes after. The same reading finds the subject a
//! second verb shares and the antecedent of a relative pronoun, which a cut restores.

use super::segment::TITLES;
use super::tag::{Class, Tagged, Tok, Word, tag};

/// Words a comparing "que" follows ("plus… que", "autant que", "tel que").
const COMPARATIVES: &[&str] = &[
    "plus",
    "moins",
    "autant",
    "aussi",
    "si",
    "tant",
    "même",
    "autre",
    "autres",
    "mieux",
    "pis",
    "davantage",
    "tel",
    "telle",
    "tels",
    "telles",
    "ainsi",
    "plutôt",
    "pire",
    "meilleur",
    "meilleure",
];

/// Whether `piece` holds a main clause and opens and closes like a sentence. The golden set
/// checks every piece with it, and every piece Gemini writes is checked with it.
pub(crate) fn is_complete(piece: &str) -> bool {
    let tagged = tag(piece);
    let toks: Vec<&Tok> = tagged.toks.iter().collect();
    complete(&toks, Ending::of(piece, true))
}

/// Whether a reader takes `piece` for a sentence of its own: [`is_complete`], or an "Et" or
/// "Ou" opening a complete one ("Et il se tut de nouveau."). The engine's own pieces never
/// open so (it drops the word), but the book's sentences do, and a learner reads them whole.
pub(crate) fn reads_as_sentence(piece: &str) -> bool {
    if is_complete(piece) {
        return true;
    }
    let Some(start) = piece.find(char::is_alphabetic) else {
        return false;
    };
    let (before, word) = piece.split_at(start);
    let rest = ["Et ", "et ", "Ou ", "ou "]
        .iter()
        .find_map(|opening| word.strip_prefix(opening));
    let Some(rest) = rest.map(str::trim_start) else {
        return false;
    };
    let mut chars = rest.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let capitalised: String = before
        .chars()
        .chain(first.to_uppercase())
        .chain(chars)
        .collect();
    is_complete(&capitalised)
}

/// How a piece ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ending {
    /// Its last sentence mark: '.', '!', '?' or '…'.
    pub(crate) mark: char,
    /// Whether the piece ends where its source sentence ends (not at a cut).
    pub(crate) at_source_end: bool,
}

impl Ending {
    pub(crate) fn of(text: &str, at_source_end: bool) -> Self {
        let mark = text
            .trim_end_matches(|c: char| {
                c.is_whitespace() || matches!(c, '»' | '”' | '"' | ')' | ']' | '.' | '…')
            })
            .chars()
            .next_back()
            .filter(|c| matches!(c, '!' | '?'))
            .unwrap_or('.');
        Self {
            mark,
            at_source_end,
        }
    }
}

/// [`is_complete`] over tags already read.
pub(crate) fn complete(toks: &[&Tok], ending: Ending) -> bool {
    let question = ending.mark == '?';
    if matches!(ending.mark, '!' | '?') && !toks.iter().any(|t| is_finite(t)) {
        // The author's own exclamation or question ("Hé ! parbleur !", "Et Dumont ?"): the
        // engine only ever adds full stops, so this mark is the book's.
        return true;
    }
    opens_well(toks, question)
        && closes_well(toks)
        && subordinates_have_verbs(toks)
        && tail_after_pause_is_whole(toks, ending)
        && main_clause_before_semicolon(toks, question)
        && (has_main_clause(toks, question) || speech_with_incise(toks))
        && (ending.at_source_end
            || !ends_in_fronted_subordinate(toks, question)
                && last_segment_has_clause(toks, question))
}

fn is_finite(t: &Tok) -> bool {
    matches!(t, Tok::Word(w) if w.class == Class::Finite)
}

/// Words that open a clause need its verb in the piece ("pour que mon ami." is cut short).
fn subordinates_have_verbs(toks: &[&Tok]) -> bool {
    toks.iter().enumerate().all(|(i, t)| {
        let Some(w) = word(t) else { return true };
        if w.class == Class::Coordinator {
            // "mais, m'imaginant que…" — a coordinator followed by a pause joins clauses: a
            // main one must follow it.
            let set_off = matches!(toks.get(i + 1), Some(Tok::Punct(',')))
                || w.lower == "et"
                    && matches!(toks.get(i + 1), Some(Tok::Word(n)) if n.lower == "quant");
            return !set_off
                || toks
                    .iter()
                    .enumerate()
                    .skip(i + 1)
                    .any(|(v, t)| is_finite(t) && heads_main_clause(toks, v, false));
        }
        let opens = match w.class {
            Class::Subordinator => true,
            // "que" opens a clause unless it compares ("plus vert que les yeux") or restricts
            // ("ne… que dix ans").
            Class::Relative if matches!(w.lower.as_str(), "que" | "qu'") => {
                let restricts = toks[..i]
                    .iter()
                    .any(|t| matches!(word(t), Some(n) if n.class == Class::Negation));
                let compares = toks[i.saturating_sub(4)..i]
                    .iter()
                    .filter_map(|t| word(t))
                    .any(|n| COMPARATIVES.contains(&n.lower.as_str()));
                !(restricts || compares)
            }
            Class::Relative => w.lower != "quoi",
            _ => false,
        };
        // "à qui parler", "où aller": an infinitive is the clause's verb.
        let infinitive =
            matches!(toks.get(i + 1), Some(Tok::Word(n)) if n.class == Class::Infinitive);
        !opens
            || infinitive
            || toks
                .iter()
                .enumerate()
                .skip(i + 1)
                .any(|(v, t)| is_finite(t) && !in_fixed_phrase(toks, v))
    })
}

/// "d'il y a deux ans": a verb inside a phrase after a preposition heads no clause.
fn in_fixed_phrase(toks: &[&Tok], v: usize) -> bool {
    matches!(subject_of(toks, v), Some(Subject::Phrase { start, .. })
        if toks[..start].last().and_then(|t| word(t)).is_some_and(|w| w.class == Class::Preposition))
}

/// "Absolument sûre… avant-hier les sœurs l'ont ramassé… hier." — after the piece's last
/// inner pause (… ! ?), what follows must be a clause of its own or end on the author's mark.
fn tail_after_pause_is_whole(toks: &[&Tok], ending: Ending) -> bool {
    if matches!(ending.mark, '!' | '?') {
        return true;
    }
    let last_word = toks.iter().rposition(|t| word(t).is_some());
    let Some(last_word) = last_word else {
        return true;
    };
    // "..." is three dots; a single one is an abbreviation's ("M. Dupont").
    let pause = (0..last_word).rev().find(|&k| match toks[k] {
        Tok::Punct('…' | '!' | '?') => true,
        Tok::Punct('.') => k > 0 && matches!(toks[k - 1], Tok::Punct('.')),
        _ => false,
    });
    let Some(pause) = pause else { return true };
    toks[pause + 1..].iter().any(|t| {
        is_finite(t)
            // "… ! dit Villemot."
            || matches!(t, Tok::Word(w) if w.feats.saying)
    })
}

/// "— Certainement, répondis-je." "– Le bail ! le bail ! dit Villemot." — speech and its
/// incise, the speech being the author's own verbless sentence.
fn speech_with_incise(toks: &[&Tok]) -> bool {
    let speech = matches!(toks.first(), Some(Tok::Punct('—' | '–' | '«' | '“' | '-')));
    speech
        && toks.iter().enumerate().any(|(i, t)| {
            let Some(w) = word(t) else { return false };
            let after_pause = i > 1
                && matches!(
                    toks[i - 1],
                    Tok::Punct(',' | '!' | '?' | '…' | '.' | '–' | '—')
                );
            after_pause
                && w.feats.finite
                && (w.inverted || w.feats.saying)
                && toks[..i - 1].iter().any(|t| word(t).is_some())
                // The incise ends the piece: "répondis-je ; sans M. Costejoux…" goes on.
                && !toks[i..].iter().any(|t| matches!(t, Tok::Punct(';' | ':')))
        })
}

/// "Tandis que, dans les coins, l'ombre s'étendait… ; on entendait…" — a piece opened by a
/// conjunction needs its main clause before the next semicolon or colon.
fn main_clause_before_semicolon(toks: &[&Tok], question: bool) -> bool {
    let opened_by_conjunction = toks
        .iter()
        .find_map(|t| word(t))
        .is_some_and(|w| w.class == Class::Subordinator);
    if !opened_by_conjunction {
        return true;
    }
    let end = toks
        .iter()
        .position(|t| matches!(t, Tok::Punct(';' | ':')))
        .unwrap_or(toks.len());
    (0..end).any(|i| is_finite(toks[i]) && heads_main_clause(toks, i, question))
}

/// "Horace ne l'avait pas encore ; et n'ayant ni ressenti…," — cut before its main clause, the
/// part after a piece's last semicolon must have one of its own.
fn last_segment_has_clause(toks: &[&Tok], question: bool) -> bool {
    let Some(semicolon) = toks
        .iter()
        .rposition(|t| matches!(t, Tok::Punct(';' | ':')))
    else {
        return true;
    };
    let words_after = toks[semicolon + 1..].iter().any(|t| word(t).is_some());
    !words_after
        || (semicolon + 1..toks.len())
            .any(|i| is_finite(toks[i]) && heads_main_clause(toks, i, question))
}

/// "C'est égal !… si tout ça peut s'animer," — a clause opened by "si", "quand"… after a pause
/// and cut before its main clause belongs to what follows.
fn ends_in_fronted_subordinate(toks: &[&Tok], question: bool) -> bool {
    let fronted = toks.iter().enumerate().rev().find(|(i, t)| {
        word(t).is_some_and(|w| w.class == Class::Subordinator)
            && (*i == 0 || matches!(toks[i - 1], Tok::Punct(_)))
    });
    let Some((s, _)) = fronted else { return false };
    !toks
        .iter()
        .enumerate()
        .skip(s + 1)
        .any(|(i, t)| is_finite(t) && heads_main_clause(toks, i, question))
}

fn word(t: &Tok) -> Option<&Word> {
    match t {
        Tok::Word(w) => Some(w),
        Tok::Punct(_) => None,
    }
}

fn opens_well(toks: &[&Tok], question: bool) -> bool {
    let Some(first) = toks.iter().find_map(|t| word(t)) else {
        return false;
    };
    let verb = toks
        .iter()
        .filter_map(|t| word(t))
        .find(|w| !is_pronoun_before_verb(w));
    if verb.is_some_and(|v| v.feats.saying && !v.feats.imperative) {
        // "Dit le notaire, …", "S'écria Louison…": an incise cut from its speech.
        return false;
    }
    let incise = toks
        .iter()
        .filter_map(|t| word(t))
        .find(|w| !matches!(w.class, Class::Clitic | Class::Negation | Class::Subject))
        .is_some_and(|w| w.inverted);
    if incise && !question {
        // "Nous dit-il, pour que…".
        return false;
    }
    match first.class {
        Class::Relative => question,
        Class::Coordinator => first.lower != "et" && first.lower != "ou",
        Class::Finite if first.inverted => question,
        Class::Finite => {
            first.feats.imperative
                || first.imperative_clitics
                || super::tag::PRESENTATIVES.contains(&first.lower.as_str())
        }
        _ => true,
    }
}

/// Object pronouns and the negation, which stand between a subject and its verb ("leur" is
/// read as a determiner when no noun follows).
fn is_pronoun_before_verb(w: &Word) -> bool {
    matches!(w.class, Class::Clitic | Class::Negation) || matches!(w.lower.as_str(), "leur" | "lui")
}

fn closes_well(toks: &[&Tok]) -> bool {
    let Some(last) = toks.iter().rev().find_map(|t| word(t)) else {
        return false;
    };
    // "Tu sais que je suis." — être or avoir needs what follows it.
    if last.class == Class::Finite && last.feats.auxiliary && !last.inverted {
        return false;
    }
    // "au-dessous", "tous": adverbs and pronouns that are also prepositions and determiners.
    if last.class == Class::Preposition && last.feats.adverb
        || last.class == Class::Determiner && last.feats.pronoun
    {
        return true;
    }
    !matches!(
        last.class,
        Class::Determiner
            | Class::Preposition
            | Class::Coordinator
            | Class::Subordinator
            | Class::Relative
            | Class::Clitic
            | Class::Negation
    ) && (!last.feats.locution || last.feats.noun || last.feats.adverb)
}

fn has_main_clause(toks: &[&Tok], question: bool) -> bool {
    toks.iter().enumerate().any(|(i, t)| {
        let Some(w) = word(t) else { return false };
        w.class == Class::Finite && heads_main_clause(toks, i, question)
    })
}

/// Whether the finite verb at `i` heads a clause that can stand alone.
fn heads_main_clause(toks: &[&Tok], i: usize, question: bool) -> bool {
    let Some(verb) = toks.get(i).and_then(|t| word(t)) else {
        return false;
    };
    let first_word = toks[..i].iter().all(|t| word(t).is_none());
    if verb.inverted {
        // "dit-il" (or "leur dit-il") after speech is an incise; "Peut-être viendra-t-il."
        // is a clause.
        let before = toks[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t, Tok::Word(w) if is_pronoun_before_verb(w)));
        let after_pause = matches!(
            before,
            Some(Tok::Punct(',' | '—' | '–' | '»' | '”' | '(')) | None
        );
        return question || !(first_word || after_pause);
    }
    if super::tag::PRESENTATIVES.contains(&verb.lower.as_str()) {
        return !introduced_by_subordinator(toks, i);
    }
    match subject_of(toks, i) {
        Some(Subject::Relative) => false,
        Some(Subject::Phrase { start, .. }) => !introduced_by_subordinator(toks, start),
        None => (verb.feats.imperative || verb.imperative_clitics) && clause_initial(toks, i),
    }
}

/// An imperative opens its clause: nothing before it but a negation, object pronouns,
/// punctuation or a coordinator.
fn clause_initial(toks: &[&Tok], i: usize) -> bool {
    for t in toks[..i].iter().rev() {
        match t {
            Tok::Punct(_) => return true,
            Tok::Word(w) => match w.class {
                Class::Negation | Class::Clitic => continue,
                Class::Coordinator => return true,
                _ => return false,
            },
        }
    }
    true
}

/// The clause whose subject starts at `start` hangs on something: a relative pronoun, a
/// conjunction, or a preposition ("d'il y a deux ans").
fn introduced_by_subordinator(toks: &[&Tok], start: usize) -> bool {
    // "si l'on", "comme là il", "parce que, il", "que, depuis un mois, il": the "l'" of
    // "l'on", an adverb, a comma or a whole incise may stand between the conjunction and the
    // subject.
    let mut k = start;
    if k > 0 && matches!(toks[k - 1], Tok::Word(w) if w.lower == "l'") {
        k -= 1;
    }
    while k > 0 && matches!(toks[k - 1], Tok::Word(w) if w.class == Class::Adverb) {
        k -= 1;
    }
    let mut crossed_pause = false;
    if k > 0 && matches!(toks[k - 1], Tok::Punct(',')) {
        crossed_pause = true;
        k = incise_start(toks, k - 1).unwrap_or(k - 1);
    }
    let Some(w) = k.checked_sub(1).and_then(|b| word(toks[b])) else {
        return false;
    };
    match w.class {
        Class::Relative | Class::Subordinator => true,
        Class::Preposition => !crossed_pause,
        _ => false,
    }
}

/// Whether what starts at `from` opens a clause of its own: a subject pronoun, a subordinate
/// conjunction, a presentative, or a noun phrase that is the subject of the next verb.
pub(crate) fn opens_clause(toks: &[&Tok], from: usize) -> bool {
    let Some(first) = toks.get(from).and_then(|t| word(t)) else {
        return false;
    };
    match first.class {
        // "ce qui est à mon client" is a phrase, not a clause.
        Class::Ce => !matches!(
            toks.get(from + 1).and_then(|t| word(t)),
            Some(w) if w.class == Class::Relative
        ),
        Class::Subject | Class::Subordinator => true,
        Class::Finite => super::tag::PRESENTATIVES.contains(&first.lower.as_str()),
        Class::Adverb => toks
            .get(from + 1)
            .and_then(|t| word(t))
            .is_some_and(|w| matches!(w.class, Class::Subject | Class::Ce)),
        // A bare noun or adjective opens no clause: "remué et fumé par…" goes on the phrase
        // before it.
        Class::Determiner | Class::ProperNoun | Class::Pronoun | Class::Number => {
            let verb = toks
                .iter()
                .enumerate()
                .skip(from)
                .take_while(|(i, t)| match t {
                    Tok::Punct('.') => *i > 0 && toks[*i - 1..].len() > 1,
                    Tok::Punct(_) => false,
                    Tok::Word(_) => true,
                })
                .find(|(_, t)| is_finite(t))
                .map(|(i, _)| i);
            verb.is_some_and(|v| {
                matches!(subject_of(toks, v), Some(Subject::Phrase { start, .. }) if start == from)
            })
        }
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    /// "qui" before the verb: the clause hangs on its antecedent.
    Relative,
    /// A subject pronoun or a noun phrase, toks `start..=end`.
    Phrase { start: usize, end: usize },
}

/// The subject of the finite verb at `i`, looked for before it.
pub(crate) fn subject_of(toks: &[&Tok], i: usize) -> Option<Subject> {
    let mut j = i;
    let mut skipped_modifiers = 0;
    // Whether an apposition ("…, dérouté, …") was stepped over to get here.
    let mut past_apposition = false;
    while j > 0 {
        j -= 1;
        if matches!(toks[j], Tok::Punct(',')) {
            // "Tout, dans l'appartement, sembla…": an incise between the subject and its verb.
            j = incise_start(toks, j)?;
            past_apposition |= toks
                .get(j + 1)
                .and_then(|t| word(t))
                .is_some_and(|w| matches!(w.class, Class::Participle | Class::Adjective));
            continue;
        }
        let w = word(toks[j])?;
        match w.class {
            Class::Negation | Class::Clitic => {}
            Class::Subject | Class::Ce => return Some(Subject::Phrase { start: j, end: j }),
            Class::Relative if w.lower == "qui" => return Some(Subject::Relative),
            Class::Noun | Class::ProperNoun | Class::Pronoun | Class::Number => {
                let start = phrase_start(toks, j);
                let before = toks[..start].last().and_then(|t| word(t));
                // "…eut remonté sa garde-robe, fait…, pris…": behind a series of participles
                // the phrase is a verb's object, and the last participle has no subject.
                let object = before.is_some_and(|b| {
                    matches!(
                        b.class,
                        Class::Finite | Class::Participle | Class::Infinitive
                    )
                });
                if past_apposition && object {
                    return None;
                }
                if before.is_some_and(|b| b.class == Class::Preposition) {
                    // A complement ("la lettre de mon frère arriva"): the subject is further left.
                    j = start.saturating_sub(1);
                    if j == 0 {
                        return None;
                    }
                    continue;
                }
                return Some(Subject::Phrase { start, end: j });
            }
            Class::Adjective | Class::Participle | Class::Adverb if skipped_modifiers < 3 => {
                skipped_modifiers += 1;
            }
            _ => return None,
        }
    }
    None
}

/// The comma that opens the incise closed by the comma at `close`: what lies between starts
/// with a preposition or an adverb and holds no verb ("dans l'appartement", "sans doute").
fn incise_start(toks: &[&Tok], close: usize) -> Option<usize> {
    let open = (close.saturating_sub(8)..close)
        .rev()
        .find(|&k| matches!(toks[k], Tok::Punct(',')))?;
    let inside = &toks[open + 1..close];
    // "Le prêtre, dérouté, la regardait", "La montagne, fendue du haut en bas, s'entrouvrait":
    // an apposition opens with its participle or adjective.
    let opens_adverbially = matches!(
        inside.first().and_then(|t| word(t)),
        Some(w) if matches!(
            w.class,
            Class::Preposition | Class::Adverb | Class::Participle | Class::Adjective
        )
    );
    let verbless = inside
        .iter()
        .all(|t| matches!(t, Tok::Word(w) if w.class != Class::Finite));
    (opens_adverbially && verbless).then_some(open)
}

/// Where the noun phrase ending at `end` starts: its determiner, adjectives, a title with its
/// dot ("M. Stepark") or a noun before a name ("la tante Claire"), and a first phrase joined by
/// "et" ("Pons et Schwab").
pub(crate) fn phrase_start(toks: &[&Tok], end: usize) -> usize {
    let start = single_phrase_start(toks, end);
    match (start.checked_sub(1), start.checked_sub(2)) {
        (Some(and), Some(before))
            if matches!(toks[and], Tok::Word(w) if w.lower == "et")
                && matches!(toks[before], Tok::Word(w) if matches!(w.class, Class::Noun | Class::ProperNoun)) =>
        {
            single_phrase_start(toks, before)
        }
        _ => start,
    }
}

fn single_phrase_start(toks: &[&Tok], end: usize) -> usize {
    let name = matches!(toks[end], Tok::Word(w) if w.class == Class::ProperNoun);
    let mut nouns = usize::from(matches!(toks[end], Tok::Word(w) if w.class == Class::Noun));
    let mut k = end;
    while k > 0 {
        match toks[k - 1] {
            Tok::Word(w) => match w.class {
                Class::Determiner => return k - 1,
                Class::Adjective | Class::Number | Class::ProperNoun => k -= 1,
                // "la Basse Hongrie", "le petit homme": a noun read as an adjective before it.
                Class::Noun if name || nouns == 0 || w.feats.adjective => {
                    nouns += 1;
                    k -= 1;
                }
                _ => break,
            },
            Tok::Punct('.') if k >= 2 => match toks[k - 2] {
                Tok::Word(w) if TITLES.contains(&w.text.as_str()) => k -= 2,
                _ => break,
            },
            Tok::Punct(_) => break,
        }
    }
    k
}

/// The phrase's gender and number, as a subject pronoun: il, elle, ils or elles. `None` when
/// the words do not tell (the caller repeats the phrase instead).
pub(crate) fn pronoun_for(words: &[&Word]) -> Option<&'static str> {
    if words.iter().any(|w| w.lower == "et") {
        // Two phrases: plural, feminine only if every noun is.
        let feminine = words
            .iter()
            .filter(|w| w.class == Class::Noun)
            .all(|w| w.feats.feminine && !w.feats.masculine);
        return Some(if feminine { "elles" } else { "ils" });
    }
    let head = words
        .iter()
        .rev()
        .find(|w| matches!(w.class, Class::Noun | Class::Pronoun))?;
    let exclusive = |m: bool, f: bool| match (m, f) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    let mut masculine = None;
    let mut plural = None;
    for d in words.iter().filter(|w| w.class == Class::Determiner) {
        // The lexicon's readings of "la" include the note (masculine): determiners are told
        // by a table.
        let (m, p) = determiner_agreement(&d.lower);
        masculine = masculine.or(m);
        plural = plural.or(p);
    }
    let masculine = masculine.or(exclusive(head.feats.masculine, head.feats.feminine))?;
    let plural = plural.or(exclusive(head.feats.plural, head.feats.singular))?;
    Some(match (masculine, plural) {
        (true, false) => "il",
        (false, false) => "elle",
        (true, true) => "ils",
        (false, true) => "elles",
    })
}

/// Gender (masculine?) and number (plural?) a determiner shows, where it shows them.
fn determiner_agreement(det: &str) -> (Option<bool>, Option<bool>) {
    match det {
        "le" | "un" | "ce" | "cet" | "mon" | "ton" | "son" | "du" | "au" | "quel" => {
            (Some(true), Some(false))
        }
        "la" | "une" | "cette" | "ma" | "ta" | "sa" | "quelle" => (Some(false), Some(false)),
        "l'" | "notre" | "votre" | "leur" | "chaque" => (None, Some(false)),
        "les" | "des" | "ces" | "mes" | "tes" | "ses" | "nos" | "vos" | "leurs" | "aux"
        | "plusieurs" | "quelques" => (None, Some(true)),
        _ => (None, None),
    }
}

/// The person and number of a subject pronoun.
pub(crate) fn person_of(pronoun: &str) -> Option<(u8, bool)> {
    Some(match pronoun {
        "je" | "j'" => (1, false),
        "tu" => (2, false),
        "il" | "elle" | "on" | "ce" | "c'" => (3, false),
        "nous" => (1, true),
        "vous" => (2, true),
        "ils" | "elles" => (3, true),
        _ => return None,
    })
}

/// Tok indexes of the words of `tagged` between `from` and `to`.
pub(crate) fn words_between(tagged: &Tagged, from: usize, to: usize) -> Vec<&Word> {
    tagged.toks[from..=to].iter().filter_map(word).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_complete_and_fragments_are_not() {
        for ok in [
            "Il pleuvait.",
            "Le vent soufflait fort sur la lande.",
            "Je ne sais pas, répondit-elle.",
            "Viens ici !",
            "Ne bouge pas.",
            "Donnez-moi ce livre.",
            "Dans la chambre voisine, il entendit un bruit.",
            "Quand il arriva, elle partit.",
            "Voilà mon fils.",
            "Peut-être viendra-t-il.",
            "Viendra-t-il ?",
            "C'était lui.",
            "Mais il ne vint pas.",
            "La lettre de mon frère arriva hier.",
            // An indefinite "des" or partitive "du" opening the sentence is its subject's
            // determiner, not "de" + "les".
            "Des gens passaient sous la pluie.",
            "Du pain restait sur la table.",
            "Dehors, des gens passaient.",
            "M. Stepark entra.",
            "Elle me parvint de la manière habituelle.",
        ] {
            assert!(is_complete(ok), "{ok}");
        }
        for fragment in [
            "Et cette région.",
            "De cette lettre.",
            "Que je reçus de mon frère.",
            "Mon cher Henri.",
            "Dans la chambre voisine.",
            "Répondit M. Stepark.",
            "Mesurez-vous la portée de ce.",
            "De la Basse Hongrie est de nature.",
            "Tandis que j'ouvrais le pli et.",
            "Lorsque M. Stepark aperçut.",
            "Pour prendre cette fiole afin.",
            "Dit-il.",
            "Qui me parvint hier.",
            "Quand il arriva.",
        ] {
            assert!(!is_complete(fragment), "{fragment}");
        }
    }

    #[test]
    fn a_reader_takes_more_for_a_sentence_than_the_engine_makes() {
        for whole in [
            "Et il se tut de nouveau.",
            "« Et je ne risque rien. »",
            "Ou bien il partit.",
            "Ce fut un grand soulagement.",
            "Le prêtre, dérouté, la regardait.",
            "La montagne, fendue du haut en bas, s'entrouvrait.",
        ] {
            assert!(reads_as_sentence(whole), "{whole}");
        }
        assert!(
            !is_complete("Et il se tut de nouveau."),
            "the engine's pieces never open so"
        );
        for fragment in [
            "Et cette région.",
            "Et.",
            "Et puis dans la",
            "Ou que.",
            // Participles in a row are not an apposition to the object before them.
            "Quand Léon eut remonté sa garde-robe, fait rembourrer ses trois fauteuils, acheté une \
             provision de foulards, pris en un mot plus de dispositions que pour un voyage.",
        ] {
            assert!(!reads_as_sentence(fragment), "{fragment}");
        }
    }

    #[test]
    fn pronouns_follow_the_phrase() {
        let pronoun = |text: &str| {
            let t = tag(text);
            let words: Vec<&Word> = t.words().map(|(_, w)| w).collect();
            pronoun_for(&words)
        };
        assert_eq!(pronoun("cette lettre"), Some("elle"));
        assert_eq!(pronoun("le vieil homme"), Some("il"));
        assert_eq!(pronoun("les femmes"), Some("elles"));
        assert_eq!(pronoun("des hommes"), Some("ils"));
        assert_eq!(pronoun("la petite souris"), Some("elle"));
    }
}
