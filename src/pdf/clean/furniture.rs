//! Page furniture: what a typesetter puts on a page around the author's text. Page numbers,
//! running heads and footers, footnotes, the title page and the table of contents are told
//! apart by where they stand and how they repeat, and removed before paragraphs are rebuilt.

use std::collections::{HashMap, HashSet};

use super::{Line, PageLines, Stats, collapse, is_body_size, is_label, is_numeral, weighted_mode};

/// Share of the page height, at the top and at the bottom, where headers and folios live.
const BAND: f32 = 0.1;

fn in_band(line: &Line, height: f32) -> bool {
    height > 0.0 && (line.y <= BAND * height || line.y >= (1.0 - BAND) * height)
}

/// Whether line `i` stands on the page's first or last baseline.
fn at_edge(page: &PageLines, i: usize) -> bool {
    let (Some(first), Some(last)) = (page.lines.first(), page.lines.last()) else {
        return false;
    };
    let y = page.lines[i].y;
    (y - first.y).abs() < 1.0 || (y - last.y).abs() < 1.0
}

/// The number a folio line shows: "12", "- 12 -", "[12]", "xiv", "XIV", "Page 12", and the
/// "3/8" a browser prints.
pub(super) fn folio_value(text: &str) -> Option<i64> {
    let core = text.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '-' | '–' | '—' | '(' | ')' | '[' | ']' | '·' | '•')
    });
    let core = ["page ", "p. "]
        .iter()
        .find_map(|prefix| {
            let head = core.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| core.get(prefix.len()..))
                .flatten()
        })
        .unwrap_or(core);
    if let Some((page, of)) = core.split_once('/')
        && !page.is_empty()
        && page.chars().all(|c| c.is_ascii_digit())
        && !of.is_empty()
        && of.chars().all(|c| c.is_ascii_digit())
    {
        return page.parse().ok();
    }
    if core.is_empty() || core.len() > 8 {
        return None;
    }
    if core.chars().all(|c| c.is_ascii_digit()) {
        return core.parse().ok();
    }
    let upper = core.chars().all(|c| c.is_ascii_uppercase());
    let lower = core.chars().all(|c| c.is_ascii_lowercase());
    if upper || lower {
        return roman_value(&core.to_ascii_lowercase());
    }
    None
}

/// Value of a roman numeral written the canonical way ("xiv", not "civil" or "iiii").
fn roman_value(s: &str) -> Option<i64> {
    const DIGITS: [(i64, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut rest = s;
    let mut total = 0;
    for (value, digits) in DIGITS {
        // At most three repeats of a one-letter digit, one of a two-letter one.
        let max = if digits.len() == 1 { 3 } else { 1 };
        for _ in 0..max {
            match rest.strip_prefix(digits) {
                Some(r) => {
                    rest = r;
                    total += value;
                }
                None => break,
            }
        }
    }
    (rest.is_empty() && total > 0).then_some(total)
}

pub(super) fn strip_page_numbers(pages: &mut [PageLines], stats: &Stats) {
    // (page index, line index, value, in the margin band)
    let mut candidates = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (i, line) in page.lines.iter().enumerate() {
            // A chapter numeral set large at the top of a page is a heading, not a folio.
            if line.size > 1.15 * stats.body_size {
                continue;
            }
            let band = in_band(line, page.height);
            if (band || at_edge(page, i))
                && let Some(value) = folio_value(&line.text)
            {
                candidates.push((p, i, value, band));
            }
        }
    }
    // Outside the margin band, a lone number can be a chapter number heading a page ("IV");
    // there it only counts as a folio if it follows the book's page numbering.
    let offset = weighted_mode(
        candidates
            .iter()
            .map(|&(p, _, v, _)| ((v - i64::from(pages[p].number)) as f32, 1)),
        1.0,
    )
    .filter(|&o| {
        candidates
            .iter()
            .filter(|&&(p, _, v, _)| (v - i64::from(pages[p].number)) as f32 == o)
            .count()
            >= 2
    });
    let mut drop: HashSet<(usize, usize)> = HashSet::new();
    for &(p, i, value, band) in &candidates {
        let follows = offset == Some((value - i64::from(pages[p].number)) as f32);
        if band || follows {
            drop.insert((p, i));
        }
    }
    remove_lines(pages, &drop);
}

fn signature(text: &str) -> String {
    let lower: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_numeric())
        .collect();
    collapse(lower.trim())
}

/// Drops lines of ornaments alone ("❦", "* * *", "⁂"): they break a scene or dress a
/// heading, and read as text they end up glued to a sentence.
pub(super) fn strip_ornaments(pages: &mut [PageLines]) {
    const TEXT_MARKS: &str = ".,;:!?…—–-«»\"'’()[]";
    for page in pages.iter_mut() {
        page.lines.retain(|l| {
            l.text
                .chars()
                .any(|c| c.is_alphanumeric() || TEXT_MARKS.contains(c))
        });
    }
}

