//! The Sheets v4 calls of an export: create a spreadsheet and fill it, or append to one.
//!
//! Every HTTP request goes through one loop that backs off on 429 and 5xx and, once per
//! operation, refreshes the access token after a 401 and retries that request.

use std::future::{Future, ready};

use actix_web::http::Method;
use actix_web::web::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::a1::{self, A1Range};
use super::error::{OAuthError, SheetsError};
use super::http::{Http, SetupError};
use super::retry::{Backoff, Retrier};
use super::wire::{
    AppendValuesResponse, AutoResizeDimensionsRequest, BatchUpdateRequest, BatchUpdateResponse,
    CellData, CellFormat, Color, DimensionRange, GridProperties, GridRange, RepeatCellRequest,
    Request, Sheet, SheetProperties, Spreadsheet, SpreadsheetProperties, TextFormat,
    UpdateSheetPropertiesRequest, UpdateValuesResponse, ValueRangeOut,
};
use super::{GoogleConfig, REQUEST_TIMEOUT, spreadsheet_url};

/// The name of the tab an export creates.
pub const SHEET_TITLE: &str = "Sentences";
/// Rows per values request: a 20,000-sentence book goes in four requests, each a few hundred KB,
/// well inside Google's request size limit.
pub const DEFAULT_BATCH_ROWS: usize = 5_000;
/// A new sheet's grid is 1000 × 26 at Google; a bigger export needs a bigger grid up front,
/// because writes outside it fail with "exceeds grid limits".
const DEFAULT_ROWS: usize = 1000;
const DEFAULT_COLUMNS: usize = 26;
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;
/// The header's shade: light grey, as Sheets' own "alternating colours" headers.
const HEADER_GREY: f64 = 0.9;

/// Where the client gets its access token, and a fresh one when Google rejects it.
pub trait TokenSource {
    /// The token to send now.
    fn access_token(&self) -> &str;

    /// Google answered 401 to `access_token()`: get a new one (and persist it). Called at most
    /// once per operation. `Ok(false)`: this source cannot refresh.
    fn refresh(&mut self) -> impl Future<Output = Result<bool, OAuthError>>;
}

/// An access token that cannot be refreshed: a 401 comes straight back as `Unauthenticated`.
#[derive(Debug, Clone, Copy)]
pub struct FixedToken<'a>(pub &'a str);

impl TokenSource for FixedToken<'_> {
    fn access_token(&self) -> &str {
        self.0
    }

    fn refresh(&mut self) -> impl Future<Output = Result<bool, OAuthError>> {
        ready(Ok(false))
    }
}

/// An access token plus a one-shot way to get a new one, typically
/// `|| async { oauth.refresh(&stored_refresh_token).await.map(|g| save(g)) }` returning the new
/// access token. `InvalidGrant` from it comes out of the Sheets call as
/// `SheetsError::Refresh(OAuthError::InvalidGrant { .. })`: mark the user "reconnect required".
pub struct Refreshing<F> {
    access_token: String,
    refresh: Option<F>,
}

impl<F, Fut> Refreshing<F>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, OAuthError>>,
{
    pub fn new(access_token: impl Into<String>, refresh: F) -> Self {
        Self {
            access_token: access_token.into(),
            refresh: Some(refresh),
        }
    }

    /// Whether the refresh was used (the token in use is then the new one).
    pub fn refreshed(&self) -> bool {
        self.refresh.is_none()
    }
}

impl<F, Fut> TokenSource for Refreshing<F>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, OAuthError>>,
{
    fn access_token(&self) -> &str {
        &self.access_token
    }

    async fn refresh(&mut self) -> Result<bool, OAuthError> {
        let Some(refresh) = self.refresh.take() else {
            return Ok(false);
        };
        self.access_token = refresh().await?;
        Ok(true)
    }
}

/// A spreadsheet made by [`SheetsClient::create_spreadsheet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub spreadsheet_id: String,
    /// The link Google gave for it (may carry a query string).
    pub url: String,
    pub sheet_title: String,
    pub sheet_id: i32,
}

