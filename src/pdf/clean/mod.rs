//! Turns extracted pages into the book's running text.
//!
//! The output is a contract with the sentence segmenter: paragraphs separated by a single
//! `'\n'`, single spaces inside a paragraph, nothing at either end; chapter headings are
//! paragraphs of their own. Everything that is not the author's text (page numbers, running
//! headers and footers, typesetting hyphens, ligatures, odd spaces) is removed here, using the
//! line geometry from [`super::extract`] rather than guessing from the text alone.

use std::collections::HashMap;

use super::extract::RawPage;

mod furniture;
mod hyphens;
mod initials;
mod layout;

// Public for fnt-testkit's PDF writer: it hyphenates only where this clean-up undoes it.
pub use hyphens::keeps_line_end_hyphen;

#[derive(Debug, Clone, Copy)]
pub struct CleanOptions {
    /// Rejoin words a typesetter split with a plain hyphen at a line end ("mai-" + "son").
    /// Soft hyphens (U+00AD) are always rejoined: they never belong to the text.
    pub fix_hyphenation: bool,
}

impl Default for CleanOptions {
    fn default() -> Self {
        Self {
            fix_hyphenation: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    pub text: String,
    /// `page_starts[i]` is the byte offset in `text` where page `i + 1` begins. A page without
    /// body text starts where the next one does; a word rejoined across a page break belongs
    /// to the earlier page.
    pub page_starts: Vec<usize>,
    /// Part and chapter headings, in book order. Their text is not in `text`: a heading is
    /// structure, not a sentence. Text before the first heading belongs to no chapter.
    pub chapters: Vec<Chapter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// The heading as printed, its lines joined with " — " ("Chapitre II — Le départ").
    pub title: String,
    /// Byte offset in the book's text where the chapter's first paragraph starts.
    pub start: usize,
    /// 1-based page the heading stands on.
    pub first_page: u32,
}

impl Book {
    /// The chapter the text at `offset` belongs to, as an index into `chapters`.
    pub fn chapter_at(&self, offset: usize) -> Option<usize> {
        self.chapters
            .partition_point(|c| c.start <= offset)
            .checked_sub(1)
    }

    /// The text with each chapter's title on a line of its own ("## title"), for people.
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 64 * self.chapters.len());
        let mut at = 0;
        for chapter in &self.chapters {
            let start = chapter.start.min(self.text.len());
            out.push_str(self.text.get(at..start).unwrap_or_default().trim_end());
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&format!(
                "## {} (page {})\n\n",
                chapter.title, chapter.first_page
            ));
            at = start;
        }
        out.push_str(self.text.get(at..).unwrap_or_default());
        out.push('\n');
        out.replace("\n\n\n", "\n\n")
    }
}

pub fn clean_book(pages: &[RawPage], opts: CleanOptions) -> Book {
    let mut prepared: Vec<PageLines> = pages.iter().map(prepare_page).collect();
    let stats = Stats::measure(&prepared);
    for page in &mut prepared {
        initials::join_drop_caps(page, &stats);
        initials::unspace_letters(page);
    }
    furniture::strip_page_numbers(&mut prepared, &stats);
    furniture::strip_running_heads(&mut prepared, &stats);
    furniture::strip_footnotes(&mut prepared, &stats);
    furniture::strip_ornaments(&mut prepared);
    for page in &mut prepared {
        layout::order_page(page, &stats);
    }
    furniture::strip_front_matter(&mut prepared, &stats);
    let geometry = Geometry::measure(&prepared, &stats);
    assemble(&prepared, &geometry, &stats, opts)
}

// ---------------------------------------------------------------------------------------------
// Lines

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Plain,
    /// The line ended with a soft hyphen, already removed from the text.
    Soft,
    /// The line ends with a plain hyphen right after a letter or digit (still in the text).
    Hard,
}

#[derive(Debug, Clone)]
struct Line {
    text: String,
    ending: Ending,
    x0: f32,
    x1: f32,
    y: f32,
    size: f32,
}

struct PageLines {
    number: u32,
    height: f32,
    lines: Vec<Line>,
    /// On a page set in two columns: where the left column ends and each column's block.
    columns: Option<(f32, [Block; 2])>,
}

fn prepare_page(page: &RawPage) -> PageLines {
    let mut lines: Vec<Line> = page
        .lines
        .iter()
        .filter_map(|raw| {
            let (text, ending) = split_ending(&normalize(&raw.text));
            if text.is_empty() {
                return None;
            }
            Some(Line {
                text,
                ending,
                x0: raw.x0,
                x1: raw.x1,
                y: raw.y,
                size: raw.size,
            })
        })
        .collect();
    // Content streams may draw footers before the body: top to bottom, then left to right, is
    // where the clean-up starts (columns are put in order later).
    lines.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let height = if page.height > 0.0 {
        page.height
    } else {
        lines.iter().map(|l| l.y).fold(0.0, f32::max)
    };
    PageLines {
        number: page.number,
        height,
        lines,
        columns: None,
    }
}

/// Character-level clean-up. NFKC is deliberately not used: it would turn "…" into "...".
fn normalize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            // A non-breaking hyphen is a hyphen; U+2010 is kept until the line's end is read,
            // since hyphenators draw it where they break a word.
            '\u{2011}' => out.push('-'),
            // NBSP, narrow NBSP, figure/thin/hair spaces, ideographic space, tabs, newlines…
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Removes soft hyphens and tells how the line ends. A line ending in a soft hyphen, in the
/// U+2010 hyphen automatic hyphenation draws (WeasyPrint), or in both (Chromium) ends inside a
/// word the typesetter broke.
fn split_ending(text: &str) -> (String, Ending) {
    let unbroken = text.strip_suffix('\u{2010}');
    let soft_end = unbroken.is_some() || text.ends_with('\u{AD}');
    let text = unbroken.unwrap_or(text);
    let cleaned: String = text
        .chars()
        .filter(|&c| c != '\u{AD}')
        .map(|c| if c == '\u{2010}' { '-' } else { c })
        .collect();
    let cleaned = collapse(&cleaned);
    if cleaned.is_empty() {
        return (cleaned, Ending::Plain);
    }
    if soft_end {
        return (cleaned, Ending::Soft);
    }
    let mut rev = cleaned.chars().rev();
    let ending = match (rev.next(), rev.next()) {
        (Some('-'), Some(c)) if c.is_alphanumeric() => Ending::Hard,
        _ => Ending::Plain,
    };
    (cleaned, ending)
}

