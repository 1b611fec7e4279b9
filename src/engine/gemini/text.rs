//! Text input: a chunk's numbered source sentences through protocol v2, every answer checked
//! per source sentence.
//!
//! Each id must be answered once; each piece within the limit, complete, and mostly in its
//! source's words ([`check`]). The ids that fail are asked again once, alone, with the reason;
//! what fails again is written by the local engine. A refusal (RECITATION, SAFETY, a blocked
//! prompt) is asked again in small groups with a paraphrase instruction, a group refused again
//! one id at a time, and an id refused alone is written locally: what the model will not
//! write never takes more than its own sentences to the local engine.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::{LocalBoxFuture, join_all};
use serde::{Deserialize, Serialize};

use super::generation::thinking_allowance;
use super::protocol::{self, Asked, Request};
use super::sources::{self, Source};
use super::{Ask, Rewrite};
use crate::engine::local::check::{self, Rules};
use crate::engine::local::shorten::within_limit;
use crate::engine::local::strip_formatting;
use crate::engine::{EngineError, LOCAL, PieceKind, RepairAction, Sentence};
use crate::settings::Settings;

/// A refused request is asked again in groups this small, so that what the model will not
/// write stays near the sentences it is about.
const REFUSAL_GROUP: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    First,
    /// Asked again with the reasons the last answer was refused; what fails again is written
    /// locally.
    Corrected,
    /// Asked again after a refusal, to be written in the model's own words.
    Paraphrase {
        alone: bool,
    },
}

/// Why one source sentence's answer was not accepted.
struct Failure {
    reason: &'static str,
    correction: String,
}

/// A request's checked result as the cache keeps it: per source sentence, its pieces.
#[derive(Serialize, Deserialize)]
struct Kept {
    sources: Vec<Vec<KeptPiece>>,
}

/// One piece as the cache keeps it (text and PDF input alike).
#[derive(Serialize, Deserialize)]
pub(super) struct KeptPiece {
    pub(super) text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<PieceKind>,
}

