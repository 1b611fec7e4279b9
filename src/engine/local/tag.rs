//! Word classes in context, read from the lexicon: just enough grammar to tell a clause (a
//! finite verb with its subject) from a fragment, and to find the subject or the antecedent a
//! cut has to restore. It is a handful of rules over the lexicon's readings, not a statistical
//! tagger: where a form is ambiguous ("porte", "entre", "la"), the words around it decide.

use std::cell::RefCell;
use std::collections::HashMap;

use super::words::is_word_char;
use crate::lexicon::{Gender, Mood, Number, Pos, lexicon};

/// A text cut into words and the punctuation between them.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub toks: Vec<Tok>,
    /// For each tok, which whitespace-separated token of the text it comes from.
    pub ws: Vec<usize>,
}

#[derive(Debug, Clone)]
pub enum Tok {
    Word(Word),
    /// One punctuation char standing between words (`,` `;` `«` `—` `.` …).
    Punct(char),
}

#[derive(Debug, Clone)]
pub struct Word {
    /// The lowercase form, apostrophes as '.
    pub(crate) lower: String,
    /// As written (case kept), without surrounding punctuation.
    pub(crate) text: String,
    pub class: Class,
    pub(crate) feats: Feats,
    /// A verb with its subject pronoun hyphened after it ("dit-il", "a-t-on").
    pub(crate) inverted: bool,
    /// A verb with object pronouns hyphened after it ("donnez-moi", "lève-toi").
    pub(crate) imperative_clitics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// je, tu, il, elle, on, nous, vous, ils, elles.
    Subject,
    /// c', and ce before a verb.
    Ce,
    /// ne, n'.
    Negation,
    /// Object pronouns before a verb: me, te, se, le, la, les, lui, leur, y, en, nous, vous.
    Clitic,
    /// qui, que, dont, où, lequel…: opens a clause that cannot stand alone.
    Relative,
    /// quand, lorsque, si, comme, puisque, quoique…
    Subordinator,
    /// et, mais, ou, donc, or, ni, car, puis.
    Coordinator,
    Preposition,
    Determiner,
    Noun,
    ProperNoun,
    Adjective,
    Participle,
    Infinitive,
    Finite,
    Adverb,
    /// Pronouns that can be a subject or an object: cela, ça, rien, personne, chacun…
    Pronoun,
    Interjection,
    Number,
    Other,
}

/// What the lexicon says a form can be, folded over all its readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Feats {
    pub(crate) known: bool,
    pub(crate) noun: bool,
    pub(crate) proper: bool,
    pub(crate) adjective: bool,
    pub(crate) finite: bool,
    pub(crate) imperative: bool,
    pub(crate) infinitive: bool,
    pub(crate) participle: bool,
    pub(crate) auxiliary: bool,
    pub(crate) adverb: bool,
    pub(crate) pronoun: bool,
    pub(crate) determiner: bool,
    pub(crate) preposition: bool,
    pub(crate) interjection: bool,
    pub(crate) number: bool,
    pub(crate) locution: bool,
    /// Nominal readings (nouns, determiners, adjectives, pronouns): which genders and numbers.
    pub(crate) masculine: bool,
    pub(crate) feminine: bool,
    pub(crate) singular: bool,
    pub(crate) plural: bool,
    /// Finite readings by person and number: bit `(person - 1) * 2 + plural`.
    pub(crate) persons: u8,
    /// A finite form of a verb that introduces speech ("dit", "répondit", "s'écria").
    pub(crate) saying: bool,
}

impl Feats {
    /// Whether a finite reading agrees with a subject of this person (1–3) and number.
    pub(crate) fn agrees_with(&self, person: u8, plural: bool) -> bool {
        (1..=3).contains(&person)
            && self.persons & (1 << ((person - 1) * 2 + u8::from(plural))) != 0
    }

    /// What the lexicon says of `form`, remembered per thread: a book repeats its words, and
    /// a lookup with every reading decoded costs more than a hash of the form. The hash is
    /// seeded at random so that a book's words cannot be chosen to collide.
    fn of(form: &str) -> Self {
        thread_local! {
            static SEEN: RefCell<HashMap<Box<str>, Feats, foldhash::fast::RandomState>> =
                RefCell::default();
        }
        /// Forms kept before the memory starts again: a few novels' vocabulary.
        const KEEP: usize = 100_000;
        SEEN.with_borrow_mut(|seen| {
            if let Some(f) = seen.get(form) {
                return *f;
            }
            if seen.len() >= KEEP {
                seen.clear();
            }
            let f = Self::read(form);
            seen.insert(form.into(), f);
            f
        })
    }

