//! Request checks as strict as Google's: unknown JSON fields and unknown query parameters are
//! 400s, so a client typo fails here the way it would there.
//!
//! Field names come from tables of the proto messages (JSON names; the proto's snake_case
//! names, which Google also accepts, are derived), walked over the raw JSON because Google's
//! message names the path (`at 'requests[0].repeat_cell'`), which serde cannot give.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::errors;
use fnt::engine::gemini::wire::{ErrorBody, FieldViolation};

pub(crate) struct Field {
    json: &'static str,
    kind: Kind,
}

enum Kind {
    /// A scalar, or a message the fake does not look into.
    Leaf,
    Message(&'static [Field]),
    Repeated(&'static [Field]),
}

const fn leaf(json: &'static str) -> Field {
    Field {
        json,
        kind: Kind::Leaf,
    }
}

const fn message(json: &'static str, fields: &'static [Field]) -> Field {
    Field {
        json,
        kind: Kind::Message(fields),
    }
}

const fn repeated(json: &'static str, fields: &'static [Field]) -> Field {
    Field {
        json,
        kind: Kind::Repeated(fields),
    }
}

const GRID_PROPERTIES: &[Field] = &[
    leaf("rowCount"),
    leaf("columnCount"),
    leaf("frozenRowCount"),
    leaf("frozenColumnCount"),
    leaf("hideGridlines"),
    leaf("rowGroupControlAfter"),
    leaf("columnGroupControlAfter"),
];
const SHEET_PROPERTIES: &[Field] = &[
    leaf("sheetId"),
    leaf("title"),
    leaf("index"),
    leaf("sheetType"),
    message("gridProperties", GRID_PROPERTIES),
    leaf("hidden"),
    leaf("tabColor"),
    leaf("tabColorStyle"),
    leaf("rightToLeft"),
    leaf("dataSourceSheetProperties"),
];
const SHEET: &[Field] = &[
    message("properties", SHEET_PROPERTIES),
    leaf("data"),
    leaf("merges"),
    leaf("conditionalFormats"),
    leaf("filterViews"),
    leaf("protectedRanges"),
    leaf("basicFilter"),
    leaf("charts"),
    leaf("bandedRanges"),
    leaf("developerMetadata"),
    leaf("rowGroups"),
    leaf("columnGroups"),
    leaf("slicers"),
    leaf("tables"),
];
const SPREADSHEET_PROPERTIES: &[Field] = &[
    leaf("title"),
    leaf("locale"),
    leaf("autoRecalc"),
    leaf("timeZone"),
    leaf("defaultFormat"),
    leaf("iterativeCalculationSettings"),
    leaf("spreadsheetTheme"),
    leaf("importFunctionsExternalUrlAccessAllowed"),
];
/// The `spreadsheets.create` body.
pub(crate) const SPREADSHEET: &[Field] = &[
    leaf("spreadsheetId"),
    message("properties", SPREADSHEET_PROPERTIES),
    repeated("sheets", SHEET),
    leaf("namedRanges"),
    leaf("spreadsheetUrl"),
    leaf("developerMetadata"),
    leaf("dataSources"),
    leaf("dataSourceSchedules"),
];
/// The values.update / values.append body.
pub(crate) const VALUE_RANGE: &[Field] = &[leaf("range"), leaf("majorDimension"), leaf("values")];

const COLOR: &[Field] = &[leaf("red"), leaf("green"), leaf("blue"), leaf("alpha")];
const TEXT_FORMAT: &[Field] = &[
    leaf("foregroundColor"),
    leaf("foregroundColorStyle"),
    leaf("fontFamily"),
    leaf("fontSize"),
    leaf("bold"),
    leaf("italic"),
    leaf("strikethrough"),
    leaf("underline"),
    leaf("link"),
];
const CELL_FORMAT: &[Field] = &[
    leaf("numberFormat"),
    message("backgroundColor", COLOR),
    leaf("backgroundColorStyle"),
    leaf("borders"),
    leaf("padding"),
    leaf("horizontalAlignment"),
    leaf("verticalAlignment"),
    leaf("wrapStrategy"),
    leaf("textDirection"),
    message("textFormat", TEXT_FORMAT),
    leaf("hyperlinkDisplayType"),
    leaf("textRotation"),
];
const CELL_DATA: &[Field] = &[
    leaf("userEnteredValue"),
    message("userEnteredFormat", CELL_FORMAT),
    leaf("hyperlink"),
    leaf("note"),
    leaf("textFormatRuns"),
    leaf("dataValidation"),
    leaf("pivotTable"),
    leaf("chipRuns"),
];
const GRID_RANGE: &[Field] = &[
    leaf("sheetId"),
    leaf("startRowIndex"),
    leaf("endRowIndex"),
    leaf("startColumnIndex"),
    leaf("endColumnIndex"),
];
const DIMENSION_RANGE: &[Field] = &[
    leaf("sheetId"),
    leaf("dimension"),
    leaf("startIndex"),
    leaf("endIndex"),
];
const REPEAT_CELL: &[Field] = &[
    message("range", GRID_RANGE),
    message("cell", CELL_DATA),
    leaf("fields"),
];
const UPDATE_SHEET_PROPERTIES: &[Field] =
    &[message("properties", SHEET_PROPERTIES), leaf("fields")];
const AUTO_RESIZE: &[Field] = &[
    message("dimensions", DIMENSION_RANGE),
    leaf("dataSourceSheetDimensions"),
];
/// Request kinds Google has that the fake does not carry out: known names (no "Unknown name"
/// error), refused with a message that says the fake is the limit.
pub(crate) const UNIMPLEMENTED_KINDS: &[&str] = &[
    "updateSpreadsheetProperties",
    "updateDimensionProperties",
    "updateCells",
    "addSheet",
    "deleteSheet",
    "duplicateSheet",
    "appendCells",
    "insertDimension",
    "appendDimension",
    "deleteDimension",
    "mergeCells",
    "unmergeCells",
    "updateBorders",
    "setDataValidation",
    "addConditionalFormatRule",
    "sortRange",
    "findReplace",
    "setBasicFilter",
    "addBanding",
];
const REQUEST: &[Field] = &[
    message("repeatCell", REPEAT_CELL),
    message("updateSheetProperties", UPDATE_SHEET_PROPERTIES),
    message("autoResizeDimensions", AUTO_RESIZE),
    leaf("updateSpreadsheetProperties"),
    leaf("updateDimensionProperties"),
    leaf("updateCells"),
    leaf("addSheet"),
    leaf("deleteSheet"),
    leaf("duplicateSheet"),
    leaf("appendCells"),
    leaf("insertDimension"),
    leaf("appendDimension"),
    leaf("deleteDimension"),
    leaf("mergeCells"),
    leaf("unmergeCells"),
    leaf("updateBorders"),
    leaf("setDataValidation"),
    leaf("addConditionalFormatRule"),
    leaf("sortRange"),
    leaf("findReplace"),
    leaf("setBasicFilter"),
    leaf("addBanding"),
];
/// The batchUpdate body.
pub(crate) const BATCH_UPDATE: &[Field] = &[
    repeated("requests", REQUEST),
    leaf("includeSpreadsheetInResponse"),
    leaf("responseRanges"),
    leaf("responseIncludeGridData"),
];

/// Standard parameters every Google API takes.
const SYSTEM_PARAMETERS: &[&str] = &[
    "$.xgafv",
    "access_token",
    "alt",
    "callback",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "uploadType",
    "upload_protocol",
];

/// JSON text → known field names → the serde type. `root` is where Google's message places
/// the body (`spreadsheet`, `data`, or `""` for a body bound to the whole request).
pub(crate) fn parse_body<T: DeserializeOwned>(
    body: &[u8],
    fields: &[Field],
    root: &str,
) -> Result<(T, Value), ErrorBody> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| errors::invalid_argument(format!("Invalid JSON payload received. {e}")))?;
    if !value.is_object() {
        return Err(errors::invalid_argument(
            "Invalid JSON payload received. Root element must be a message.",
        ));
    }
    let mut violations = Vec::new();
    unknown_fields(&value, fields, root, &mut violations);
    if !violations.is_empty() {
        return Err(errors::bad_request(violations));
    }
    let parsed = serde_json::from_value(value.clone())
        .map_err(|e| errors::invalid_argument(format!("Invalid JSON payload received. {e}")))?;
    Ok((parsed, value))
}

