//! The Sheets v4 endpoints: routing (the method shares the last path segment after a `:`),
//! bearer checks, scripted faults, then the operation on the in-memory spreadsheet.

use actix_web::HttpRequest;
use actix_web::http::Method;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::errors;
use super::grid::{Cell, NewSheet};
use super::state::{Access, FakeState, SheetsFault};
use super::validate::{self, BATCH_UPDATE, SPREADSHEET, UNIMPLEMENTED_KINDS, VALUE_RANGE};
use fnt::engine::gemini::wire::ErrorBody;
use fnt::export::sheets::a1::A1Range;
use fnt::export::sheets::wire::{BatchUpdateRequest, BatchUpdateResponse, Spreadsheet, ValueRange};
use fnt::export::sheets::{SCOPE_DRIVE, SCOPE_DRIVE_FILE, SCOPE_SPREADSHEETS};

pub(crate) const PREFIX: &str = "/v4/spreadsheets";

/// What a Sheets request asks for, read from its method and raw path.
enum Route {
    Create,
    Get(String),
    BatchUpdate(String),
    Update(String, String),
    Append(String, String),
}

impl Route {
    /// The RPC name Google reports in `ErrorInfo.metadata.method`.
    fn operation(&self) -> &'static str {
        match self {
            Self::Create => "CreateSpreadsheet",
            Self::Get(_) => "GetSpreadsheet",
            Self::BatchUpdate(_) => "BatchUpdateSpreadsheet",
            Self::Update(..) => "UpdateValues",
            Self::Append(..) => "AppendValues",
        }
    }
}

/// The JSON reply, or `None` for a URL Google does not serve (an HTML 404 then).
pub(crate) fn handle(
    req: &HttpRequest,
    body: &[u8],
    state: &FakeState,
) -> Option<Result<Value, ErrorBody>> {
    let route = route(req.method(), req.uri().path())?;
    Some(serve(req, body, state, route))
}

fn serve(
    req: &HttpRequest,
    body: &[u8],
    state: &FakeState,
    route: Route,
) -> Result<Value, ErrorBody> {
    let operation = route.operation();
    let access = authorize(req, state, operation)?;
    if let Some(fault) = state.next_sheets_fault() {
        return Err(match fault {
            SheetsFault::RateLimited => errors::rate_limited("project_number:000000000000"),
            SheetsFault::Internal => errors::internal(),
            SheetsFault::Unavailable => errors::unavailable(),
        });
    }
    match route {
        Route::Create => {
            validate::query(req.query_string(), &[])?;
            let (spreadsheet, _): (Spreadsheet, Value) =
                validate::parse_body(body, SPREADSHEET, "spreadsheet")?;
            let title = spreadsheet
                .properties
                .as_ref()
                .map(|p| p.title.clone())
                .unwrap_or_default();
            let sheets: Vec<NewSheet> = spreadsheet
                .sheets
                .into_iter()
                .map(|s| NewSheet {
                    title: s.properties.title,
                    sheet_id: s.properties.sheet_id,
                    grid: s.properties.grid_properties,
                })
                .collect();
            let client = match &access {
                Access::All(client) | Access::OwnFiles(client) => client.clone(),
            };
            to_json(state.create_book(&title, &client, &sheets))
        }
        Route::Get(id) => {
            validate::query(
                req.query_string(),
                &["ranges", "includeGridData", "excludeTablesInBandedRanges"],
            )?;
            to_json(state.with_book(&id, &access, |book| {
                Ok(book.to_wire(fnt::export::sheets::spreadsheet_url(&book.id)))
            }))
        }
        Route::BatchUpdate(id) => {
            validate::query(req.query_string(), &[])?;
            let (request, raw): (BatchUpdateRequest, Value) =
                validate::parse_body(body, BATCH_UPDATE, "")?;
            refuse_unimplemented(&raw)?;
            to_json(state.with_book(&id, &access, |book| {
                let replies = book.batch_update(&request.requests)?;
                Ok(BatchUpdateResponse {
                    spreadsheet_id: book.id.clone(),
                    replies,
                })
            }))
        }
        Route::Update(id, range) => {
            let query = validate::query(
                req.query_string(),
                &[
                    "valueInputOption",
                    "includeValuesInResponse",
                    "responseValueRenderOption",
                    "responseDateTimeRenderOption",
                ],
            )?;
            let user_entered = value_input_option(query.get("valueInputOption"))?;
            let values = values_body(body, &range, user_entered)?;
            to_json(state.with_book(&id, &access, |book| book.update(&range, &values)))
        }
        Route::Append(id, range) => {
            let query = validate::query(
                req.query_string(),
                &[
                    "valueInputOption",
                    "insertDataOption",
                    "includeValuesInResponse",
                    "responseValueRenderOption",
                    "responseDateTimeRenderOption",
                ],
            )?;
            let user_entered = value_input_option(query.get("valueInputOption"))?;
            let insert_rows = match query.get("insertDataOption").map(String::as_str) {
                None | Some("OVERWRITE") => false,
                Some("INSERT_ROWS") => true,
                Some(other) => {
                    return Err(errors::invalid_value(
                        "insert_data_option",
                        "type.googleapis.com/google.apps.sheets.v4.InsertDataOption",
                        Some(other),
                    ));
                }
            };
            let values = values_body(body, &range, user_entered)?;
            to_json(state.with_book(&id, &access, |book| {
                book.append(&range, &values, insert_rows)
            }))
        }
    }
}