    fn read(form: &str) -> Self {
        let mut f = Feats::default();
        for a in lexicon().morphology(form) {
            f.known = true;
            match a.pos {
                Pos::Noun => f.noun = true,
                Pos::ProperNoun => f.proper = true,
                Pos::Adjective => f.adjective = true,
                Pos::Adverb => f.adverb = true,
                Pos::Pronoun => f.pronoun = true,
                Pos::Determiner => f.determiner = true,
                Pos::Preposition => f.preposition = true,
                Pos::Interjection => f.interjection = true,
                Pos::Number => f.number = true,
                Pos::LocutionPart => f.locution = true,
                Pos::Verb | Pos::Auxiliary | Pos::CoordConj | Pos::SubConj | Pos::Other => {}
            }
            if matches!(a.pos, Pos::Verb | Pos::Auxiliary) {
                match a.mood {
                    Some(Mood::Imperative) => {
                        f.imperative = true;
                        f.finite = true;
                    }
                    Some(Mood::Infinitive) => f.infinitive = true,
                    Some(Mood::PastParticiple | Mood::PresentParticiple) => f.participle = true,
                    Some(_) => {
                        f.finite = true;
                        if let Some(person @ 1..=3) = a.person {
                            let plural = u8::from(a.number == Some(Number::Plural));
                            f.persons |= 1 << ((person - 1) * 2 + plural);
                        }
                    }
                    None => {}
                }
                if a.pos == Pos::Auxiliary && a.mood.is_some_and(Mood::is_finite) {
                    f.auxiliary = true;
                }
            }
            if matches!(
                a.pos,
                Pos::Noun | Pos::Adjective | Pos::Determiner | Pos::Pronoun
            ) || a.mood == Some(Mood::PastParticiple)
            {
                match a.gender {
                    Some(Gender::Masculine) => f.masculine = true,
                    Some(Gender::Feminine) => f.feminine = true,
                    Some(Gender::Epicene) | None => {}
                }
                match a.number {
                    Some(Number::Singular) => f.singular = true,
                    Some(Number::Plural) => f.plural = true,
                    Some(Number::Invariable) | None => {}
                }
            }
        }
        // Lemmas cost a lookup each: only finite forms need theirs.
        f.saying = f.finite && is_saying_verb(form);
        f
    }
}

const SUBJECTS: &[&str] = &["je", "j'", "tu", "il", "ils", "elle", "elles", "on"];
/// Subjects or objects, told apart by what follows.
const NOUS_VOUS: &[&str] = &["nous", "vous"];
const CLITICS: &[&str] = &[
    "me", "m'", "te", "t'", "se", "s'", "lui", "leur", "y", "en", "le", "la", "les", "l'",
];
const RELATIVES: &[&str] = &[
    "qui",
    "que",
    "qu'",
    "dont",
    "où",
    "lequel",
    "laquelle",
    "lesquels",
    "lesquelles",
    "auquel",
    "auxquels",
    "auxquelles",
    "duquel",
    "desquels",
    "desquelles",
    "quoi",
];
const SUBORDINATORS: &[&str] = &[
    "quand", "lorsque", "lorsqu'", "puisque", "puisqu'", "quoique", "quoiqu'", "si", "comme",
    "parce", "afin", "tandis", "quelque",
];
/// Adverbs that make a conjunction with "que" ("bien que", "alors que", "sitôt que").
const CONJUNCTION_ADVERBS: &[&str] = &[
    "bien",
    "alors",
    "sitôt",
    "aussitôt",
    "tandis",
    "lors",
    "encore",
    "dès",
];
const COORDINATORS: &[&str] = &["et", "mais", "ou", "donc", "or", "ni", "car", "puis"];
/// Prefixes that an apostrophe separates from the next word.
const ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "t", "s", "n", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu",
    "quelqu",
];
/// Pronouns hyphened after a verb that make it an inversion ("dit-il").
const INVERTED_SUBJECTS: &[&str] = &[
    "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ce",
];
/// Pronouns hyphened after an imperative ("donnez-moi").
const IMPERATIVE_OBJECTS: &[&str] = &[
    "moi", "toi", "le", "la", "les", "lui", "leur", "nous", "vous", "y", "en", "m'", "t'",
];
/// Verbs that introduce or follow speech: after a comma with their subject behind them
/// ("…, répondit le docteur") they are an incise, not a second verb of the same subject.
const SAYING: &[&str] = &[
    "dire",
    "répondre",
    "reprendre",
    "demander",
    "ajouter",
    "continuer",
    "répliquer",
    "faire",
    "poursuivre",
    "interrompre",
    "observer",
    "crier",
    "s'écrier",
    "écrier",
    "murmurer",
    "balbutier",
    "penser",
    "songer",
    "exclamer",
    "achever",
    "conclure",
    "insister",
    "riposter",
    "soupirer",
    "déclarer",
    "expliquer",
    "affirmer",
    "objecter",
    "hasarder",
    "bégayer",
    "gémir",
    "hurler",
    "lancer",
    "souffler",
    "grommeler",
    "approuver",
    "protester",
    "risquer",
    "avouer",
    "remarquer",
    "interroger",
    "rétorquer",
    "fit",
];

