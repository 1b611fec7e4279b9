//! Where a running job stands, and the one formula for its progress bar.

/// Shares of the progress bar: extracting and planning first, then the chunks; the merge
/// takes the rest.
pub(crate) const EXTRACTED_PERCENT: i32 = 5;
const CHUNKS_PERCENT: i32 = 90;

/// Progress a worker reports; applied only while the worker still holds the job.
#[derive(Debug, Clone)]
pub struct Progress {
    pub percent: i32,
    pub step: String,
    pub processed_chunks: i32,
    pub failed_chunks: i32,
}

/// The bar once `settled` of `total` chunks have ended (done or failed for good).
pub(crate) fn percent(settled: usize, total: usize) -> i32 {
    let share = settled.min(total) * CHUNKS_PERCENT as usize / total.max(1);
    EXTRACTED_PERCENT + i32::try_from(share).unwrap_or(CHUNKS_PERCENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_runs_from_extraction_to_just_before_the_merge() {
        assert_eq!(percent(0, 10), 5);
        assert_eq!(percent(5, 10), 50);
        assert_eq!(percent(10, 10), 95);
        // Never past the chunks' share, whatever a caller counts.
        assert_eq!(percent(12, 10), 95);
        assert_eq!(percent(0, 0), 5);
    }
}
