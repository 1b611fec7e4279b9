//! Clause-boundary splitting of one long sentence into short pieces.
//!
//! The sentence is cut into "units": one word each, with the punctuation
//! tokens that belong to it (a detached « goes with the word after it, a
//! detached ; or » with the word before). Cuts only ever happen between
//! units, which is what guarantees no word or attached punctuation is lost,
//! duplicated or reordered.

use super::words::{QuoteDepth, word_count};

#[derive(Debug, Clone, Copy)]
pub struct SplitOptions {
    pub max_words: usize,
    pub min_words: usize,
    pub keep_dialogue_whole: bool,
}

/// Splits one sentence into pieces of at most `max_words` words at clause boundaries and returns them normalised
/// for display (see below). A sentence already within the limit comes back as one piece.
///
/// A blank sentence gives no piece at all. With `keep_dialogue_whole`, text
/// inside « … », “ … ” or "…" is never cut, so such a piece may exceed
/// `max_words`.
pub fn split_sentence(sentence: &str, opts: SplitOptions) -> Vec<String> {
    let tokens: Vec<&str> = sentence.split_whitespace().collect();
    if tokens.is_empty() {
        return Vec::new();
    }
    let whole = tokens.join(" ");
    let max = opts.max_words.max(1);
    let units = build_units(&tokens);
    if units.len() <= max {
        return vec![whole];
    }
    let gaps = describe_gaps(&tokens, &units, opts.keep_dialogue_whole);
    let ranges = plan_cuts(units.len(), &gaps, max, opts.min_words.max(1));
    if ranges.len() <= 1 {
        return vec![whole];
    }
    ranges
        .iter()
        .map(|&(lo, hi)| {
            let first = units.get(lo).map_or(0, |u| u.first);
            let last = units.get(hi.saturating_sub(1)).map_or(0, |u| u.last);
            let text = tokens
                .get(first..=last)
                .map(|ts| ts.join(" "))
                .unwrap_or_default();
            normalise_piece(&text)
        })
        .collect()
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

#[derive(Debug, Clone, Copy, Default)]
struct Gap {
    /// 1 is the strongest clause boundary, 7 any word gap.
    tier: u8,
    /// False inside a quotation that must stay whole.
    allowed: bool,
}

/// Words that open a clause after a comma.
const COMMA_OPENERS: &[&str] = &[
    "et",
    "mais",
    "ou",
    "donc",
    "or",
    "ni",
    "car",
    "puis",
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
    "duquel",
    "quand",
    "lorsque",
    "lorsqu'",
    "puisque",
    "puisqu'",
    "parce",
    "comme",
    "si",
    "s'",
    "tandis",
    "pendant",
    "alors",
    "bien",
    "quoique",
    "afin",
    "pour",
];

/// Words that open a clause even without a comma.
const BARE_OPENERS: &[&str] = &[
    "et", "mais", "ou", "donc", "car", "puis", "qui", "que", "qu'", "dont", "où",
];

/// Prepositions: a weaker cut that still keeps a phrase together.
const PREPOSITIONS: &[&str] = &[
    "à", "au", "aux", "pour", "dans", "avec", "sans", "sur", "sous", "en", "par", "vers", "chez",
    "contre", "entre", "depuis", "pendant", "avant", "après",
];

/// "de" and its forms mostly open a noun complement ("la rue des Carmes"), so a cut before
/// them is the last choice before an arbitrary one.
const GENITIVES: &[&str] = &["de", "d'", "du", "des"];

/// "qu'il" → "qu'", "Lorsqu’elle" → "lorsqu'", "Mais" → "mais".
fn lookup_key(word_token: &str) -> String {
    let core = word_token.trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = core.to_lowercase();
    match lower.find(['\'', '’']) {
        Some(pos) => {
            let mut key = lower.get(..pos).unwrap_or("").to_string();
            key.push('\'');
            key
        }
        None => lower
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .to_string(),
    }
}

fn unit_text(tokens: &[&str], u: Unit) -> String {
    tokens
        .get(u.first..=u.last)
        .map(|ts| ts.join(" "))
        .unwrap_or_default()
}

fn describe_gaps(tokens: &[&str], units: &[Unit], keep_dialogue_whole: bool) -> Vec<Gap> {
    let texts: Vec<String> = units.iter().map(|&u| unit_text(tokens, u)).collect();
    let depth_after = quote_depth_after(&texts);
    let mut gaps = vec![Gap::default(); units.len()];
    for g in 1..units.len() {
        let (Some(left), Some(right)) = (texts.get(g - 1), texts.get(g)) else {
            continue;
        };
        let trailing: String = left
            .chars()
            .rev()
            .take_while(|c| !c.is_alphanumeric())
            .collect();
        let leading: String = right.chars().take_while(|c| !c.is_alphanumeric()).collect();
        let next_word = right
            .split_whitespace()
            .find(|t| is_word_token(t))
            .map(lookup_key)
            .unwrap_or_default();
        let next = next_word.as_str();
        // A single '.' left inside a sentence is an abbreviation or "XIV."
        // (the segmenter already decided it is not an end), so it is ignored;
        // '!', '?' and ellipses before a lowercase incise are real pauses.
        let tier = if trailing.contains([';', ':', '!', '?', '…']) || trailing.contains("..") {
            1
        } else if trailing.contains(['—', '–', '―', ')']) || leading.contains(['—', '–', '―', '('])
        {
            2
        } else if trailing.contains(',') {
            if COMMA_OPENERS.contains(&next) { 3 } else { 4 }
        } else if BARE_OPENERS.contains(&next) {
            5
        } else if PREPOSITIONS.contains(&next) {
            6
        } else if GENITIVES.contains(&next) {
            7
        } else {
            8
        };
        let allowed = !keep_dialogue_whole || depth_after.get(g - 1).copied().unwrap_or(0) == 0;
        if let Some(slot) = gaps.get_mut(g) {
            *slot = Gap { tier, allowed };
        }
    }
    gaps
}

/// Quote nesting after each unit; an unclosed quote runs to the sentence end.
fn quote_depth_after(texts: &[String]) -> Vec<u32> {
    let mut quotes = QuoteDepth::default();
    texts
        .iter()
        .map(|t| {
            t.chars().for_each(|c| {
                quotes.feed(c);
            });
            quotes.depth()
        })
        .collect()
}

/// Unit ranges `[lo, hi)` in order. An explicit stack instead of recursion so
/// a pathological sentence (thousands of words) cannot overflow the stack.
fn plan_cuts(n: usize, gaps: &[Gap], max: usize, min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![(0, n)];
    while let Some((lo, hi)) = stack.pop() {
        if hi - lo <= max {
            out.push((lo, hi));
            continue;
        }
        match best_gap(lo, hi, gaps, min) {
            Some(g) => {
                stack.push((g, hi));
                stack.push((lo, g));
            }
            None => out.push((lo, hi)),
        }
    }
    out
}

fn best_gap(lo: usize, hi: usize, gaps: &[Gap], min: usize) -> Option<usize> {
    for floor in [min, 1] {
        let mut best: Option<((u8, usize), usize)> = None;
        for g in lo + 1..hi {
            let Some(gap) = gaps.get(g) else { continue };
            let (left, right) = (g - lo, hi - g);
            if !gap.allowed || left < floor || right < floor {
                continue;
            }
            let key = (gap.tier, left.abs_diff(right));
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, g));
            }
        }
        if let Some((_, g)) = best {
            return Some(g);
        }
    }
    None
}