fn is_saying_verb(form: &str) -> bool {
    lexicon().lookup(form).any(|a| SAYING.contains(&a.lemma))
}

/// Presentatives that make a clause by themselves ("Voilà mon fils.").
pub(crate) const PRESENTATIVES: &[&str] = &["voici", "voilà"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ')
}

/// Lowercase with every apostrophe as '.
fn fold(s: &str) -> String {
    let lower = s.to_lowercase();
    if lower.contains(['’', 'ʼ']) {
        lower.replace(['’', 'ʼ'], "'")
    } else {
        lower
    }
}

/// A lexical word before classes are decided.
struct Raw {
    text: String,
    lower: String,
    feats: Feats,
    inverted: bool,
    imperative_clitics: bool,
    /// First word of its clause-level sentence position (capital expected, not a name).
    initial: bool,
}

enum RawTok {
    Word(Raw),
    Punct(char),
}

/// Tags `text`, which may be a whole sentence or a piece of one.
pub fn tag(text: &str) -> Tagged {
    let mut raw = Vec::new();
    let mut ws = Vec::new();
    let mut initial = true;
    for (index, t) in text.split_whitespace().enumerate() {
        let mut push = |tok: RawTok| {
            raw.push(tok);
            ws.push(index);
        };
        let Some(start) = t.find(is_word_char) else {
            for c in t.chars() {
                push(RawTok::Punct(c));
                if matches!(c, '.' | '!' | '?' | '…' | '—' | '–' | '«' | '“') {
                    initial = true;
                }
            }
            continue;
        };
        let end = t
            .char_indices()
            .rfind(|&(_, c)| is_word_char(c))
            .map_or(t.len(), |(i, c)| i + c.len_utf8());
        let (lead, rest) = t.split_at(start);
        let (core, trail) = rest.split_at(end - start);
        for c in lead.chars() {
            push(RawTok::Punct(c));
            if matches!(c, '—' | '–' | '«' | '“') {
                initial = true;
            }
        }
        for w in lexical_words(core, initial) {
            push(RawTok::Word(w));
            initial = false;
        }
        for c in trail.chars() {
            push(RawTok::Punct(c));
            if matches!(c, '.' | '!' | '?' | '…') {
                initial = true;
            }
        }
    }
    Tagged {
        toks: classify(raw),
        ws,
    }
}

