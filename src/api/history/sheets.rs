//! `POST /api/v1/history/{id}/sheets` with `{"spreadsheet_id"?, "positions"?, "chapters"?, "q"?,
//! "complete_only"?, "hide_over_limit"?, "hide_duplicates"?, "edited_only"?}`: exports the
//! entry (or the selected sentences, picked as for a file export) to Google Sheets, into a new spreadsheet with a formatted
//! header, or below the last row of an existing one. The entry records where it went.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::export::{
    Picked, entry_chapters, export_doc, parse_chapters, parse_selection, selected_sentences,
};
use super::owned_entry;
use super::study::{Study, StudyQuery};
use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::google::configured;
use crate::auth::Caller;
use crate::google::SheetsExport;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// An existing spreadsheet (its id or its URL) to append to; absent creates a new one.
    spreadsheet_id: Option<String>,
    positions: Option<String>,
    chapters: Option<String>,
    q: Option<String>,
    #[serde(default)]
    complete_only: bool,
    #[serde(default)]
    hide_over_limit: bool,
    #[serde(default)]
    hide_duplicates: bool,
    #[serde(default)]
    edited_only: bool,
}

pub async fn export_to_sheets(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    target: web::Json<Target>,
) -> Result<HttpResponse, ApiError> {
    let google = configured(state.google.as_ref())?;
    let append_to = target
        .spreadsheet_id
        .as_deref()
        .map(spreadsheet_id)
        .transpose()?;
    let picked = Picked {
        positions: parse_selection(target.positions.as_deref())?,
        chapters: parse_chapters(target.chapters.as_deref())?,
        study: Study::parse(&StudyQuery {
            q: target.q.as_deref(),
            complete_only: target.complete_only,
            hide_over_limit: target.hide_over_limit,
            hide_duplicates: target.hide_duplicates,
            edited_only: target.edited_only,
        })?,
    };
    let entry = owned_entry(&state, &id, &caller.user_id).await?;
    let sentences = selected_sentences(&state, &entry, &picked).await?;
    let chapters = entry_chapters(&state, &entry).await?;
    // The CSV's columns. Sheets receives every cell as literal text (`RAW`), so a sentence
    // that starts with `=` is never a formula there: nothing to neutralise.
    let doc = export_doc(&entry, &sentences, &chapters);
    let rows: Vec<Vec<String>> = doc.rows().map(|row| doc.cells(row).to_vec()).collect();
    let title = format!(
        "{} — sentences",
        entry
            .file_name
            .strip_suffix(".pdf")
            .or_else(|| entry.file_name.strip_suffix(".PDF"))
            .unwrap_or(&entry.file_name)
    );
    let exported = google
        .export(
            &state.core.db,
            &caller.user_id,
            SheetsExport {
                title: &title,
                header: &crate::export::COLUMNS,
                rows: &rows,
                append_to: append_to.as_deref(),
            },
        )
        .await?;
    // The rows are in Google already: failing to note it here must not make the learner
    // export again into a second spreadsheet.
    if let Err(e) = state
        .core
        .db
        .mark_exported_to_sheets(
            &entry.id,
            &caller.user_id,
            &exported.spreadsheet_id,
            &exported.url,
        )
        .await
    {
        tracing::warn!(entry = %entry.id, error = %e, "recording a Sheets export failed");
    }
    Ok(HttpResponse::Ok().json(json!({
        "spreadsheet_id": exported.spreadsheet_id,
        "sheet_url": exported.url,
        "appended": exported.appended,
        "rows": exported.rows,
    })))
}

/// A spreadsheet id, given as itself or inside its URL
/// (`https://docs.google.com/spreadsheets/d/{id}/edit`).
fn spreadsheet_id(given: &str) -> Result<String, ApiError> {
    let given = given.trim();
    let id = match given.split_once("/spreadsheets/d/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => given,
    };
    let valid = (10..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ApiError::bad_request(
            "invalid_spreadsheet",
            "spreadsheet_id: a Google Sheets id or link",
        ));
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_id;

    #[test]
    fn ids_and_links_are_accepted_and_junk_is_not() {
        let id = "1ArynEROTTRpDHcrmr4PLJoUGWunnlCbZcF6Wz0q1ohk";
        assert_eq!(spreadsheet_id(id).unwrap(), id);
        let link = format!("https://docs.google.com/spreadsheets/d/{id}/edit?ouid=1#gid=0");
        assert_eq!(spreadsheet_id(&link).unwrap(), id);
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "a b c d e f g h",
            &"x".repeat(200),
        ] {
            assert!(spreadsheet_id(bad).is_err(), "{bad}");
        }
    }
}