fn collapse(text: &str) -> String {
    let text = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    // TeX sets an ellipsis its fonts lack as three spaced full stops.
    if text.contains(". . .") {
        text.replace(". . .", "…")
    } else {
        text
    }
}

// ---------------------------------------------------------------------------------------------
// Book-wide measurements

struct Stats {
    body_size: f32,
    leading: f32,
}

impl Stats {
    fn measure(pages: &[PageLines]) -> Self {
        // The body font is the one most of the text is set in.
        let body_size = weighted_mode(
            pages
                .iter()
                .flat_map(|p| &p.lines)
                .map(|l| (l.size, l.text.chars().count())),
            0.5,
        )
        .filter(|s| *s > 0.0)
        .unwrap_or(10.0);
        let gaps: Vec<f32> = pages
            .iter()
            .flat_map(|p| {
                p.lines.windows(2).filter_map(|w| {
                    let dy = w[1].y - w[0].y;
                    let body = |l: &Line| is_body_size(l.size, body_size);
                    (body(&w[0]) && body(&w[1]) && dy > 0.8 * body_size && dy < 3.0 * body_size)
                        .then_some(dy)
                })
            })
            .collect();
        let leading = line_spacing(&gaps).unwrap_or(1.2 * body_size);
        Self { body_size, leading }
    }
}

/// The distance between the lines of a paragraph: the smallest gap that recurs. Where
/// paragraphs are set apart by space and most are one line of dialogue, the gap between
/// paragraphs is the most frequent one, so the most frequent gap will not do.
fn line_spacing(gaps: &[f32]) -> Option<f32> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for &dy in gaps {
        *counts.entry((dy / 0.5).round() as i64).or_default() += 1;
    }
    let most = counts.values().copied().max()?;
    let enough = (most / 4).max(3).min(most);
    counts
        .into_iter()
        .filter(|&(_, n)| n >= enough)
        .map(|(k, _)| k)
        .min()
        .map(|k| k as f32 * 0.5)
}

fn is_body_size(size: f32, body: f32) -> bool {
    (size - body).abs() <= 0.15 * body
}

/// Most frequent value after rounding to `step`, weighted; ties go to the smaller value.
fn weighted_mode(values: impl Iterator<Item = (f32, usize)>, step: f32) -> Option<f32> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for (v, w) in values {
        if v.is_finite() {
            *counts.entry((v / step).round() as i64).or_default() += w;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(k, _)| k as f32 * step)
}

// ---------------------------------------------------------------------------------------------
// Text block geometry

#[derive(Debug, Clone, Copy)]
struct Block {
    left: f32,
    right: f32,
}

impl Block {
    fn width(&self) -> f32 {
        (self.right - self.left).max(1.0)
    }
}

struct Geometry {
    blocks: Vec<Block>,
}

impl Geometry {
    fn measure(pages: &[PageLines], stats: &Stats) -> Self {
        let body = |l: &&Line| is_body_size(l.size, stats.body_size);
        // Facing pages can have mirrored margins, so even and odd pages are measured apart.
        let by_parity = |parity: Option<u32>| {
            let lines: Vec<&Line> = pages
                .iter()
                .filter(|p| parity.is_none_or(|k| p.number % 2 == k))
                .flat_map(|p| p.lines.iter().filter(body))
                .collect();
            // Too few lines to tell a margin from an indent: use the whole book instead.
            if parity.is_some() && lines.len() < 20 {
                return None;
            }
            let left = weighted_mode(lines.iter().map(|l| (l.x0, 1)), 0.5)?;
            let right = percentile(lines.iter().map(|l| l.x1).collect(), 0.9)?;
            Some(Block { left, right })
        };
        let global = by_parity(None).unwrap_or(Block {
            left: 0.0,
            right: 1.0,
        });
        let parity = [
            by_parity(Some(0)).unwrap_or(global),
            by_parity(Some(1)).unwrap_or(global),
        ];
        let blocks = pages
            .iter()
            .map(|page| {
                let usual = parity[(page.number % 2) as usize];
                let lines: Vec<&Line> = page.lines.iter().filter(body).collect();
                // A page's own left edge is trusted only with enough lines to vote: a page
                // holding one indented line would otherwise look unindented.
                let mut counts: HashMap<i64, usize> = HashMap::new();
                for l in &lines {
                    *counts.entry((l.x0 / 0.5).round() as i64).or_default() += 1;
                }
                let own = counts
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                    .filter(|&(_, n)| lines.len() >= 5 && n >= 2)
                    .map(|(k, _)| k as f32 * 0.5);
                match own {
                    Some(left) => Block {
                        left,
                        right: left + usual.width(),
                    },
                    None => usual,
                }
            })
            .collect();
        Self { blocks }
    }
}

fn percentile(mut values: Vec<f32>, q: f32) -> Option<f32> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f32::total_cmp);
    let i = ((values.len() - 1) as f32 * q).round() as usize;
    values.get(i).copied()
}

// ---------------------------------------------------------------------------------------------
// Paragraphs

/// What the paragraph rules need to know about the previous body line.
struct Previous {
    heading: bool,
    /// Ends a sentence and stops clearly short of the right edge: the end of a paragraph.
    closes_paragraph: bool,
    ending: Ending,
    page: usize,
    y: f32,
}