/// Splits one written word into lexical words: elided prefixes ("qu'il") and hyphened
/// pronouns after a verb ("dit-il", "donnez-moi") are words of their own for the grammar, but
/// the verb keeps the flag that it had them.
fn lexical_words(core: &str, initial: bool) -> Vec<Raw> {
    let make = |text: &str, initial: bool| {
        let lower = fold(text);
        let feats = feats_of(text, &lower, initial);
        Raw {
            text: text.to_owned(),
            lower,
            feats,
            inverted: false,
            imperative_clitics: false,
            initial,
        }
    };
    let compound = core.contains(['-', '\'', '’', 'ʼ']);
    if !compound {
        return vec![make(core, initial)];
    }
    let whole = make(core, initial);
    if whole.feats.known && !whole.feats.proper {
        return vec![whole];
    }
    let mut out = Vec::new();
    let mut rest = core;
    let mut initial = initial;
    if let Some((at, c)) = core.char_indices().find(|&(_, c)| is_apostrophe(c)) {
        let prefix = fold(&core[..at]);
        if ELISIONS.contains(&prefix.as_str()) {
            let lower = format!("{prefix}'");
            out.push(Raw {
                text: core[..at + c.len_utf8()].to_owned(),
                feats: Feats::of(&lower),
                lower,
                inverted: false,
                imperative_clitics: false,
                initial,
            });
            rest = &core[at + c.len_utf8()..];
            initial = false;
        }
    }
    if rest.is_empty() {
        return out;
    }
    if !rest.contains('-') {
        out.push(make(rest, initial));
        return out;
    }
    let whole_rest = make(rest, initial);
    if whole_rest.feats.known && !whole_rest.feats.proper {
        out.push(whole_rest);
        return out;
    }
    let parts: Vec<&str> = rest.split('-').filter(|p| !p.is_empty()).collect();
    let Some((head, tails)) = parts.split_first() else {
        out.push(whole_rest);
        return out;
    };
    let tails: Vec<String> = tails.iter().map(|t| fold(t)).filter(|t| t != "t").collect();
    let mut verb = make(head, initial);
    let subject_after = tails
        .iter()
        .any(|t| INVERTED_SUBJECTS.contains(&t.as_str()));
    let objects_only = !tails.is_empty()
        && tails
            .iter()
            .all(|t| IMPERATIVE_OBJECTS.contains(&t.as_str()));
    if verb.feats.finite && subject_after {
        verb.inverted = true;
    } else if verb.feats.imperative && objects_only {
        verb.imperative_clitics = true;
    } else {
        // A compound the lexicon does not list ("arrière-boutique", "Jean-Louis"): one word.
        out.push(whole_rest);
        return out;
    }
    out.push(verb);
    out
}

fn feats_of(text: &str, lower: &str, initial: bool) -> Feats {
    if text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    {
        // "1", "1.200": numbers the lexicon does not list.
        return Feats {
            known: true,
            number: true,
            ..Feats::default()
        };
    }
    let capital = text.chars().next().is_some_and(char::is_uppercase);
    if capital && !initial {
        // A capital inside the sentence is a name unless the lexicon says the capitalised form
        // itself exists ("Paris", "Dieu").
        let exact = Feats::of(text);
        if exact.known {
            return exact;
        }
        let lowered = Feats::of(lower);
        return Feats {
            proper: true,
            ..if lowered.noun || lowered.adjective {
                Feats::default()
            } else {
                lowered
            }
        };
    }
    let f = Feats::of(lower);
    if !f.known && capital {
        return Feats {
            proper: true,
            ..Feats::default()
        };
    }
    f
}

fn prev_word(toks: &[Tok]) -> Option<&Word> {
    match toks.last()? {
        Tok::Word(w) => Some(w),
        Tok::Punct(_) => None,
    }
}

/// The next word after `i`, unless punctuation comes first.
fn next_raw(raw: &[RawTok], i: usize) -> Option<&Raw> {
    match raw.get(i + 1)? {
        RawTok::Word(w) => Some(w),
        RawTok::Punct(_) => None,
    }
}

/// Whether a verb follows, possibly after more clitics and a negation ("la lui donna",
/// "ne le vit").
/// With `infinitive`, an infinitive counts ("pour la voir").
fn verb_follows(raw: &[RawTok], i: usize, infinitive: bool) -> bool {
    let mut j = i + 1;
    while let Some(RawTok::Word(w)) = raw.get(j) {
        let l = w.lower.as_str();
        if CLITICS.contains(&l) || NOUS_VOUS.contains(&l) || l == "ne" || l == "n'" {
            j += 1;
            continue;
        }
        return w.feats.finite || infinitive && w.feats.infinitive || PRESENTATIVES.contains(&l);
    }
    false
}

