//! The golden set: real sentences from public-domain novels (`tests/golden/sentences`), each
//! with the pieces a careful teacher accepts under the engine's contract. Every source is
//! checked for the contract's properties; the pieces themselves must match on the entries
//! marked `exact`, and on a share of all the others.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::clause::is_complete;
use super::split::{Piece, SplitOptions, split_sentence};
use super::words::{word_count, words};
use crate::engine::PieceKind;

#[derive(Deserialize)]
struct Book {
    eltec_id: String,
    limit: usize,
    sentences: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    source: String,
    pieces: Vec<String>,
    #[serde(default)]
    exact: bool,
}

/// Words a cut may add: subject pronouns and c'/ce (a repeated noun phrase comes from the
/// source itself).
const ADDED: &[&str] = &[
    "je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ce", "c",
];
/// Words a cut may drop: the coordinator it falls on, the relative pronoun it replaces.
const DROPPED: &[&str] = &["et", "qui"];

fn books() -> Vec<Book> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sentences");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn folded(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .flat_map(|w| w.split(['\'', '’']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn count(words: impl IntoIterator<Item = String>) -> HashMap<String, i64> {
    let mut m = HashMap::new();
    for w in words {
        *m.entry(w).or_insert(0) += 1;
    }
    m
}

/// What the contract promises for one source and its pieces; the first broken promise.
pub(super) fn contract_breach(
    source: &str,
    pieces: &[Piece],
    limit: usize,
    grammar: bool,
) -> Option<String> {
    if pieces.is_empty() {
        return Some("no piece".into());
    }
    let whole = pieces.len() == 1;
    if word_count(source) <= limit && !(whole && pieces[0].kind == PieceKind::Verbatim) {
        return Some("a source within the limit is not kept whole".into());
    }
    let mut kept = count(folded(source));
    for piece in pieces {
        if grammar && !whole && !is_complete(&piece.text) {
            return Some(format!("fragment: {:?}", piece.text));
        }
        if unbalanced(&piece.text) {
            return Some(format!("unmatched quote: {:?}", piece.text));
        }
        let over = word_count(&piece.text) > limit;
        if over != (piece.kind == PieceKind::OverLimit) {
            return Some(format!("kind {:?} for {:?}", piece.kind, piece.text));
        }
        let mut words = count(folded(&piece.text));
        for added in piece.added.iter().flat_map(|a| folded(a)) {
            if !ADDED.contains(&added.as_str()) && !folded(source).contains(&added) {
                return Some(format!("added word {added:?} in {:?}", piece.text));
            }
            *words.entry(added).or_insert(0) -= 1;
        }
        for (w, n) in words {
            let left = kept.entry(w.clone()).or_insert(0);
            *left -= n;
            if *left < 0 {
                return Some(format!("word {w:?} not in the source: {:?}", piece.text));
            }
        }
    }
    let lost: Vec<_> = kept
        .into_iter()
        .filter(|(w, n)| *n > 0 && !DROPPED.contains(&w.as_str()))
        .collect();
    (!lost.is_empty()).then(|| format!("lost {lost:?}"))
}

fn unbalanced(text: &str) -> bool {
    let opens = text.matches('«').count();
    let closes = text.matches('»').count();
    opens != closes || text.find('»') < text.find('«') && closes > 0
}

fn options(limit: usize) -> SplitOptions {
    SplitOptions {
        max_words: limit,
        min_words: 2,
        keep_dialogue_whole: false,
    }
}

#[test]
fn the_golden_set_is_large_and_varied() {
    let books = books();
    let sentences: usize = books.iter().map(|b| b.sentences.len()).sum();
    assert!(books.len() >= 5, "{} books", books.len());
    assert!(sentences >= 400, "{sentences} sentences");
    let dialogue = books
        .iter()
        .flat_map(|b| &b.sentences)
        .filter(|e| e.source.starts_with(['—', '–', '«']))
        .count();
    assert!(dialogue >= 40, "{dialogue} lines of dialogue");
}

