//! How a piece relates to the source sentence it was made from. The learner filters by it
//! (a sentence kept as the author wrote it reads differently from one the engine rewrote),
//! and the quality figures count it.

use serde::{Deserialize, Serialize};

use super::local::words::{word_count, words};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    /// The source sentence itself, whole.
    Verbatim,
    /// Cut from the source: its words, in the source's order, none added or changed (case
    /// aside).
    Split,
    /// Words changed, added or moved.
    Rewritten,
    /// Longer than the job's limit: the engine could not shorten it.
    OverLimit,
}

impl PieceKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Verbatim => "verbatim",
            Self::Split => "split",
            Self::Rewritten => "rewritten",
            Self::OverLimit => "over_limit",
        }
    }

    /// What `piece` is to `source`, for a job whose limit is `limit` words.
    pub fn of(piece: &str, source: &str, limit: usize) -> Self {
        if word_count(piece) > limit {
            return Self::OverLimit;
        }
        let fold = |w: &str| w.to_lowercase();
        let piece_words: Vec<String> = words(piece).into_iter().map(fold).collect();
        let source_words: Vec<String> = words(source).into_iter().map(fold).collect();
        if piece_words == source_words {
            return Self::Verbatim;
        }
        // A subsequence of the source's words, in order.
        let mut rest = source_words.iter();
        if piece_words.iter().all(|w| rest.any(|s| s == w)) {
            Self::Split
        } else {
            Self::Rewritten
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PieceKind;

    #[test]
    fn pieces_are_told_apart_by_what_they_keep_of_their_source() {
        let source = "Il pleuvait, et le vent soufflait fort sur la lande.";
        assert_eq!(PieceKind::of(source, source, 20), PieceKind::Verbatim);
        assert_eq!(
            PieceKind::of(
                "« Il pleuvait, et le vent soufflait fort sur la lande. »",
                source,
                20
            ),
            PieceKind::Verbatim
        );
        assert_eq!(PieceKind::of("Il pleuvait.", source, 8), PieceKind::Split);
        assert_eq!(
            PieceKind::of("Le vent soufflait fort sur la lande.", source, 8),
            PieceKind::Split
        );
        assert_eq!(
            PieceKind::of("Le vent était fort.", source, 8),
            PieceKind::Rewritten
        );
        assert_eq!(
            PieceKind::of("La lande pleuvait.", source, 8),
            PieceKind::Rewritten
        );
        assert_eq!(PieceKind::of(source, source, 8), PieceKind::OverLimit);
    }
}