/// Drops lines that repeat at the top or bottom of many pages (author, title, chapter name).
pub(super) fn strip_running_heads(pages: &mut [PageLines], stats: &Stats) {
    let mut drop = repeated_heads(pages, stats);
    drop.extend(heads_by_position(pages, stats));
    remove_lines(pages, &drop);
}

/// Lines in the margins, or set apart at the top or bottom, whose text (digits aside) repeats
/// on many pages.
fn repeated_heads(pages: &[PageLines], stats: &Stats) -> HashSet<(usize, usize)> {
    let mut candidates: Vec<(usize, usize, String)> = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        for (i, line) in page.lines.iter().enumerate() {
            let band = in_band(line, page.height);
            // A header set lower than the band still stands apart from the text block, and is
            // never larger than the body (chapter headings are).
            let set_apart = at_edge(page, i)
                && line.size <= 1.1 * stats.body_size
                && gap_to_neighbour(page, i) > 2.0 * stats.leading;
            if band || set_apart {
                let sig = signature(&line.text);
                if !sig.is_empty() {
                    candidates.push((p, i, sig));
                }
            }
        }
    }
    let mut pages_with: HashMap<&str, HashSet<usize>> = HashMap::new();
    for (p, _, sig) in &candidates {
        pages_with.entry(sig.as_str()).or_default().insert(*p);
    }
    let threshold = 2.max((pages.len() as f32 * 0.2).ceil() as usize);
    candidates
        .iter()
        .filter(|(_, _, sig)| pages_with.get(sig.as_str()).map_or(0, HashSet::len) >= threshold)
        .map(|(p, i, _)| (*p, *i))
        .collect()
}

/// Vertical distance from line `i` (on the first or last baseline) to the nearest baseline
/// towards the middle of the page; infinite when there is none.
fn gap_to_neighbour(page: &PageLines, i: usize) -> f32 {
    let y = page.lines[i].y;
    let top = page.lines.first().is_some_and(|f| (f.y - y).abs() < 1.0);
    page.lines
        .iter()
        .filter(|l| if top { l.y > y + 1.0 } else { l.y < y - 1.0 })
        .map(|l| (l.y - y).abs())
        .fold(f32::INFINITY, f32::min)
}

/// Running heads whose text changes from page to page (the chapter's numeral and title on odd
/// pages, the book's on even ones) still stand on the same baseline, set apart from the text
/// block, on many pages: every line on such a baseline goes, whatever it says.
fn heads_by_position(pages: &[PageLines], stats: &Stats) -> HashSet<(usize, usize)> {
    // Where the text block starts: on most pages the second line is at most a line below
    // it. A head stands above it; a chapter's heading, dropped lower on its page, does not,
    // and in a short book its few headings on one baseline would look like heads.
    let text_top = super::percentile(
        pages
            .iter()
            .filter_map(|p| p.lines.get(1).map(|l| l.y))
            .collect(),
        0.1,
    )
    .unwrap_or(f32::INFINITY);
    // (page, baseline, indices of the lines on it)
    let mut candidates: Vec<(usize, f32, Vec<usize>)> = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        let (Some(first), Some(last)) = (page.lines.first(), page.lines.last()) else {
            continue;
        };
        let above_text = first.y < text_top - 0.5 * stats.leading;
        let edges = [(first.y, above_text), (last.y, true)];
        for (y, _) in edges.into_iter().filter(|&(_, possible)| possible) {
            let on: Vec<usize> = (0..page.lines.len())
                .filter(|&i| (page.lines[i].y - y).abs() < 1.0)
                .collect();
            let Some(&i) = on.first() else { continue };
            let small = on
                .iter()
                .all(|&j| page.lines[j].size <= 1.15 * stats.body_size);
            let words: usize = on
                .iter()
                .map(|&j| page.lines[j].text.split(' ').count())
                .sum();
            // A page with little else on it (a chapter's last lines) says nothing about its
            // margins.
            let others = page.lines.len() - on.len();
            if small
                && words <= 16
                && others >= 3
                && gap_to_neighbour(page, i) > 1.6 * stats.leading
            {
                candidates.push((p, y, on));
            }
        }
    }
    let threshold = 2.max((pages.len() as f32 * 0.25).ceil() as usize);
    let mut drop = HashSet::new();
    for (p, y, on) in &candidates {
        let pages_there: HashSet<usize> = candidates
            .iter()
            .filter(|(_, other, _)| (other - y).abs() <= 2.0)
            .map(|(q, _, _)| *q)
            .collect();
        if pages_there.len() >= threshold {
            drop.extend(on.iter().map(|&i| (*p, i)));
        }
    }
    drop
}

