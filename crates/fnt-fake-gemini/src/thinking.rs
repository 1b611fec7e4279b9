//! How much a model thinks before it answers, billed as Google bills it: thinking tokens are
//! output tokens (`thoughtsTokenCount`), counted whether or not thought parts are asked for,
//! and they share `maxOutputTokens` with the answer.

use super::models::ModelSpec;
use fnt::engine::gemini::wire::GenerateContentRequest;

/// A fixed part and a part that grows with the answer, per effort: thinking about a longer
/// chunk takes longer. Only the order matters to clients (minimal < low < medium < high).
const MINIMAL: Effort = Effort::new(16, 0.02);
const LOW: Effort = Effort::new(64, 0.15);
const MEDIUM: Effort = Effort::new(160, 0.4);
const HIGH: Effort = Effort::new(320, 0.8);
/// 2.5's dynamic thinking (no budget, or -1).
const DYNAMIC: Effort = MEDIUM;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Effort {
    base: i64,
    per_answer_token: f64,
}

impl Effort {
    const fn new(base: i64, per_answer_token: f64) -> Self {
        Self {
            base,
            per_answer_token,
        }
    }
}

/// One request's thinking: none, or an effort capped by a budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Thinking {
    effort: Option<Effort>,
    budget: Option<i64>,
    pub(crate) include_thoughts: bool,
}

impl Thinking {
    /// Reads `thinkingConfig` for `model`; the request was validated against the model, so
    /// unknown levels and bad budgets do not reach here (they would read as the default).
    pub(crate) fn of(request: &GenerateContentRequest, model: &ModelSpec) -> Self {
        let config = request
            .generation_config
            .as_ref()
            .and_then(|c| c.thinking_config.as_ref());
        let level = config.and_then(|t| t.thinking_level.as_deref());
        let budget = config.and_then(|t| t.thinking_budget);
        let include_thoughts = config.and_then(|t| t.include_thoughts).unwrap_or(false);
        let effort = if !model.thinks() {
            None
        } else if let Some(level) = level {
            Some(match level.to_ascii_lowercase().as_str() {
                "minimal" => MINIMAL,
                "low" => LOW,
                "medium" => MEDIUM,
                _ => HIGH,
            })
        } else {
            match budget {
                Some(0) => None,
                Some(_) => Some(DYNAMIC),
                None if !model.thinks_by_default() => None,
                // Gemini 3 thinks at `high` unless told otherwise; 2.5 dynamically.
                None if model.takes_thinking_level() => Some(HIGH),
                None => Some(DYNAMIC),
            }
        };
        Self {
            effort,
            budget: budget.filter(|b| *b > 0).map(i64::from),
            include_thoughts: include_thoughts && effort.is_some(),
        }
    }

    /// Thinking tokens for an answer of `answer_tokens`.
    pub(crate) fn tokens(&self, answer_tokens: i64) -> i64 {
        let Some(effort) = self.effort else {
            return 0;
        };
        let grown = (answer_tokens.max(0) as f64 * effort.per_answer_token).round() as i64;
        let wanted = effort.base.saturating_add(grown);
        self.budget.map_or(wanted, |budget| wanted.min(budget))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt::engine::gemini::wire::{GenerationConfig, ThinkingConfig};

    fn request(config: Option<ThinkingConfig>) -> GenerateContentRequest {
        GenerateContentRequest {
            generation_config: Some(GenerationConfig {
                thinking_config: config,
                ..GenerationConfig::default()
            }),
            ..GenerateContentRequest::default()
        }
    }

    fn level(level: &str) -> Option<ThinkingConfig> {
        Some(ThinkingConfig {
            thinking_level: Some(level.into()),
            ..ThinkingConfig::default()
        })
    }

    fn budget(budget: i32) -> Option<ThinkingConfig> {
        Some(ThinkingConfig {
            thinking_budget: Some(budget),
            ..ThinkingConfig::default()
        })
    }

    #[test]
    fn levels_order_the_thinking_and_it_grows_with_the_answer() {
        let three = ModelSpec::new("gemini-3.5-flash");
        let tokens = |config, answer| Thinking::of(&request(config), &three).tokens(answer);
        let levels: Vec<i64> = ["minimal", "low", "medium", "high"]
            .into_iter()
            .map(|l| tokens(level(l), 1000))
            .collect();
        assert!(levels.windows(2).all(|w| w[0] < w[1]), "{levels:?}");
        // Gemini 3 thinks at high by default, without being asked for thoughts.
        assert_eq!(tokens(None, 1000), levels[3]);
        assert!(tokens(None, 2000) > tokens(None, 1000));
        assert_eq!(tokens(budget(100), 1000), 100);
    }

    #[test]
    fn a_zero_budget_stops_thinking_where_allowed() {
        let flash = ModelSpec::new("gemini-2.5-flash");
        assert!(Thinking::of(&request(None), &flash).tokens(100) > 0);
        assert_eq!(Thinking::of(&request(budget(0)), &flash).tokens(100), 0);
        let lite = ModelSpec::new("gemini-2.5-flash-lite");
        assert_eq!(Thinking::of(&request(None), &lite).tokens(100), 0);
        assert!(Thinking::of(&request(budget(600)), &lite).tokens(100) > 0);
        let old = ModelSpec::new("gemini-2.0-flash");
        let asked = Some(ThinkingConfig {
            include_thoughts: Some(true),
            ..ThinkingConfig::default()
        });
        let thinking = Thinking::of(&request(asked), &old);
        assert_eq!(thinking.tokens(100), 0);
        assert!(!thinking.include_thoughts);
    }
}
