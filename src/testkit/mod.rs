//! Test fixtures that are also useful outside the tests: a hand-written French novel and a
//! generator of real multi-page PDFs made from it (`fnt sample-pdf` uses them too).

pub mod hostile;
pub mod lcg;
pub mod multipart;
pub mod novel;
pub mod pdf;
pub mod quality;
pub mod sentences;
