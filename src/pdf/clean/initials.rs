//! Two ornaments of book typography that break words apart when read as text:
//!
//! - **Drop caps.** The first letter of a chapter set large over two or three lines comes
//!   out as a line of its own ("J") beside the rest of its word ("acques Simiès ouvrit…"),
//!   and the lines it pushes right look indented, like new paragraphs. The letter is put
//!   back in front of its word and the lines beside it are brought back to the margin.
//! - **Letter-spaced lines.** A heading set with wide letter spacing reads "C H A P I T R E
//!   I": every gap became a space. Such a line is rebuilt into its words with the lexicon.

use super::{Line, PageLines, Stats, is_body_size};
use crate::lexicon::lexicon;

/// How much larger than the body a letter must be to be a drop cap rather than a capital.
const DROP_CAP_SCALE: f32 = 1.8;

/// Puts every drop cap of the page back into its word.
pub(super) fn join_drop_caps(page: &mut PageLines, stats: &Stats) {
    let body = stats.body_size;
    let mut i = 0;
    while i < page.lines.len() {
        let cap = &page.lines[i];
        let Some(letter) = drop_cap_letter(cap, body) else {
            i += 1;
            continue;
        };
        // The cap's top is about its size above its baseline, which sits a little above the
        // baseline of the last line it stands beside (its descent is smaller than a line's).
        let (top, bottom) = (cap.y - cap.size * 1.1, cap.y + 0.9 * stats.leading);
        let (cap_x0, cap_x1) = (cap.x0, cap.x1);
        let beside: Vec<usize> = (0..page.lines.len())
            .filter(|&j| j != i)
            .filter(|&j| {
                let l = &page.lines[j];
                // Beside the cap, which stands at their left edge: some producers start its
                // first line at the margin with an empty glyph, so that line may start where
                // the cap does.
                is_body_size(l.size, body)
                    && l.y >= top
                    && l.y <= bottom
                    && l.x0 >= cap_x0 - 0.5 * body
                    && l.x1 > cap_x1 + body
                    && l.x0 - cap_x1 < 3.0 * body
            })
            .collect();
        // A cap drops over two lines at least; one big letter over one line is a heading
        // ("I") or a capital set large.
        let first = beside
            .iter()
            .copied()
            .min_by(|&a, &b| page.lines[a].y.total_cmp(&page.lines[b].y));
        let (true, Some(first)) = (beside.len() >= 2, first) else {
            i += 1;
            continue;
        };
        let word = page.lines[first].text.clone();
        page.lines[first].text = join_letter(&letter, &word);
        for &j in &beside {
            page.lines[j].x0 = cap_x0;
        }
        page.lines.remove(i);
    }
}

/// The letter a line holds when it is nothing but one large letter (an apostrophe after it
/// allowed: "L’").
fn drop_cap_letter(line: &Line, body: f32) -> Option<String> {
    if line.size < DROP_CAP_SCALE * body {
        return None;
    }
    let text = line.text.trim();
    let mut chars = text.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    (first.is_alphabetic() && first.is_uppercase() && matches!(rest.as_str(), "" | "'" | "’"))
        .then(|| text.to_owned())
}

/// The cap in front of the first word of its line: glued to it when together they make a
/// word ("J" + "acques"), apart when the cap is a word of its own ("A" + "la fin").
fn join_letter(letter: &str, line: &str) -> String {
    let first_word: String = line
        .chars()
        .take_while(|c| c.is_alphabetic() || *c == '-')
        .collect();
    let glued = format!("{letter}{line}");
    if letter.ends_with(['\'', '’']) || first_word.is_empty() {
        return glued;
    }
    let lex = lexicon();
    let whole = format!("{letter}{first_word}");
    if !lex.is_word(&whole) && is_one_letter_word(letter) && lex.is_word(&first_word) {
        format!("{letter} {line}")
    } else {
        glued
    }
}

/// Rebuilds the words of every letter-spaced line of the page.
pub(super) fn unspace_letters(page: &mut PageLines) {
    for line in &mut page.lines {
        if let Some(words) = letter_spaced(&line.text) {
            line.text = words;
        }
    }
}

/// Letters in the longest letter-spaced line read back: a heading's worth. The reading tries
/// every cut, so a page of single letters must not reach it.
const MAX_SPACED_LETTERS: usize = 48;

/// The words of a line set letter by letter ("C H A P I T R E I" → "CHAPITRE I"), or `None`
/// when it is not one: four to [`MAX_SPACED_LETTERS`] single letters, nothing longer.
fn letter_spaced(text: &str) -> Option<String> {
    let tokens: Vec<&str> = text.split(' ').collect();
    if !(4..=MAX_SPACED_LETTERS).contains(&tokens.len())
        || tokens.iter().any(|t| t.chars().count() != 1)
    {
        return None;
    }
    if !tokens.iter().all(|t| t.chars().all(char::is_alphanumeric)) {
        return None;
    }
    let letters: Vec<char> = tokens.iter().filter_map(|t| t.chars().next()).collect();
    segment(&letters)
}

