//! A job's rewriting settings: what the reader asked for, validated once at the edge.

use serde::{Deserialize, Serialize};

/// Bounds the spec gives for the sentence length a learner can ask for.
pub const SENTENCE_LIMIT_RANGE: std::ops::RangeInclusive<u32> = 3..=50;

// Stored settings outlive versions: a field added later takes its default when old JSON
// lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Longest output sentence, in words.
    pub sentence_length_limit: u32,
    /// Shortest piece a long sentence may be cut into, in words (when the text allows it).
    pub min_sentence_length: u32,
    /// Keep quoted speech and dialogue replies whole instead of cutting them to the limit.
    pub ignore_dialogue: bool,
    /// Keep quotes, ellipses and other typography of the original in the output.
    pub preserve_formatting: bool,
    /// Re-join words broken by hyphenation at line ends.
    pub fix_hyphenation: bool,
    /// Which engine rewrites the chunks.
    pub engine: String,
    /// For engines with several models: trade speed against quality.
    #[serde(default)]
    pub model_preference: ModelPreference,
    /// What the engine is given: the cleaned text, or the chunk's pages as a PDF (for books
    /// without a text layer; needs an engine that reads PDFs).
    #[serde(default)]
    pub input_mode: InputMode,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputMode {
    #[default]
    Text,
    Pdf,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelPreference {
    Speed,
    #[default]
    Balanced,
    Quality,
}

impl ModelPreference {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Speed => "speed",
            Self::Balanced => "balanced",
            Self::Quality => "quality",
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sentence_length_limit: 8,
            min_sentence_length: 2,
            ignore_dialogue: false,
            preserve_formatting: true,
            fix_hyphenation: true,
            engine: crate::engine::LOCAL.to_owned(),
            model_preference: ModelPreference::default(),
            input_mode: InputMode::default(),
        }
    }
}

/// Some settings, as `PUT /settings` and a re-process send them: what is absent stays as it was.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub sentence_length_limit: Option<u32>,
    pub min_sentence_length: Option<u32>,
    pub ignore_dialogue: Option<bool>,
    pub preserve_formatting: Option<bool>,
    pub fix_hyphenation: Option<bool>,
    pub engine: Option<String>,
    pub model_preference: Option<ModelPreference>,
    pub input_mode: Option<InputMode>,
}

impl SettingsPatch {
    pub fn apply_to(self, settings: &mut Settings) {
        let Self {
            sentence_length_limit,
            min_sentence_length,
            ignore_dialogue,
            preserve_formatting,
            fix_hyphenation,
            engine,
            model_preference,
            input_mode,
        } = self;
        if let Some(v) = sentence_length_limit {
            settings.sentence_length_limit = v;
        }
        if let Some(v) = min_sentence_length {
            settings.min_sentence_length = v;
        }
        if let Some(v) = ignore_dialogue {
            settings.ignore_dialogue = v;
        }
        if let Some(v) = preserve_formatting {
            settings.preserve_formatting = v;
        }
        if let Some(v) = fix_hyphenation {
            settings.fix_hyphenation = v;
        }
        if let Some(v) = engine {
            settings.engine = v.to_ascii_lowercase();
        }
        if let Some(v) = model_preference {
            settings.model_preference = v;
        }
        if let Some(v) = input_mode {
            settings.input_mode = v;
        }
    }
}

/// A setting the reader sent that cannot be used; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingError {
    pub field: String,
    pub message: String,
}