impl Rewrite<'_> {
    pub(super) fn rules(&self) -> Rules {
        Rules {
            limit: self.limit(),
            keep_dialogue_whole: self.settings.ignore_dialogue,
        }
    }

    fn limit(&self) -> usize {
        (self.settings.sentence_length_limit as usize).max(1)
    }

    /// Rewrites the chunk's body sentences (`all`, from [`sources::chunk_sources`]), in order.
    pub(super) async fn text(&self, all: Vec<Source>) -> Result<Vec<Sentence>, EngineError> {
        let cap = u64::try_from(self.engine.config.max_output_tokens.max(0)).unwrap_or(0);
        let mut written: Vec<Option<Vec<Sentence>>> = vec![None; all.len()];
        let mut sendable = Vec::new();
        for (i, source) in all.iter().enumerate() {
            // Nothing of it is left to study (a lone quotation mark): nothing to ask.
            if source.local.is_empty() {
                written[i] = Some(Vec::new());
                continue;
            }
            let tokens = source.expected_tokens(self.limit());
            if tokens + thinking_allowance(tokens) > cap {
                self.repair(RepairAction::Local, "too_long", 1);
                written[i] = Some(local(source, self.settings));
                continue;
            }
            sendable.push(i);
        }
        let refs: Vec<&Source> = sendable.iter().map(|&i| &all[i]).collect();
        let runs = sources::plan_requests(&refs, self.limit(), self.budget());
        // Side by side under the rate gate; each result is kept as it lands, even when
        // another request of the chunk fails and the chunk is tried again.
        let results = join_all(runs.iter().map(|run| self.request(&refs[run.clone()]))).await;
        for (run, result) in runs.iter().zip(results) {
            for (k, pieces) in run.clone().zip(result?) {
                written[sendable[k]] = Some(pieces);
            }
        }
        Ok(written.into_iter().flatten().flatten().collect())
    }

    /// One planned request: from the cache, or asked, checked, mended and then kept.
    async fn request(&self, sources: &[&Source]) -> Result<Vec<Vec<Sentence>>, EngineError> {
        let first = self.ask_for(sources, Vec::new(), false);
        let model = self.engine.model_for(self.settings);
        let key = model
            .as_deref()
            .map(|model| self.cache_key(model, &first, None));
        if let Some(key) = &key
            && let Some(stored) = self.cached(key).await
            && let Some(written) = restore(&stored, sources)
        {
            return Ok(written);
        }
        let written = self.attempt(sources, Stage::First, Vec::new()).await?;
        if let (Some(key), Some(model)) = (&key, &model) {
            self.keep(key, model, keep(&written)).await;
        }
        Ok(written)
    }

    fn ask_for(
        &self,
        sources: &[&Source],
        corrections: Vec<(u32, String)>,
        paraphrase: bool,
    ) -> Request {
        let (before, sentences, after) = sources::request_text(self.input, sources);
        let pages: Vec<u32> = sources
            .iter()
            .filter_map(|s| s.local.first().map(|p| p.page))
            .collect();
        Request {
            first_page: pages.iter().copied().min().unwrap_or(self.input.first_page),
            last_page: pages.iter().copied().max().unwrap_or(self.input.first_page),
            what: Asked::Sentences {
                before,
                sentences,
                after,
            },
            corrections,
            paraphrase,
        }
    }

    /// Asks for `sources` at `stage`, and mends what comes back.
    fn attempt<'b>(
        &'b self,
        sources: &'b [&'b Source],
        stage: Stage,
        corrections: Vec<(u32, String)>,
    ) -> LocalBoxFuture<'b, Result<Vec<Vec<Sentence>>, EngineError>> {
        Box::pin(async move {
            let paraphrase = matches!(stage, Stage::Paraphrase { .. });
            let request = self.ask_for(sources, corrections, paraphrase);
            let (text, truncated) = match self.send(&request, None).await {
                Ok(text) => (text, false),
                Err(Ask::Truncated(partial)) => (partial, true),
                Err(Ask::Refused(reason, why)) => {
                    tracing::info!(chunk = self.input.index, sentences = sources.len(), %why, "the model refused a request");
                    self.repair(RepairAction::Refused, reason, sources.len());
                    return self.after_refusal(sources, stage, reason).await;
                }
                Err(Ask::Fail(e)) => return Err(e),
                Err(Ask::ModelGone(message)) => return Err(EngineError::NoModel(message)),
            };
            let verdicts = self.judge(sources, &text, truncated);
            let mut written: Vec<Vec<Sentence>> = Vec::with_capacity(sources.len());
            let mut failing: Vec<(usize, Failure)> = Vec::new();
            for (i, verdict) in verdicts.into_iter().enumerate() {
                match verdict {
                    Ok(pieces) => written.push(pieces),
                    Err(failure) => {
                        written.push(Vec::new());
                        failing.push((i, failure));
                    }
                }
            }
            if failing.is_empty() {
                return Ok(written);
            }
            if stage != Stage::First {
                for (i, failure) in failing {
                    self.repair(RepairAction::Local, failure.reason, 1);
                    written[i] = local(sources[i], self.settings);
                }
                return Ok(written);
            }
            for (_, failure) in &failing {
                self.repair(RepairAction::Reask, failure.reason, 1);
            }
            let at: Vec<usize> = failing.iter().map(|(i, _)| *i).collect();
            let again: Vec<&Source> = at.iter().map(|&i| sources[i]).collect();
            let mut corrections: HashMap<u32, String> = failing
                .into_iter()
                .map(|(i, failure)| (sources[i].id, failure.correction))
                .collect();
            // Half the usual size: an answer cut at the limit is not cut again.
            let runs = sources::plan_requests(&again, self.limit(), self.budget() / 2);
            let asked = join_all(runs.iter().map(|run| {
                let part = &again[run.clone()];
                let corrections = part
                    .iter()
                    .filter_map(|s| Some((s.id, corrections.remove(&s.id)?)))
                    .collect();
                self.attempt(part, Stage::Corrected, corrections)
            }))
            .await;
            let mut answered = Vec::with_capacity(again.len());
            for result in asked {
                answered.extend(result?);
            }
            for (i, pieces) in at.into_iter().zip(answered) {
                written[i] = pieces;
            }
            Ok(written)
        })
    }

    /// After a refusal: small groups in the model's own words, then one id at a time, then
    /// the local engine.
    async fn after_refusal(
        &self,
        sources: &[&Source],
        stage: Stage,
        reason: &'static str,
    ) -> Result<Vec<Vec<Sentence>>, EngineError> {
        let group = match stage {
            Stage::First | Stage::Corrected => REFUSAL_GROUP,
            Stage::Paraphrase { alone: false } if sources.len() > 1 => 1,
            Stage::Paraphrase { .. } => {
                self.repair(RepairAction::Local, reason, sources.len());
                return Ok(sources.iter().map(|s| local(s, self.settings)).collect());
            }
        };
        let groups: Vec<&[&Source]> = sources.chunks(group).collect();
        let asked = join_all(groups.iter().map(|part| {
            self.attempt(
                part,
                Stage::Paraphrase {
                    alone: part.len() == 1,
                },
                Vec::new(),
            )
        }))
        .await;
        let mut written = Vec::with_capacity(sources.len());
        for result in asked {
            written.extend(result?);
        }
        Ok(written)
    }

    /// Reads an answer and checks it per source sentence: its pieces, or why not.
    fn judge(
        &self,
        sources: &[&Source],
        text: &str,
        truncated: bool,
    ) -> Vec<Result<Vec<Sentence>, Failure>> {
        let missing = |reason: &'static str, correction: &str| {
            sources
                .iter()
                .map(|_| {
                    Err(Failure {
                        reason,
                        correction: correction.to_owned(),
                    })
                })
                .collect()
        };
        let Some(read) = protocol::read_answer(text) else {
            return if truncated {
                missing("truncated", "your answer was cut off before this sentence")
            } else {
                missing("malformed", "your answer was not the JSON array asked for")
            };
        };
        self.repair(RepairAction::Dropped, "unreadable", read.unreadable);
        let mut entries = read.entries;
        if truncated {
            // The last entry may have lost sentences at the cut.
            entries.pop();
        }
        let index: HashMap<u32, usize> =
            sources.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let mut answers: Vec<Option<Vec<String>>> = vec![None; sources.len()];
        let (mut unknown, mut duplicate, mut reordered) = (0, 0, 0);
        let mut last = None;
        for entry in entries {
            match index.get(&entry.id) {
                None => unknown += 1,
                Some(&i) if answers[i].is_some() => duplicate += 1,
                Some(&i) => {
                    if last.is_some_and(|last| last > i) {
                        reordered += 1;
                    }
                    last = Some(i);
                    answers[i] = Some(entry.sentences);
                }
            }
        }
        self.repair(RepairAction::Dropped, "unknown_id", unknown);
        self.repair(RepairAction::Dropped, "duplicate_id", duplicate);
        self.repair(RepairAction::Reordered, "reordered", reordered);
        let rules = self.rules();
        sources
            .iter()
            .zip(answers)
            .map(|(source, answer)| {
                let Some(answer) = answer else {
                    return Err(if truncated {
                        Failure {
                            reason: "truncated",
                            correction: "your answer was cut off before this sentence".into(),
                        }
                    } else {
                        Failure {
                            reason: "missing",
                            correction: "this sentence was not answered".into(),
                        }
                    });
                };
                self.accept(source, answer, rules)
            })
            .collect()
    }

    /// The pieces of one answer entry, if every one passes the checks.
    fn accept(
        &self,
        source: &Source,
        answer: Vec<String>,
        rules: Rules,
    ) -> Result<Vec<Sentence>, Failure> {
        let pieces = tidy(&answer, self.settings);
        if pieces.is_empty() {
            return Err(Failure {
                reason: "missing",
                correction: "no sentence was written for it".into(),
            });
        }
        let checked = check::Source::new(&source.text);
        for piece in &pieces {
            if let Some(fault) = checked.check(piece, rules) {
                return Err(Failure {
                    reason: fault.reason(),
                    correction: fault.correction(piece, rules.limit),
                });
            }
        }
        Ok(pieces
            .into_iter()
            .map(|piece| sentence(source, piece, None, None))
            .collect())
    }
}

