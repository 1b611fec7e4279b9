//! What reading one document may cost in all, whichever thread reads which page.
//!
//! Each page has its own ceilings (see [`super::limits`]); these totals stop a book whose
//! every page stays just under them. The threads reading a book share one budget.

use std::sync::atomic::{AtomicU64, Ordering};

use super::PdfError;
use super::limits::{MAX_DOCUMENT_INFLATED, MAX_DOCUMENT_OPERATIONS, MAX_DOCUMENT_VALUES};

#[derive(Debug, Default)]
pub(crate) struct Budget {
    /// Stream bytes inflated by our reader, and those pdf-extract would inflate.
    inflated: AtomicU64,
    /// Content operators our reader ran.
    operations: AtomicU64,
    /// Values pdf-extract would parse on the pages it reads.
    values: AtomicU64,
}

fn spend(counter: &AtomicU64, n: u64, max: u64, what: &str) -> Result<(), PdfError> {
    let before = counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_add(n))
        })
        .unwrap_or(u64::MAX);
    if before.saturating_add(n) > max {
        return Err(PdfError::TooComplex {
            detail: format!("reading the book would {what} more than {max}"),
        });
    }
    Ok(())
}

impl Budget {
    pub(crate) fn inflate(&self, bytes: u64) -> Result<(), PdfError> {
        spend(
            &self.inflated,
            bytes,
            MAX_DOCUMENT_INFLATED,
            "inflate bytes:",
        )
    }

    pub(crate) fn operate(&self, operations: u64) -> Result<(), PdfError> {
        spend(
            &self.operations,
            operations,
            MAX_DOCUMENT_OPERATIONS,
            "run content operators:",
        )
    }

    pub(crate) fn parse(&self, values: u64) -> Result<(), PdfError> {
        spend(&self.values, values, MAX_DOCUMENT_VALUES, "parse values:")
    }

    /// The error of the first total that is spent, once one is.
    pub(crate) fn spent(&self) -> Option<PdfError> {
        self.inflate(0)
            .and_then(|()| self.operate(0))
            .and_then(|()| self.parse(0))
            .err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_once_passed_stays_spent() {
        let budget = Budget::default();
        assert!(budget.operate(MAX_DOCUMENT_OPERATIONS).is_ok());
        assert!(budget.spent().is_none());
        assert!(matches!(
            budget.operate(1),
            Err(PdfError::TooComplex { .. })
        ));
        assert!(budget.spent().is_some());
        // Huge charges saturate instead of wrapping back under the ceiling.
        assert!(budget.inflate(u64::MAX).is_err());
        assert!(budget.inflate(u64::MAX).is_err());
    }
}
