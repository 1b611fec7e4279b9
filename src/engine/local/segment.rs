//! French sentence segmentation for the offline engine.
//!
//! The input is already cleaned (one paragraph per line, single spaces), so
//! the work here is deciding which terminators really end a sentence in
//! French prose: abbreviations, initials, incises after quoted speech and
//! dialogue conventions all put terminators mid-sentence.

use super::words::{QuoteDepth, word_count, words};

/// Byte range into the input, trimmed of surrounding whitespace, never contains '\n'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SegmentOptions {
    pub keep_dialogue_whole: bool,
}

/// Splits `text` into sentences, in order. Chapter headings are recognised and NOT returned (they are not sentences).
///
/// Pieces without any word (scene breaks such as `* * *`, a lone `—`) are not
/// sentences either and are dropped as well.
pub fn segment(text: &str, opts: SegmentOptions) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut offset = 0;
    for para in text.split('\n') {
        segment_paragraph(para, offset, opts, &mut out);
        offset += para.len() + 1;
    }
    out
}

fn segment_paragraph(para: &str, offset: usize, opts: SegmentOptions, out: &mut Vec<Segment>) {
    let trimmed = para.trim();
    if trimmed.is_empty() || is_heading(trimmed) {
        return;
    }
    let base = offset + (para.len() - para.trim_start().len());
    if opts.keep_dialogue_whole && starts_with_dialogue_dash(trimmed) {
        push_piece(trimmed, base, 0, trimmed.len(), out);
        return;
    }
    let mut start = 0;
    for end in sentence_ends(trimmed, opts.keep_dialogue_whole) {
        push_piece(trimmed, base, start, end, out);
        start = end;
    }
    push_piece(trimmed, base, start, trimmed.len(), out);
}

fn push_piece(para: &str, base: usize, start: usize, end: usize, out: &mut Vec<Segment>) {
    let Some(slice) = para.get(start..end) else {
        return;
    };
    let lead = slice.len() - slice.trim_start().len();
    let piece = slice.trim();
    if word_count(piece) == 0 {
        return;
    }
    let abs = base + start + lead;
    out.push(Segment {
        start: abs,
        end: abs + piece.len(),
    });
}