/// Query parameters: unknown names are refused; the known ones come back by name.
pub(crate) fn query(
    query_string: &str,
    known: &[&str],
) -> Result<HashMap<String, String>, ErrorBody> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|_| errors::invalid_argument("Invalid query string."))?;
    let mut violations = Vec::new();
    for (name, _) in &pairs {
        if !known.contains(&name.as_str()) && !SYSTEM_PARAMETERS.contains(&name.as_str()) {
            violations.push(FieldViolation {
                field: String::new(),
                description: format!(
                    "Invalid JSON payload received. Unknown name \"{name}\": Cannot bind query \
                     parameter. Field '{name}' could not be found in request message."
                ),
            });
        }
    }
    if !violations.is_empty() {
        return Err(errors::bad_request(violations));
    }
    Ok(pairs.into_iter().collect())
}

fn unknown_fields(value: &Value, fields: &[Field], path: &str, out: &mut Vec<FieldViolation>) {
    let Value::Object(object) = value else {
        return;
    };
    for (name, child) in object {
        let Some(field) = fields
            .iter()
            .find(|f| f.json == name || snake_case(f.json) == *name)
        else {
            out.push(unknown_name(name, path));
            continue;
        };
        let child_path = join(path, &snake_case(field.json));
        match (&field.kind, child) {
            (Kind::Message(inner), _) => unknown_fields(child, inner, &child_path, out),
            (Kind::Repeated(inner), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    unknown_fields(item, inner, &format!("{child_path}[{i}]"), out);
                }
            }
            // Wrong shapes are left to serde's type check.
            _ => {}
        }
    }
}