fn classify(mut raw: Vec<RawTok>) -> Vec<Tok> {
    let mut toks: Vec<Tok> = Vec::with_capacity(raw.len());
    for i in 0..raw.len() {
        let w = match &raw[i] {
            RawTok::Punct(c) => {
                toks.push(Tok::Punct(*c));
                continue;
            }
            RawTok::Word(w) => w,
        };
        let prev = prev_word(&toks);
        let prev2 = toks
            .len()
            .checked_sub(2)
            .and_then(|k| prev_word(&toks[..=k]))
            .filter(|_| prev.is_some());
        let next = next_raw(&raw, i);
        let class = class_of(
            w,
            [prev, prev2],
            next,
            || verb_follows(&raw, i, true),
            || verb_follows(&raw, i, false),
        );
        let (feats, inverted, imperative_clitics) = (w.feats, w.inverted, w.imperative_clitics);
        // Only later words are read from here on: this one's text moves into the tag.
        let RawTok::Word(w) = &mut raw[i] else {
            continue;
        };
        toks.push(Tok::Word(Word {
            lower: std::mem::take(&mut w.lower),
            text: std::mem::take(&mut w.text),
            class,
            feats,
            inverted,
            imperative_clitics,
        }));
    }
    toks
}

/// Forms of être that follow "ce" as its verb; some are nouns elsewhere ("fut", "sera").
const CE_VERBS: &[&str] = &[
    "est", "était", "fut", "fût", "sera", "serait", "soit", "sont", "étaient", "furent", "seront",
    "seraient", "fussent",
];

