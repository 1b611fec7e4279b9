//! How well the text read from a PDF matches the book: the producer corpus in
//! `tests/fixtures/producers/` (a PDF per producer and its reference text) measured the same way
//! by the tests and by `cargo bench --bench extract`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::local::segment::{SegmentOptions, segment};
use crate::pdf::clean::Book;

/// A fixture's reference, as `scripts/producers/generate.sh` writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Reference {
    pub producer: String,
    pub chapters: Vec<ReferenceChapter>,
    /// Title page and table of contents lines: never a sentence.
    #[serde(default)]
    pub title_page: Vec<String>,
    /// Running heads and footers as printed, page numbers aside.
    #[serde(default)]
    pub furniture: Vec<String>,
    /// Footnote bodies: never inside a sentence.
    #[serde(default)]
    pub footnotes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReferenceChapter {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// The producer corpus: each fixture's name, PDF path and reference.
pub fn producer_corpus() -> anyhow::Result<Vec<(String, PathBuf, Reference)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/producers");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let reference: Reference = serde_json::from_slice(&std::fs::read(&path)?)?;
            out.push((name, path.with_extension("pdf"), reference));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What [`measure`] found.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    /// Share of the reference's words found in the text (as a multiset, case aside).
    pub recall: f64,
    /// Share of the text's words that are the reference's.
    pub precision: f64,
    /// Share of the reference's runs of four consecutive words found in the text: words in
    /// the wrong order (columns read across, a head glued into a sentence) break runs.
    pub order: f64,
    /// Sentences holding what is not the author's text, with the reason.
    pub leaks: Vec<String>,
    /// The reference's chapter titles that were not found, in order, as chapters.
    pub missing_chapters: Vec<String>,
    /// Chapters found that the reference does not have.
    pub extra_chapters: Vec<String>,
    pub sentences: usize,
}

