//! Chunk boundaries lose and double nothing: a book cut into many chunks gives exactly the
//! sentences of the same book in one chunk, a sentence that runs pages past its chunk's end
//! comes whole from either engine, and a line the author repeats stays every time.

use crate::helpers::{BookResult, spawn_app_with};
use fnt::config::{Config, Secret};
use fnt::engine::Engines;
use fnt::pdf::clean::{Book, CleanOptions};
use fnt::pdf::plan::{PlanConfig, plan};
use fnt_fake_gemini::{FakeGemini, FakeGeminiArgs};
use fnt_testkit::novel::{self, Chapter};
use fnt_testkit::pdf::{FixtureOptions, book_pdf};

/// Clauses of [`long_sentence`] on a page of the test layout (measured: 67).
const CLAUSES_PER_PAGE: f64 = 67.0;

fn clauses(pages: f64) -> usize {
    (pages * CLAUSES_PER_PAGE) as usize
}

/// One sentence of about `pages` printed pages: numbered clauses, so that a lost one shows.
fn long_sentence(n: usize, pages: f64) -> String {
    let mut s = format!("La phrase {n} commence ici");
    for i in 1..=clauses(pages) {
        s.push_str(&format!(
            ", et le passage {n}-{i} suit le précédent sans reprendre haleine"
        ));
    }
    s.push('.');
    s
}

/// The 1-based page of the text at `offset`.
fn page_of(book: &Book, offset: usize) -> usize {
    book.page_starts
        .partition_point(|&start| start <= offset)
        .max(1)
}

/// A book of ordinary paragraphs with one sentence of `pages` pages, moved along until it
/// starts on the first chunk's last page and ends more than a page after it: the sentence a
/// chunk's context used to cut.
fn book_with_a_sentence_across_a_chunk_end(pages: f64) -> Vec<u8> {
    let filler = "Il faisait nuit, et la pluie tombait sur les toits de la ville endormie. \
                  Personne ne passait plus dans la rue.";
    for shift in 0..40 {
        // About 19 of these paragraphs fill a page: each step moves the long sentence by a
        // sixth of a page, from page 18 on.
        let before = 340 + shift * 3;
        let mut paragraphs: Vec<String> = (0..before).map(|_| filler.to_owned()).collect();
        paragraphs.push(long_sentence(1, pages));
        paragraphs.extend((0..820 - before).map(|_| filler.to_owned()));
        let chapters = [Chapter {
            title: "CHAPITRE PREMIER".into(),
            paragraphs,
        }];
        let pdf = book_pdf(&chapters, &FixtureOptions::default()).pdf;
        let (book, pages) = fnt::pdf::read_book(&pdf, CleanOptions::default()).expect("reads");
        let chunks = plan(pages, &PlanConfig::default());
        let body_end = *chunks.ranges[0].end() as usize;
        let mut start = 0;
        for paragraph in book.text.split_inclusive('\n') {
            let end = start + paragraph.len();
            if page_of(&book, start) == body_end && page_of(&book, end - 1) > body_end {
                return pdf;
            }
            start = end;
        }
    }
    panic!("no layout put a sentence across the first chunk's end");
}

/// The job's sentences, with the spec's chunk plan (the tests' default cuts 3-page chunks)
/// and then `configure`.
async fn sentences_of(pdf: &[u8], configure: impl Fn(&mut Config)) -> BookResult {
    let spec = PlanConfig::default();
    let configure = |c: &mut Config| {
        c.single_chunk_max_pages = spec.single_chunk_max_pages;
        c.medium_max_pages = spec.medium_max_pages;
        c.medium_chunk_pages = spec.medium_chunk_pages;
        // A chunk holding a sentence of many pages takes more than the tests' 2 s in a debug
        // build on a loaded machine (production allows minutes); timeouts are tested
        // elsewhere.
        c.chunk_timeout_secs = 120;
        configure(c);
    };
    let engines = {
        let mut config = Config::default();
        configure(&mut config);
        Engines::from_config(&config).expect("engines")
    };
    let app = spawn_app_with(configure, engines).await;
    let id = app.submit(pdf, &[]).await;
    let job = app.wait_until_finished(&id).await;
    let errors: Vec<Option<String>> = app
        .core
        .db
        .chunks(&id)
        .await
        .expect("chunks")
        .into_iter()
        .map(|c| c.last_error)
        .collect();
    assert_eq!(job["status"], "completed", "{job} {errors:?}");
    app.book(&id).await
}