/// A model's sentences as the learner gets them: on one line, without quotation marks and
/// dashes unless the settings keep them, and none without a word.
pub(super) fn tidy(answer: &[String], settings: &Settings) -> Vec<String> {
    answer
        .iter()
        .map(|piece| {
            if settings.preserve_formatting {
                piece.split_whitespace().collect::<Vec<_>>().join(" ")
            } else {
                strip_formatting(piece)
            }
        })
        .filter(|piece| piece.chars().any(char::is_alphanumeric))
        .collect()
}

/// A piece of `source`, on its page and in its chapter.
fn sentence(
    source: &Source,
    normalized: String,
    engine: Option<String>,
    kind: Option<PieceKind>,
) -> Sentence {
    let (original, page, chapter) = match source.local.first() {
        Some(first) => (Arc::clone(&first.original), first.page, first.chapter),
        None => (Arc::clone(&source.text), 0, None),
    };
    Sentence {
        normalized,
        original,
        page,
        chapter,
        engine,
        kind,
    }
}

/// The local engine's pieces for `source`, marked as its, shortened where they pass the
/// limit: the result of a Gemini job holds only pieces within it.
fn local(source: &Source, settings: &Settings) -> Vec<Sentence> {
    let marked = source
        .local
        .iter()
        .map(|s| Sentence {
            engine: Some(LOCAL.to_owned()),
            ..s.clone()
        })
        .collect();
    within_limit(marked, settings)
}