fn is_heading(line: &Line, block: Block, stats: &Stats, space_above: bool) -> bool {
    let text = line.text.as_str();
    // "-- IV --", "– 1 –": a numeral dressed in dashes.
    let dash = |c: char| matches!(c, '-' | '–' | '—');
    if text.starts_with(dash) && text.ends_with(dash) && text.chars().count() > 1 {
        let core = text.trim_matches(|c: char| dash(c) || c == ' ');
        return is_numeral(core) && is_centered(line, block);
    }
    // Headings are never set smaller than the text; a small centred line is a note or a
    // caption.
    if line.size < 0.9 * stats.body_size {
        return false;
    }
    // An ornament ("* * *", "❦") breaks a scene, it does not name a chapter.
    if text.ends_with([',', ';', ':', '»', '"', '”', '’', '-'])
        || !text.chars().any(char::is_alphanumeric)
    {
        return false;
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let all_caps = letters >= 2 && !text.chars().any(char::is_lowercase);
    let large = line.size >= 1.25 * stats.body_size;
    // "Chapitre II.", "IV.", "CHAPITRE PREMIER.": a label may end with a full stop, a
    // sentence may not.
    if text.ends_with(['.', '!', '?', '…'])
        && !(text.split(' ').count() <= 6 && (is_label(text) || all_caps || large))
    {
        return false;
    }
    let w = block.width();
    let narrow = line.x1 - line.x0 < 0.85 * w;
    // A line of body text indented like a paragraph is a paragraph ("PORTRAIT DE MAMAN."),
    // unless it names a division of the book.
    if is_body_size(line.size, stats.body_size) && is_indented(line, block) {
        return is_label(text);
    }
    // A bare numeral is a chapter's only where it is set off: centred or large ("IV"); flush
    // left in the body's size it is text ("42").
    let named = is_label(text) && !is_numeral(text);
    // "Chapitre 3 : Ce que Reginald trouva…" set large runs as wide as the text may.
    let titled = numbered_title(text) || (large && starts_with_label(text));
    // Flush left in the body's size, a line in capitals is a heading only with the space a
    // heading keeps above it: otherwise it is a signature ("LAMANEUR.") or a shouted line.
    is_centered(line, block) || titled || (narrow && (large || named || (all_caps && space_above)))
}

/// "I. — Un mardi aux Français", "3. Le départ", "XII – La fin": a numeral, a stop or dash,
/// then a short title without a sentence's end.
fn numbered_title(text: &str) -> bool {
    let Some((number, title)) = text.split_once(['.', '—', '–', ':']) else {
        return false;
    };
    let title = title.trim_start_matches(['.', '—', '–', ' ', ':']);
    is_numeral(number.trim())
        && title.chars().next().is_some_and(char::is_uppercase)
        && title.split(' ').count() <= 12
        && !title.ends_with(['.', '!', '?', '…'])
}

/// "Chapitre 3 : …", "LIVRE II. …": a heading whose first words name a division.
fn starts_with_label(text: &str) -> bool {
    let head: Vec<&str> = text.split(' ').take(2).collect();
    is_label(&head.join(" "))
}

fn is_numeral(text: &str) -> bool {
    let core = text.trim_end_matches(['.', ' ']).to_lowercase();
    !core.is_empty()
        && core.len() <= 8
        && (core.chars().all(|c| c.is_ascii_digit())
            || core
                .chars()
                .all(|c| matches!(c, 'i' | 'v' | 'x' | 'l' | 'c')))
}

fn is_centered(line: &Line, block: Block) -> bool {
    let w = block.width();
    let mid = (line.x0 + line.x1) / 2.0;
    line.x0 > block.left + 0.05 * w
        && line.x1 < block.right - 0.05 * w
        && (mid - (block.left + block.right) / 2.0).abs() < 0.06 * w
}

/// "Chapitre 3", "PREMIÈRE PARTIE", "XIV.", "Livre II": words that name a division of a book.
fn is_label(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(' ')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    const DIVISIONS: [&str; 6] = [
        "chapitre",
        "prologue",
        "épilogue",
        "livre",
        "partie",
        "tome",
    ];
    match words.as_slice() {
        [] => false,
        [only] => is_numeral(only) || DIVISIONS.contains(only),
        // "Chapitre premier", "Livre II", "Première partie", "Deuxième partie"
        [first, .., last] => words.len() <= 4 && (DIVISIONS.contains(first) || (*last == "partie")),
    }
}

/// A line right under a heading line that goes on with it: the chapter's title under its
/// label, or the second line of a long title.
fn continues_heading(line: &Line, prev: &Previous, block: Block, stats: &Stats) -> bool {
    prev.heading
        && line.y > prev.y
        && line.y - prev.y <= 2.5 * stats.leading.max(line.size)
        && line.text.split(' ').count() <= 14
        && !line.text.ends_with([',', ';', ':'])
        && (is_centered(line, block) || line.size >= 1.25 * stats.body_size)
}

fn is_indented(line: &Line, block: Block) -> bool {
    let shift = line.x0 - block.left;
    shift > (0.5 * line.size).max(3.0) && shift < 0.3 * block.width()
}

fn closes_paragraph(line: &Line, block: Block) -> bool {
    let sentence_end = line.text.ends_with(['.', '!', '?', '…', '»', '"', '”'])
        && !ends_with_abbreviation(&line.text);
    let short = line.x1 < block.right - (0.08 * block.width()).max(3.0 * line.size);
    sentence_end && short
}

/// "M.", "Mme.", "J." at the end of a line: a name follows on the next line.
fn ends_with_abbreviation(text: &str) -> bool {
    let last = text.rsplit(' ').next().unwrap_or(text);
    let Some(word) = last.strip_suffix('.') else {
        return false;
    };
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    const TITLES: [&str; 11] = [
        "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "St", "Ste", "Mr", "Mrs",
    ];
    TITLES.contains(&word) || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

/// A gap between lines this many times the line spacing sets a paragraph apart. Paragraphs
/// spaced instead of indented measure 1.4–1.6 in books from Word, LibreOffice, browsers and
/// groff; a stretched justified page stays under 1.1.
const PARAGRAPH_GAP: f32 = 1.3;

fn assemble(pages: &[PageLines], geometry: &Geometry, stats: &Stats, opts: CleanOptions) -> Book {
    let mut out = Assembler {
        text: String::new(),
        starts: vec![0; pages.len()],
        pending: Vec::new(),
        ending: Ending::Plain,
        opts,
    };
    let mut prev: Option<Previous> = None;
    let mut chapters: Vec<Chapter> = Vec::new();
    // The lines of a heading not yet followed by text, and the page it stands on.
    let mut title: Option<(Vec<&Line>, u32)> = None;
    for (p, page) in pages.iter().enumerate() {
        out.pending.push(p);
        let page_block = geometry.blocks[p];
        for line in &page.lines {
            // In a column, indents, centring and short lines are measured against the column.
            let block = match page.columns {
                Some((middle, [left, _])) if line.x1 <= middle => left,
                Some((middle, [_, right])) if line.x0 >= middle => right,
                _ => page_block,
            };
            let space_above = prev.as_ref().is_none_or(|prev| {
                prev.page != p || line.y - prev.y > PARAGRAPH_GAP * stats.leading
            });
            let heading = is_heading(line, block, stats, space_above)
                || prev.as_ref().is_some_and(|prev| {
                    prev.page == p && continues_heading(line, prev, block, stats)
                });
            if heading {
                // A heading alone on its page (a part's title) is a division of its own,
                // not the first line of the next page's chapter heading.
                if let Some(alone) = title.take_if(|(_, at)| *at != page.number) {
                    out.resolve();
                    let next_paragraph = out.text.len() + usize::from(!out.text.is_empty());
                    chapters.push(chapter(alone, next_paragraph));
                }
                title
                    .get_or_insert_with(|| (Vec::new(), page.number))
                    .0
                    .push(line);
                prev = Some(Previous {
                    heading: true,
                    closes_paragraph: true,
                    ending: Ending::Plain,
                    page: p,
                    y: line.y,
                });
                continue;
            }
            let new_paragraph = match &prev {
                None => true,
                Some(prev) => {
                    prev.heading
                        || (prev.ending != Ending::Soft
                            && (is_indented(line, block)
                                || (prev.page == p
                                    && line.y - prev.y > PARAGRAPH_GAP * stats.leading)
                                || (prev.closes_paragraph && !starts_lowercase(&line.text))))
                }
            };
            if new_paragraph {
                out.new_paragraph(&line.text);
                if let Some(heading) = title.take() {
                    chapters.push(chapter(heading, out.text.len() - line.text.len()));
                }
            } else {
                out.continue_paragraph(&line.text);
            }
            out.ending = line.ending;
            prev = Some(Previous {
                heading: false,
                closes_paragraph: closes_paragraph(line, block),
                ending: line.ending,
                page: p,
                y: line.y,
            });
        }
    }
    out.resolve();
    if let Some(heading) = title {
        chapters.push(chapter(heading, out.text.len()));
    }
    Book {
        text: out.text,
        page_starts: out.starts,
        chapters,
    }
}

/// The chapter a heading (its lines and page) opens, its text starting at `start`.
fn chapter((lines, first_page): (Vec<&Line>, u32), start: usize) -> Chapter {
    Chapter {
        title: heading_title(&lines),
        start,
        first_page,
    }
}

/// A heading's lines as one title: a label and the title under it are joined with a dash
/// ("Chapitre I — Le crime de l'Obélisque"), the lines of one long title with a space.
fn heading_title(lines: &[&Line]) -> String {
    let mut title = String::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|j| lines[j]) {
            let same_style = (prev.size - line.size).abs() <= 0.1 * prev.size.max(line.size);
            title.push_str(if same_style && !is_label(&prev.text) {
                " "
            } else {
                " — "
            });
        }
        title.push_str(&line.text);
    }
    title
}

