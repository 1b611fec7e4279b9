//! Test fixtures for `fnt`, also useful outside the tests: a hand-written French novel, a
//! generator of real multi-page PDFs made from it (`fnt-sample-pdf` writes one to try the
//! service with), hostile PDFs, multipart bodies and a tiny seeded random generator.
//!
//! The PDF writer depends on `fnt` for two things only: the WinAnsi tables its fonts encode
//! with, and the clean-up's rule for which line-end hyphens it keeps, so that a fixture is
//! hyphenated exactly where the reader will join the word again. Everything here returns
//! plain data (bytes, strings, this crate's own types), so `fnt`'s own unit tests can use it
//! even though they see a different copy of `fnt` than this crate links.

pub mod hostile;
pub mod lcg;
pub mod multipart;
pub mod novel;
pub mod pdf;
pub mod serve;