fn starts_with_dialogue_dash(p: &str) -> bool {
    let mut it = p.chars();
    match it.next() {
        Some('—' | '–' | '―') => true,
        // Some editions use a hyphen for the dialogue dash; require the space so
        // a hyphenated first word is not mistaken for one.
        Some('-') => it.next().is_some_and(char::is_whitespace),
        _ => false,
    }
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

/// `'`, `’` and `"` double as apostrophes or opening quotes, so they only count
/// as closing when nothing alphanumeric is glued after them.
fn is_closer(chars: &[(usize, char)], k: usize) -> bool {
    match chars.get(k).map(|&(_, c)| c) {
        Some('»' | '”' | ')' | ']' | '›') => true,
        Some('"' | '’' | '\'') => !chars.get(k + 1).is_some_and(|&(_, c)| c.is_alphanumeric()),
        _ => false,
    }
}

/// Byte offsets (into `para`) where a sentence ends, excluding the paragraph end.
fn sentence_ends(para: &str, keep_dialogue_whole: bool) -> Vec<usize> {
    let chars: Vec<(usize, char)> = para.char_indices().collect();
    let n = chars.len();
    let depths = if keep_dialogue_whole {
        quote_depths(&chars)
    } else {
        Vec::new()
    };
    let char_at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut ends = Vec::new();
    let mut i = 0;
    while i < n {
        if !char_at(i).is_some_and(is_terminator) {
            i += 1;
            continue;
        }
        let run_start = i;
        let mut j = i;
        while char_at(j).is_some_and(is_terminator) {
            j += 1;
        }
        // Something glued right after the run ("1.000", "J.-C", "Mais…non")
        // means the punctuation is inside a token, not ending a sentence.
        if char_at(j).is_some_and(|next| !next.is_whitespace()) && !is_closer(&chars, j) {
            i = j;
            continue;
        }
        if j - run_start == 1
            && char_at(run_start) == Some('.')
            && is_abbreviation(&chars, run_start)
        {
            i = j;
            continue;
        }
        // Closing quotes belong to the sentence they close, and French puts a
        // space before them ("! »"); a detached second terminator ("? !") too.
        let mut end = j;
        let mut k = j;
        loop {
            while char_at(k).is_some_and(char::is_whitespace) {
                k += 1;
            }
            if char_at(k).is_some_and(is_terminator) || is_closer(&chars, k) {
                k += 1;
                end = k;
            } else {
                break;
            }
        }
        i = end;
        if keep_dialogue_whole && end > 0 && depths.get(end - 1).is_some_and(|&d| d > 0) {
            continue;
        }
        if k >= n {
            // The paragraph end closes the sentence anyway.
            continue;
        }
        if starts_new_sentence(&chars, k) {
            ends.push(chars.get(end).map_or(para.len(), |&(b, _)| b));
        }
    }
    ends
}

fn starts_new_sentence(chars: &[(usize, char)], k: usize) -> bool {
    let Some(&(_, c)) = chars.get(k) else {
        return true;
    };
    if c.is_lowercase() {
        return false;
    }
    if c.is_uppercase() || c.is_numeric() {
        return true;
    }
    if matches!(c, '«' | '“' | '"' | '‹' | '„' | '—' | '–' | '―' | '-') {
        return true;
    }
    // Other leading punctuation ("(Elle", "*Non", "'Tis"): the first letter
    // decides. The look-ahead is bounded so runs of symbols stay linear.
    for &(_, d) in chars.iter().skip(k).take(32) {
        if d.is_numeric() {
            return true;
        }
        if d.is_alphabetic() {
            return !d.is_lowercase();
        }
    }
    true
}

/// Quote nesting after each char.
fn quote_depths(chars: &[(usize, char)]) -> Vec<u32> {
    let mut quotes = QuoteDepth::default();
    chars.iter().map(|&(_, c)| quotes.feed(c)).collect()
}

/// Titles and initials are always followed by a capitalised name, so a dot
/// after them can never be trusted as a sentence end. Matched case-sensitively
/// because "me", "st" in lower case are not these titles.
pub(crate) const TITLES: &[&str] = &[
    "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "Drs", "Pr", "St", "Ste", "Sts", "Stes", "Me",
    "Mgr", "Mgrs", "Vve", "Ch", "Th", "Ph", "Mr", "Mrs", "Messrs",
];

/// Bibliographic abbreviations that are not French words, so a dot after them
/// is never a sentence end whatever follows ("cf. Chapitre 3", "p. 12").
const ABBREVIATIONS: &[&str] = &[
    "p", "pp", "cf", "éd", "éds", "chap", "av", "apr", "fig", "ibid", "op", "env", "trad", "coll",
    "c.-à-d", "n°", "nº", "id",
];

/// These are also ordinary words ("un vol.", "son art."), so they only count
/// as abbreviations in front of a number: "vol. 3", "t. II", "art. 12".
const NUMBERED_ABBREVIATIONS: &[&str] = &["vol", "t", "art", "no", "ch"];

fn is_abbreviation(chars: &[(usize, char)], dot: usize) -> bool {
    // Abbreviations are short; bounding the walk back keeps long junk tokens
    // (".».».»…") from making this quadratic.
    let mut s = dot;
    while s > 0 && dot - s < 16 && chars.get(s - 1).is_some_and(|&(_, c)| !c.is_whitespace()) {
        s -= 1;
    }
    let token: String = chars
        .iter()
        .take(dot)
        .skip(s)
        .map(|&(_, c)| c)
        .skip_while(|c| !c.is_alphanumeric())
        .collect();
    if token.is_empty() {
        return false;
    }
    if TITLES.contains(&token.as_str()) || is_initials(&token) {
        return true;
    }
    let lower = token.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    NUMBERED_ABBREVIATIONS.contains(&lower.as_str()) && next_token_is_number(chars, dot + 1)
}

fn next_token_is_number(chars: &[(usize, char)], from: usize) -> bool {
    let token: String = chars
        .iter()
        .skip(from)
        .map(|&(_, c)| c)
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| c.is_alphanumeric())
        .collect();
    !token.is_empty() && (token.chars().all(|c| c.is_ascii_digit()) || is_roman(&token))
}

/// "J", "J.-C", "J.-B", "A.-M": each part a single capital letter.
fn is_initials(token: &str) -> bool {
    let mut parts = token.split(['.', '-']).filter(|p| !p.is_empty()).peekable();
    parts.peek().is_some()
        && parts.all(|p| {
            let mut cs = p.chars();
            matches!((cs.next(), cs.next()), (Some(c), None) if c.is_uppercase())
        })
}

fn is_roman(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 10
        && s.chars()
            .all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C' | 'D' | 'M'))
}