fn normalise_piece(text: &str) -> String {
    // The cut already marks the pause, so the separator it fell on would only
    // dangle ("il dit :" → "Il dit.").
    let core = text.trim().trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '–' | '—' | '―' | '-')
    });
    let mut piece = capitalise_first(core);
    if !ends_with_sentence_punct(&piece) {
        piece.push('.');
    }
    piece
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
    use super::super::words::words;
    use super::*;
    use crate::testkit::lcg::Lcg;

    fn opts(max_words: usize, min_words: usize, keep: bool) -> SplitOptions {
        SplitOptions {
            max_words,
            min_words,
            keep_dialogue_whole: keep,
        }
    }

    fn split(s: &str, max: usize) -> Vec<String> {
        split_sentence(s, opts(max, 2, false))
    }

    /// The invariant the service relies on; only the first letter of each
    /// piece may differ, and only in case.
    fn assert_words_intact(sentence: &str, pieces: &[String]) {
        let original = words(sentence);
        let mut got: Vec<String> = Vec::new();
        let mut firsts = Vec::new();
        for p in pieces {
            let ws = words(p);
            assert!(!ws.is_empty(), "wordless piece {p:?} from {sentence:?}");
            firsts.push(got.len());
            got.extend(ws.iter().map(|w| (*w).to_string()));
        }
        assert_eq!(got.len(), original.len(), "{sentence:?} -> {pieces:?}");
        for (i, (g, o)) in got.iter().zip(&original).enumerate() {
            if firsts.contains(&i) {
                assert_eq!(lower_first(g), lower_first(o), "{sentence:?} -> {pieces:?}");
            } else {
                assert_eq!(g, o, "{sentence:?} -> {pieces:?}");
            }
        }
    }

    fn lower_first(w: &str) -> String {
        let mut cs = w.chars();
        match cs.next() {
            Some(c) => c.to_lowercase().chain(cs).collect(),
            None => String::new(),
        }
    }

    #[test]
    fn short_sentence_returned_verbatim() {
        assert_eq!(split("oui  mais   non", 8), vec!["oui mais non"]);
        assert_eq!(
            split(" « Viens ! » dit-il ; puis il partit. ", 8),
            vec!["« Viens ! » dit-il ; puis il partit."]
        );
        assert_eq!(split("Il pleuvait,", 8), vec!["Il pleuvait,"]);
    }

    #[test]
    fn blank_sentence_gives_nothing() {
        assert!(split("", 8).is_empty());
        assert!(split(" \t ", 8).is_empty());
    }

    #[test]
    fn punctuation_only_sentence_is_one_piece() {
        assert_eq!(split("— « … » !", 1), vec!["— « … » !"]);
    }

    #[test]
    fn cuts_at_semicolon() {
        assert_eq!(
            split(
                "Il pleuvait depuis trois jours sur la ville ; les rues étaient désertes et froides.",
                8
            ),
            vec![
                "Il pleuvait depuis trois jours sur la ville.",
                "Les rues étaient désertes et froides."
            ]
        );
    }

    #[test]
    fn cuts_at_colon() {
        assert_eq!(
            split(
                "Il n'avait qu'une seule idée en tête : partir loin de cette maison maudite.",
                8
            ),
            vec![
                "Il n'avait qu'une seule idée en tête.",
                "Partir loin de cette maison maudite."
            ]
        );
    }

    #[test]
    fn cuts_at_unpaired_dash() {
        assert_eq!(
            split(
                "Le vieux marin regardait la mer — elle était calme ce matin-là comme toujours.",
                8
            ),
            vec![
                "Le vieux marin regardait la mer.",
                "Elle était calme ce matin-là comme toujours."
            ]
        );
    }

    #[test]
    fn paired_dashes_keep_the_incise_together() {
        assert_eq!(
            split(
                "Le vieux marin revint au port — disait-on au village — après dix longues années.",
                6
            ),
            vec![
                "Le vieux marin revint au port.",
                "— Disait-on au village.",
                "Après dix longues années."
            ]
        );
    }

    #[test]
    fn cuts_at_parenthesis() {
        assert_eq!(
            split(
                "Elle rangea la vieille lettre dans le tiroir (celle de son frère disparu) sans un mot.",
                8
            ),
            vec![
                "Elle rangea la vieille lettre dans le tiroir.",
                "(Celle de son frère disparu) sans un mot."
            ]
        );
    }

    #[test]
    fn strongest_tier_wins_over_balance() {
        // The ';' is far from the middle but still beats the commas.
        assert_eq!(
            split(
                "Il vint ; puis, lentement, sans un mot, il posa la lettre sur la table.",
                8
            ),
            vec![
                "Il vint.",
                "Puis, lentement, sans un mot.",
                "Il posa la lettre sur la table."
            ]
        );
    }

    #[test]
    fn cuts_at_comma_before_relative_pronoun() {
        assert_eq!(
            split(
                "J'ai rencontré hier un vieil homme du village, qui m'a raconté une histoire étrange.",
                8
            ),
            vec![
                "J'ai rencontré hier un vieil homme du village.",
                "Qui m'a raconté une histoire étrange."
            ]
        );
    }

    #[test]
    fn cuts_at_comma_before_et_and_mais() {
        assert_eq!(
            split(
                "Il ouvrit lentement la porte de la cuisine, et le chat s'enfuit aussitôt dans le jardin.",
                8
            ),
            vec![
                "Il ouvrit lentement la porte de la cuisine.",
                "Et le chat s'enfuit aussitôt dans le jardin."
            ]
        );
        assert_eq!(
            split(
                "Elle voulait partir, vraiment, mais personne ne voulait l'accompagner ce soir-là.",
                7
            ),
            vec![
                "Elle voulait partir, vraiment.",
                "Mais personne ne voulait l'accompagner ce soir-là."
            ]
        );
    }

    #[test]
    fn comma_conjunction_beats_plain_comma() {
        assert_eq!(
            split(
                "Au matin, les pêcheurs partirent en mer, lorsqu'il se mit à pleuvoir très fort.",
                8
            ),
            vec![
                "Au matin, les pêcheurs partirent en mer.",
                "Lorsqu'il se mit à pleuvoir très fort."
            ]
        );
    }

    #[test]
    fn cuts_before_et_without_comma() {
        assert_eq!(
            split(
                "Le garçon courait vers la rivière et sa sœur le suivait en riant.",
                8
            ),
            vec![
                "Le garçon courait vers la rivière.",
                "Et sa sœur le suivait en riant."
            ]
        );
    }

    #[test]
    fn falls_back_to_preposition() {
        assert_eq!(
            split(
                "Le vieux professeur marchait lentement dans les rues désertes de la ville endormie.",
                8
            ),
            vec![
                "Le vieux professeur marchait lentement.",
                "Dans les rues désertes de la ville endormie."
            ]
        );
    }

    #[test]
    fn falls_back_to_balanced_cut() {
        assert_eq!(
            split(
                "Les enfants joyeux mangeaient tranquillement leurs gâteaux roses bien sucrés",
                8
            ),
            vec![
                "Les enfants joyeux mangeaient tranquillement.",
                "Leurs gâteaux roses bien sucrés."
            ]
        );
    }

    #[test]
    fn min_words_is_respected_when_possible() {
        // The ';' after one word would leave a 1-word piece, so with min 2 the
        // comma + qui wins instead.
        assert_eq!(
            split_sentence(
                "Non ; le vieil homme du village, qui riait, partit vers la mer.",
                opts(6, 2, false)
            ),
            vec![
                "Non ; le vieil homme du village.",
                "Qui riait, partit vers la mer."
            ]
        );
        assert_eq!(
            split_sentence(
                "Non ; le vieil homme du village, qui riait, partit vers la mer.",
                opts(6, 1, false)
            ),
            vec![
                "Non.",
                "Le vieil homme du village.",
                "Qui riait, partit vers la mer."
            ]
        );
    }

    #[test]
    fn min_words_falls_back_to_one_word() {
        assert_eq!(
            split_sentence("Un deux trois", opts(1, 5, false)),
            vec!["Un.", "Deux.", "Trois."]
        );
    }

    #[test]
    fn zero_limits_do_not_loop() {
        let s = "Un deux trois quatre";
        let pieces = split_sentence(s, opts(0, 0, false));
        assert_eq!(pieces, vec!["Un.", "Deux.", "Trois.", "Quatre."]);
    }

    #[test]
    fn forty_words_at_limit_eight() {
        let s = "Quand le soleil se leva enfin sur la ville de province, les habitants \
                 sortirent de leurs maisons ; ils regardaient le ciel avec inquiétude, car la \
                 tempête de la nuit avait arraché les toits et renversé les arbres du grand parc.";
        assert_eq!(word_count(s), 40);
        let pieces = split(s, 8);
        for p in &pieces {
            assert!(word_count(p) <= 8, "{p:?} in {pieces:?}");
        }
        assert_words_intact(s, &pieces);
        assert_eq!(
            pieces,
            vec![
                "Quand le soleil se leva enfin.",
                "Sur la ville de province.",
                "Les habitants sortirent de leurs maisons.",
                "Ils regardaient le ciel avec inquiétude.",
                // With no better gap left, the cut falls before "de", inside a noun complement.
                "Car la tempête.",
                "De la nuit avait arraché les toits.",
                "Et renversé les arbres du grand parc."
            ]
        );
    }

    #[test]
    fn guillemets_attach_to_their_words() {
        let s = "Il cria très fort : « Je ne reviendrai jamais ici ! » et claqua la porte derrière lui.";
        let pieces = split_sentence(s, opts(6, 2, false));
        assert_words_intact(s, &pieces);
        assert_eq!(
            pieces,
            vec![
                "Il cria très fort.",
                "« Je ne reviendrai jamais ici ! »",
                "Et claqua la porte derrière lui."
            ]
        );
    }

    #[test]
    fn keep_dialogue_whole_keeps_long_quote() {
        let s = "Il cria : « Je ne reviendrai jamais dans cette maison maudite, tu m'entends, jamais ! »";
        assert_eq!(
            split_sentence(s, opts(5, 1, true)),
            vec![
                "Il cria.",
                "« Je ne reviendrai jamais dans cette maison maudite, tu m'entends, jamais ! »"
            ]
        );
        let cut = split_sentence(s, opts(5, 1, false));
        assert!(cut.len() > 2);
        assert!(cut.iter().all(|p| word_count(p) <= 5));
        assert_words_intact(s, &cut);
    }

    #[test]
    fn keep_dialogue_whole_with_only_quote_returns_verbatim() {
        let s = "« Je ne reviendrai jamais dans cette maison maudite, jamais";
        assert_eq!(split_sentence(s, opts(3, 1, true)), vec![s]);
    }

    #[test]
    fn normalisation_capitalises_and_strips() {
        assert_eq!(
            split_sentence(
                "« où vas-tu, mon ami, avec ton chien ? »",
                opts(3, 1, false)
            ),
            vec!["« Où vas-tu.", "Mon ami.", "Avec ton chien ? »"]
        );
        assert_eq!(
            split_sentence(
                "12 hommes marchaient, 3 chiens couraient",
                opts(3, 1, false)
            ),
            vec!["12 hommes marchaient.", "3 chiens couraient."]
        );
    }

    #[test]
    fn capitalise_first_edge_cases() {
        assert_eq!(capitalise_first("« éric"), "« Éric");
        assert_eq!(capitalise_first("ßa"), "ßa");
        assert_eq!(capitalise_first("…"), "…");
        assert_eq!(capitalise_first(""), "");
    }

    #[test]
    fn ellipsis_and_incise_are_strong_cuts() {
        assert_eq!(
            split(
                "Il hésita longtemps devant la porte... puis il entra sans frapper une seule fois.",
                8
            ),
            vec![
                "Il hésita longtemps devant la porte...",
                "Puis il entra sans frapper une seule fois."
            ]
        );
    }

    #[test]
    fn abbreviation_dot_is_not_a_cut() {
        let pieces = split(
            "M. Dupont et Mme Bovary partirent ensemble vers la gare du Nord.",
            6,
        );
        assert_eq!(
            pieces,
            vec![
                "M. Dupont.",
                "Et Mme Bovary partirent ensemble.",
                "Vers la gare du Nord."
            ]
        );
    }

    #[test]
    fn odd_unicode_never_panics() {
        let inputs = [
            "",
            ".",
            "!!!",
            "«",
            "»",
            "— —",
            "…",
            "\u{301}\u{301} \u{301}",
            "😀 😀 😀 😀 😀 😀",
            "ŉ ŉ ŉ ŉ ŉ",
            "ß ß ß ß",
            "مرحبا بكم في باريس ، قال الرجل ; ثم ذهب",
            "a\u{a0}b\u{202f}c d e f g",
            "« « « « a b c d e f",
            "» » » a b c d e f",
            "( ( a ) ) b ) c ( d",
            "\" a \" b \" c d e f",
            "- - - a - b - c - d",
            "l' l' l' qu' qu' d'",
            "\u{feff}x y z \u{200b} w v",
        ];
        for input in inputs {
            for keep in [false, true] {
                for max in 0..4 {
                    let pieces = split_sentence(input, opts(max, 2, keep));
                    if word_count(input) > 0 {
                        assert_words_intact(input, &pieces);
                    }
                }
            }
        }
    }

    const VOCAB: &[&str] = &[
        "il",
        "elle",
        "Marie",
        "Jean",
        "la",
        "le",
        "maison",
        "chien",
        "mer",
        "regardait",
        "l'homme",
        "qu'il",
        "d'un",
        "peut-être",
        "aujourd'hui",
        "a-t-il",
        "et",
        "mais",
        "ou",
        "donc",
        "car",
        "puis",
        "qui",
        "que",
        "dont",
        "où",
        "lorsqu'elle",
        "si",
        "s'il",
        "de",
        "du",
        "des",
        "à",
        "au",
        "dans",
        "avec",
        "sans",
        "sur",
        "pendant",
        "après",
        "1.000",
        "3,14",
        "XIV",
        "M.",
        "Mme",
        "était",
        "très",
        "vieux",
        "été",
        "Éloïse",
        "ça",
        "œuvre",
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
                0 => s.push(','),
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
    fn property_words_are_never_lost_or_reordered() {
        let mut rng = Lcg(2024);
        let mut checked = 0;
        for _ in 0..600 {
            let s = random_sentence(&mut rng);
            for max in 3..=12 {
                for keep in [false, true] {
                    let min = 1 + rng.below(3);
                    let pieces = split_sentence(&s, opts(max, min, keep));
                    assert_words_intact(&s, &pieces);
                    let total = word_count(&s);
                    if total <= max {
                        assert_eq!(pieces.len(), 1);
                        assert_eq!(
                            pieces[0],
                            s.split_whitespace().collect::<Vec<_>>().join(" ")
                        );
                    }
                    for p in &pieces {
                        assert!(!p.trim().is_empty());
                        assert_eq!(p.as_str(), p.trim());
                        assert!(!p.contains("  "));
                        if word_count(p) > max {
                            // Only protected dialogue may exceed the limit.
                            assert!(keep, "{s:?} -> {pieces:?}");
                            assert!(p.contains(['«', '“', '"']), "{s:?} -> {pieces:?}");
                        }
                        if pieces.len() > 1 {
                            assert!(ends_with_sentence_punct(p), "{p:?}");
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 600 * 10 * 2);
    }
}