/// Footnotes: in the lower half of a page, a line set smaller than the text that starts with
/// a note number, with no line of text below it in its column, starts the notes' block; the
/// smaller lines under it in that column are the rest of it. The calls in the text ("église¹")
/// were already left out when the lines were read.
pub(super) fn strip_footnotes(pages: &mut [PageLines], stats: &Stats) {
    let small = |l: &Line| l.size < 0.92 * stats.body_size;
    let overlaps = |a: &Line, b: &Line| a.x0 < b.x1 && b.x0 < a.x1;
    for page in pages.iter_mut() {
        let lines = &page.lines;
        let mut drop = vec![false; lines.len()];
        for (i, note) in lines.iter().enumerate() {
            if drop[i]
                || !small(note)
                || note.y < 0.5 * page.height
                || !starts_with_note_number(&note.text)
            {
                continue;
            }
            let text_below = lines.iter().any(|l| {
                l.y > note.y && is_body_size(l.size, stats.body_size) && overlaps(l, note)
            });
            if text_below {
                continue;
            }
            for (j, l) in lines.iter().enumerate() {
                if l.y >= note.y && small(l) && overlaps(l, note) {
                    drop[j] = true;
                }
            }
        }
        let mut i = 0;
        page.lines.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }
}

fn starts_with_note_number(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    if chars
        .peek()
        .is_some_and(|c| matches!(c, '*' | '†' | '‡' | '¹' | '²' | '³'))
    {
        return true;
    }
    let digits = chars.by_ref().take_while(char::is_ascii_digit).count();
    (1..=3).contains(&digits)
}

/// Front and back matter: the title and half-title pages before the first page of prose, and
/// any table of contents, are not the author's sentences.
pub(super) fn strip_front_matter(pages: &mut [PageLines], stats: &Stats) {
    let full = typical_line_width(pages, stats);
    let is_prose = |page: &PageLines| {
        page.lines
            .iter()
            .filter(|l| is_body_size(l.size, stats.body_size) && l.x1 - l.x0 >= 0.6 * full)
            .count()
            >= 3
    };
    for page in pages.iter_mut() {
        if is_contents(page) {
            page.lines.clear();
        }
    }
    // What names a division ("PREMIÈRE PARTIE") stays: the book's structure starts there.
    let first_prose = pages.iter().position(is_prose).unwrap_or(0);
    for page in &mut pages[..first_prose] {
        page.lines
            .retain(|l| is_label(&l.text) && !is_numeral(&l.text));
    }
}

/// The width of a full line of body text.
fn typical_line_width(pages: &[PageLines], stats: &Stats) -> f32 {
    let mut widths: Vec<f32> = pages
        .iter()
        .flat_map(|p| &p.lines)
        .filter(|l| is_body_size(l.size, stats.body_size))
        .map(|l| l.x1 - l.x0)
        .filter(|w| w.is_finite())
        .collect();
    widths.sort_by(f32::total_cmp);
    widths.get(widths.len() * 9 / 10).copied().unwrap_or(0.0)
}

/// A table of contents: titled so, or most of its lines end with a page number.
fn is_contents(page: &PageLines) -> bool {
    let titled = page.lines.iter().any(|l| {
        let lower = l.text.to_lowercase();
        let lower = lower.trim_end_matches(['.', ' ']);
        matches!(
            lower,
            "table des matières" | "table" | "sommaire" | "contents"
        )
    });
    let numbered = page
        .lines
        .iter()
        .filter(|l| {
            let last = l.text.rsplit([' ', '.', '…']).next().unwrap_or("");
            l.text.contains(|c: char| c.is_alphabetic()) && folio_value(last).is_some()
        })
        .count();
    titled || (numbered >= 3 && numbered * 10 >= page.lines.len() * 6)
}

fn remove_lines(pages: &mut [PageLines], drop: &HashSet<(usize, usize)>) {
    if drop.is_empty() {
        return;
    }
    for (p, page) in pages.iter_mut().enumerate() {
        let mut i = 0;
        page.lines.retain(|_| {
            let keep = !drop.contains(&(p, i));
            i += 1;
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folio_values() {
        assert_eq!(folio_value("12"), Some(12));
        assert_eq!(folio_value("- 12 -"), Some(12));
        assert_eq!(folio_value("— 7 —"), Some(7));
        assert_eq!(folio_value("[3]"), Some(3));
        assert_eq!(folio_value("xiv"), Some(14));
        assert_eq!(folio_value("XIV"), Some(14));
        assert_eq!(folio_value("Xiv"), None);
        assert_eq!(folio_value("Il"), None);
        assert_eq!(folio_value("3/8"), Some(3));
        assert_eq!(folio_value("Page 12"), Some(12));
        assert_eq!(folio_value("p. 4"), Some(4));
        assert_eq!(folio_value("1/15/24, 12:00 PM"), None);
        // Case folding that changes a string's length must not upset the prefix.
        assert_eq!(folio_value("İİ 3"), None);
        assert_eq!(folio_value("12 rue"), None);
        assert_eq!(folio_value("mcmxciv"), Some(1994));
        assert_eq!(folio_value("civil"), None);
        assert_eq!(folio_value("iiii"), None);
        assert_eq!(folio_value("mix"), Some(1009));
    }
}