fn is_number(s: &str) -> bool {
    (!s.is_empty() && s.len() <= 6 && s.chars().all(|c| c.is_ascii_digit())) || is_roman(s)
}

const CARDINALS: &[&str] = &[
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize", "vingt", "trente",
];

fn is_ordinal(lower: &str) -> bool {
    lower.ends_with("ième")
        || lower.ends_with("ieme")
        || matches!(
            lower,
            "premier"
                | "première"
                | "premiere"
                | "second"
                | "seconde"
                | "dernier"
                | "dernière"
                | "derniere"
                | "unique"
        )
}

/// What may follow "Chapitre", "Livre", "Partie": a number in any spelling.
fn is_numberish(word: &str) -> bool {
    let lower = word.to_lowercase();
    is_number(word) || is_ordinal(&lower) || CARDINALS.contains(&lower.as_str())
}

/// Section words that need a number after them, since "Livre", "Partie",
/// "Acte" also start ordinary sentences.
const NUMBERED_SECTIONS: &[&str] = &[
    "livre", "partie", "tome", "acte", "scène", "scene", "époque", "epoque",
];

/// Words naming a part when preceded by an ordinal ("Première partie").
const PART_WORDS: &[&str] = &[
    "partie", "livre", "chapitre", "tome", "époque", "epoque", "acte", "journée",
];

const STANDALONE_SECTIONS: &[&str] = &[
    "prologue",
    "épilogue",
    "epilogue",
    "préface",
    "preface",
    "avant-propos",
    "postface",
    "introduction",
    "conclusion",
    "avertissement",
    "appendice",
    "annexe",
    "dédicace",
    "sommaire",
];

fn ends_with_final_punct(p: &str) -> bool {
    let core = p.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '»' | '”' | '"' | ')' | ']' | '’' | '\'' | '›')
    });
    core.chars().next_back().is_some_and(is_terminator)
}

