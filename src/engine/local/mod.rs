//! The offline engine: French sentence segmentation, then cuts where both sides are complete
//! sentences (restoring a subject when a clause shares it). It never loses or reorders a
//! content word, adds only subjects, and needs no key and no network.

pub(crate) mod check;
mod clause;
#[cfg(test)]
mod golden;
pub mod segment;
pub mod shorten;
pub(crate) mod split;
pub mod tag;
pub mod words;

use std::sync::Arc;

use futures_util::future::LocalBoxFuture;

use super::{ChunkInput, ChunkOutput, Engine, EngineError, LOCAL, Meter, PieceKind, Sentence};
use crate::metrics::{CallOutcome, EngineCall};
use crate::settings::Settings;
use segment::{SegmentOptions, segment};
use split::{SplitOptions, split_quoted};
use words::QuoteDepth;

pub struct LocalEngine;

impl Engine for LocalEngine {
    fn name(&self) -> &str {
        LOCAL
    }

    fn rewrite(
        self: Arc<Self>,
        input: Arc<ChunkInput>,
        settings: Arc<Settings>,
        meter: Meter,
    ) -> LocalBoxFuture<'static, Result<ChunkOutput, EngineError>> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            // CPU work: keep it off the arbiter thread that runs the actors.
            let output = tokio::task::spawn_blocking(move || rewrite_chunk(&input, &settings))
                .await
                .map_err(|e| EngineError::Unavailable(format!("local engine task failed: {e}")));
            meter.observe(&EngineCall {
                engine: LOCAL,
                model: LOCAL,
                outcome: if output.is_ok() {
                    CallOutcome::Ok
                } else {
                    CallOutcome::Unavailable
                },
                took: started.elapsed(),
                gate_wait: std::time::Duration::ZERO,
                input_tokens: 0,
                output_tokens: 0,
            });
            output
        })
    }
}

/// [`clause::is_complete`]: the rule the integration tests hold a whole book's output to.
pub fn clause_is_complete(piece: &str) -> bool {
    clause::is_complete(piece)
}

/// [`clause::reads_as_sentence`]: whether a learner takes a piece for a complete sentence
/// (the results view's "complete sentences only" judges by it).
pub(crate) fn reads_as_sentence(piece: &str) -> bool {
    clause::reads_as_sentence(piece)
}

/// How the local engine finds sentences for these settings; chunk plans cut the book the
/// same way.
pub fn segment_options(settings: &Settings) -> SegmentOptions {
    SegmentOptions {
        keep_dialogue_whole: settings.ignore_dialogue,
    }
}

/// Rewrites the sentences that start in the chunk's body.
pub fn rewrite_chunk(input: &ChunkInput, settings: &Settings) -> ChunkOutput {
    ChunkOutput {
        sentences: rewrite_sources(input, settings)
            .into_iter()
            .flat_map(|source| source.pieces)
            .collect(),
        model: None,
    }
}

/// One source sentence of a chunk's body and what the local engine makes of it.
#[derive(Debug, Clone)]
pub struct SourcePieces {
    /// Where the sentence stands in the chunk's text.
    pub segment: segment::Segment,
    /// Empty when nothing of it is left to study (a lone quotation mark).
    pub pieces: Vec<Sentence>,
}

/// The sentences that start in the chunk's body, in order, each with its pieces: the unit
/// other engines fall back on one sentence at a time.
pub fn rewrite_sources(input: &ChunkInput, settings: &Settings) -> Vec<SourcePieces> {
    let keep_dialogue_whole = settings.ignore_dialogue;
    let split_options = SplitOptions {
        max_words: settings.sentence_length_limit as usize,
        min_words: settings.min_sentence_length as usize,
        keep_dialogue_whole,
    };
    let mut sources = Vec::new();
    // Whether a quotation opened by an earlier sentence of the paragraph is still open: read
    // on from one sentence to the next, afresh at each paragraph.
    let mut quotes = QuoteDepth::default();
    let mut read = 0;
    for seg in segment(&input.text, segment_options(settings)) {
        for c in input.text.get(read..seg.start).unwrap_or_default().chars() {
            if c == '\n' {
                quotes = QuoteDepth::default();
            } else {
                quotes.feed(c);
            }
        }
        read = seg.start;
        if !input.owns(seg.start) {
            continue;
        }
        let Some(original) = input.text.get(seg.start..seg.end) else {
            continue;
        };
        let page = input.page_at(seg.start);
        let chapter = input.chapter_at(seg.start);
        let source: std::sync::Arc<str> = original.into();
        // A dialogue reply (a paragraph opened by a dash) is speech too: kept whole on request.
        let pieces = if keep_dialogue_whole && original.starts_with(['—', '–']) {
            let whole = original.split_whitespace().collect::<Vec<_>>().join(" ");
            let kind = if words::word_count(&whole) > split_options.max_words {
                PieceKind::OverLimit
            } else {
                PieceKind::Verbatim
            };
            vec![split::Piece {
                text: whole,
                kind,
                added: Vec::new(),
            }]
        } else {
            split_quoted(original, split_options, quotes.depth() > 0)
        };
        let pieces = pieces
            .into_iter()
            .filter_map(|piece| {
                let normalized = if settings.preserve_formatting {
                    piece.text
                } else {
                    strip_formatting(&piece.text)
                };
                (!normalized.is_empty()).then(|| Sentence {
                    normalized,
                    original: std::sync::Arc::clone(&source),
                    page,
                    chapter,
                    engine: None,
                    kind: Some(piece.kind),
                })
            })
            .collect();
        sources.push(SourcePieces {
            segment: seg,
            pieces,
        });
    }
    sources
}

