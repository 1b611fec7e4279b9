//! `/api/v1/settings`: the caller's defaults for new jobs. One handler per file.

pub(crate) mod get;
pub(crate) mod update;

use serde::Serialize;

use crate::settings::Settings;

#[derive(Serialize)]
struct SettingsView<'a> {
    settings: &'a Settings,
    /// Engines this server runs, for a settings form to offer.
    engines: Vec<&'a str>,
    /// What a user who never saved settings gets, so a form can say which saved ones differ.
    defaults: Settings,
}