fn to_json<T: serde::Serialize>(reply: Result<T, ErrorBody>) -> Result<Value, ErrorBody> {
    reply.and_then(|v| serde_json::to_value(v).map_err(|_| errors::internal()))
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let rest = path.strip_prefix(PREFIX)?;
    if rest.is_empty() {
        return (method == Method::POST).then_some(Route::Create);
    }
    let segments: Vec<&str> = rest.strip_prefix('/')?.split('/').collect();
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    match segments.as_slice() {
        [id] if method == Method::GET => Some(Route::Get(decode(id)?)),
        [last] if method == Method::POST => {
            let (id, verb) = last.rsplit_once(':')?;
            (verb == "batchUpdate").then_some(Route::BatchUpdate(decode(id)?))
        }
        [id, "values", range] if method == Method::PUT => {
            Some(Route::Update(decode(id)?, decode(range)?))
        }
        // The range itself may hold a `:` (raw or encoded): the method is after the last one.
        [id, "values", last] if method == Method::POST => {
            let (range, verb) = last.rsplit_once(':')?;
            (verb == "append").then_some(Route::Append(decode(id)?, decode(range)?))
        }
        _ => None,
    }
}

/// The caller's bearer token must be live and carry a scope that reaches spreadsheets.
fn authorize(req: &HttpRequest, state: &FakeState, operation: &str) -> Result<Access, ErrorBody> {
    let Some(header) = req.headers().get("Authorization") else {
        return Err(errors::credentials_missing(operation));
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let Some(token) = state.access_token(token) else {
        return Err(errors::unauthenticated(operation));
    };
    let scopes: Vec<&str> = token.scope.split_whitespace().collect();
    if scopes.contains(&SCOPE_SPREADSHEETS) || scopes.contains(&SCOPE_DRIVE) {
        Ok(Access::All(token.client_id))
    } else if scopes.contains(&SCOPE_DRIVE_FILE) {
        Ok(Access::OwnFiles(token.client_id))
    } else {
        Err(errors::insufficient_scope(operation))
    }
}

fn value_input_option(value: Option<&String>) -> Result<bool, ErrorBody> {
    match value.map(String::as_str) {
        None => Err(errors::invalid_argument(
            "'valueInputOption' is required but not specified",
        )),
        Some("RAW") => Ok(false),
        Some("USER_ENTERED") => Ok(true),
        Some(other) => Err(errors::invalid_value(
            "value_input_option",
            "type.googleapis.com/google.apps.sheets.v4.ValueInputOption",
            Some(other),
        )),
    }
}

/// A `ValueRange` body as rows of cells, read the way `valueInputOption` says.
fn values_body(
    body: &[u8],
    url_range: &str,
    user_entered: bool,
) -> Result<Vec<Vec<Option<Cell>>>, ErrorBody> {
    let (value_range, _): (ValueRange, Value) = validate::parse_body(body, VALUE_RANGE, "data")?;
    if let Some(range) = &value_range.range
        && A1Range::parse(range) != A1Range::parse(url_range)
    {
        return Err(errors::invalid_argument(format!(
            "Requested writing within range [{url_range}], but the request body has a range of \
             [{range}]"
        )));
    }
    let list_value = || {
        errors::invalid_value(
            "data.values",
            "type.googleapis.com/google.protobuf.ListValue",
            None,
        )
    };
    let rows = match &value_range.values {
        Value::Null => Vec::new(),
        Value::Array(rows) => rows
            .iter()
            .map(|row| {
                let Value::Array(cells) = row else {
                    return None;
                };
                cells
                    .iter()
                    .map(|cell| Cell::from_json(cell, user_entered))
                    .collect::<Option<Vec<_>>>()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(list_value)?,
        _ => return Err(list_value()),
    };
    match value_range.major_dimension.as_deref() {
        None | Some("ROWS" | "DIMENSION_UNSPECIFIED") => Ok(rows),
        Some("COLUMNS") => Ok(transpose(rows)),
        Some(other) => Err(errors::invalid_value(
            "data.major_dimension",
            "type.googleapis.com/google.apps.sheets.v4.Dimension",
            Some(other),
        )),
    }
}

fn transpose(columns: Vec<Vec<Option<Cell>>>) -> Vec<Vec<Option<Cell>>> {
    let height = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut rows = vec![vec![None; columns.len()]; height];
    for (c, column) in columns.into_iter().enumerate() {
        for (r, cell) in column.into_iter().enumerate() {
            rows[r][c] = cell;
        }
    }
    rows
}

fn refuse_unimplemented(raw: &Value) -> Result<(), ErrorBody> {
    let requests = raw.get("requests").and_then(Value::as_array);
    for (i, request) in requests.into_iter().flatten().enumerate() {
        if let Some(kind) = UNIMPLEMENTED_KINDS
            .iter()
            .find(|k| request.get(**k).is_some())
        {
            return Err(errors::invalid_argument(format!(
                "Invalid requests[{i}].{kind}: fake-google does not implement this request kind"
            )));
        }
    }
    Ok(())
}
