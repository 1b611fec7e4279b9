//! Chunk boundaries lose and double nothing: a book cut into many chunks gives exactly the
//! sentences of the same book in one chunk, and a line the author repeats stays every time.

use crate::helpers::spawn_app_with;
use fnt::engine::Engines;
use fnt::testkit::novel;
use fnt::testkit::pdf::{FixtureOptions, book_pdf};

#[actix_web::test]
async fn many_chunks_give_exactly_the_sentences_of_one_chunk() {
    let fixture = book_pdf(&novel::novel(40), &FixtureOptions::default());
    assert!(fixture.page_count >= 30, "{} pages", fixture.page_count);

    let whole = spawn_app_with(|c| c.single_chunk_max_pages = 1000, Engines::builtin()).await;
    let whole_id = whole.submit(&fixture.pdf, &[]).await;
    let whole_job = whole.wait_until_finished(&whole_id).await;
    assert_eq!(whole_job["total_chunks"], 1);

    let cut = spawn_app_with(|c| c.medium_chunk_pages = 3, Engines::builtin()).await;
    let cut_id = cut.submit(&fixture.pdf, &[]).await;
    let cut_job = cut.wait_until_finished(&cut_id).await;
    assert!(cut_job["total_chunks"].as_i64().unwrap() >= 10, "{cut_job}");
    assert_eq!(cut_job["status"], "completed");

    let (one, many) = (
        whole.sentences(&whole_id).await,
        cut.sentences(&cut_id).await,
    );
    assert_eq!(one.len(), many.len());
    for (i, (a, b)) in one.iter().zip(&many).enumerate() {
        assert_eq!(a, b, "sentence {i} differs");
    }

    // The repeated line is kept as often as the author wrote it.
    let line = novel::REFRAIN;
    let written: usize = fixture
        .paragraphs
        .iter()
        .map(|p| p.matches(line).count())
        .sum();
    assert!(written >= 10, "the fixture repeats the line: {written}");
    let kept: usize = whole_sentences(&many)
        .iter()
        .map(|original| original.matches(line).count())
        .sum();
    assert_eq!(kept, written);
}

#[actix_web::test]
async fn every_sentence_of_the_book_is_in_the_result_once_in_order() {
    let fixture = book_pdf(&novel::novel(20), &FixtureOptions::default());
    let app = spawn_app_with(|c| c.medium_chunk_pages = 2, Engines::builtin()).await;
    let id = app.submit(&fixture.pdf, &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    let sentences = app.sentences(&id).await;

    let result_words: Vec<String> = whole_sentences(&sentences)
        .iter()
        .flat_map(|original| words(original))
        .collect();
    let book_words: Vec<String> = fixture.paragraphs.iter().flat_map(|p| words(p)).collect();
    assert_eq!(result_words.len(), book_words.len());
    assert!(
        result_words == book_words,
        "the book's words come back in order"
    );
}

fn words(s: &str) -> Vec<String> {
    fnt::engine::local::words::words(s)
        .into_iter()
        .map(str::to_lowercase)
        .collect()
}

/// The original sentences, once each, rebuilt from their pieces: consecutive pieces of one
/// original add up to exactly its words, which also tells two equal sentences in a row apart.
fn whole_sentences(pieces: &[(String, String, i64)]) -> Vec<&str> {
    let mut originals = Vec::new();
    let mut pending: Option<(&str, usize)> = None;
    for (normalized, original, _) in pieces {
        let (current, so_far) = pending.unwrap_or((original, 0));
        assert_eq!(
            current, original,
            "a piece is missing before {normalized:?}"
        );
        let so_far = so_far + words(normalized).len();
        let whole = words(original).len();
        assert!(so_far <= whole, "pieces of {original:?} have extra words");
        if so_far == whole {
            originals.push(original.as_str());
            pending = None;
        } else {
            pending = Some((original, so_far));
        }
    }
    assert!(pending.is_none(), "the last sentence is incomplete");
    originals
}
