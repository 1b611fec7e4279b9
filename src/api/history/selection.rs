//! Which sentences of an entry an export takes: `1-20,25,40-42` (1-based positions, as the
//! API shows them, or chapter numbers); absent means all.

use std::ops::RangeInclusive;

/// More ranges than any hand-made selection needs; bounds the work a query string can ask.
const MAX_RANGES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(Vec<RangeInclusive<i32>>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct SelectionError {
    /// The query parameter it came from.
    what: &'static str,
    message: String,
}

impl Selection {
    /// Sentence positions (`positions=`).
    pub fn parse(text: &str) -> Result<Self, SelectionError> {
        Self::parse_as("position", text).map_err(|message| SelectionError {
            what: "positions",
            message,
        })
    }

    /// Chapter numbers (`chapters=`).
    pub fn parse_chapters(text: &str) -> Result<Self, SelectionError> {
        Self::parse_as("chapter", text).map_err(|message| SelectionError {
            what: "chapters",
            message,
        })
    }

    /// `noun` names one item in the messages.
    fn parse_as(noun: &str, text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if ranges.len() == MAX_RANGES {
                return Err(format!("at most {MAX_RANGES} ranges"));
            }
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None => {
                    let p = number(part)?;
                    (p, p)
                }
            };
            if first > last {
                return Err(format!("'{part}' runs backwards"));
            }
            ranges.push(first..=last);
        }
        if ranges.is_empty() {
            return Err(format!("name at least one {noun}, e.g. 1-20,25"));
        }
        Ok(Self(ranges))
    }

    /// Whether the 1-based `position` is selected.
    pub fn contains(&self, position: i32) -> bool {
        self.0.iter().any(|r| r.contains(&position))
    }
}

fn number(text: &str) -> Result<i32, String> {
    text.trim()
        .parse::<i32>()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| format!("'{}' is not a number (1, 2, …)", text.trim()))
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
