//! The models the fake serves (`--models`), what `models.list` says of them, and the per-family
//! rules Google applies to their generation config (token limits, thinking).

use std::fmt;
use std::str::FromStr;

use fnt::engine::gemini::wire::ModelInfo;

/// Google's limits for every current Gemini model.
const INPUT_LIMIT: i64 = 1_048_576;
const OUTPUT_LIMIT: i64 = 65_536;

/// The ids Google listed in December 2026 (shared/reference/gemini-rest.md, late-2026 update).
pub(crate) const DEFAULT_IDS: [&str; 8] = [
    "gemini-3.1-flash-lite",
    "gemini-3.5-flash-lite",
    "gemini-3.5-flash",
    "gemini-3.6-flash",
    "gemini-3.7-flash",
    "gemini-3.8-flash",
    "gemini-3.1-pro-preview",
    "gemini-3-flash-preview",
];

/// One served model: `id=inputLimit/outputLimit` on the command line (`id` alone takes the
/// current limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    pub id: String,
    pub input_limit: i64,
    pub output_limit: i64,
}

impl ModelSpec {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            input_limit: INPUT_LIMIT,
            output_limit: OUTPUT_LIMIT,
        }
    }

    pub fn defaults() -> Vec<Self> {
        DEFAULT_IDS.iter().map(|id| Self::new(id)).collect()
    }

    /// The model's generation, from its id: `gemini-3.5-flash` → (3, 5), `gemini-3-flash` →
    /// (3, 0). Ids that name none (a custom test model) count as the current generation.
    fn version(&self) -> (u32, u32) {
        let number = self
            .id
            .strip_prefix("gemini-")
            .and_then(|rest| rest.split('-').next())
            .unwrap_or_default();
        let mut parts = number.split('.').map(|p| p.parse::<u32>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), minor) => (major, minor.unwrap_or(0)),
            (None, _) => (3, 0),
        }
    }

    /// Gemini 3 and later take `thinkingLevel`; 2.x only `thinkingBudget`.
    pub(crate) fn takes_thinking_level(&self) -> bool {
        self.version().0 >= 3
    }

    /// Gemini 2.5 and later think; 2.0 and older do not.
    pub(crate) fn thinks(&self) -> bool {
        self.version() >= (2, 5)
    }

    fn is_pro(&self) -> bool {
        self.id.contains("-pro")
    }

    fn is_lite(&self) -> bool {
        self.id.contains("-lite")
    }

    /// Whether the model thinks when the request says nothing: all thinking models do, except
    /// 2.5 Flash-Lite (Google's documented exception).
    pub(crate) fn thinks_by_default(&self) -> bool {
        self.thinks() && !(self.version() < (3, 0) && self.is_lite())
    }

    /// The thinking levels Google accepts for the model (Gemini 3 Pro: low and high only).
    pub(crate) fn thinking_levels(&self) -> &'static [&'static str] {
        if self.is_pro() {
            &["low", "high"]
        } else {
            &["minimal", "low", "medium", "high"]
        }
    }

    /// The `thinkingBudget` values Google accepts besides -1 (dynamic): 2.5 Pro cannot stop
    /// thinking, 2.5 Flash-Lite thinks at least 512 tokens when it does.
    pub(crate) fn budget_allowed(&self, budget: i32) -> bool {
        match budget {
            -1 => true,
            0 => !self.is_pro(),
            _ if self.is_pro() => (128..=32_768).contains(&budget),
            _ if self.is_lite() => (512..=24_576).contains(&budget),
            _ => (1..=24_576).contains(&budget),
        }
    }

    /// What `models.list` and `models.get` say of the model.
    pub(crate) fn info(&self) -> ModelInfo {
        let (major, minor) = self.version();
        let version = if minor == 0 {
            major.to_string()
        } else {
            format!("{major}.{minor}")
        };
        ModelInfo {
            name: format!("models/{}", self.id),
            version: Some(version),
            display_name: Some(display_name(&self.id)),
            input_token_limit: self.input_limit,
            output_token_limit: self.output_limit,
            supported_generation_methods: vec!["generateContent".into(), "countTokens".into()],
            thinking: Some(self.thinks()),
        }
    }
}

/// `gemini-3.1-pro-preview` → `Gemini 3.1 Pro Preview`.
fn display_name(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

impl FromStr for ModelSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("a model is `id=inputLimit/outputLimit` or `id`, not '{s}'");
        let (id, limits) = match s.split_once('=') {
            Some((id, limits)) => (id.trim(), Some(limits)),
            None => (s, None),
        };
        if id.is_empty() || id.contains([':', '/', ' ']) {
            return Err(bad());
        }
        let mut spec = Self::new(id);
        if let Some(limits) = limits {
            let (input, output) = limits.split_once('/').ok_or_else(bad)?;
            let limit = |text: &str| {
                text.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(bad)
            };
            spec.input_limit = limit(input)?;
            spec.output_limit = limit(output)?;
        }
        Ok(spec)
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}/{}", self.id, self.input_limit, self.output_limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_or_without_limits() {
        let spec: ModelSpec = "gemini-9-flash=1000/200".parse().unwrap();
        assert_eq!(
            spec,
            ModelSpec {
                id: "gemini-9-flash".into(),
                input_limit: 1000,
                output_limit: 200
            }
        );
        assert_eq!(spec.to_string().parse::<ModelSpec>(), Ok(spec));
        assert_eq!(
            "gemini-3.5-flash"
                .parse::<ModelSpec>()
                .unwrap()
                .output_limit,
            OUTPUT_LIMIT
        );
        for bad in ["", "a=1", "a=1/0", "a=x/2", "models/a", "a:b"] {
            assert!(bad.parse::<ModelSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn families_follow_the_id() {
        let spec = |id: &str| ModelSpec::new(id);
        assert!(spec("gemini-3.5-flash").takes_thinking_level());
        assert!(spec("gemini-3-flash-preview").takes_thinking_level());
        assert!(!spec("gemini-2.5-flash").takes_thinking_level());
        assert!(spec("gemini-2.5-flash").thinks());
        assert!(!spec("gemini-2.0-flash").thinks());
        assert!(!spec("gemini-2.5-flash-lite").thinks_by_default());
        assert!(spec("gemini-3.1-flash-lite").thinks_by_default());
        assert_eq!(
            spec("gemini-3.1-pro-preview").thinking_levels(),
            ["low", "high"]
        );
        assert!(!spec("gemini-2.5-pro").budget_allowed(0));
        assert!(spec("gemini-2.5-flash").budget_allowed(0));
        assert!(!spec("gemini-2.5-flash").budget_allowed(30_000));
        let info = spec("gemini-3.1-pro-preview").info();
        assert_eq!(info.name, "models/gemini-3.1-pro-preview");
        assert_eq!(info.display_name.as_deref(), Some("Gemini 3.1 Pro Preview"));
        assert_eq!(info.version.as_deref(), Some("3.1"));
        assert_eq!(
            (info.input_token_limit, info.output_token_limit),
            (INPUT_LIMIT, OUTPUT_LIMIT)
        );
        assert!(info.generates_content() && info.thinking == Some(true));
    }
}