/// Rows added by [`SheetsClient::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Where the rows went, in A1 notation (`Sentences!A12:C40`); empty when there were none.
    pub updated_range: String,
    pub url: String,
    pub rows: usize,
}

/// Calls the Sheets API. Cheap to clone.
#[derive(Clone)]
pub struct SheetsClient {
    base_url: String,
    http: Http,
    backoff: Backoff,
    batch_rows: usize,
}

/// One operation's connection and tokens: the refresh-once rule spans all its requests.
struct Operation<'a, S> {
    client: awc::Client,
    tokens: &'a mut S,
    refreshed: bool,
}

impl SheetsClient {
    pub fn new(config: &GoogleConfig) -> Result<Self, SetupError> {
        Ok(Self {
            base_url: config.sheets_base_url.trim_end_matches('/').to_owned(),
            http: Http::new(REQUEST_TIMEOUT)?,
            backoff: Backoff::default(),
            batch_rows: DEFAULT_BATCH_ROWS,
        })
    }

    /// Replaces the 429/5xx retry policy (tests shorten it).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Rows per values request (at least 1).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Creates a spreadsheet named `title` with one tab, writes `header` and `rows` as literal
    /// text (`RAW`: a sentence starting with `=` stays text), then bolds and shades the header,
    /// freezes it and sizes the columns to their content.
    pub async fn create_spreadsheet(
        &self,
        access_token: &str,
        title: &str,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> Result<Created, SheetsError> {
        self.create_spreadsheet_with(&mut FixedToken(access_token), title, header, rows)
            .await
    }

    /// [`Self::create_spreadsheet`], refreshing the token once if Google rejects it.
    ///
    /// A failure after the first request leaves a partly filled spreadsheet in the user's
    /// Drive; Sheets has no transaction across calls.
    pub async fn create_spreadsheet_with(
        &self,
        tokens: &mut impl TokenSource,
        title: &str,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> Result<Created, SheetsError> {
        let mut op = self.operation(tokens);
        let width = header
            .len()
            .max(rows.iter().map(Vec::len).max().unwrap_or(0));
        let body = Spreadsheet {
            properties: Some(SpreadsheetProperties {
                title: title.to_owned(),
                ..SpreadsheetProperties::default()
            }),
            sheets: vec![Sheet {
                properties: SheetProperties {
                    title: SHEET_TITLE.to_owned(),
                    grid_properties: Some(GridProperties {
                        row_count: Some(grid_size(rows.len() + 1, DEFAULT_ROWS)),
                        column_count: Some(grid_size(width, DEFAULT_COLUMNS)),
                        ..GridProperties::default()
                    }),
                    ..SheetProperties::default()
                },
            }],
            ..Spreadsheet::default()
        };
        let url = format!("{}/v4/spreadsheets", self.base_url);
        let reply: Spreadsheet = self.call(&mut op, Method::POST, &url, &body).await?;
        if reply.spreadsheet_id.is_empty() {
            return Err(SheetsError::BadReply {
                detail: "the created spreadsheet has no id".into(),
            });
        }
        // Google gives a named sheet a random id: it must be read back, never assumed.
        let sheet = reply
            .sheets
            .iter()
            .find(|s| s.properties.title == SHEET_TITLE)
            .or_else(|| reply.sheets.first())
            .map(|s| s.properties.clone())
            .ok_or_else(|| SheetsError::BadReply {
                detail: "the created spreadsheet has no sheet".into(),
            })?;
        let created = Created {
            url: if reply.spreadsheet_url.is_empty() {
                spreadsheet_url(&reply.spreadsheet_id)
            } else {
                reply.spreadsheet_url.clone()
            },
            spreadsheet_id: reply.spreadsheet_id,
            sheet_id: sheet.sheet_id.unwrap_or(0),
            sheet_title: sheet.title,
        };

        let header: Vec<String> = header.iter().map(|&h| h.to_owned()).collect();
        let all_rows: Vec<&[String]> = (!header.is_empty())
            .then_some(header.as_slice())
            .into_iter()
            .chain(rows.iter().map(Vec::as_slice))
            .collect();
        for (i, batch) in all_rows.chunks(self.batch_rows).enumerate() {
            let first_row = u32::try_from(i * self.batch_rows).unwrap_or(u32::MAX);
            let range = A1Range::rectangle(&created.sheet_title, (0, first_row), (0, first_row));
            let url = format!(
                "{}/v4/spreadsheets/{}/values/{}?valueInputOption=RAW",
                self.base_url,
                a1::encode_path_segment(&created.spreadsheet_id),
                a1::encode_path_segment(&range.to_string())
            );
            let body = ValueRangeOut {
                major_dimension: "ROWS",
                values: batch.to_vec(),
            };
            let _: UpdateValuesResponse = self.call(&mut op, Method::PUT, &url, &body).await?;
        }

        if !header.is_empty() {
            let url = format!(
                "{}/v4/spreadsheets/{}:batchUpdate",
                self.base_url,
                a1::encode_path_segment(&created.spreadsheet_id)
            );
            let body = header_formatting(created.sheet_id, header.len());
            let _: BatchUpdateResponse = self.call(&mut op, Method::POST, &url, &body).await?;
        }
        Ok(created)
    }

    /// Appends `rows` below the last row of the spreadsheet's first sheet, as literal text, in
    /// new rows (`INSERT_ROWS`, so the grid grows instead of running out).
    pub async fn append(
        &self,
        access_token: &str,
        spreadsheet_id: &str,
        rows: &[Vec<String>],
    ) -> Result<Appended, SheetsError> {
        self.append_with(&mut FixedToken(access_token), spreadsheet_id, rows)
            .await
    }

    /// [`Self::append`], refreshing the token once if Google rejects it.
    ///
    /// Each batch is its own request: a failure part-way leaves the earlier batches appended,
    /// and a 5xx retried after Google did apply it appends that batch twice.
    pub async fn append_with(
        &self,
        tokens: &mut impl TokenSource,
        spreadsheet_id: &str,
        rows: &[Vec<String>],
    ) -> Result<Appended, SheetsError> {
        let url = spreadsheet_url(spreadsheet_id);
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if width == 0 {
            return Ok(Appended {
                updated_range: String::new(),
                url,
                rows: 0,
            });
        }
        let mut op = self.operation(tokens);
        // No sheet name: A1 without one means the first visible sheet, whatever it is called.
        let range = format!("A:{}", a1::column_letters(column_u32(width - 1)));
        let request_url = format!(
            "{}/v4/spreadsheets/{}/values/{}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
            self.base_url,
            a1::encode_path_segment(spreadsheet_id),
            a1::encode_path_segment(&range)
        );
        let mut first: Option<A1Range> = None;
        let mut updated_range = String::new();
        for batch in rows.chunks(self.batch_rows) {
            let body = ValueRangeOut {
                major_dimension: "ROWS",
                values: batch.iter().map(Vec::as_slice).collect(),
            };
            let reply: AppendValuesResponse = self
                .call(&mut op, Method::POST, &request_url, &body)
                .await?;
            let this = reply.updates.updated_range;
            updated_range = match (&first, A1Range::parse(&this)) {
                (None, parsed) => {
                    first = parsed;
                    this
                }
                (Some(start), Some(last)) => start
                    .extended_to(&last)
                    .map_or(this, |joined| joined.to_string()),
                (Some(_), None) => this,
            };
        }
        Ok(Appended {
            updated_range,
            url,
            rows: rows.len(),
        })
    }

    fn operation<'a, S: TokenSource>(&self, tokens: &'a mut S) -> Operation<'a, S> {
        Operation {
            client: self.http.client(),
            tokens,
            refreshed: false,
        }
    }