fn starts_lowercase(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_lowercase)
}

/// Whether a dash at a line break is set solid with the words around it ("clients—un",
/// "officiers—dont"): then the break stood for no space. A spaced dash ("— dont") shows its
/// space on the line it is on.
fn dash_joins(before: &str, line: &str) -> bool {
    let is_dash = |c: char| matches!(c, '—' | '–');
    let mut end = before.chars().rev();
    let mut start = line.chars();
    match (end.next(), end.next(), start.next(), start.next()) {
        (Some(d), Some(w), Some(n), _) if is_dash(d) => w.is_alphanumeric() && n.is_alphanumeric(),
        (Some(w), _, Some(d), Some(n)) if is_dash(d) => w.is_alphanumeric() && n.is_alphanumeric(),
        _ => false,
    }
}

struct Assembler {
    text: String,
    starts: Vec<usize>,
    /// Pages whose first character has not been written yet.
    pending: Vec<usize>,
    /// How the last written line ended.
    ending: Ending,
    opts: CleanOptions,
}

impl Assembler {
    fn resolve(&mut self) {
        let at = self.text.len();
        for p in self.pending.drain(..) {
            self.starts[p] = at;
        }
    }

    fn new_paragraph(&mut self, line: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.resolve();
        self.text.push_str(line);
    }

    fn continue_paragraph(&mut self, line: &str) {
        match self.ending {
            Ending::Plain => {
                if !dash_joins(&self.text, line) {
                    self.text.push(' ');
                }
                self.resolve();
                self.text.push_str(line);
            }
            Ending::Soft => self.join_word(line),
            Ending::Hard => {
                if let Some(before) = self.text.strip_suffix('-') {
                    let head = before.rsplit([' ', '\n']).next().unwrap_or(before);
                    let tail = line.split(' ').next().unwrap_or(line);
                    if self.opts.fix_hyphenation && !keeps_line_end_hyphen(head, tail) {
                        self.text.pop();
                    }
                }
                self.join_word(line);
            }
        }
    }

