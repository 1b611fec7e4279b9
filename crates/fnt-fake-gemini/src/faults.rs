//! What can go wrong with a request, by name (the `--faults` list and `FakeState::script`), and
//! how the content faults damage a real answer.

use std::fmt;
use std::str::FromStr;

/// One request's outcome. `None` is a normal answer; the others mimic Google's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    None,
    /// 429, per-minute quota.
    RateLimit,
    /// 429, per-day quota, with the misleadingly short retryDelay Google sends.
    DailyQuota,
    /// 500 INTERNAL.
    Internal,
    /// 503 UNAVAILABLE.
    Unavailable,
    /// 504 DEADLINE_EXCEEDED.
    DeadlineExceeded,
    /// Holds the request, then drops the connection without answering.
    Timeout,
    /// 200, candidate with empty content and finishReason SAFETY.
    Safety,
    /// 200, promptFeedback.blockReason PROHIBITED_CONTENT and no candidates.
    PromptBlock,
    /// 200, half the answer and finishReason MAX_TOKENS.
    MaxTokens,
    /// 200, finishReason STOP, fenced JSON that does not parse.
    Malformed,
    /// The HTTP body itself ends halfway.
    Truncated,
    /// 503 UNAVAILABLE with the 2026 "high demand" message, for every request to the model
    /// during `--burst-ms` from the draw.
    Burst,
    /// 200, candidate without content and finishReason RECITATION.
    Recitation,
}

impl Fault {
    /// Every real fault (not `None`), scriptable by name.
    pub const ALL: [Fault; 13] = [
        Fault::RateLimit,
        Fault::DailyQuota,
        Fault::Internal,
        Fault::Unavailable,
        Fault::DeadlineExceeded,
        Fault::Timeout,
        Fault::Safety,
        Fault::PromptBlock,
        Fault::MaxTokens,
        Fault::Malformed,
        Fault::Truncated,
        Fault::Burst,
        Fault::Recitation,
    ];

    /// The default random mix: the weather, faults a retry can get past. Content verdicts
    /// (safety, prompt-block, max-tokens, malformed, recitation) are not drawn at random:
    /// Google gives a retried identical request the same verdict. `429-day` is left out too,
    /// as it stops a run for the day.
    pub const TRANSIENT: [Fault; 7] = [
        Fault::RateLimit,
        Fault::Internal,
        Fault::Unavailable,
        Fault::DeadlineExceeded,
        Fault::Timeout,
        Fault::Truncated,
        Fault::Burst,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::RateLimit => "429",
            Fault::DailyQuota => "429-day",
            Fault::Internal => "500",
            Fault::Unavailable => "503",
            Fault::DeadlineExceeded => "504",
            Fault::Timeout => "timeout",
            Fault::Safety => "safety",
            Fault::PromptBlock => "prompt-block",
            Fault::MaxTokens => "max-tokens",
            Fault::Malformed => "malformed",
            Fault::Truncated => "truncated",
            Fault::Burst => "burst",
            Fault::Recitation => "recitation",
        }
    }

    /// A dense index, for per-kind counters (`None` is 0).
    pub(crate) fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|&f| f == self)
            .map_or(0, |i| i + 1)
    }
}

/// How many distinct outcomes there are (for counters).
pub(crate) const OUTCOMES: usize = Fault::ALL.len() + 1;

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        std::iter::once(Fault::None)
            .chain(Fault::ALL)
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault '{s}' (known: none, {})", names.join(", "))
            })
    }
}

/// The first half of `text`, cut on a character boundary.
pub(crate) fn first_half(text: &str) -> &str {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// The answer as a careless model writes it: in a ```json fence, with a trailing comma before
/// the last `]` so that it stays invalid even once the fence is stripped.
pub(crate) fn malformed(json: &str) -> String {
    let broken = match json.rfind(']') {
        Some(at) => format!("{},{}", &json[..at], &json[at..]),
        // No array to break: drop the closing bracket instead.
        None => json.trim_end().trim_end_matches('}').to_owned(),
    };
    format!("```json\n{broken}\n```")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in std::iter::once(Fault::None).chain(Fault::ALL) {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        }
        assert_eq!(" 429-DAY ".parse::<Fault>(), Ok(Fault::DailyQuota));
        assert!(
            "418"
                .parse::<Fault>()
                .unwrap_err()
                .contains("unknown fault")
        );
    }

    #[test]
    fn indexes_are_dense_and_distinct() {
        let mut seen: Vec<_> = std::iter::once(Fault::None)
            .chain(Fault::ALL)
            .map(Fault::index)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..OUTCOMES).collect::<Vec<_>>());
    }

    #[test]
    fn damaged_answers_do_not_parse() {
        let json = r#"{"sentences":[{"normalized":"Il pleut.","original":"Il pleut."}]}"#;
        let half = first_half(json);
        assert!(json.starts_with(half) && half.len() < json.len());
        assert!(serde_json::from_str::<serde_json::Value>(half).is_err());
        let bad = malformed(json);
        assert!(bad.starts_with("```json\n") && bad.ends_with("\n```"));
        let inner = fnt::engine::gemini::wire::strip_json_fences(&bad);
        assert!(serde_json::from_str::<serde_json::Value>(inner).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(&malformed(r#"{"a":1}"#)).is_err());
        assert_eq!(first_half("éé"), "é");
    }
}
