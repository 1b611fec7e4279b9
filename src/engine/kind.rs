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
        Kinds::new(source, limit).of(piece)
    }
}

/// Tells the kinds of the pieces of one source sentence, in order. The source's words are
/// read once, and each piece is looked for after the previous one: a sentence of 15,000
/// words cut into 4,000 pieces costs a pass over it, not 4,000.
pub struct Kinds {
    source: Vec<String>,
    limit: usize,
    /// Where the previous piece's words started in `source`.
    cursor: usize,
}

fn folded(text: &str) -> Vec<String> {
    words(text).into_iter().map(str::to_lowercase).collect()
}

impl Kinds {
    pub fn new(source: &str, limit: usize) -> Self {
        Self {
            source: folded(source),
            limit,
            cursor: 0,
        }
    }

    pub fn of(&mut self, piece: &str) -> PieceKind {
        if word_count(piece) > self.limit {
            return PieceKind::OverLimit;
        }
        let piece = folded(piece);
        if piece == self.source {
            return PieceKind::Verbatim;
        }
        let from_cursor = self.cursor.min(self.source.len());
        match subsequence_at(&self.source[from_cursor..], &piece)
            .map(|at| from_cursor + at)
            .or_else(|| subsequence_at(&self.source, &piece))
        {
            Some(at) => {
                self.cursor = at + 1;
                PieceKind::Split
            }
            None => PieceKind::Rewritten,
        }
    }
}

/// Where the first of `piece`'s words matches when they appear in `source` in order.
fn subsequence_at(source: &[String], piece: &[String]) -> Option<usize> {
    let first = piece.first()?;
    let start = source.iter().position(|w| w == first)?;
    let mut rest = source[start + 1..].iter();
    piece[1..]
        .iter()
        .all(|w| rest.any(|s| s == w))
        .then_some(start)
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

    #[test]
    fn the_pieces_of_a_long_sentence_are_followed_in_order() {
        let source: String = (1..=3_000)
            .map(|i| format!("et la clause {i} suivait"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut kinds = super::Kinds::new(&source, 8);
        for i in 1..=3_000 {
            assert_eq!(
                kinds.of(&format!("Et la clause {i} suivait.")),
                PieceKind::Split
            );
        }
        assert_eq!(
            kinds.of("La clause 12 suivait."),
            PieceKind::Split,
            "earlier words"
        );
        assert_eq!(kinds.of("La clause suivait soudain."), PieceKind::Rewritten);
    }
}