fn class_of(
    w: &Raw,
    [prev, prev2]: [Option<&Word>; 2],
    next: Option<&Raw>,
    verb_follows: impl Fn() -> bool,
    finite_follows: impl Fn() -> bool,
) -> Class {
    let l = w.lower.as_str();
    let f = &w.feats;
    let prev_class = prev.map(|p| p.class);
    let after_preposition = prev_class == Some(Class::Preposition);
    if w.inverted || w.imperative_clitics {
        return Class::Finite;
    }
    if SUBJECTS.contains(&l) {
        // "avec elle", "pour eux": a stressed pronoun after a preposition is no subject.
        return if after_preposition && matches!(l, "elle" | "elles") {
            Class::Pronoun
        } else {
            Class::Subject
        };
    }
    if NOUS_VOUS.contains(&l) {
        return if after_preposition {
            Class::Pronoun
        } else if matches!(
            prev_class,
            Some(Class::Subject | Class::Negation | Class::Clitic)
        ) {
            Class::Clitic
        } else if finite_follows() {
            // "nous rendre éloquents" is an object and its infinitive.
            Class::Subject
        } else {
            Class::Pronoun
        };
    }
    if l == "ne" || l == "n'" {
        return Class::Negation;
    }
    if l == "c'" || l == "ç'" {
        return Class::Ce;
    }
    if l == "ce" {
        let verbish = next.is_some_and(|n| {
            // "Ce fut…": être after "ce" is its verb, whatever else the form can be.
            CE_VERBS.contains(&n.lower.as_str())
                || n.feats.finite && !n.feats.noun && !n.feats.adjective
                || matches!(
                    n.lower.as_str(),
                    "qui" | "que" | "qu'" | "dont" | "ne" | "n'"
                )
        });
        return if verbish {
            Class::Ce
        } else {
            Class::Determiner
        };
    }
    if l == "s'" && next.is_some_and(|n| matches!(n.lower.as_str(), "il" | "ils")) {
        return Class::Subordinator;
    }
    if CLITICS.contains(&l) {
        if matches!(l, "le" | "la" | "les" | "l'" | "leur") {
            // "il le juge" but "monsieur le juge": after a noun, a word that can be a noun
            // makes this its determiner.
            let noun_next = next.is_some_and(|n| n.feats.noun || n.feats.adjective);
            // After a subject or a negation a verb must follow; after "et" or "qui" a noun
            // may as well.
            let clitic_context = matches!(
                prev_class,
                Some(Class::Subject | Class::Ce | Class::Negation | Class::Clitic)
            );
            // "de la voir" but "de la chambre": after a preposition only an infinitive.
            if prev_class == Some(Class::Preposition) {
                let infinitive = next.is_some_and(|n| n.feats.infinitive && !n.feats.noun);
                return if infinitive {
                    Class::Clitic
                } else {
                    Class::Determiner
                };
            }
            return if verb_follows() && (clitic_context || !noun_next) {
                Class::Clitic
            } else {
                Class::Determiner
            };
        }
        if l == "en" {
            let gerund = next.is_some_and(|n| n.feats.participle && n.lower.ends_with("ant"));
            // "il en parle" but "en somme": before a noun, "en" is a preposition unless a
            // subject or another pronoun shows it is one.
            let noun_next = next.is_some_and(|n| n.feats.noun);
            let pronoun_context = matches!(
                prev_class,
                Some(Class::Subject | Class::Ce | Class::Negation | Class::Clitic)
            );
            return if !gerund && verb_follows() && (pronoun_context || !noun_next) {
                Class::Clitic
            } else {
                Class::Preposition
            };
        }
        if l == "lui" && !verb_follows() {
            return Class::Pronoun;
        }
        return Class::Clitic;
    }
    if RELATIVES.contains(&l) {
        // "depuis que", "bien que", "parce que": a conjunction, like "quand".
        let conjunction = matches!(l, "que" | "qu'")
            && prev.is_some_and(|p| {
                matches!(p.class, Class::Preposition | Class::Subordinator)
                    || p.class == Class::Adverb && CONJUNCTION_ADVERBS.contains(&p.lower.as_str())
            });
        return if conjunction {
            Class::Subordinator
        } else {
            Class::Relative
        };
    }
    if COORDINATORS.contains(&l) && prev_class != Some(Class::Determiner) {
        return Class::Coordinator;
    }
    if SUBORDINATORS.contains(&l) {
        let subordinating = match l {
            // "si grand", "comme un fou": an adverb or a comparison unless a clause follows.
            // "si, parmi ceux-là, je…": an incise between "si" and its clause.
            "si" if next.is_none() => true,
            "si" | "comme" => next.is_some_and(|n| {
                SUBJECTS.contains(&n.lower.as_str())
                    || NOUS_VOUS.contains(&n.lower.as_str())
                    || matches!(n.lower.as_str(), "c'" | "ce" | "on" | "l'")
                    || n.feats.proper
                    || n.feats.determiner
                    || n.feats.pronoun && !n.feats.adverb
            }),
            "quelque" => false,
            _ => true,
        };
        if subordinating {
            return Class::Subordinator;
        }
    }
    if PRESENTATIVES.contains(&l) {
        return Class::Finite;
    }
    let after_subject = matches!(
        prev_class,
        Some(Class::Subject | Class::Ce | Class::Negation | Class::Clitic)
    ) || prev.is_some_and(|p| p.lower == "qui");
    if f.finite && after_subject {
        return Class::Finite;
    }
    // "Des gens passaient", "Du pain restait": opening a clause, the contracted article is the
    // indefinite or partitive determiner, not "de" + "les".
    if matches!(l, "des" | "du")
        && f.determiner
        && (prev.is_none()
            || matches!(
                prev_class,
                Some(Class::Coordinator | Class::Subordinator | Class::Relative)
            ))
    {
        return Class::Determiner;
    }
    if f.preposition && !(f.finite && after_subject) {
        return Class::Preposition;
    }
    if f.determiner && !matches!(prev_class, Some(Class::Determiner)) {
        return Class::Determiner;
    }
    if f.number {
        return Class::Number;
    }
    let after_determiner = matches!(prev_class, Some(Class::Determiner | Class::Adjective))
        && prev.is_some_and(|p| p.class == Class::Determiner || p.feats.adjective);
    if after_determiner && (f.noun || f.adjective || f.proper) {
        return if f.noun {
            Class::Noun
        } else if f.proper {
            Class::ProperNoun
        } else {
            Class::Adjective
        };
    }
    // "sa future cliente", "un petit homme": after a determiner and an adjective, the noun.
    let after_adjective = prev.is_some_and(|p| p.feats.adjective && p.class != Class::Finite)
        && prev2.is_some_and(|p| p.class == Class::Determiner);
    if after_adjective && f.noun {
        return Class::Noun;
    }
    if f.participle
        && prev.is_some_and(|p| p.feats.auxiliary || p.class == Class::Adverb && p.lower != "ne")
    {
        return Class::Participle;
    }
    if f.infinitive && (after_preposition || prev_class == Some(Class::Finite)) {
        return Class::Infinitive;
    }
    if f.pronoun && !f.noun {
        return Class::Pronoun;
    }
    // "une heure plus tard": "plus" is read as the adverb unless a subject precedes it (that
    // case returned above).
    if f.adverb {
        return Class::Adverb;
    }
    if f.finite {
        // A noun or a verb ("porte", "marche"): a verb after a likely subject.
        let after_nominal = matches!(
            prev_class,
            Some(Class::Noun | Class::ProperNoun | Class::Pronoun | Class::Adjective)
        );
        // "la lande grise": an adjective agreeing with the noun before it describes it.
        let agrees_with_noun = f.adjective
            && prev.is_some_and(|p| {
                p.class == Class::Noun
                    && (p.feats.feminine && f.feminine || p.feats.masculine && f.masculine)
                    && (p.feats.plural && f.plural || p.feats.singular && f.singular)
            });
        if agrees_with_noun && !f.auxiliary {
            return Class::Adjective;
        }
        if !(f.noun || f.adjective) || after_nominal || f.auxiliary {
            return Class::Finite;
        }
        if w.initial && f.imperative && !f.noun {
            return Class::Finite;
        }
    }
    if f.proper && !f.noun {
        return Class::ProperNoun;
    }
    // "Fraisier rit", "Charlotte décrocha": a capitalised common noun opening the sentence
    // without a determiner, right before a verb, is a name.
    let capital = w.text.chars().next().is_some_and(char::is_uppercase);
    if w.initial
        && capital
        && f.noun
        && !(f.determiner || f.pronoun || f.preposition || f.adverb)
        && next.is_some_and(|n| n.feats.finite && !n.feats.noun)
    {
        return Class::ProperNoun;
    }
    // Nothing in the context decides: the first reading in this order.
    let by_default = [
        (f.noun, Class::Noun),
        (f.adjective, Class::Adjective),
        (f.participle, Class::Participle),
        (f.infinitive, Class::Infinitive),
        (f.adverb, Class::Adverb),
        (f.interjection, Class::Interjection),
        (f.proper || !f.known && capital, Class::ProperNoun),
    ];
    by_default
        .into_iter()
        .find_map(|(reads, class)| reads.then_some(class))
        .unwrap_or(Class::Other)
}