/// Lower-case words: letters and digits, with the apostrophes and hyphens inside a word.
pub fn words(text: &str) -> Vec<String> {
    let text = normalize(text);
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(['\'', '-']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Typographic variants a reader may legitimately give either way.
fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '’' | '‘' | 'ʼ' => '\'',
            '\u{2010}' | '\u{2011}' => '-',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect::<String>()
        .replace('\u{FB01}', "fi")
        .replace('\u{FB02}', "fl")
}

fn collapse(text: &str) -> String {
    normalize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn multiset(words: &[String]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for w in words {
        *counts.entry(w.as_str()).or_default() += 1;
    }
    counts
}

/// Share of `want`'s items that `got` has, counting repeats.
fn covered<K: std::hash::Hash + Eq>(want: &HashMap<K, usize>, got: &HashMap<K, usize>) -> f64 {
    let total: usize = want.values().sum();
    if total == 0 {
        return 1.0;
    }
    let found: usize = want
        .iter()
        .map(|(k, n)| (*n).min(got.get(k).copied().unwrap_or(0)))
        .sum();
    found as f64 / total as f64
}

fn four_grams(words: &[String]) -> HashMap<[&str; 4], usize> {
    let mut counts = HashMap::new();
    for w in words.windows(4) {
        *counts
            .entry([w[0].as_str(), w[1].as_str(), w[2].as_str(), w[3].as_str()])
            .or_default() += 1;
    }
    counts
}

/// Measures a book read from a fixture's PDF against its reference, sentence by sentence as
/// the engines will see them.
pub fn measure(reference: &Reference, book: &Book) -> Quality {
    let body: Vec<&str> = reference
        .chapters
        .iter()
        .flat_map(|c| c.paragraphs.iter().map(String::as_str))
        .collect();
    let want = words(&body.join("\n"));
    let got = words(&book.text);
    let sentences: Vec<&str> = segment(&book.text, SegmentOptions::default())
        .into_iter()
        .map(|s| &book.text[s.start..s.end])
        .collect();

    let reference_text = collapse(&body.join("\n"));
    let mut leaks = Vec::new();
    for sentence in &sentences {
        let sentence = collapse(sentence);
        let lower = sentence.to_lowercase();
        if !reference_text.contains(&sentence) {
            leaks.push(format!("not in the book: {sentence:?}"));
        }
        for note in &reference.footnotes {
            let start: String = collapse(note)
                .split(' ')
                .take(5)
                .collect::<Vec<_>>()
                .join(" ");
            if sentence.contains(&start) {
                leaks.push(format!("footnote {note:?} in {sentence:?}"));
            }
        }
        for line in reference.title_page.iter().chain(&reference.furniture) {
            let line = collapse(line).to_lowercase();
            if lower == line || lower.trim_end_matches('.') == line {
                leaks.push(format!("title page or running head {line:?} as a sentence"));
            }
        }
    }

    let norm_title = |t: &str| collapse(t).to_lowercase();
    let found: Vec<String> = book.chapters.iter().map(|c| norm_title(&c.title)).collect();
    let expected: Vec<String> = reference
        .chapters
        .iter()
        .map(|c| norm_title(&c.title))
        .collect();
    Quality {
        recall: covered(&multiset(&want), &multiset(&got)),
        precision: covered(&multiset(&got), &multiset(&want)),
        order: covered(&four_grams(&want), &four_grams(&got)),
        leaks,
        missing_chapters: expected
            .iter()
            .filter(|t| !found.contains(t))
            .cloned()
            .collect(),
        extra_chapters: found
            .iter()
            .filter(|t| !expected.contains(t))
            .cloned()
            .collect(),
        sentences: sentences.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::clean::CleanOptions;

    /// Every producer's fixture reads as its reference: the words, in order, in sentences that
    /// hold nothing else, with the chapters the book has.
    #[test]
    fn every_producer_reads_as_the_book() {
        let corpus = producer_corpus().unwrap();
        assert!(corpus.len() >= 11, "{} fixtures", corpus.len());
        let mut failures = Vec::new();
        for (name, pdf, reference) in &corpus {
            let bytes = std::fs::read(pdf).unwrap();
            let (book, _) = crate::pdf::read_book(&bytes, CleanOptions::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let q = measure(reference, &book);
            eprintln!(
                "{name:12} recall {:.4} precision {:.4} order {:.4} sentences {} ({})",
                q.recall, q.precision, q.order, q.sentences, reference.producer
            );
            if q.recall < 0.998 {
                failures.push(format!("{name}: word recall {:.4} < 0.998", q.recall));
            }
            if q.order < 0.99 {
                failures.push(format!("{name}: 4-gram order {:.4} < 0.99", q.order));
            }
            failures.extend(q.leaks.iter().map(|l| format!("{name}: {l}")));
            if !q.missing_chapters.is_empty() || !q.extra_chapters.is_empty() {
                failures.push(format!(
                    "{name}: chapters missing {:?}, unexpected {:?}",
                    q.missing_chapters, q.extra_chapters
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn the_measures_see_loss_disorder_and_leaks() {
        let reference = Reference {
            producer: "test".into(),
            chapters: vec![ReferenceChapter {
                title: "I".into(),
                paragraphs: vec![
                    "Il pleuvait sur la ville depuis le matin. Personne ne sortait.".into(),
                ],
            }],
            title_page: vec!["Le Livre".into()],
            furniture: vec!["Le Livre".into()],
            footnotes: vec!["Une note de l'éditeur sur la ville.".into()],
        };
        let book = |text: &str, chapters: &[&str]| Book {
            text: text.into(),
            page_starts: vec![0],
            chapters: chapters
                .iter()
                .map(|t| crate::pdf::clean::Chapter {
                    title: (*t).into(),
                    start: 0,
                    first_page: 1,
                })
                .collect(),
        };
        let good = measure(
            &reference,
            &book(
                "Il pleuvait sur la ville depuis le matin. Personne ne sortait.",
                &["I"],
            ),
        );
        assert_eq!((good.recall, good.precision, good.order), (1.0, 1.0, 1.0));
        assert!(good.leaks.is_empty() && good.missing_chapters.is_empty());

        let bad = measure(
            &reference,
            &book(
                "Le Livre\nIl pleuvait sur la ville II 7 depuis le matin. Une note de \
                 l'éditeur sur la ville.",
                &[],
            ),
        );
        assert!(bad.recall < 0.9 && bad.precision < 0.9 && bad.order < 0.8);
        assert_eq!(bad.missing_chapters, ["i"]);
        let leaks = bad.leaks.join("\n");
        assert!(leaks.contains("title page or running head"), "{leaks}");
        assert!(leaks.contains("footnote"), "{leaks}");
        assert!(leaks.contains("not in the book: \"Il pleuvait"), "{leaks}");
    }
}
