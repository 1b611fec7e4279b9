//! Generation settings per model family: what Google recommends for each, and the room the
//! model's thinking takes inside `maxOutputTokens`.

use super::wire::ThinkingConfig;

/// Thinking tokens a low level or a small budget is expected to spend on one answer: a base
/// for reading the task plus a share of the answer. The estimate and the request sizing use it.
pub fn thinking_allowance(answer_tokens: u64) -> u64 {
    LOW_THINKING_BASE + answer_tokens / 10
}

const LOW_THINKING_BASE: u64 = 512;
/// Gemini 2.5's budget: Pro cannot go below 128; rewriting needs little reasoning.
const BUDGET_2_5: i32 = 512;

/// What one request sends in `generationConfig` besides the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// `None` leaves the model's default: Gemini 3 is tuned for 1.0 and may loop below it.
    pub temperature: Option<f32>,
    pub thinking: Option<ThinkingConfig>,
    pub max_output_tokens: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// 2.0 and older: no thinking.
    Classic,
    /// 2.5: thinks by default, steered by a token budget.
    Budgeted,
    /// 3.x and later: thinks by default, steered by a level.
    Leveled,
}

fn family(model: &str) -> Family {
    let version = model
        .strip_prefix("gemini-")
        .and_then(|rest| rest.split('-').next())
        .and_then(|v| {
            let mut parts = v.split('.');
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
            Some((major, minor))
        });
    match version {
        Some((major, _)) if major >= 3 => Family::Leveled,
        Some((2, minor)) if minor >= 5 => Family::Budgeted,
        Some(_) => Family::Classic,
        // An id that does not say its version (an alias like gemini-flash-latest) points at
        // a current model.
        None => Family::Leveled,
    }
}

/// The settings for `model`: `configured` output tokens, clamped to the model's listed limit
/// when the listing gave one.
pub fn for_model(model: &str, configured: i32, listed_limit: Option<i64>) -> Generation {
    let max_output_tokens = match listed_limit {
        Some(limit) if limit > 0 => {
            i32::try_from(limit.min(i64::from(configured))).unwrap_or(configured)
        }
        _ => configured,
    };
    match family(model) {
        Family::Leveled => Generation {
            temperature: None,
            thinking: Some(ThinkingConfig {
                thinking_level: Some("low".to_owned()),
                ..ThinkingConfig::default()
            }),
            max_output_tokens,
        },
        Family::Budgeted => Generation {
            temperature: Some(0.2),
            thinking: Some(ThinkingConfig {
                thinking_budget: Some(BUDGET_2_5),
                ..ThinkingConfig::default()
            }),
            max_output_tokens,
        },
        Family::Classic => Generation {
            temperature: Some(0.2),
            thinking: None,
            max_output_tokens,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_gets_the_settings_google_recommends() {
        let three = for_model("gemini-3.5-flash", 65_536, Some(65_536));
        assert_eq!(three.temperature, None, "3.x keeps its default 1.0");
        let level = three
            .thinking
            .as_ref()
            .and_then(|t| t.thinking_level.clone());
        assert_eq!(level.as_deref(), Some("low"));
        assert!(
            three
                .thinking
                .as_ref()
                .is_some_and(|t| t.thinking_budget.is_none())
        );
        let pro = for_model("gemini-3.1-pro-preview", 65_536, None);
        assert_eq!(pro.thinking, three.thinking);

        let two_five = for_model("gemini-2.5-pro", 65_536, None);
        assert_eq!(two_five.temperature, Some(0.2));
        let thinking = two_five.thinking.expect("2.5 thinks");
        assert_eq!(thinking.thinking_budget, Some(BUDGET_2_5));
        assert!(
            thinking.thinking_level.is_none(),
            "2.5 refuses thinkingLevel"
        );

        let old = for_model("gemini-2.0-flash", 8_192, None);
        assert!(
            old.thinking.is_none(),
            "thinking on a non-thinking model is a 400"
        );
        assert_eq!(
            for_model("gemini-flash-latest", 1024, None).temperature,
            None
        );
    }

    #[test]
    fn output_tokens_are_clamped_to_the_listed_limit() {
        assert_eq!(
            for_model("gemini-3.5-flash", 65_536, Some(8_192)).max_output_tokens,
            8_192
        );
        assert_eq!(
            for_model("gemini-3.5-flash", 4_096, Some(65_536)).max_output_tokens,
            4_096
        );
        assert_eq!(
            for_model("gemini-3.5-flash", 4_096, Some(0)).max_output_tokens,
            4_096
        );
        assert_eq!(
            for_model("gemini-3.5-flash", 4_096, None).max_output_tokens,
            4_096
        );
    }

    #[test]
    fn thinking_grows_with_the_answer() {
        assert!(thinking_allowance(0) > 0);
        assert!(thinking_allowance(10_000) > thinking_allowance(1_000));
    }
}