    /// One API request with its retries: back off on 429/5xx, refresh once on 401.
    async fn call<S: TokenSource, T: DeserializeOwned>(
        &self,
        op: &mut Operation<'_, S>,
        method: Method,
        url: &str,
        body: &impl Serialize,
    ) -> Result<T, SheetsError> {
        let body = Bytes::from(serde_json::to_vec(body).map_err(|e| {
            SheetsError::BadRequest(format!("the request could not be encoded: {e}"))
        })?);
        let mut retrier = Retrier::new(self.backoff);
        loop {
            let token = op.tokens.access_token().to_owned();
            let error = match send(&op.client, method.clone(), url, &token, body.clone()).await {
                Ok(reply) => {
                    return serde_json::from_slice(&reply).map_err(|e| SheetsError::BadReply {
                        detail: e.to_string(),
                    });
                }
                Err(error) => error,
            };
            if error == SheetsError::Unauthenticated && !op.refreshed {
                op.refreshed = true;
                if op.tokens.refresh().await? {
                    continue;
                }
                return Err(error);
            }
            match retrier.next_delay(error.retry()) {
                Some(delay) => {
                    tracing::debug!(?delay, %error, "retrying a Google Sheets request");
                    actix_web::rt::time::sleep(delay).await;
                }
                None => return Err(error),
            }
        }
    }
}

