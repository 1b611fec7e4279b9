//! The JSON the Sheets API and Google's token endpoint speak, for the client and the fake alike.
//!
//! Google omits default values (a colour channel of 0, `sheetId` 0, `false`), so every reply
//! type reads with defaults and ignores unknown fields; every request type leaves unset fields
//! out, because the real API rejects names it does not know and the fake does the same.

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Spreadsheets
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Spreadsheet {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spreadsheet_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<SpreadsheetProperties>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<Sheet>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub spreadsheet_url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpreadsheetProperties {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub locale: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub auto_recalc: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub time_zone: String,
    /// Kept as JSON: nothing here reads it, and the fake only echoes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spreadsheet_theme: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sheet {
    pub properties: SheetProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SheetProperties {
    /// 0 is a valid id (the default sheet's), and Google omits it like any zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet_id: Option<i32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sheet_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid_properties: Option<GridProperties>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GridProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen_row_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen_column_count: Option<i32>,
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// A request body for values.update / values.append. Cells are borrowed: a 20,000-row export
/// should not be copied into JSON values first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueRangeOut<'a> {
    pub major_dimension: &'static str,
    pub values: Vec<&'a [String]>,
}

/// A `ValueRange` as read back (the fake reads requests with it; cells are any JSON scalar).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValueRange {
    pub range: Option<String>,
    pub major_dimension: Option<String>,
    pub values: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateValuesResponse {
    pub spreadsheet_id: String,
    pub updated_range: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub updated_rows: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub updated_columns: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub updated_cells: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppendValuesResponse {
    pub spreadsheet_id: String,
    /// The table found before appending; absent when the range held no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_range: Option<String>,
    pub updates: UpdateValuesResponse,
}

// ---------------------------------------------------------------------------------------------
// batchUpdate
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchUpdateRequest {
    pub requests: Vec<Request>,
}

/// One request of a batch: a proto `oneof`, so exactly one field is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Request {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_cell: Option<RepeatCellRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_sheet_properties: Option<UpdateSheetPropertiesRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_resize_dimensions: Option<AutoResizeDimensionsRequest>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RepeatCellRequest {
    pub range: GridRange,
    pub cell: CellData,
    pub fields: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateSheetPropertiesRequest {
    pub properties: SheetProperties,
    pub fields: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutoResizeDimensionsRequest {
    pub dimensions: DimensionRange,
}

/// 0-based, end-exclusive; an omitted bound is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GridRange {
    #[serde(skip_serializing_if = "is_zero")]
    pub sheet_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_row_index: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_row_index: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column_index: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column_index: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DimensionRange {
    #[serde(skip_serializing_if = "is_zero")]
    pub sheet_id: i32,
    pub dimension: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_index: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_index: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CellData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_entered_format: Option<CellFormat>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CellFormat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<Color>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_format: Option<TextFormat>,
}

/// Channels 0–1; a missing channel is 0 (so `{}` is black).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Color {
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub red: f64,
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub green: f64,
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub blue: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TextFormat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bold: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font_size: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchUpdateResponse {
    pub spreadsheet_id: String,
    /// One per request, `{}` for kinds without a reply.
    pub replies: Vec<Value>,
}

// ---------------------------------------------------------------------------------------------
// OAuth token endpoint
// ---------------------------------------------------------------------------------------------

/// A `200` from the token endpoint (code exchange or refresh).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    pub token_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// A token-endpoint error: `{"error": "invalid_grant", "error_description": "Bad Request"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenError {
    pub error: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error_description: String,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

fn is_zero_f64(n: &f64) -> bool {
    *n == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_create_reply_reads_with_unknown_fields_and_omitted_zeros() {
        let recorded = r#"{"spreadsheetId": "1ArynEROTTRpDHcrmr4PLJoUGWunnlCbZcF6Wz0q1ohk",
          "properties": {"title": "UI_test2", "locale": "en", "autoRecalc": "ON_CHANGE",
                         "timeZone": "Etc/GMT", "defaultFormat": {}, "spreadsheetTheme": {}},
          "sheets": [{"properties": {"sheetId": 789468076, "title": "first sheet", "index": 0,
                      "sheetType": "GRID", "gridProperties": {"rowCount": 1000, "columnCount": 26}}},
                     {"properties": {"title": "Sheet1", "somethingNew": true}}],
          "spreadsheetUrl": "https://docs.google.com/spreadsheets/d/1Ary/edit?ouid=1"}"#;
        let sheet: Spreadsheet = serde_json::from_str(recorded).unwrap();
        assert_eq!(sheet.sheets[0].properties.sheet_id, Some(789468076));
        assert_eq!(sheet.sheets[1].properties.sheet_id, None);
        assert_eq!(
            sheet.sheets[0].properties.grid_properties,
            Some(GridProperties {
                row_count: Some(1000),
                column_count: Some(26),
                ..GridProperties::default()
            })
        );
    }

    #[test]
    fn requests_leave_unset_fields_out() {
        let request = Request {
            repeat_cell: Some(RepeatCellRequest {
                range: GridRange {
                    sheet_id: 0,
                    start_row_index: Some(0),
                    end_row_index: Some(1),
                    ..GridRange::default()
                },
                cell: CellData {
                    user_entered_format: Some(CellFormat {
                        background_color: Some(Color {
                            red: 0.9,
                            ..Color::default()
                        }),
                        text_format: None,
                    }),
                },
                fields: "userEnteredFormat.backgroundColor".into(),
            }),
            ..Request::default()
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"repeatCell": {
                "range": {"startRowIndex": 0, "endRowIndex": 1},
                "cell": {"userEnteredFormat": {"backgroundColor": {"red": 0.9}}},
                "fields": "userEnteredFormat.backgroundColor"}})
        );
    }

    #[test]
    fn the_recorded_append_reply_reads_without_table_range() {
        let recorded = r#"{"spreadsheetId": "1qF", "updates": {"spreadsheetId": "1qF",
            "updatedRange": "Sheet1!A1:J1", "updatedRows": 1, "updatedColumns": 10,
            "updatedCells": 10}}"#;
        let reply: AppendValuesResponse = serde_json::from_str(recorded).unwrap();
        assert_eq!(reply.table_range, None);
        assert_eq!(reply.updates.updated_range, "Sheet1!A1:J1");
        assert_eq!(reply.updates.updated_cells, 10);
    }
}