fn is_heading(p: &str) -> bool {
    let ws = words(p);
    let Some(&first) = ws.first() else {
        return false;
    };
    let n = ws.len();
    let first_lower = first.to_lowercase();
    let second = ws.get(1).copied();
    let second_lower = second.map(str::to_lowercase);
    let ordinal_part = is_ordinal(&first_lower)
        && second_lower
            .as_deref()
            .is_some_and(|w| PART_WORDS.contains(&w));
    let numbered_section = (first_lower == "chapitre"
        || NUMBERED_SECTIONS.contains(&first_lower.as_str()))
        && second.is_some_and(is_numberish);

    // "XII", "3", "III.", "— 7 —": a bare number on its own line.
    if n == 1
        && is_number(first)
        && p.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || matches!(c, '.' | '—' | '–' | '-'))
    {
        return true;
    }

    if ends_with_final_punct(p) {
        // Only the terse "CHAPITRE III." / "Première partie." forms carry a dot.
        let plain_dot = p.ends_with('.') && !p.ends_with("..");
        return plain_dot && n <= 3 && (numbered_section || ordinal_part);
    }

    if n <= 15 && (first_lower == "chapitre" || numbered_section || ordinal_part) {
        return true;
    }
    if n <= 15 && NUMBERED_SECTIONS.contains(&first_lower.as_str()) && n == 1 {
        return true;
    }
    if n <= 8 && STANDALONE_SECTIONS.contains(&first_lower.as_str()) {
        return true;
    }
    if n <= 8 && p.to_lowercase().starts_with("table des mati") {
        return true;
    }
    // "I. Le départ", "12 — Retour": a numbered title.
    if n <= 10 && is_number(first) {
        let mut tokens = p.split_whitespace();
        let head = tokens.next().unwrap_or("");
        let after = tokens.next().unwrap_or("");
        if head.ends_with('.') || matches!(after, "—" | "–" | "-" | ".") {
            return true;
        }
    }
    n <= 10 && p.chars().any(char::is_alphabetic) && !p.chars().any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt_testkit::lcg::Lcg;

    fn segs(text: &str, keep: bool) -> Vec<&str> {
        segment(
            text,
            SegmentOptions {
                keep_dialogue_whole: keep,
            },
        )
        .iter()
        .map(|s| &text[s.start..s.end])
        .collect()
    }

    fn both(text: &str) -> Vec<&str> {
        let a = segs(text, false);
        assert_eq!(a, segs(text, true), "keep_dialogue_whole changed {text:?}");
        a
    }

    #[test]
    fn plain_sentences() {
        assert_eq!(
            both("Il pleuvait. Elle sortit ! Pourquoi ?"),
            vec!["Il pleuvait.", "Elle sortit !", "Pourquoi ?"]
        );
    }

    #[test]
    fn paragraph_end_always_ends_a_sentence() {
        assert_eq!(
            both("Il pleuvait sans fin\net elle attendait"),
            vec!["Il pleuvait sans fin", "et elle attendait"]
        );
    }

    #[test]
    fn titles_are_not_boundaries() {
        assert_eq!(
            both("M. Dupont est arrivé. Il a salué Mme Bovary. MM. Durand et Mlle. Rose aussi."),
            vec![
                "M. Dupont est arrivé.",
                "Il a salué Mme Bovary.",
                "MM. Durand et Mlle. Rose aussi."
            ]
        );
        assert_eq!(
            both("On appela le Dr. Larivière. Il vint aussitôt avec Me. Hareng."),
            vec![
                "On appela le Dr. Larivière.",
                "Il vint aussitôt avec Me. Hareng."
            ]
        );
        assert_eq!(
            both("Mgr. Myriel vivait à Digne. St. Louis aussi."),
            vec!["Mgr. Myriel vivait à Digne.", "St. Louis aussi."]
        );
        // English titles in French novels (Verne's Mrs. Weldon).
        assert_eq!(
            both("« Mais qu'est-ce donc ? demanda Mrs. Weldon. » Mr. Harris se tut."),
            vec![
                "« Mais qu'est-ce donc ? demanda Mrs. Weldon. »",
                "Mr. Harris se tut."
            ]
        );
    }

    #[test]
    fn initials_and_j_c() {
        assert_eq!(
            both("J. R. R. Tolkien écrivit. Ch. Baudelaire aussi. J.-B. Poquelin joua."),
            vec![
                "J. R. R. Tolkien écrivit.",
                "Ch. Baudelaire aussi.",
                "J.-B. Poquelin joua."
            ]
        );
        assert_eq!(
            both("César mourut en 44 av. J.-C. à Rome. Vers 50 apr. J.-C. Rome grandit."),
            vec![
                "César mourut en 44 av. J.-C. à Rome.",
                "Vers 50 apr. J.-C. Rome grandit."
            ]
        );
    }

    #[test]
    fn bibliographic_abbreviations() {
        assert_eq!(
            both("Voir p. 12 et cf. Chapitre 3 du vol. 2. Il le lut."),
            vec!["Voir p. 12 et cf. Chapitre 3 du vol. 2.", "Il le lut."]
        );
        // "vol" is also a word: without a number after it the dot ends the sentence.
        assert_eq!(
            both("Il fut accusé de vol. Le juge sourit."),
            vec!["Il fut accusé de vol.", "Le juge sourit."]
        );
        assert_eq!(
            both("Il habitait au n°. 5. Elle non."),
            vec!["Il habitait au n°. 5.", "Elle non."]
        );
    }

    #[test]
    fn numbers_with_dots() {
        assert_eq!(
            both(
                "Il paya 1.000 francs, soit 3.14 fois plus, à 12.30 précises. Louis XIV. régna longtemps."
            ),
            vec![
                "Il paya 1.000 francs, soit 3.14 fois plus, à 12.30 précises.",
                "Louis XIV. régna longtemps."
            ]
        );
        assert_eq!(
            both("Il avait 3. Elle en avait 4."),
            vec!["Il avait 3.", "Elle en avait 4."]
        );
    }

    #[test]
    fn etc_depends_on_what_follows() {
        assert_eq!(
            both("Il acheta des pommes, des poires, etc. Puis il rentra."),
            vec!["Il acheta des pommes, des poires, etc.", "Puis il rentra."]
        );
        assert_eq!(
            both("Des pommes, etc. et des poires."),
            vec!["Des pommes, etc. et des poires."]
        );
        assert_eq!(
            both("Il acheta des pommes, des poires, etc."),
            vec!["Il acheta des pommes, des poires, etc."]
        );
    }

    #[test]
    fn lowercase_after_terminator_is_not_a_boundary() {
        assert_eq!(
            both("« Tu viens ? » demanda-t-il. Il hésita... puis entra."),
            vec!["« Tu viens ? » demanda-t-il.", "Il hésita... puis entra."]
        );
    }

    #[test]
    fn ellipses() {
        assert_eq!(
            both("Il hésita… puis entra. Elle attendit... Rien ne vint… Enfin !"),
            vec![
                "Il hésita… puis entra.",
                "Elle attendit...",
                "Rien ne vint…",
                "Enfin !"
            ]
        );
        assert_eq!(both("Mais…non, jamais."), vec!["Mais…non, jamais."]);
    }

    #[test]
    fn interrobang_combos() {
        assert_eq!(
            both("Quoi ?! Tu pars !? Oui ? ! Non."),
            vec!["Quoi ?!", "Tu pars !?", "Oui ? !", "Non."]
        );
    }

    #[test]
    fn guillemets_with_incise_and_new_sentence() {
        let text = "« Quoi ?! » s'écria-t-elle. « Vraiment ?! » Il recula. « Non. » « Si. »";
        assert_eq!(
            both(text),
            vec![
                "« Quoi ?! » s'écria-t-elle.",
                "« Vraiment ?! »",
                "Il recula.",
                "« Non. »",
                "« Si. »"
            ]
        );
    }

    #[test]
    fn sentences_inside_guillemets() {
        let text = "« Où vas-tu ? Reste ici ! »";
        assert_eq!(segs(text, false), vec!["« Où vas-tu ?", "Reste ici ! »"]);
        assert_eq!(segs(text, true), vec![text]);
        let text = "Il dit : « Viens. Reste. » Puis il partit.";
        assert_eq!(
            segs(text, false),
            vec!["Il dit : « Viens.", "Reste. »", "Puis il partit."]
        );
        assert_eq!(
            segs(text, true),
            vec!["Il dit : « Viens. Reste. »", "Puis il partit."]
        );
    }

    #[test]
    fn curly_and_ascii_quotes_kept_whole() {
        let text = "Elle lut “Il pleut. Il vente.” Puis elle dormit. \"Non. Si.\" Bon.";
        assert_eq!(
            segs(text, true),
            vec![
                "Elle lut “Il pleut. Il vente.”",
                "Puis elle dormit.",
                "\"Non. Si.\"",
                "Bon."
            ]
        );
        assert_eq!(
            segs(text, false),
            vec![
                "Elle lut “Il pleut.",
                "Il vente.”",
                "Puis elle dormit.",
                "\"Non.",
                "Si.\"",
                "Bon."
            ]
        );
    }

    #[test]
    fn unclosed_quote_is_closed_by_paragraph_end() {
        let text = "« Viens. Reste.\nIl partit. Elle resta.";
        assert_eq!(
            segs(text, true),
            vec!["« Viens. Reste.", "Il partit.", "Elle resta."]
        );
    }

    #[test]
    fn dialogue_dash_paragraphs() {
        let text = "— Oui, dit-il. Je viens demain.\n– Bien. À demain.\nIl sortit. Elle resta.";
        assert_eq!(
            segs(text, true),
            vec![
                "— Oui, dit-il. Je viens demain.",
                "– Bien. À demain.",
                "Il sortit.",
                "Elle resta."
            ]
        );
        assert_eq!(
            segs(text, false),
            vec![
                "— Oui, dit-il.",
                "Je viens demain.",
                "– Bien.",
                "À demain.",
                "Il sortit.",
                "Elle resta."
            ]
        );
    }

    #[test]
    fn parenthesis_after_terminator_looks_at_the_letter() {
        assert_eq!(
            both("Il partit. (Elle resta.) Fin. (et puis rien)"),
            vec!["Il partit.", "(Elle resta.)", "Fin. (et puis rien)"]
        );
    }

    #[test]
    fn dash_after_terminator_starts_new_sentence() {
        assert_eq!(
            segs("Il se tut. — Et alors ? reprit-elle.", false),
            vec!["Il se tut.", "— Et alors ? reprit-elle."]
        );
    }

    #[test]
    fn chapter_headings_dropped_sentences_kept() {
        let text = "CHAPITRE PREMIER\nIl pleuvait.\nChapitre 3\nXII\nPREMIÈRE PARTIE\n\
                    LE RETOUR DU ROI\nOui\nIII.\nPrologue\nDeuxième partie : la fuite\n\
                    Livre premier\nCHAPITRE IV.\nI. Le départ\nTable des matières\n7\nÉpilogue\n\
                    Elle sortit.\nPartie perdue, il rentra.\nLivre ouvert sur la table\nAH !";
        assert_eq!(
            both(text),
            vec![
                "Il pleuvait.",
                "Oui",
                "Elle sortit.",
                "Partie perdue, il rentra.",
                "Livre ouvert sur la table",
                "AH !"
            ]
        );
    }

    #[test]
    fn scene_breaks_are_dropped() {
        assert_eq!(both("* * *\nIl revint.\n***\n—"), vec!["Il revint."]);
    }

    #[test]
    fn offsets_point_into_original_text() {
        let text = "  Il pleuvait.  Elle sortit.\n\nCHAPITRE II\n  — Oui ! »  \n";
        let got = segment(text, SegmentOptions::default());
        assert_eq!(
            got,
            vec![
                Segment { start: 2, end: 14 },
                Segment { start: 16, end: 28 },
                Segment {
                    start: 44,
                    end: 44 + "— Oui ! »".len()
                },
            ]
        );
        assert_eq!(&text[got[2].start..got[2].end], "— Oui ! »");
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "",
            "\n",
            "\n\n\n",
            ".",
            "!!!",
            "?!",
            "…",
            "...",
            ". . .",
            "«",
            "»",
            "« »",
            "— ",
            "–",
            "\u{301}.",
            "é.É",
            "M.",
            "J.-",
            ".-C",
            "a.b.c. D",
            "😀. 😀! 🇫🇷? Ok.",
            "مرحبا. שלום! 你好。Fin.",
            "\r\n\t\u{a0}\u{202f}",
            "\u{200b}.\u{200b}",
            "\u{feff}Bonjour. Non.",
            "ǅ. ß. ŉ.",
            "\"",
            "' ' ’",
            "Il dit. \u{2028} Non.",
        ];
        for input in inputs {
            for keep in [false, true] {
                check_segments(input, keep);
            }
        }
    }

    fn check_segments(text: &str, keep: bool) {
        let got = segment(
            text,
            SegmentOptions {
                keep_dialogue_whole: keep,
            },
        );
        let mut last_end = 0;
        for s in &got {
            assert!(s.start <= s.end && s.end <= text.len(), "{text:?} {s:?}");
            assert!(s.start >= last_end, "overlap in {text:?}");
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            let piece = &text[s.start..s.end];
            assert!(!piece.contains('\n'));
            assert_eq!(piece, piece.trim(), "untrimmed {piece:?}");
            assert!(word_count(piece) > 0);
            last_end = s.end;
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        let alphabet = [
            "a", "é", "É", "M", "J", "1", "X", ".", ".", "!", "?", "…", "«", "»", "“", "”", "\"",
            "'", "’", "—", "–", "-", " ", " ", " ", "\n", "\u{301}", "😀", "\u{a0}", "(", ")",
            "\r", "\t", "ß", "ŉ", "\u{200f}",
        ];
        let mut rng = Lcg(7);
        for _ in 0..3000 {
            let len = (rng.next_u64() % 40) as usize;
            let text: String = (0..len).map(|_| rng.pick(&alphabet)).collect();
            check_segments(&text, false);
            check_segments(&text, true);
        }
    }

    #[test]
    fn segmentation_never_loses_words() {
        let vocab = [
            "il",
            "elle",
            "Marie",
            "Paris",
            "maison",
            "l'homme",
            "peut-être",
            "qu'il",
            "M.",
            "Mme",
            "J.-C.",
            "1.000",
            "3.14",
            "etc.",
            "vol.",
            "p.",
            "J.",
            "« Viens",
            "! »",
            "?!",
            "…",
            "...",
            "—",
            ",",
            ";",
            ":",
            "dit-il",
            "Où",
            "XIV.",
            "(enfin)",
            "“Non",
            "”",
        ];
        let mut rng = Lcg(42);
        for _ in 0..1500 {
            let paragraphs = 1 + rng.next_u64() % 3;
            let mut text = String::new();
            for p in 0..paragraphs {
                if p > 0 {
                    text.push('\n');
                }
                // Lowercase start and a final period: never a heading.
                text.push_str("alors");
                for _ in 0..(rng.next_u64() % 15) {
                    text.push(' ');
                    text.push_str(rng.pick(&vocab));
                    if rng.next_u64().is_multiple_of(5) {
                        text.push_str(rng.pick(&[".", " !", " ?", "…"]));
                    }
                }
                text.push('.');
            }
            for keep in [false, true] {
                check_segments(&text, keep);
                let got = segment(
                    &text,
                    SegmentOptions {
                        keep_dialogue_whole: keep,
                    },
                );
                let joined: Vec<&str> = got
                    .iter()
                    .flat_map(|s| words(&text[s.start..s.end]))
                    .collect();
                assert_eq!(joined, words(&text), "{text:?}");
            }
        }
    }
}