impl SettingError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl Settings {
    /// Applies one `name=value` pair from a form, rejecting unknown names so a typo never
    /// silently falls back to a default.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        let value = value.trim();
        match name {
            "sentence_length_limit" => self.sentence_length_limit = parse_u32(name, value)?,
            "min_sentence_length" => self.min_sentence_length = parse_u32(name, value)?,
            "ignore_dialogue" => self.ignore_dialogue = parse_bool(name, value)?,
            "preserve_formatting" => self.preserve_formatting = parse_bool(name, value)?,
            "fix_hyphenation" => self.fix_hyphenation = parse_bool(name, value)?,
            "engine" => self.engine = value.to_ascii_lowercase(),
            "input_mode" => {
                self.input_mode = match value.to_ascii_lowercase().as_str() {
                    "text" => InputMode::Text,
                    "pdf" => InputMode::Pdf,
                    _ => return Err(SettingError::new(name, "must be text or pdf")),
                }
            }
            "model_preference" => {
                self.model_preference = match value.to_ascii_lowercase().as_str() {
                    "speed" => ModelPreference::Speed,
                    "balanced" => ModelPreference::Balanced,
                    "quality" => ModelPreference::Quality,
                    _ => {
                        return Err(SettingError::new(
                            name,
                            "must be speed, balanced or quality",
                        ));
                    }
                }
            }
            _ => return Err(SettingError::new(name, "unknown setting")),
        }
        Ok(())
    }

    /// Checks the whole set; `engines` are the names this server can run.
    pub fn validate(&self, engines: &[&str]) -> Result<(), SettingError> {
        if !SENTENCE_LIMIT_RANGE.contains(&self.sentence_length_limit) {
            return Err(SettingError::new(
                "sentence_length_limit",
                format!(
                    "must be between {} and {}",
                    SENTENCE_LIMIT_RANGE.start(),
                    SENTENCE_LIMIT_RANGE.end()
                ),
            ));
        }
        if self.min_sentence_length == 0 || self.min_sentence_length > self.sentence_length_limit {
            return Err(SettingError::new(
                "min_sentence_length",
                "must be at least 1 and at most sentence_length_limit",
            ));
        }
        if !engines.contains(&self.engine.as_str()) {
            return Err(SettingError::new(
                "engine",
                format!(
                    "'{}' is not available on this server (available: {})",
                    self.engine,
                    engines.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

fn parse_u32(field: &str, value: &str) -> Result<u32, SettingError> {
    value
        .parse()
        .map_err(|_| SettingError::new(field, "must be a whole number"))
}

fn parse_bool(field: &str, value: &str) -> Result<bool, SettingError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(SettingError::new(field, "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGINES: &[&str] = &["local"];

    #[test]
    fn defaults_are_valid_and_follow_the_spec() {
        let s = Settings::default();
        assert_eq!(s.sentence_length_limit, 8);
        assert_eq!(s.engine, "local");
        assert_eq!(s.validate(ENGINES), Ok(()));
    }

    #[test]
    fn form_values_are_parsed_and_checked() {
        let mut s = Settings::default();
        s.set("sentence_length_limit", " 12 ").unwrap();
        s.set("ignore_dialogue", "on").unwrap();
        s.set("engine", "LOCAL").unwrap();
        assert_eq!(s.sentence_length_limit, 12);
        assert!(s.ignore_dialogue);
        assert_eq!(s.validate(ENGINES), Ok(()));

        assert_eq!(s.set("colour", "red").unwrap_err().field, "colour");
        assert!(s.set("sentence_length_limit", "eight").is_err());
        assert!(s.set("ignore_dialogue", "maybe").is_err());
        s.set("model_preference", "Quality").unwrap();
        s.set("input_mode", "pdf").unwrap();
        assert_eq!(s.model_preference, ModelPreference::Quality);
        assert_eq!(s.input_mode, InputMode::Pdf);
        assert_eq!(
            s.set("model_preference", "fastest").unwrap_err().field,
            "model_preference"
        );
        assert_eq!(s.set("input_mode", "ocr").unwrap_err().field, "input_mode");
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut s = Settings::default();
        let patch: SettingsPatch =
            serde_json::from_str(r#"{"sentence_length_limit": 12, "engine": "LOCAL"}"#).unwrap();
        patch.apply_to(&mut s);
        assert_eq!(s.sentence_length_limit, 12);
        assert_eq!(s.engine, "local");
        assert_eq!(
            s,
            Settings {
                sentence_length_limit: 12,
                ..Settings::default()
            }
        );
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"colour": "red"}"#).is_err());
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"ignore_dialogue": "yes"}"#).is_err());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for limit in [0, 2, 51, 1000] {
            let s = Settings {
                sentence_length_limit: limit,
                min_sentence_length: 1,
                ..Settings::default()
            };
            assert_eq!(
                s.validate(ENGINES).unwrap_err().field,
                "sentence_length_limit"
            );
        }
        let s = Settings {
            min_sentence_length: 9,
            ..Settings::default()
        };
        assert_eq!(
            s.validate(ENGINES).unwrap_err().field,
            "min_sentence_length"
        );
        let s = Settings {
            engine: "gemini".into(),
            ..Settings::default()
        };
        let err = s.validate(ENGINES).unwrap_err();
        assert_eq!(err.field, "engine");
        assert!(err.message.contains("not available"));
    }
}
