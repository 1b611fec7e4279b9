//! Which sentences of an entry an export takes: `1-20,25,40-42` (1-based positions, as the
//! API shows them); absent means all.

use std::ops::RangeInclusive;

/// More ranges than any hand-made selection needs; bounds the work a query string can ask.
const MAX_RANGES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(Vec<RangeInclusive<i32>>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("positions: {0}")]
pub struct SelectionError(String);

impl Selection {
    pub fn parse(text: &str) -> Result<Self, SelectionError> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if ranges.len() == MAX_RANGES {
                return Err(SelectionError(format!("at most {MAX_RANGES} ranges")));
            }
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (position(a)?, position(b)?),
                None => {
                    let p = position(part)?;
                    (p, p)
                }
            };
            if first > last {
                return Err(SelectionError(format!("'{part}' runs backwards")));
            }
            ranges.push(first..=last);
        }
        if ranges.is_empty() {
            return Err(SelectionError(
                "name at least one position, e.g. 1-20,25".into(),
            ));
        }
        Ok(Self(ranges))
    }

    /// Whether the 1-based `position` is selected.
    pub fn contains(&self, position: i32) -> bool {
        self.0.iter().any(|r| r.contains(&position))
    }
}

fn position(text: &str) -> Result<i32, SelectionError> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| SelectionError(format!("'{}' is not a position (1, 2, …)", text.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_single_positions() {
        let s = Selection::parse("1-3, 7,10-10").unwrap();
        let picked: Vec<i32> = (0..12).filter(|p| s.contains(*p)).collect();
        assert_eq!(picked, vec![1, 2, 3, 7, 10]);
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in ["", ",", "0", "-1", "a", "3-1", "1-", "1-2-3", "99999999999"] {
            assert!(Selection::parse(bad).is_err(), "{bad}");
        }
        let many = (1..=1001)
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(Selection::parse(&many).is_err());
    }
}
