//! Settings as a job, a history entry or a user's defaults keep them: versioned JSON.
//!
//! Rows outlive releases. Each one carries `"version"`; a reader takes every field it knows
//! and ignores the rest, and a field added later takes its default, so a row written by any
//! earlier version (the first ones had no `"version"`: version 0, same fields) still decodes.
//! A row that does not decode at all still loads, as unreadable settings, so that the one job
//! it belongs to fails with a clear reason instead of every query that reads it.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

/// The version this build writes. Bump it when a field changes meaning (not when one is
/// added or dropped: defaults and ignoring cover those) and decode the older shape in
/// [`StoredSettings::decode`].
const CURRENT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct StoredSettings(Option<Settings>);

#[derive(Serialize)]
struct Writing<'a> {
    version: u32,
    #[serde(flatten)]
    settings: &'a Settings,
}

#[derive(Deserialize)]
struct Reading {
    #[serde(default)]
    version: u32,
    #[serde(flatten)]
    settings: Settings,
}

impl StoredSettings {
    pub fn new(settings: Settings) -> Self {
        Self(Some(settings))
    }

    /// `None` when the stored JSON could not be read.
    pub fn settings(&self) -> Option<&Settings> {
        self.0.as_ref()
    }

    pub fn into_settings(self) -> Option<Settings> {
        self.0
    }

    fn decode(json: &str) -> Self {
        match serde_json::from_str::<Reading>(json) {
            // Versions 0 and 1 share their fields; a newer row is read for what it shares.
            Ok(Reading { version, settings }) => {
                if version > CURRENT_VERSION {
                    tracing::debug!(
                        version,
                        "settings stored by a newer version, read as far as known"
                    );
                }
                Self(Some(settings))
            }
            Err(e) => {
                tracing::warn!(error = %e, "stored settings could not be read");
                Self(None)
            }
        }
    }

    fn encode(&self) -> String {
        match &self.0 {
            Some(settings) => serde_json::to_string(&Writing {
                version: CURRENT_VERSION,
                settings,
            })
            // Plain strings, numbers and booleans: serialising cannot fail.
            .unwrap_or_else(|_| "null".to_owned()),
            // Copying unreadable settings keeps them unreadable, never invents defaults.
            None => "null".to_owned(),
        }
    }
}

impl From<Settings> for StoredSettings {
    fn from(settings: Settings) -> Self {
        Self::new(settings)
    }
}

impl ToSql<Text, Sqlite> for StoredSettings {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.encode());
        Ok(IsNull::No)
    }
}

impl ToSql<Text, Pg> for StoredSettings {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(&self.encode(), &mut out.reborrow())
    }
}

impl<DB> FromSql<Text, DB> for StoredSettings
where
    DB: Backend,
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Self::decode(&String::from_sql(bytes)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{InputMode, ModelPreference};

    #[test]
    fn a_row_from_before_versions_decodes_with_defaults_for_what_it_lacks() {
        // As the first releases wrote it: no version, no model preference, no input mode.
        let old = r#"{"sentence_length_limit":6,"min_sentence_length":2,"ignore_dialogue":true,
            "preserve_formatting":true,"fix_hyphenation":true,"engine":"local"}"#;
        let settings = StoredSettings::decode(old).into_settings().unwrap();
        assert_eq!(settings.sentence_length_limit, 6);
        assert!(settings.ignore_dialogue);
        assert_eq!(settings.model_preference, ModelPreference::Balanced);
        assert_eq!(settings.input_mode, InputMode::Text);
    }

    #[test]
    fn a_field_a_later_version_dropped_or_added_does_not_break_the_row() {
        let row = r#"{"version":7,"sentence_length_limit":9,"engine":"gemini",
            "a_field_from_later":{"x":1},"translate":false}"#;
        let settings = StoredSettings::decode(row).into_settings().unwrap();
        assert_eq!(settings.sentence_length_limit, 9);
        assert_eq!(settings.engine, "gemini");
    }

    #[test]
    fn settings_round_trip_with_their_version() {
        let settings = Settings {
            sentence_length_limit: 12,
            input_mode: InputMode::Pdf,
            ..Settings::default()
        };
        let json = StoredSettings::new(settings.clone()).encode();
        assert!(json.contains(r#""version":1"#), "{json}");
        assert_eq!(
            StoredSettings::decode(&json).into_settings(),
            Some(settings)
        );
    }

    #[test]
    fn unreadable_settings_load_as_unreadable_and_stay_so_when_copied() {
        for bad in [
            "",
            "not json",
            "[1,2]",
            r#"{"sentence_length_limit":"eight"}"#,
            "null",
        ] {
            let stored = StoredSettings::decode(bad);
            assert_eq!(stored.settings(), None, "{bad:?}");
            assert_eq!(StoredSettings::decode(&stored.encode()).settings(), None);
        }
    }
}
