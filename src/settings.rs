//! A job's rewriting settings: what the reader asked for, validated once at the edge.

use serde::{Deserialize, Serialize};

/// The built-in engine's name: the default, which needs no key and no network.
pub const LOCAL_ENGINE: &str = "local";

/// Bounds the spec gives for the sentence length a learner can ask for.
pub const SENTENCE_LIMIT_RANGE: std::ops::RangeInclusive<u32> = 3..=50;

// Stored settings outlive versions: a field added later takes its default when old JSON
// lacks it, and a field a later version drops is ignored in the rows written before (refusing
// it would fail every stored job on resume and every entry's re-process). Requests never
// decode this type: forms, JSON (`SettingsPatch`) and the command line all become `Setting`
// changes, which are strict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
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
            engine: LOCAL_ENGINE.to_owned(),
            model_preference: ModelPreference::default(),
            input_mode: InputMode::default(),
        }
    }
}

/// Some settings, as `PUT /settings` and a re-process send them: what is absent stays as it was.
/// JSON gives each value its type; what the values may be is [`Setting`]'s to say.
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
    /// The changes the patch asks for, in the settings' order.
    pub fn changes(self) -> impl Iterator<Item = Setting> {
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
        [
            sentence_length_limit.map(Setting::SentenceLengthLimit),
            min_sentence_length.map(Setting::MinSentenceLength),
            ignore_dialogue.map(Setting::IgnoreDialogue),
            preserve_formatting.map(Setting::PreserveFormatting),
            fix_hyphenation.map(Setting::FixHyphenation),
            engine.map(Setting::engine),
            model_preference.map(Setting::ModelPreference),
            input_mode.map(Setting::InputMode),
        ]
        .into_iter()
        .flatten()
    }

    /// Applies the changes; the caller checks the result as a whole (with
    /// [`Settings::validate`]), which refuses whatever a change alone would have.
    pub fn apply_to(self, settings: &mut Settings) {
        for change in self.changes() {
            change.assign(settings);
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

/// One setting and its new value: what a form field, a JSON patch's field and a command-line
/// option all become. The one place that knows the settings' names, how their values are
/// written, what each may be, and which field of [`Settings`] each sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    SentenceLengthLimit(u32),
    MinSentenceLength(u32),
    IgnoreDialogue(bool),
    PreserveFormatting(bool),
    FixHyphenation(bool),
    Engine(String),
    ModelPreference(ModelPreference),
    InputMode(InputMode),
}

impl Setting {
    /// An engine by name, in the lowercase the engines are registered under.
    pub fn engine(name: impl AsRef<str>) -> Self {
        Self::Engine(name.as_ref().to_ascii_lowercase())
    }

    /// Parses `value`, written as text (a form field, a command-line value), for the setting
    /// `name`, and checks it. Unknown names are refused so a typo never silently falls back
    /// to a default.
    pub fn parse(name: &str, value: &str) -> Result<Self, SettingError> {
        let value = value.trim();
        let change = match name {
            "sentence_length_limit" => Self::SentenceLengthLimit(parse_u32(name, value)?),
            "min_sentence_length" => Self::MinSentenceLength(parse_u32(name, value)?),
            "ignore_dialogue" => Self::IgnoreDialogue(parse_bool(name, value)?),
            "preserve_formatting" => Self::PreserveFormatting(parse_bool(name, value)?),
            "fix_hyphenation" => Self::FixHyphenation(parse_bool(name, value)?),
            "engine" => Self::engine(value),
            "input_mode" => Self::InputMode(match value.to_ascii_lowercase().as_str() {
                "text" => InputMode::Text,
                "pdf" => InputMode::Pdf,
                _ => return Err(SettingError::new(name, "must be text or pdf")),
            }),
            "model_preference" => {
                Self::ModelPreference(match value.to_ascii_lowercase().as_str() {
                    "speed" => ModelPreference::Speed,
                    "balanced" => ModelPreference::Balanced,
                    "quality" => ModelPreference::Quality,
                    _ => {
                        return Err(SettingError::new(
                            name,
                            "must be speed, balanced or quality",
                        ));
                    }
                })
            }
            _ => return Err(SettingError::new(name, "unknown setting")),
        };
        change.check()?;
        Ok(change)
    }

    pub const fn name(&self) -> &'static str {
        match self {
            Self::SentenceLengthLimit(_) => "sentence_length_limit",
            Self::MinSentenceLength(_) => "min_sentence_length",
            Self::IgnoreDialogue(_) => "ignore_dialogue",
            Self::PreserveFormatting(_) => "preserve_formatting",
            Self::FixHyphenation(_) => "fix_hyphenation",
            Self::Engine(_) => "engine",
            Self::ModelPreference(_) => "model_preference",
            Self::InputMode(_) => "input_mode",
        }
    }

    /// What the value may be on its own. How it sits with the other settings (a shortest
    /// piece within the limit, an engine this server runs) is [`Settings::validate`]'s.
    pub fn check(&self) -> Result<(), SettingError> {
        match self {
            Self::SentenceLengthLimit(limit) if !SENTENCE_LIMIT_RANGE.contains(limit) => {
                Err(SettingError::new(
                    self.name(),
                    format!(
                        "must be between {} and {}",
                        SENTENCE_LIMIT_RANGE.start(),
                        SENTENCE_LIMIT_RANGE.end()
                    ),
                ))
            }
            Self::MinSentenceLength(0) => Err(min_sentence_length_error()),
            _ => Ok(()),
        }
    }

    fn assign(self, settings: &mut Settings) {
        match self {
            Self::SentenceLengthLimit(v) => settings.sentence_length_limit = v,
            Self::MinSentenceLength(v) => settings.min_sentence_length = v,
            Self::IgnoreDialogue(v) => settings.ignore_dialogue = v,
            Self::PreserveFormatting(v) => settings.preserve_formatting = v,
            Self::FixHyphenation(v) => settings.fix_hyphenation = v,
            Self::Engine(v) => settings.engine = v,
            Self::ModelPreference(v) => settings.model_preference = v,
            Self::InputMode(v) => settings.input_mode = v,
        }
    }
}