fn keep(written: &[Vec<Sentence>]) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Kept {
        sources: written
            .iter()
            .map(|pieces| {
                pieces
                    .iter()
                    .map(|s| KeptPiece {
                        text: s.normalized.clone(),
                        engine: s.engine.clone(),
                        kind: s.kind,
                    })
                    .collect()
            })
            .collect(),
    })
}

/// A kept result for these sources; `None` if it does not fit them.
fn restore(stored: &str, sources: &[&Source]) -> Option<Vec<Vec<Sentence>>> {
    let kept: Kept = serde_json::from_str(stored).ok()?;
    if kept.sources.len() != sources.len() {
        return None;
    }
    Some(
        sources
            .iter()
            .zip(kept.sources)
            .map(|(source, pieces)| {
                pieces
                    .into_iter()
                    .map(|p| sentence(source, p.text, p.engine, p.kind))
                    .collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Used, offline_engine};
    use super::*;
    use crate::engine::{ChunkInput, Meter, PageStart};

    const TEXT: &str = "Le vieil homme marchait lentement vers la gare, et il pensait à sa fille \
                        qui vivait à Paris. Il pleuvait. Elle attendait le train de huit heures.";

    fn input() -> ChunkInput {
        ChunkInput {
            index: 0,
            first_page: 1,
            last_page: 1,
            text: TEXT.to_owned(),
            body_start: 0,
            body_end: TEXT.len(),
            pages: vec![PageStart { offset: 0, page: 1 }],
            chapters: Vec::new(),
            pdf: None,
        }
    }

    /// Judges `answer` for the chunk's three sentences: each one's pieces or failure reason,
    /// and what the meter counted.
    fn judged(answer: &str, truncated: bool) -> (Vec<Result<Vec<String>, &'static str>>, Usage) {
        let engine = offline_engine();
        let (input, settings, meter, used) = (
            input(),
            Settings::default(),
            Meter::default(),
            Used::default(),
        );
        let rewrite = Rewrite {
            engine: &engine,
            input: &input,
            settings: &settings,
            meter: &meter,
            used: &used,
        };
        let all = sources::chunk_sources(&input, &settings);
        assert_eq!(all.len(), 3);
        let refs: Vec<&Source> = all.iter().collect();
        let verdicts = rewrite
            .judge(&refs, answer, truncated)
            .into_iter()
            .map(|v| match v {
                Ok(pieces) => Ok(pieces.into_iter().map(|s| s.normalized).collect()),
                Err(failure) => Err(failure.reason),
            })
            .collect();
        (verdicts, meter.total())
    }

    use crate::engine::Usage;

    #[test]
    fn a_good_answer_is_taken_whole_and_in_source_order() {
        let (verdicts, usage) = judged(
            r#"[{"id":2,"sentences":["Il pleuvait."]},
               {"id":1,"sentences":["Le vieil homme marchait lentement vers la gare.",
                                    "Il pensait à sa fille.", "Elle vivait à Paris."]},
               {"id":3,"sentences":["Elle attendait le train de huit heures."]}]"#,
            false,
        );
        assert_eq!(verdicts[0].as_ref().map(Vec::len), Ok(3));
        assert_eq!(verdicts[1], Ok(vec!["Il pleuvait.".to_owned()]));
        assert!(verdicts[2].is_ok());
        // Out of order is put back in order, and nothing is asked again.
        assert_eq!(usage, Usage::default());
    }

    #[test]
    fn each_kind_of_bad_entry_is_found_and_the_strays_are_dropped() {
        let (verdicts, usage) = judged(
            r#"[{"id":1,"sentences":["Le vieil homme marchait lentement vers la gare, et il pensait à sa fille."]},
               {"id":2,"sentences":["Il pleuvait."]},
               {"id":2,"sentences":["Il pleuvait fort."]},
               {"id":7,"sentences":["Il neigeait."]}]"#,
            false,
        );
        assert_eq!(verdicts[0], Err("over_limit"));
        assert_eq!(verdicts[1], Ok(vec!["Il pleuvait.".to_owned()]));
        assert_eq!(verdicts[2], Err("missing"));
        // Dropped entries are counted in the metrics, not as re-asks.
        assert_eq!(usage, Usage::default());

        let (verdicts, _) = judged(
            r#"[{"id":1,"sentences":["Le vieil homme marchait vers la gare.", "Qui vivait à Paris."]},
               {"id":2,"sentences":["Le chien aboyait furieusement."]},
               {"id":3,"sentences":[]}]"#,
            false,
        );
        assert_eq!(
            verdicts,
            [Err("incomplete"), Err("foreign_words"), Err("missing")]
        );
    }

    #[test]
    fn damaged_and_cut_answers_keep_what_can_be_trusted() {
        let (verdicts, _) = judged("Voici : rien d'utile.", false);
        assert_eq!(
            verdicts,
            [Err("malformed"), Err("malformed"), Err("malformed")]
        );
        // Cut at the limit: complete entries before the last are kept, the rest is asked again.
        let (verdicts, _) = judged(
            r#"[{"id":1,"sentences":["Le vieil homme marchait vers la gare."]},{"id":2,"sentences":["Il pleuvait."]},{"id":3,"sentences":["Elle att"#,
            true,
        );
        assert!(verdicts[0].is_ok());
        assert!(verdicts[1].is_ok());
        assert_eq!(verdicts[2], Err("truncated"));
    }

    #[test]
    fn a_kept_result_comes_back_as_it_was_stored() {
        let (input, settings) = (input(), Settings::default());
        let all = sources::chunk_sources(&input, &settings);
        let refs: Vec<&Source> = all.iter().collect();
        let written: Vec<Vec<Sentence>> = refs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                if i == 1 {
                    local(s, &settings)
                } else {
                    vec![sentence(s, format!("Phrase {i}."), None, None)]
                }
            })
            .collect();
        let stored = keep(&written).unwrap();
        let back = restore(&stored, &refs).unwrap();
        assert_eq!(back, written);
        // A result kept for other sentences is not taken.
        assert!(restore(&stored, &refs[..2]).is_none());
    }
}
