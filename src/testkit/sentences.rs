//! The checks a piece given to a learner must pass, for tests outside the crate that read a
//! whole book's output.

/// Whether `piece` is a complete sentence by the lexicon: a main clause, opening and closing
/// like a sentence (the local engine's own rule, and the one Gemini's answers are held to).
pub fn is_complete(piece: &str) -> bool {
    crate::engine::local::clause_is_complete(piece)
}