async fn send(
    client: &awc::Client,
    method: Method,
    url: &str,
    token: &str,
    body: Bytes,
) -> Result<Bytes, SheetsError> {
    let transient = |detail: String| SheetsError::Transient { detail };
    let mut response = client
        .request(method, url)
        .bearer_auth(token)
        .content_type("application/json")
        .send_body(body)
        .await
        .map_err(|e| transient(e.to_string()))?;
    let status = response.status().as_u16();
    let reply = response
        .body()
        .limit(MAX_REPLY_BYTES)
        .await
        .map_err(|e| transient(format!("reading the answer failed: {e}")))?;
    if (200..300).contains(&status) {
        Ok(reply)
    } else {
        Err(SheetsError::from_response(status, &reply))
    }
}

/// Bold, grey row 1 across the header's columns; row 1 frozen; columns sized to content.
fn header_formatting(sheet_id: i32, columns: usize) -> BatchUpdateRequest {
    let columns = i32::try_from(columns).unwrap_or(i32::MAX);
    let grey = Color {
        red: HEADER_GREY,
        green: HEADER_GREY,
        blue: HEADER_GREY,
        alpha: None,
    };
    BatchUpdateRequest {
        requests: vec![
            Request {
                repeat_cell: Some(RepeatCellRequest {
                    range: GridRange {
                        sheet_id,
                        start_row_index: Some(0),
                        end_row_index: Some(1),
                        start_column_index: Some(0),
                        end_column_index: Some(columns),
                    },
                    cell: CellData {
                        user_entered_format: Some(CellFormat {
                            background_color: Some(grey),
                            text_format: Some(TextFormat {
                                bold: Some(true),
                                ..TextFormat::default()
                            }),
                        }),
                    },
                    fields: "userEnteredFormat(backgroundColor,textFormat)".to_owned(),
                }),
                ..Request::default()
            },
            Request {
                update_sheet_properties: Some(UpdateSheetPropertiesRequest {
                    properties: SheetProperties {
                        sheet_id: Some(sheet_id),
                        grid_properties: Some(GridProperties {
                            frozen_row_count: Some(1),
                            ..GridProperties::default()
                        }),
                        ..SheetProperties::default()
                    },
                    fields: "gridProperties.frozenRowCount".to_owned(),
                }),
                ..Request::default()
            },
            Request {
                auto_resize_dimensions: Some(AutoResizeDimensionsRequest {
                    dimensions: DimensionRange {
                        sheet_id,
                        dimension: "COLUMNS".to_owned(),
                        start_index: Some(0),
                        end_index: Some(columns),
                    },
                }),
                ..Request::default()
            },
        ],
    }
}

/// At least Google's default, more when the data needs it.
fn grid_size(needed: usize, default: usize) -> i32 {
    i32::try_from(needed.max(default)).unwrap_or(i32::MAX)
}

fn column_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}