fn min_sentence_length_error() -> SettingError {
    SettingError::new(
        "min_sentence_length",
        "must be at least 1 and at most sentence_length_limit",
    )
}

impl Settings {
    /// Applies one `name=value` pair from a form.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        Setting::parse(name, value).map(|change| change.assign(self))
    }

    /// Applies `change` once it passes its own checks.
    pub fn change(&mut self, change: Setting) -> Result<(), SettingError> {
        change.check()?;
        change.assign(self);
        Ok(())
    }

    /// Every setting as a change that would set it to its current value.
    fn as_changes(&self) -> [Setting; 8] {
        [
            Setting::SentenceLengthLimit(self.sentence_length_limit),
            Setting::MinSentenceLength(self.min_sentence_length),
            Setting::IgnoreDialogue(self.ignore_dialogue),
            Setting::PreserveFormatting(self.preserve_formatting),
            Setting::FixHyphenation(self.fix_hyphenation),
            Setting::Engine(self.engine.clone()),
            Setting::ModelPreference(self.model_preference),
            Setting::InputMode(self.input_mode),
        ]
    }

    /// Checks the whole set; `engines` are the names this server can run.
    pub fn validate(&self, engines: &[&str]) -> Result<(), SettingError> {
        for setting in self.as_changes() {
            setting.check()?;
        }
        if self.min_sentence_length > self.sentence_length_limit {
            return Err(min_sentence_length_error());
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
    fn stored_settings_of_another_version_still_decode() {
        // A row from a version with a setting since removed, and without one since added.
        let stored = r#"{"sentence_length_limit": 6, "engine": "local", "colour_scheme": "sepia"}"#;
        let settings: Settings = serde_json::from_str(stored).expect("decodes");
        assert_eq!(settings.sentence_length_limit, 6);
        assert_eq!(settings.engine, "local");
        assert_eq!(
            settings.min_sentence_length,
            Settings::default().min_sentence_length
        );
        // What a request sends stays strict.
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"colour_scheme": "sepia"}"#).is_err());
    }

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

    #[test]
    fn a_form_field_and_a_patch_field_become_the_same_change() {
        let patch: SettingsPatch = serde_json::from_str(
            r#"{"sentence_length_limit": 12, "ignore_dialogue": true, "engine": "LOCAL",
                "model_preference": "quality", "input_mode": "pdf"}"#,
        )
        .unwrap();
        let form: Vec<Setting> = [
            ("sentence_length_limit", " 12 "),
            ("ignore_dialogue", "on"),
            ("engine", "LOCAL"),
            ("model_preference", "Quality"),
            ("input_mode", "PDF"),
        ]
        .into_iter()
        .map(|(name, value)| Setting::parse(name, value).unwrap())
        .collect();
        assert_eq!(patch.changes().collect::<Vec<_>>(), form);
        // Any engine name is one; whether this server runs it is `validate`'s to say.
        assert!(
            form.iter()
                .filter(|c| !matches!(c, Setting::Engine(_)))
                .all(|c| Setting::parse(c.name(), "?").is_err())
        );
    }

    #[test]
    fn a_value_follows_the_same_rule_whichever_way_it_came() {
        let refused = SettingError::new("sentence_length_limit", "must be between 3 and 50");
        // A form field is refused as it is read, and changes nothing.
        let mut form = Settings::default();
        assert_eq!(form.set("sentence_length_limit", "2"), Err(refused.clone()));
        assert_eq!(form, Settings::default());
        // A patch is refused when its result is validated.
        let mut patched = Settings::default();
        serde_json::from_str::<SettingsPatch>(r#"{"sentence_length_limit": 2}"#)
            .unwrap()
            .apply_to(&mut patched);
        assert_eq!(patched.validate(ENGINES), Err(refused.clone()));
        // The command line's options are changes like any other.
        let mut cli = Settings::default();
        assert_eq!(cli.change(Setting::SentenceLengthLimit(2)), Err(refused));
        assert_eq!(cli, Settings::default());
        for zero in [
            Setting::parse("min_sentence_length", "0").unwrap_err(),
            cli.change(Setting::MinSentenceLength(0)).unwrap_err(),
        ] {
            assert_eq!(zero.field, "min_sentence_length");
        }
    }
}