/// Every clause of the long sentence, once, in the result, and the sentence whole as one
/// source.
fn assert_whole(book: &BookResult, clauses: usize, what: &str) {
    let text: String = book.pieces.iter().map(|(n, _, _)| n.as_str()).collect();
    let long: Vec<&String> = book
        .originals
        .iter()
        .filter(|o| o.starts_with("La phrase 1 commence ici"))
        .collect();
    assert_eq!(long.len(), 1, "{what}: the long sentence is one source");
    assert!(
        long[0].contains(&format!("passage 1-{clauses} ")),
        "{what}: the source is the whole sentence"
    );
    for i in 1..=clauses {
        let clause = format!("passage 1-{i} ");
        assert_eq!(text.matches(&clause).count(), 1, "{what}: {clause}");
    }
}

/// The fake as a model that never errs, never refuses and answers at once: what these tests
/// compare is where chunks end. Its pieces are the local engine's, shortened where those
/// pass the limit, so the two engines agree on the source sentences, not on every piece.
fn perfect_model() -> FakeGeminiArgs {
    FakeGeminiArgs {
        model_error_rate: 0.0,
        recitation_words: 0,
        tokens_per_sec: 0.0,
        ..FakeGeminiArgs::default()
    }
}

/// Sentences of 1, 2.5 and 10 pages starting on the last page of a chunk come whole from
/// both engines, and the chunked run gives exactly the single-chunk run.
#[actix_web::test]
async fn a_sentence_running_pages_past_its_chunk_comes_whole_from_both_engines() {
    let fake = FakeGemini::start(perfect_model())
        .await
        .expect("fake gemini starts");
    let gemini = |c: &mut Config| {
        c.gemini_api_key = Some(Secret::new("fake-key"));
        c.gemini_base_url = fake.base_url();
        c.gemini_rpm = 100_000;
    };
    let one_chunk = |c: &mut Config| c.single_chunk_max_pages = 1000;
    for pages in [1.0, 2.5, 10.0] {
        let what = format!("a sentence of {pages} pages");
        let pdf = book_with_a_sentence_across_a_chunk_end(pages);
        let local = sentences_of(&pdf, |_| {}).await;
        assert_eq!(local, sentences_of(&pdf, one_chunk).await, "{what}");
        assert_whole(&local, clauses(pages), &what);

        let chunked = sentences_of(&pdf, gemini).await;
        let whole = sentences_of(&pdf, |c| {
            gemini(c);
            one_chunk(c);
        })
        .await;
        assert_eq!(chunked, whole, "{what}");
        assert_eq!(
            chunked.originals, local.originals,
            "{what}: both engines rewrite the same source sentences"
        );
    }
    fake.stop().await;
}

/// A hundred pages without a full stop or a paragraph break: one sentence, which the chunk
/// where it starts takes whole. The local engine gives every clause once, in chunks as in
/// one; Gemini's path (too long for any answer, the local engine writes it and shortens what
/// passes the limit) has the same single source.
#[actix_web::test]
async fn a_hundred_pages_without_a_full_stop_lose_nothing_with_either_engine() {
    let mut sentence = long_sentence(1, 100.0);
    sentence.pop();
    let chapters = [Chapter {
        title: "CHAPITRE PREMIER".into(),
        paragraphs: vec![sentence],
    }];
    let pdf = book_pdf(&chapters, &FixtureOptions::default()).pdf;
    let (_, pages) = fnt::pdf::read_book(&pdf, CleanOptions::default()).expect("reads");
    assert!(pages >= 100, "{pages} pages");

    let one_chunk = |c: &mut Config| c.single_chunk_max_pages = 1000;
    let local = sentences_of(&pdf, |_| {}).await;
    assert_eq!(local, sentences_of(&pdf, one_chunk).await);
    assert_whole(&local, clauses(100.0), "local");

    let fake = FakeGemini::start(perfect_model())
        .await
        .expect("fake gemini starts");
    let gemini = |c: &mut Config| {
        c.gemini_api_key = Some(Secret::new("fake-key"));
        c.gemini_base_url = fake.base_url();
        c.gemini_rpm = 100_000;
    };
    let chunked = sentences_of(&pdf, gemini).await;
    assert_eq!(chunked.originals, local.originals, "gemini");
    fake.stop().await;
}

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
    let kept: usize = cut
        .book(&cut_id)
        .await
        .originals
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
    let book = app.book(&id).await;

    let result_words: Vec<String> = book
        .originals
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