impl Tagged {
    #[cfg(test)]
    pub(crate) fn words(&self) -> impl Iterator<Item = (usize, &Word)> {
        self.toks.iter().enumerate().filter_map(|(i, t)| match t {
            Tok::Word(w) => Some((i, w)),
            Tok::Punct(_) => None,
        })
    }

    pub(crate) fn word(&self, i: usize) -> Option<&Word> {
        match self.toks.get(i)? {
            Tok::Word(w) => Some(w),
            Tok::Punct(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<(String, Class)> {
        tag(text)
            .words()
            .map(|(_, w)| (w.text.clone(), w.class))
            .collect()
    }

    fn class_of_word(text: &str, word: &str) -> Class {
        classes(text)
            .into_iter()
            .find(|(w, _)| w == word)
            .map(|(_, c)| c)
            .unwrap_or(Class::Other)
    }

    #[test]
    fn subjects_clitics_and_verbs() {
        assert_eq!(
            classes("Il la lui donna."),
            [
                ("Il".into(), Class::Subject),
                ("la".into(), Class::Clitic),
                ("lui".into(), Class::Clitic),
                ("donna".into(), Class::Finite)
            ]
        );
        assert_eq!(class_of_word("La porte ferme mal.", "porte"), Class::Noun);
        assert_eq!(
            class_of_word("Il porte un manteau.", "porte"),
            Class::Finite
        );
        assert_eq!(
            class_of_word("Il entre dans la chambre.", "entre"),
            Class::Finite
        );
        assert_eq!(
            class_of_word("Il passa entre les arbres.", "entre"),
            Class::Preposition
        );
    }

    #[test]
    fn elisions_and_inversions_are_words_of_their_own() {
        let c = classes("Qu'il vienne, dit-elle.");
        assert_eq!(c[0], ("Qu'".into(), Class::Relative));
        assert_eq!(c[1], ("il".into(), Class::Subject));
        assert_eq!(c[2].1, Class::Finite);
        let tagged = tag("Qu'il vienne, dit-elle.");
        assert!(tagged.words().any(|(_, w)| w.inverted && w.lower == "dit"));
        assert_eq!(class_of_word("C'était lui.", "C'"), Class::Ce);
        assert_eq!(
            class_of_word("Aujourd'hui il pleut.", "Aujourd'hui"),
            Class::Adverb
        );
        let t = tag("Donnez-moi ce livre.");
        assert!(t.words().next().is_some_and(|(_, w)| w.imperative_clitics));
    }

    #[test]
    fn names_inside_the_sentence() {
        assert_eq!(
            class_of_word("Il vit Stepark.", "Stepark"),
            Class::ProperNoun
        );
        assert_eq!(
            class_of_word("Le docteur Roderich entra.", "Roderich"),
            Class::ProperNoun
        );
    }
}
