//! The stored form of a chunk's output (`job_chunks.result`, the engine cache): each source
//! sentence once, with its page and chapter, and the pieces pointing to it by index. Storing
//! the original beside every piece made a book's storage grow with the square of its
//! sentences' length.
//!
//! Results stored before this form (`{"sentences":[{normalized, original, page, …}]}`) are
//! still read: consecutive pieces with the same original and page become one source.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ChunkOutput, Sentence, source_groups};

#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    sources: Vec<StoredSource>,
    #[serde(default)]
    pieces: Vec<StoredPiece>,
    /// The form before sources: one entry per piece, each with its original.
    #[serde(default, skip_serializing)]
    sentences: Vec<Sentence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredSource {
    text: Arc<str>,
    page: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chapter: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct StoredPiece {
    text: String,
    /// Index into `sources`.
    source: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<super::PieceKind>,
}

impl Serialize for ChunkOutput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let groups = source_groups(&self.sentences);
        let mut stored = Stored {
            sources: Vec::with_capacity(groups.len()),
            pieces: Vec::with_capacity(self.sentences.len()),
            sentences: Vec::new(),
            model: self.model.clone(),
        };
        for (source, group) in groups.into_iter().enumerate() {
            let first = &self.sentences[group.start];
            stored.sources.push(StoredSource {
                text: Arc::clone(&first.original),
                page: first.page,
                chapter: first.chapter,
            });
            stored
                .pieces
                .extend(self.sentences[group].iter().map(|s| StoredPiece {
                    text: s.normalized.clone(),
                    source,
                    engine: s.engine.clone(),
                    kind: s.kind,
                }));
        }
        stored.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ChunkOutput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(deserializer)?;
        if !stored.sentences.is_empty() {
            return Ok(Self {
                sentences: share_legacy_originals(stored.sentences),
                model: stored.model,
            });
        }
        let sentences = stored
            .pieces
            .into_iter()
            .map(|piece| {
                let source = stored.sources.get(piece.source).ok_or_else(|| {
                    serde::de::Error::custom(format!("piece refers to no source {}", piece.source))
                })?;
                Ok(Sentence {
                    normalized: piece.text,
                    original: Arc::clone(&source.text),
                    page: source.page,
                    chapter: source.chapter,
                    engine: piece.engine,
                    kind: piece.kind,
                })
            })
            .collect::<Result<_, D::Error>>()?;
        Ok(Self {
            sentences,
            model: stored.model,
        })
    }
}

/// Old results repeat the original on each piece: consecutive equal ones (same page) are one
/// source sentence, which is all the old form can tell.
fn share_legacy_originals(mut sentences: Vec<Sentence>) -> Vec<Sentence> {
    for i in 1..sentences.len() {
        let (before, after) = sentences.split_at_mut(i);
        let (previous, current) = (&before[i - 1], &mut after[0]);
        if previous.original == current.original
            && previous.page == current.page
            && *previous.normalized != *previous.original
        {
            current.original = Arc::clone(&previous.original);
        }
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(normalized: &str, original: &Arc<str>, page: u32) -> Sentence {
        Sentence {
            normalized: normalized.to_owned(),
            original: Arc::clone(original),
            page,
            chapter: Some(2),
            engine: None,
            kind: None,
        }
    }

    #[test]
    fn each_source_is_stored_once_and_read_back_shared() {
        let long: Arc<str> = Arc::from("Il pleuvait, le vent soufflait, la nuit tombait.");
        let yes: Arc<str> = Arc::from("Oui.");
        let again: Arc<str> = Arc::from("Oui.");
        let output = ChunkOutput {
            sentences: vec![
                piece("Il pleuvait.", &long, 3),
                piece("Le vent soufflait.", &long, 3),
                piece("La nuit tombait.", &long, 3),
                piece("Oui.", &yes, 4),
                piece("Oui.", &again, 4),
            ],
            model: Some("gemini-3.8-flash".into()),
        };
        let json = serde_json::to_string(&output).unwrap();
        assert_eq!(
            json.matches("le vent soufflait, la nuit").count(),
            1,
            "{json}"
        );
        let back: ChunkOutput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, output);
        assert!(Arc::ptr_eq(
            &back.sentences[0].original,
            &back.sentences[2].original
        ));
        // Two equal sentences in a row stay two sources.
        assert_eq!(source_groups(&back.sentences), vec![0..3, 3..4, 4..5]);
    }

    #[test]
    fn results_stored_in_the_old_form_are_read_and_regrouped() {
        let old = r#"{"sentences":[
            {"normalized":"Il pleuvait.","original":"Il pleuvait, il ventait.","page":1},
            {"normalized":"Il ventait.","original":"Il pleuvait, il ventait.","page":1},
            {"normalized":"Fin.","original":"Fin.","page":2,"chapter":1,"engine":"local"},
            {"normalized":"Fin.","original":"Fin.","page":2}]}"#;
        let read: ChunkOutput = serde_json::from_str(old).unwrap();
        assert_eq!(read.sentences.len(), 4);
        assert_eq!(read.sentences[2].engine.as_deref(), Some("local"));
        assert_eq!(read.sentences[2].chapter, Some(1));
        // A whole sentence repeated is two sentences.
        assert_eq!(source_groups(&read.sentences), vec![0..2, 2..3, 3..4]);
    }

    #[test]
    fn a_piece_pointing_nowhere_is_an_error_not_a_panic() {
        let bad = r#"{"sources":[],"pieces":[{"text":"x","source":3}]}"#;
        assert!(serde_json::from_str::<ChunkOutput>(bad).is_err());
    }
}