/// Without `preserve_formatting` the learner gets bare sentences: no quotation marks and no
/// dialogue dashes (the words themselves are untouched).
pub(crate) fn strip_formatting(piece: &str) -> String {
    let bare: String = piece
        .chars()
        .filter(|c| !matches!(c, '«' | '»' | '“' | '”' | '"'))
        .collect();
    let bare = bare.trim_start_matches(['—', '–', ' ']);
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PageStart;

    fn input(text: &str, body: std::ops::Range<usize>) -> ChunkInput {
        ChunkInput {
            index: 0,
            first_page: 1,
            last_page: 1,
            text: text.to_owned(),
            body_start: body.start,
            body_end: body.end,
            pages: vec![PageStart { offset: 0, page: 1 }],
            chapters: Vec::new(),
            pdf: None,
        }
    }

    /// The pieces the engine writes for a chunk that is all body.
    fn normalized(text: &str, settings: &Settings) -> Vec<String> {
        rewrite_chunk(&input(text, 0..text.len()), settings)
            .sentences
            .into_iter()
            .map(|s| s.normalized)
            .collect()
    }

    #[test]
    fn only_sentences_starting_in_the_body_are_rewritten() {
        let text = "Il pleuvait. Elle attendait le train. Le train arriva enfin.";
        let body_start = text.find("Elle").unwrap();
        let body_end = text.find("Le train").unwrap();
        let out = rewrite_chunk(&input(text, body_start..body_end), &Settings::default());
        let originals: Vec<_> = out.sentences.iter().map(|s| &*s.original).collect();
        assert_eq!(originals, ["Elle attendait le train."]);
    }

    #[test]
    fn every_piece_links_to_its_original_and_respects_the_limit() {
        let text = "Le vieil homme marchait lentement vers la gare, et il pensait à sa fille qui \
                    vivait à Paris depuis des années.";
        let settings = Settings::default();
        assert_eq!(
            normalized(text, &settings),
            [
                "Le vieil homme marchait lentement vers la gare.",
                "Il pensait à sa fille qui vivait à Paris depuis des années."
            ]
        );
        let out = rewrite_chunk(&input(text, 0..text.len()), &settings);
        for s in &out.sentences {
            assert_eq!(&*s.original, text);
            let over = words::word_count(&s.normalized) > 8;
            assert_eq!(
                s.kind == Some(PieceKind::OverLimit),
                over,
                "{}",
                s.normalized
            );
        }
        assert_eq!(out.sentences[0].kind, Some(PieceKind::Split));
    }

    #[test]
    fn the_engine_says_what_it_did_to_each_source() {
        let text = "Il pleuvait. Il se leva et partit sans un mot vers la ville. Je lus \
                    l'arrivée de cette lettre, qui me parvint de la manière habituelle.";
        let out = rewrite_chunk(&input(text, 0..text.len()), &Settings::default());
        let got: Vec<(&str, Option<PieceKind>)> = out
            .sentences
            .iter()
            .map(|s| (s.normalized.as_str(), s.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("Il pleuvait.", Some(PieceKind::Verbatim)),
                ("Il se leva.", Some(PieceKind::Split)),
                (
                    "Il partit sans un mot vers la ville.",
                    Some(PieceKind::Rewritten)
                ),
                ("Je lus l'arrivée de cette lettre.", Some(PieceKind::Split)),
                (
                    "Elle me parvint de la manière habituelle.",
                    Some(PieceKind::Rewritten)
                ),
            ]
        );
    }

    #[test]
    fn every_sentence_of_a_quotation_is_marked_as_speech() {
        let text = "« Bonté divine ! s'écria celui-ci. Voilà qui me console de toutes mes \
                    déceptions ! J'ai donc enfin fait une découverte ! »\nIl délirait.";
        let pieces = normalized(text, &Settings::default());
        assert_eq!(
            pieces,
            [
                "« Bonté divine ! s'écria celui-ci. »",
                "« Voilà qui me console de toutes mes déceptions ! »",
                "« J'ai donc enfin fait une découverte ! »",
                "Il délirait."
            ]
        );
    }

    #[test]
    fn ignore_dialogue_keeps_a_dash_reply_whole() {
        let text = "— Je ne sais pas, répondit-elle en haussant les épaules, mais je reviendrai \
                    demain matin avant le lever du soleil.";
        let whole = Settings {
            ignore_dialogue: true,
            ..Settings::default()
        };
        let out = rewrite_chunk(&input(text, 0..text.len()), &whole);
        assert_eq!(out.sentences.len(), 1);
        assert_eq!(out.sentences[0].normalized, text);

        let pieces = normalized(text, &Settings::default());
        assert_eq!(
            pieces,
            [
                "— Je ne sais pas, répondit-elle en haussant les épaules.",
                "Mais je reviendrai demain matin avant le lever du soleil."
            ]
        );
    }

    #[test]
    fn formatting_can_be_dropped_without_touching_words() {
        let text = "« Viens ici ! » dit-elle.";
        let settings = Settings {
            preserve_formatting: false,
            ..Settings::default()
        };
        let out = rewrite_chunk(&input(text, 0..text.len()), &settings);
        assert_eq!(out.sentences[0].normalized, "Viens ici ! dit-elle.");
        assert_eq!(&*out.sentences[0].original, text);
    }
}