#[test]
fn every_golden_source_keeps_the_contract() {
    let mut breaches = Vec::new();
    for book in books() {
        for e in &book.sentences {
            let pieces = split_sentence(&e.source, options(book.limit));
            if let Some(b) = contract_breach(&e.source, &pieces, book.limit, true) {
                breaches.push(format!("{}: {:?}\n  {b}", book.eltec_id, e.source));
            }
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

#[test]
fn the_expected_pieces_come_back() {
    let mut agree = 0;
    let mut total = 0;
    let mut exact_misses = Vec::new();
    let mut report = Vec::new();
    // Pieces over the limit: the engine's and the teacher's, who cannot always cut either.
    let (mut over, mut pieces, mut teacher_over, mut teacher_pieces) = (0, 0, 0, 0);
    for book in books() {
        for e in &book.sentences {
            let got: Vec<String> = split_sentence(&e.source, options(book.limit))
                .into_iter()
                .map(|p| p.text)
                .collect();
            pieces += got.len();
            over += got.iter().filter(|p| word_count(p) > book.limit).count();
            teacher_pieces += e.pieces.len();
            teacher_over += e
                .pieces
                .iter()
                .filter(|p| word_count(p) > book.limit)
                .count();
            total += 1;
            if got == e.pieces {
                agree += 1;
            } else {
                let line = format!(
                    "{}: {:?}\n  want {:?}\n  got  {:?}",
                    book.eltec_id, e.source, e.pieces, got
                );
                if e.exact {
                    exact_misses.push(line.clone());
                }
                report.push(line);
            }
        }
    }
    let share = |n: usize, of: usize| n as f64 / of.max(1) as f64;
    let (over, teacher_over) = (share(over, pieces), share(teacher_over, teacher_pieces));
    if std::env::var_os("FNT_GOLDEN_REPORT").is_some() {
        eprintln!(
            "{}\nagree {agree}/{total}; over the limit: engine {over:.3}, teacher {teacher_over:.3}",
            report.join("\n")
        );
    }
    assert!(
        over <= teacher_over + MAX_EXTRA_OVER_LIMIT,
        "over the limit: engine {over:.3}, teacher {teacher_over:.3}"
    );
    assert!(exact_misses.is_empty(), "{}", exact_misses.join("\n"));
    let share = agree as f64 / total.max(1) as f64;
    assert!(share >= MIN_AGREEMENT, "{agree}/{total} agree");
}

/// How many more pieces (as a share) the engine may leave over the limit than the teacher.
const MAX_EXTRA_OVER_LIMIT: f64 = 0.05;

/// The share of golden sources whose pieces match the teacher's exactly.
/// 391 of 480 agreed when the engine was written (81 %); most of the rest are cuts the
/// engine does not dare make (it keeps the sentence longer rather than risk a fragment).
const MIN_AGREEMENT: f64 = 0.78;

/// Whole books, read from the PDFs of two real 300-page novels the engine was not tuned on:
/// every source sentence keeps the contract (words, quotes, kinds, complete pieces).
#[test]
fn whole_books_keep_the_contract() {
    use crate::pdf::clean::CleanOptions;
    let limit = 8;
    for name in ["pdftex-long.pdf", "libreoffice-long.pdf"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/books")
            .join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (book, _) = crate::pdf::read_book(&bytes, CleanOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut breaches = Vec::new();
        let mut sources = 0;
        for seg in super::segment::segment(&book.text, Default::default()) {
            let source = &book.text[seg.start..seg.end];
            sources += 1;
            let pieces = split_sentence(source, options(limit));
            if let Some(b) = contract_breach(source, &pieces, limit, true) {
                breaches.push(format!("{source:?}\n  {b}"));
            }
        }
        assert!(sources > 3_000, "{name}: {sources} sentences");
        assert!(breaches.is_empty(), "{name}:\n{}", breaches.join("\n"));
    }
}