/// The letters cut into the fewest words the lexicon knows (a roman numeral counts as a
/// word), or `None` when they cannot all be read as words.
fn segment(letters: &[char]) -> Option<String> {
    let lex = lexicon();
    let n = letters.len();
    // best[i]: fewest words covering letters[..i], and where the last one starts.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 1..=n {
        for start in 0..end {
            let Some((count, _)) = best[start] else {
                continue;
            };
            let word: String = letters[start..end].iter().collect();
            let known = lex.is_word(&word.to_lowercase())
                && (end - start > 1 || is_one_letter_word(&word))
                || is_roman(&word)
                || word.chars().all(|c| c.is_ascii_digit());
            if known && best[end].is_none_or(|(c, _)| count + 1 < c) {
                best[end] = Some((count + 1, start));
            }
        }
    }
    best[n]?;
    let mut words = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end]?;
        words.push(letters[start..end].iter().collect::<String>());
        end = start;
    }
    words.reverse();
    Some(words.join(" "))
}

/// French words of one letter: a lexicon lists every letter as a word, and a heading does
/// not spell.
fn is_one_letter_word(word: &str) -> bool {
    matches!(
        word,
        "A" | "À" | "Y" | "Ô" | "O" | "a" | "à" | "y" | "ô" | "o"
    )
}

fn is_roman(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C' | 'D' | 'M'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, x0: f32, y: f32, size: f32) -> Line {
        Line {
            text: text.into(),
            ending: super::super::Ending::Plain,
            x0,
            x1: x0 + 0.5 * size * text.chars().count() as f32,
            y,
            size,
        }
    }

    fn page_of(lines: Vec<Line>) -> PageLines {
        PageLines {
            number: 2,
            height: 595.0,
            lines,
            columns: None,
        }
    }

    fn stats() -> Stats {
        Stats {
            body_size: 11.0,
            leading: 12.8,
        }
    }

    #[test]
    fn letter_spaced_headings_get_their_words_back() {
        assert_eq!(
            letter_spaced("C H A P I T R E I").as_deref(),
            Some("CHAPITRE I")
        );
        assert_eq!(
            letter_spaced("P R E M I È R E P A R T I E").as_deref(),
            Some("PREMIÈRE PARTIE")
        );
        assert_eq!(
            letter_spaced("L E R E T O U R").as_deref(),
            Some("LE RETOUR")
        );
        assert_eq!(
            letter_spaced("C H A P I T R E X I I").as_deref(),
            Some("CHAPITRE XII")
        );
        // Ordinary lines are left alone.
        assert_eq!(letter_spaced("Il y a un an."), None);
        assert_eq!(letter_spaced("a b c"), None);
    }

    #[test]
    fn a_drop_cap_goes_back_into_its_word_and_its_lines_to_the_margin() {
        let mut page = page_of(vec![
            line(
                "acques Simiès ouvrit un œil, puis l'autre,",
                80.0,
                113.5,
                11.0,
            ),
            line("s'étira et demanda à son valet,", 80.0, 126.3, 11.0),
            line("J", 62.7, 133.1, 35.2),
            line(
                "Lazare, qui venait écarter les persiennes :",
                80.0,
                139.1,
                11.0,
            ),
            line("— Lazare, quelle heure est-il ?", 79.2, 151.9, 11.0),
        ]);
        join_drop_caps(&mut page, &stats());
        let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[0], "Jacques Simiès ouvrit un œil, puis l'autre,");
        assert_eq!(page.lines.len(), 4);
        assert!(page.lines[..3].iter().all(|l| l.x0 == 62.7));
        assert_eq!(page.lines[3].x0, 79.2);
    }

    #[test]
    fn a_first_line_drawn_from_the_margin_still_takes_the_cap() {
        let mut page = page_of(vec![
            line(
                "acques Simiès ouvrit un œil, puis l'autre,",
                62.7,
                113.5,
                11.0,
            ),
            line("s'étira et demanda à son valet,", 80.0, 126.3, 11.0),
            line("J", 62.7, 133.1, 35.2),
        ]);
        join_drop_caps(&mut page, &stats());
        assert_eq!(
            page.lines[0].text,
            "Jacques Simiès ouvrit un œil, puis l'autre,"
        );
        assert_eq!(page.lines[1].text, "s'étira et demanda à son valet,");
    }

    #[test]
    fn a_large_centred_numeral_is_a_heading_not_a_drop_cap() {
        let mut page = page_of(vec![
            line("CHAPITRE", 170.0, 100.0, 11.0),
            line("I", 200.0, 122.0, 22.0),
            line(
                "Il était une fois un roi qui avait trois filles,",
                62.0,
                130.0,
                11.0,
            ),
            line("et la plus jeune était la plus belle.", 62.0, 142.8, 11.0),
        ]);
        join_drop_caps(&mut page, &stats());
        assert_eq!(page.lines.len(), 4);
        assert_eq!(page.lines[0].text, "CHAPITRE");
        assert_eq!(
            page.lines[2].text,
            "Il était une fois un roi qui avait trois filles,"
        );
    }

    #[test]
    fn a_cap_that_is_a_word_stays_one() {
        assert_eq!(join_letter("I", "l était une fois"), "Il était une fois");
        assert_eq!(join_letter("A", "la fin du jour"), "A la fin du jour");
        assert_eq!(join_letter("J", "acques"), "Jacques");
        assert_eq!(join_letter("L’", "homme entra"), "L’homme entra");
        assert_eq!(join_letter("A", "vant l'aube"), "Avant l'aube");
    }
}