    /// Glues the line's first word to the previous one; the rest is new text.
    fn join_word(&mut self, line: &str) {
        match line.split_once(' ') {
            Some((first, rest)) => {
                self.text.push_str(first);
                self.text.push(' ');
                self.resolve();
                self.text.push_str(rest);
            }
            None => self.text.push_str(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::extract::RawLine;
    use super::*;

    // A4 page, 11 pt body, 14 pt leading, text block from x = 72 to x = 523.
    const LEFT: f32 = 72.0;
    const RIGHT: f32 = 523.0;
    const TOP: f32 = 100.0;
    const LEADING: f32 = 14.0;

    #[derive(Clone, Copy)]
    enum Kind {
        /// A full, justified line.
        Full,
        /// First line of a paragraph: indented and full.
        Indent,
        /// Last line of a paragraph: starts at the margin, ends early.
        Last,
        /// A one-line paragraph: indented and short.
        Short,
        /// Centered, larger: a chapter heading.
        Heading,
    }

    fn line(text: &str, kind: Kind, y: f32) -> RawLine {
        let width = text.chars().count() as f32 * 5.5;
        let (x0, x1, size) = match kind {
            Kind::Full => (LEFT, RIGHT, 11.0),
            Kind::Indent => (LEFT + 18.0, RIGHT, 11.0),
            Kind::Last => (LEFT, (LEFT + width).min(RIGHT - 60.0), 11.0),
            Kind::Short => (LEFT + 18.0, (LEFT + 18.0 + width).min(RIGHT - 60.0), 11.0),
            Kind::Heading => {
                let w = text.chars().count() as f32 * 8.0;
                (297.5 - w / 2.0, 297.5 + w / 2.0, 16.0)
            }
        };
        RawLine {
            text: text.to_owned(),
            x0,
            x1,
            y,
            size,
        }
    }

    /// Body lines stacked from the top of the text block.
    fn body(lines: &[(&str, Kind)]) -> Vec<RawLine> {
        lines
            .iter()
            .enumerate()
            .map(|(i, (t, k))| line(t, *k, TOP + i as f32 * LEADING))
            .collect()
    }

    fn page(number: u32, lines: Vec<RawLine>) -> RawPage {
        RawPage {
            number,
            fallback: false,
            width: 595.0,
            height: 842.0,
            lines,
        }
    }

    fn margin(text: &str, y: f32) -> RawLine {
        let w = text.chars().count() as f32 * 4.5;
        RawLine {
            text: text.to_owned(),
            x0: 297.5 - w / 2.0,
            x1: 297.5 + w / 2.0,
            y,
            size: 9.0,
        }
    }

    fn titles(book: &Book) -> Vec<(&str, u32)> {
        book.chapters
            .iter()
            .map(|c| (c.title.as_str(), c.first_page))
            .collect()
    }

    fn paragraphs(book: &Book) -> Vec<&str> {
        book.text.split('\n').collect()
    }

    fn clean(pages: &[RawPage]) -> Book {
        clean_book(pages, CleanOptions::default())
    }

    /// Some filler so that the book-wide statistics see a real text block.
    fn filler(n: usize) -> Vec<(&'static str, Kind)> {
        let mut v = vec![(
            "Il était une fois une ville au bord de la mer,",
            Kind::Indent,
        )];
        v.extend((1..n).map(|_| {
            (
                "où les maisons se serraient les unes contre les autres",
                Kind::Full,
            )
        }));
        v.push(("comme des moutons.", Kind::Last));
        v
    }

    fn assert_contract(book: &Book, page_count: usize) {
        assert!(!book.text.starts_with('\n') && !book.text.ends_with('\n'));
        assert!(!book.text.contains("\n\n"));
        for p in paragraphs(book) {
            assert_eq!(p.trim(), p);
            assert!(!p.contains("  "));
        }
        assert_eq!(book.page_starts.len(), page_count);
        if page_count > 0 {
            assert_eq!(book.page_starts[0], 0);
        }
        assert!(book.page_starts.windows(2).all(|w| w[0] <= w[1]));
        assert!(book.page_starts.iter().all(|&s| s <= book.text.len()));
    }

    #[test]
    fn page_numbers_are_dropped_in_the_margins_only() {
        let mut p1 = body(&filler(4));
        p1.push(margin("12", 800.0));
        let mut p2 = vec![margin("- 13 -", 45.0)];
        p2.extend(body(&[
            ("Le nombre", Kind::Indent),
            ("42", Kind::Last),
            ("reste dans le texte.", Kind::Short),
        ]));
        let mut p3 = body(&filler(3));
        p3.push(margin("xiv", 810.0));
        let pages = [page(12, p1), page(13, p2), page(14, p3)];
        let book = clean(&pages);
        assert_contract(&book, 3);
        assert!(!book.text.contains("12"));
        assert!(!book.text.contains("13"));
        assert!(!book.text.contains("xiv"));
        assert!(book.text.contains("Le nombre 42\nreste dans le texte."));
    }

    #[test]
    fn a_bare_chapter_number_heading_a_page_is_kept() {
        // "IV" is the first line of the page but well below the top margin, and it does not
        // follow the page numbering (the folios do: value = page number).
        let mut p1 = body(&filler(5));
        p1.push(margin("1", 800.0));
        let mut p2 = vec![line("IV", Kind::Heading, 180.0)];
        p2.extend(body(&filler(5)).into_iter().map(|l| RawLine {
            y: l.y + 120.0,
            ..l
        }));
        p2.push(margin("2", 800.0));
        let book = clean(&[page(1, p1), page(2, p2)]);
        assert_contract(&book, 2);
        // A heading is structure: the chapter, not a paragraph.
        assert_eq!(titles(&book), [("IV", 2)]);
        assert!(!paragraphs(&book).contains(&"IV"));
        assert!(!book.text.contains(" 2") && !book.text.contains(" 1"));
    }

    #[test]
    fn folios_out_of_band_follow_the_numbering() {
        // Big bottom margin: the folio sits above the band but is the page's last line.
        let pages: Vec<RawPage> = (1..=4)
            .map(|n| {
                let mut lines = body(&filler(3));
                lines.push(margin(&(n + 4).to_string(), 700.0));
                page(n, lines)
            })
            .collect();
        let book = clean(&pages);
        for n in 5..=8 {
            assert!(
                !book.text.contains(&n.to_string()),
                "{n} left in {:?}",
                book.text
            );
        }
    }

    #[test]
    fn alternating_running_headers_are_dropped() {
        let pages: Vec<RawPage> = (1..=6)
            .map(|n| {
                let head = if n % 2 == 0 {
                    "Hélène Marchais"
                } else {
                    "L’HORLOGER DE LA RUE DES CARMES"
                };
                let mut lines = vec![margin(head, 50.0)];
                lines.extend(body(&filler(3)));
                lines.push(margin(&format!("— {n} —"), 800.0));
                page(n, lines)
            })
            .collect();
        let book = clean(&pages);
        assert_contract(&book, 6);
        assert!(!book.text.contains("Marchais"));
        assert!(!book.text.contains("HORLOGER"));
        assert!(!book.text.contains('—'));
        assert_eq!(paragraphs(&book).len(), 6);
    }

    #[test]
    fn headers_with_page_numbers_and_a_lone_margin_line() {
        // Folio and title on one line: digits are ignored when comparing headers. A margin
        // line that appears once is not a header.
        let pages: Vec<RawPage> = (1..=5)
            .map(|n| {
                let mut lines = vec![margin(&format!("{n}   LE LIVRE"), 50.0)];
                lines.extend(body(&filler(3)));
                if n == 3 {
                    lines.push(margin("Note du traducteur", 790.0));
                }
                page(n, lines)
            })
            .collect();
        let book = clean(&pages);
        assert!(!book.text.contains("LIVRE"));
        assert!(book.text.contains("Note du traducteur"));
    }

    #[test]
    fn headers_below_the_band_are_found_by_their_isolation() {
        // A running title set low (y = 110, outside the top 10 %), well apart from the text;
        // and chapter headings "Chapitre 1", "Chapitre 2"… whose digit-free signatures also
        // repeat, but which are larger than the body and must stay.
        let pages: Vec<RawPage> = (1..=5)
            .map(|n| {
                let mut lines = Vec::new();
                // On odd pages the chapter heading is the page's first, isolated line.
                if n % 2 == 0 {
                    lines.push(RawLine {
                        y: 110.0,
                        ..margin("Le Livre des heures", 0.0)
                    });
                }
                lines.push(RawLine {
                    y: 160.0,
                    ..line(&format!("Chapitre {n}"), Kind::Heading, 0.0)
                });
                lines.extend(body(&filler(3)).into_iter().map(|l| RawLine {
                    y: l.y + 100.0,
                    ..l
                }));
                page(n, lines)
            })
            .collect();
        let book = clean(&pages);
        assert!(!book.text.contains("Livre des heures"));
        let want: Vec<String> = (1..=5).map(|n| format!("Chapitre {n}")).collect();
        let got: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn repeated_body_text_is_not_a_header() {
        // The refrain opens the text block on every page, below the margin band.
        let pages: Vec<RawPage> = (1..=5)
            .map(|n| {
                page(
                    n,
                    body(&[
                        ("Maintenant ou jamais.", Kind::Short),
                        (
                            "Il était une fois une ville au bord de la mer,",
                            Kind::Indent,
                        ),
                        (
                            "où les maisons se serraient les unes contre les autres",
                            Kind::Full,
                        ),
                        ("comme des moutons.", Kind::Last),
                    ]),
                )
            })
            .collect();
        let book = clean(&pages);
        assert_eq!(book.text.matches("Maintenant ou jamais.").count(), 5);
    }

    #[test]
    fn soft_hyphens_join_at_line_end_and_vanish_elsewhere() {
        let pages = [page(
            1,
            body(&[
                ("Il entra dans la mai\u{AD}", Kind::Indent),
                ("son et re\u{AD}garda par la fe\u{AD} ", Kind::Full),
                ("nêtre.", Kind::Last),
            ]),
        )];
        let book = clean(&pages);
        assert_eq!(
            book.text,
            "Il entra dans la maison et regarda par la fenêtre."
        );
    }

    #[test]
    fn hard_hyphens_at_line_end() {
        let pages = [page(
            1,
            body(&[
                ("Il entra dans la mai-", Kind::Indent),
                ("son, et c’était peut-", Kind::Full),
                ("être la dernière fois que Jean-", Kind::Full),
                ("Claude voyait l’arc-", Kind::Full),
                ("en-ciel au-", Kind::Full),
                ("dessus de Saint-", Kind::Full),
                ("Germain ; demanda-", Kind::Full),
                ("t-il. Le 14-", Kind::Full),
                ("18 juillet.", Kind::Last),
            ]),
        )];
        let book = clean(&pages);
        assert_eq!(
            book.text,
            "Il entra dans la maison, et c’était peut-être la dernière fois que Jean-Claude \
             voyait l’arc-en-ciel au-dessus de Saint-Germain ; demanda-t-il. Le 14-18 juillet."
        );
        let kept = clean_book(
            &pages,
            CleanOptions {
                fix_hyphenation: false,
            },
        );
        assert!(
            kept.text
                .starts_with("Il entra dans la mai-son, et c’était peut-être")
        );
    }

    #[test]
    fn keeps_line_end_hyphen_rules() {
        assert!(!keeps_line_end_hyphen("mai", "son"));
        assert!(!keeps_line_end_hyphen("«mai", "son»,"));
        assert!(keeps_line_end_hyphen("peut", "être,"));
        assert!(keeps_line_end_hyphen("arc", "en-ciel"));
        assert!(keeps_line_end_hyphen("là", "bas"));
        assert!(keeps_line_end_hyphen("c’est", "à-dire"));
        assert!(keeps_line_end_hyphen("c’est-à", "dire"));
        assert!(!keeps_line_end_hyphen("en", "fant"));
        assert!(keeps_line_end_hyphen("celui", "ci"));
        assert!(keeps_line_end_hyphen("a", "t-elle."));
        assert!(keeps_line_end_hyphen("Jean", "Claude"));
        assert!(!keeps_line_end_hyphen("Ma", "dame"));
        assert!(keeps_line_end_hyphen("J.", "C."));
        assert!(keeps_line_end_hyphen("dit", "il."));
        assert!(keeps_line_end_hyphen("mai", ""));
    }

    #[test]
    fn paragraph_breaks_from_indent_gap_heading_and_short_lines() {
        let mut lines = vec![line("CHAPITRE PREMIER", Kind::Heading, 180.0)];
        let mut y = 222.0;
        let mut add = |t: &str, k: Kind, gap: f32| {
            y += gap;
            lines.push(line(t, k, y));
            y += LEADING;
        };
        add(
            "La pluie tombait depuis le matin sur la ville,",
            Kind::Indent,
            0.0,
        );
        add(
            "et personne ne sortait ; la rue était vide, et",
            Kind::Full,
            0.0,
        );
        // Indent alone (the previous line is full and ends mid-sentence).
        add("— Vraiment ? dit-elle.", Kind::Short, 0.0);
        // Short line closing a sentence alone (no indent, no gap).
        add(
            "Puis une autre, sans alinéa, après une ligne",
            Kind::Full,
            0.0,
        );
        add(
            "pleine qui ne ferme pas la phrase, et encore",
            Kind::Full,
            0.0,
        );
        // Vertical gap alone.
        add(
            "une scène qui commence sans alinéa, et elle",
            Kind::Full,
            LEADING,
        );
        // Short but mid-sentence; full and closing a sentence: neither ends the paragraph.
        add("continue là,", Kind::Last, 0.0);
        add(
            "puis ici, sur une ligne pleine qui finit bien.",
            Kind::Full,
            0.0,
        );
        add(
            "Et la ligne suivante reste dans le paragraphe",
            Kind::Full,
            0.0,
        );
        // Heading-like: "Chapitre …" without final punctuation.
        add("Chapitre deux", Kind::Last, 0.0);
        add("— Oui.", Kind::Short, 0.0);
        let pages = [page(1, body(&filler(4))), page(2, lines)];
        let book = clean(&pages);
        assert_contract(&book, 2);
        let paras = paragraphs(&book);
        assert_eq!(
            titles(&book),
            [("CHAPITRE PREMIER", 2), ("Chapitre deux", 2)]
        );
        assert_eq!(
            &paras[1..],
            [
                "La pluie tombait depuis le matin sur la ville, et personne ne sortait ; la rue \
                 était vide, et",
                "— Vraiment ? dit-elle.",
                "Puis une autre, sans alinéa, après une ligne pleine qui ne ferme pas la phrase, \
                 et encore",
                "une scène qui commence sans alinéa, et elle continue là, puis ici, sur une ligne \
                 pleine qui finit bien. Et la ligne suivante reste dans le paragraphe",
                "— Oui.",
            ]
        );
    }

    #[test]
    fn paragraphs_and_words_continue_across_pages() {
        let p1 = body(&[
            (
                "Il était une fois une ville au bord de la mer,",
                Kind::Indent,
            ),
            (
                "où les maisons se serraient les unes contre les",
                Kind::Full,
            ),
            (
                "autres comme des moutons, et où le vent du large",
                Kind::Full,
            ),
            (
                "venu de l’ouest, chargé de sel et de sable, tout",
                Kind::Full,
            ),
            (
                "au long de l’hiver et même parfois au printemps,",
                Kind::Full,
            ),
            (
                "soufflait si fort que les mouettes elles-mêmes mar\u{AD}",
                Kind::Full,
            ),
        ]);
        let p2 = body(&[
            ("chaient à pied dans les rues.", Kind::Last),
            ("Le lendemain, tout changea.", Kind::Short),
        ]);
        let p3 = body(&[]);
        let p4 = body(&[("Et la suite.", Kind::Short), ("Puis rien.", Kind::Short)]);
        let book = clean(&[page(1, p1), page(2, p2), page(3, p3), page(4, p4)]);
        assert_contract(&book, 4);
        let paras = paragraphs(&book);
        assert_eq!(paras.len(), 4);
        assert!(paras[0].ends_with("les mouettes elles-mêmes marchaient à pied dans les rues."));
        // "marchaient" belongs to page 1; page 2 starts right after it.
        assert!(book.text[book.page_starts[1]..].starts_with("à pied dans les rues."));
        // Page 3 has no text: it starts where page 4 does, at a paragraph start.
        assert_eq!(book.page_starts[2], book.page_starts[3]);
        assert!(book.text[book.page_starts[3]..].starts_with("Et la suite."));
    }

    #[test]
    fn a_new_page_may_start_a_paragraph() {
        let p1 = body(&[
            (
                "Il était une fois une ville au bord de la mer,",
                Kind::Indent,
            ),
            (
                "où les maisons se serraient les unes contre les",
                Kind::Full,
            ),
            ("autres comme des moutons.", Kind::Full),
        ]);
        let p2 = body(&[
            (
                "Le lendemain, tout changea dans la ville au bord",
                Kind::Indent,
            ),
            ("de la mer.", Kind::Last),
        ]);
        let book = clean(&[page(1, p1), page(2, p2)]);
        assert_eq!(paragraphs(&book).len(), 2);
        assert!(book.text[book.page_starts[1]..].starts_with("Le lendemain"));
        assert_eq!(
            &book.text[book.page_starts[1] - 1..book.page_starts[1]],
            "\n"
        );
    }

    #[test]
    fn page_start_stays_pending_when_the_joined_word_is_the_whole_line() {
        let p1 = body(&[("Il regarda par la fe\u{AD}", Kind::Indent)]);
        let p2 = body(&[("nêtre", Kind::Full)]);
        let p3 = body(&[("sans rien voir.", Kind::Last)]);
        let book = clean(&[page(1, p1), page(2, p2), page(3, p3)]);
        assert_eq!(book.text, "Il regarda par la fenêtre sans rien voir.");
        assert_eq!(book.page_starts[1], book.page_starts[2]);
        assert!(book.text[book.page_starts[2]..].starts_with("sans"));
    }

    #[test]
    fn characters_are_normalised() {
        let pages = [page(
            1,
            body(&[(
                "\u{FEFF}Une ﬁne ﬂeur\u{00A0}; «\u{202F}oﬀre\u{2009}» à\tl’œil\u{200B} \
                 Œdipe… ﬃ ﬄ ﬅ ﬆ",
                Kind::Short,
            )]),
        )];
        let book = clean(&pages);
        assert_eq!(
            book.text,
            "Une fine fleur ; « offre » à l’œil Œdipe… ffi ffl st st"
        );
    }

    #[test]
    fn empty_input() {
        let book = clean(&[]);
        assert_eq!(book.text, "");
        assert!(book.page_starts.is_empty());
        let book = clean(&[page(1, vec![]), page(2, vec![])]);
        assert_eq!(book.page_starts, vec![0, 0]);
    }

    /// A piece of a baseline, as the reader splits a line at a wide gap.
    fn piece(text: &str, x0: f32, x1: f32, y: f32, size: f32) -> RawLine {
        RawLine {
            text: text.to_owned(),
            x0,
            x1,
            y,
            size,
        }
    }

    #[test]
    fn running_heads_that_change_are_found_by_where_they_stand() {
        // Odd pages: the chapter's numeral on the left, the folio on the right, on the same
        // baseline set apart from the text; even pages: the book's title. Text below.
        let pages: Vec<RawPage> = (1..=6)
            .map(|n| {
                let head = if n % 2 == 0 {
                    "LE LIVRE"
                } else {
                    ["I", "II", "III"][(n / 2) as usize]
                };
                let mut lines = vec![
                    piece(head, LEFT, LEFT + 20.0, 70.0, 10.0),
                    piece(&(n + 6).to_string(), RIGHT - 10.0, RIGHT, 70.0, 10.0),
                ];
                lines.extend(body(&filler(6)));
                page(n, lines)
            })
            .collect();
        let book = clean(&pages);
        assert_contract(&book, 6);
        for leak in ["LE LIVRE", " II ", "III", " 7 ", " 9 "] {
            assert!(!book.text.contains(leak), "{leak:?} in {}", book.text);
        }
        assert!(book.chapters.is_empty());
    }

    #[test]
    fn footnotes_and_their_block_go_the_text_stays() {
        let mut lines = body(&filler(5));
        lines.push(piece(
            "1. Ancienne province de l'est.",
            LEFT,
            300.0,
            760.0,
            9.0,
        ));
        lines.push(piece(
            "2. Une autre note, plus longue,",
            LEFT,
            RIGHT,
            771.0,
            9.0,
        ));
        lines.push(piece("qui continue ici.", LEFT, 200.0, 782.0, 9.0));
        let book = clean(&[page(1, lines)]);
        assert!(!book.text.contains("province") && !book.text.contains("continue ici"));
        assert!(book.text.ends_with("comme des moutons."));
    }

    #[test]
    fn title_page_and_table_of_contents_are_not_text_a_part_title_is_a_chapter() {
        let title = page(
            1,
            vec![
                piece("LE LIVRE", 250.0, 345.0, 300.0, 24.0),
                piece("Jean Auteur", 260.0, 335.0, 340.0, 14.0),
            ],
        );
        let contents = page(
            2,
            vec![
                piece("Table des matières", 200.0, 395.0, 150.0, 20.0),
                piece("I", LEFT, LEFT + 8.0, 200.0, 11.0),
                piece("3", RIGHT - 8.0, RIGHT, 200.0, 11.0),
                piece("II", LEFT, LEFT + 12.0, 214.0, 11.0),
                piece("5", RIGHT - 8.0, RIGHT, 214.0, 11.0),
            ],
        );
        let part = page(3, vec![line("PREMIÈRE PARTIE", Kind::Heading, 300.0)]);
        let mut text = vec![line("I", Kind::Heading, 100.0)];
        text.extend(
            body(&filler(6))
                .into_iter()
                .map(|l| RawLine { y: l.y + 40.0, ..l }),
        );
        let book = clean(&[title, contents, part, page(4, text)]);
        assert!(book.text.starts_with("Il était une fois"), "{}", book.text);
        assert_eq!(titles(&book), [("PREMIÈRE PARTIE", 3), ("I", 4)]);
    }

    #[test]
    fn two_columns_are_read_one_after_the_other() {
        // Each baseline holds a line of each column; the reader gives them as pieces.
        let mut lines = Vec::new();
        for i in 0..12 {
            let y = TOP + i as f32 * LEADING;
            lines.push(piece(
                &format!("gauche{i} et la suite du texte"),
                LEFT,
                285.0,
                y,
                11.0,
            ));
            lines.push(piece(
                &format!("droite{i} et la suite du texte"),
                310.0,
                RIGHT,
                y,
                11.0,
            ));
        }
        let book = clean(&[page(1, lines)]);
        let left = book.text.find("gauche11").unwrap();
        let right = book.text.find("droite0").unwrap();
        assert!(left < right, "{}", book.text);
        assert!(
            !book
                .text
                .contains("texte droite0 et la suite du texte gauche1")
        );
    }

    #[test]
    fn spaced_paragraphs_abbreviations_and_solid_dashes_at_line_ends() {
        // No indents: paragraphs are 1.5 leadings apart. "M." ends a line inside a sentence;
        // a dash set solid joins across the break.
        let mut y = TOP;
        let mut lines = Vec::new();
        for (text, kind, gap) in [
            (
                "Il entra dans la maison et salua son vieil ami qui attendait, M.",
                Kind::Full,
                1.0,
            ),
            (
                "Dupont, puis il se tut : le silence dura longtemps.",
                Kind::Last,
                1.5,
            ),
            (
                "Le lendemain, tout recommença comme avant, chez les clients—",
                Kind::Full,
                1.0,
            ),
            (
                "un petit ménage d'officiers—dont le fils était malade.",
                Kind::Last,
                1.5,
            ),
            ("Puis vint l'hiver.", Kind::Last, 1.0),
        ] {
            lines.push(line(text, kind, y));
            y += gap * LEADING;
        }
        // Enough ordinary pages for the line spacing to be measured.
        let mut pages: Vec<RawPage> = (1..=3).map(|n| page(n, body(&filler(8)))).collect();
        pages.push(page(4, lines));
        let book = clean(&pages);
        let paras = paragraphs(&book);
        assert_eq!(
            &paras[3..],
            [
                "Il entra dans la maison et salua son vieil ami qui attendait, M. Dupont, puis il \
                 se tut : le silence dura longtemps.",
                "Le lendemain, tout recommença comme avant, chez les clients—un petit ménage \
                 d'officiers—dont le fils était malade.",
                "Puis vint l'hiver.",
            ]
        );
    }
}