fn unknown_name(name: &str, path: &str) -> FieldViolation {
    // At the root of the request Google leaves out both the `at` clause and the field.
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at '{path}'")
    };
    FieldViolation {
        field: path.to_owned(),
        description: format!(
            "Invalid JSON payload received. Unknown name \"{name}\"{at}: Cannot find field."
        ),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// `frozenRowCount` → `frozen_row_count`: the proto name Google uses in paths.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnt::export::sheets::wire::BatchUpdateRequest;

    #[test]
    fn unknown_fields_are_named_with_their_proto_path() {
        let body = br#"{"requests": [{"repeatCell": {"range": {}, "cel": {}, "fields": "*"}}]}"#;
        let error = parse_body::<BatchUpdateRequest>(body, BATCH_UPDATE, "")
            .unwrap_err()
            .error;
        assert_eq!(error.code, 400);
        assert_eq!(error.status, "INVALID_ARGUMENT");
        assert_eq!(
            error.message,
            "Invalid JSON payload received. Unknown name \"cel\" at 'requests[0].repeat_cell': \
             Cannot find field."
        );
        assert_eq!(error.field_violations()[0].field, "requests[0].repeat_cell");
    }

    #[test]
    fn snake_case_names_are_accepted() {
        let body = br#"{"requests": [{"update_sheet_properties": {"properties": {"grid_properties": {"frozen_row_count": 1}}, "fields": "*"}}]}"#;
        assert!(parse_body::<Value>(body, BATCH_UPDATE, "").is_ok());
    }

    #[test]
    fn unknown_query_parameters_are_refused() {
        let error = query("valueInputOptions=RAW", &["valueInputOption"])
            .unwrap_err()
            .error;
        assert_eq!(
            error.message,
            "Invalid JSON payload received. Unknown name \"valueInputOptions\": Cannot bind \
             query parameter. Field 'valueInputOptions' could not be found in request message."
        );
        assert!(
            query(
                "valueInputOption=RAW&prettyPrint=false",
                &["valueInputOption"]
            )
            .is_ok()
        );
    }
}
