//! What the fake remembers: codes, tokens, spreadsheets, scripted outcomes and a request log.
//! Shared by the server's workers, so it sits behind one mutex; tests read it through the
//! accessors at the bottom.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

use super::FakeGoogleArgs;
use super::grid::{Book, Cell, NewSheet, SheetData};
use fnt::engine::gemini::wire::ErrorBody;
use fnt::export::sheets::wire::{CellFormat, DimensionRange, SheetProperties, Spreadsheet};

/// Google's authorization codes live minutes; ten is what its docs allow at most.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// What the next consent screen "answers".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// Everything requested is granted.
    Grant,
    /// The user pressed Cancel: `error=access_denied`.
    Deny,
    /// The user unticked scopes: only these (space-separated) are granted.
    GrantOnly(String),
}

/// A scripted token-endpoint failure for the next token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFault {
    /// `400 invalid_grant "Token has been expired or revoked."`
    ExpiredOrRevoked,
    /// `401 invalid_client "Unauthorized"`
    InvalidClient,
    /// A bare 500.
    ServerError,
}

/// A scripted Sheets failure for the next authorized Sheets request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetsFault {
    /// 429 `RESOURCE_EXHAUSTED` with the `RATE_LIMIT_EXCEEDED` ErrorInfo.
    RateLimited,
    /// 500 `INTERNAL`.
    Internal,
    /// 503 `UNAVAILABLE`.
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// A token the fake issued, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub kind: TokenKind,
    pub scope: String,
    pub client_id: String,
    pub expired: bool,
    pub revoked: bool,
}

/// One request as it reached the fake (no bodies: they carry secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// Still percent-encoded, as sent.
    pub path: String,
    pub query: String,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    /// `(challenge, method)`.
    pub(crate) challenge: Option<(String, String)>,
    pub(crate) offline: bool,
    issued: Instant,
    pub(crate) redeemed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    kind: TokenKind,
    pub(crate) scope: String,
    pub(crate) client_id: String,
    /// Tokens from one consent share a grant; revoking any token revokes the grant.
    grant: u64,
    expires_at: Option<Instant>,
    revoked: bool,
}

impl Token {
    fn live(&self) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| Instant::now() < at)
    }
}

#[derive(Default)]
struct Inner {
    codes: HashMap<String, Code>,
    tokens: HashMap<String, Token>,
    /// Issue order, for `issued_tokens`.
    token_order: Vec<String>,
    books: HashMap<String, Book>,
    consents: VecDeque<Consent>,
    token_faults: VecDeque<TokenFault>,
    sheets_faults: VecDeque<SheetsFault>,
    log: Vec<LoggedRequest>,
    grants: u64,
}

pub struct FakeState {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    /// Empty: any redirect URI is accepted.
    pub(crate) redirect_uris: Vec<String>,
    expires_in: Mutex<u64>,
    inner: Mutex<Inner>,
}

/// A panic in one handler must not take the fake down: the data stays consistent because
/// every change is made under one lock and completed before it is released.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_chars(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), n)
}

/// What a token may do with a spreadsheet.
pub(crate) enum Access {
    /// `spreadsheets` or `drive`: every file of the user (as this client).
    All(String),
    /// `drive.file`: files this client created.
    OwnFiles(String),
}

impl FakeState {
    pub(crate) fn new(args: &FakeGoogleArgs) -> Self {
        Self {
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            redirect_uris: args.redirect_uri.clone(),
            expires_in: Mutex::new(args.expires_in),
            inner: Mutex::default(),
        }
    }

    // --- Steering (tests) ------------------------------------------------------------------

    /// How the next consent screens answer, in order (then: grant everything).
    pub fn script_consent(&self, outcomes: impl IntoIterator<Item = Consent>) {
        lock(&self.inner).consents.extend(outcomes);
    }

    /// Failures for the next token requests, in order.
    pub fn script_token_faults(&self, faults: impl IntoIterator<Item = TokenFault>) {
        lock(&self.inner).token_faults.extend(faults);
    }

    /// Failures for the next authorized Sheets requests, in order.
    pub fn script_sheets_faults(&self, faults: impl IntoIterator<Item = SheetsFault>) {
        lock(&self.inner).sheets_faults.extend(faults);
    }

    /// Scripted Sheets failures not used yet.
    pub fn pending_sheets_faults(&self) -> usize {
        lock(&self.inner).sheets_faults.len()
    }

    /// Lifetime of access tokens issued from now on, in seconds.
    pub fn set_expires_in(&self, seconds: u64) {
        *lock(&self.expires_in) = seconds;
    }

    /// Every access token issued so far stops working now (refresh tokens keep working).
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for token in lock(&self.inner).tokens.values_mut() {
            if token.kind == TokenKind::Access {
                token.expires_at = Some(now);
            }
        }
    }

    /// Revokes the grant behind `token`, as the user would in their Google account settings.
    /// `false` if the token is unknown.
    pub fn revoke(&self, token: &str) -> bool {
        let mut inner = lock(&self.inner);
        let Some(grant) = inner.tokens.get(token).map(|t| t.grant) else {
            return false;
        };
        for token in inner.tokens.values_mut().filter(|t| t.grant == grant) {
            token.revoked = true;
        }
        true
    }

    /// A spreadsheet made by another app: a `drive.file` grant cannot open it.
    pub fn add_foreign_spreadsheet(&self, title: &str, rows: &[Vec<String>]) -> String {
        let Ok(mut book) = new_book(title, "another-app", &[]) else {
            return String::new();
        };
        let values: Vec<Vec<Option<Cell>>> = rows
            .iter()
            .map(|row| row.iter().map(|v| Some(Cell::Text(v.clone()))).collect())
            .collect();
        let _ = book.update("A1", &values);
        let id = book.id.clone();
        lock(&self.inner).books.insert(id.clone(), book);
        id
    }

    /// Deletes a spreadsheet, as if the user binned it.
    pub fn delete_spreadsheet(&self, spreadsheet_id: &str) -> bool {
        lock(&self.inner).books.remove(spreadsheet_id).is_some()
    }

    // --- Reading (tests) -------------------------------------------------------------------

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.inner).log.clone()
    }

    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        let inner = lock(&self.inner);
        inner
            .token_order
            .iter()
            .filter_map(|value| {
                let token = inner.tokens.get(value)?;
                Some(IssuedToken {
                    token: value.clone(),
                    kind: token.kind,
                    scope: token.scope.clone(),
                    client_id: token.client_id.clone(),
                    expired: token.expires_at.is_some_and(|at| Instant::now() >= at),
                    revoked: token.revoked,
                })
            })
            .collect()
    }

    pub fn spreadsheet_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = lock(&self.inner).books.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The spreadsheet as `spreadsheets.get` would return it (no cell data).
    pub fn spreadsheet(&self, spreadsheet_id: &str) -> Option<Spreadsheet> {
        let inner = lock(&self.inner);
        let book = inner.books.get(spreadsheet_id)?;
        Some(book.to_wire(spreadsheet_url(spreadsheet_id)))
    }

    /// The first sheet's cells as displayed, up to the last non-empty row and column of each row.
    pub fn cells(&self, spreadsheet_id: &str) -> Option<Vec<Vec<String>>> {
        self.with_first_sheet(spreadsheet_id, |sheet| sheet.cells())
    }

    /// One cell of the first sheet, typed (text, number, boolean or formula).
    pub fn cell(&self, spreadsheet_id: &str, row: usize, column: usize) -> Option<Cell> {
        self.with_first_sheet(spreadsheet_id, |sheet| sheet.cell(row, column).cloned())
            .flatten()
    }

    /// The `userEnteredFormat` of the first sheet's A1.
    pub fn header_format(&self, spreadsheet_id: &str) -> Option<CellFormat> {
        self.cell_format(spreadsheet_id, 0, 0)
    }

    pub fn cell_format(
        &self,
        spreadsheet_id: &str,
        row: usize,
        column: usize,
    ) -> Option<CellFormat> {
        self.with_first_sheet(spreadsheet_id, |sheet| sheet.format_at(row, column))
            .flatten()
    }

    pub fn frozen_rows(&self, spreadsheet_id: &str) -> Option<usize> {
        self.with_first_sheet(spreadsheet_id, |sheet| sheet.frozen_rows)
    }

    /// The first sheet's `autoResizeDimensions` requests, in order.
    pub fn auto_resized(&self, spreadsheet_id: &str) -> Vec<DimensionRange> {
        self.with_first_sheet(spreadsheet_id, |sheet| sheet.auto_resized.clone())
            .unwrap_or_default()
    }

    pub fn sheet_properties(&self, spreadsheet_id: &str) -> Vec<SheetProperties> {
        self.spreadsheet(spreadsheet_id)
            .map(|s| s.sheets.into_iter().map(|s| s.properties).collect())
            .unwrap_or_default()
    }

    fn with_first_sheet<T>(
        &self,
        spreadsheet_id: &str,
        read: impl FnOnce(&SheetData) -> T,
    ) -> Option<T> {
        let inner = lock(&self.inner);
        inner
            .books
            .get(spreadsheet_id)
            .and_then(Book::first_sheet)
            .map(read)
    }

    // --- Server side -----------------------------------------------------------------------

    pub(crate) fn log(&self, entry: LoggedRequest) {
        lock(&self.inner).log.push(entry);
    }

    pub(crate) fn next_consent(&self) -> Consent {
        lock(&self.inner)
            .consents
            .pop_front()
            .unwrap_or(Consent::Grant)
    }

    pub(crate) fn next_token_fault(&self) -> Option<TokenFault> {
        lock(&self.inner).token_faults.pop_front()
    }

    pub(crate) fn next_sheets_fault(&self) -> Option<SheetsFault> {
        lock(&self.inner).sheets_faults.pop_front()
    }

    /// A fresh authorization code, Google-looking (`4/0A…`).
    pub(crate) fn issue_code(&self, code: Code) -> String {
        let value = format!("4/0A{}", random_chars(70));
        lock(&self.inner).codes.insert(value.clone(), code);
        value
    }

    pub(crate) fn new_code(
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        challenge: Option<(String, String)>,
        offline: bool,
    ) -> Code {
        Code {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            challenge,
            offline,
            issued: Instant::now(),
            redeemed: false,
        }
    }

    /// Looks a code up for redemption; `check` decides, and only an `Ok` marks it redeemed.
    pub(crate) fn redeem<T, E>(
        &self,
        value: &str,
        check: impl FnOnce(Option<&Code>, bool) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut inner = lock(&self.inner);
        let code = inner.codes.get(value);
        let expired = code.is_some_and(|c| c.issued.elapsed() > CODE_LIFETIME);
        let result = check(code, expired);
        if result.is_ok()
            && let Some(code) = inner.codes.get_mut(value)
        {
            code.redeemed = true;
        }
        result
    }

    /// An access token (and a refresh token when asked) for a new grant.
    pub(crate) fn issue_tokens(
        &self,
        client_id: &str,
        scope: &str,
        with_refresh: bool,
    ) -> (String, Option<String>, u64) {
        let expires_in = *lock(&self.expires_in);
        let mut inner = lock(&self.inner);
        inner.grants += 1;
        let grant = inner.grants;
        let access = insert_token(
            &mut inner,
            TokenKind::Access,
            client_id,
            scope,
            grant,
            expires_in,
        );
        let refresh = with_refresh
            .then(|| insert_token(&mut inner, TokenKind::Refresh, client_id, scope, grant, 0));
        (access, refresh, expires_in)
    }

    /// A new access token for a live refresh token of `client_id`: `(token, scope, expires_in)`.
    pub(crate) fn refresh(
        &self,
        client_id: &str,
        refresh_token: &str,
    ) -> Option<(String, String, u64)> {
        let expires_in = *lock(&self.expires_in);
        let mut inner = lock(&self.inner);
        let token = inner
            .tokens
            .get(refresh_token)
            .filter(|t| t.kind == TokenKind::Refresh && t.live() && t.client_id == client_id)?
            .clone();
        let access = insert_token(
            &mut inner,
            TokenKind::Access,
            client_id,
            &token.scope,
            token.grant,
            expires_in,
        );
        Some((access, token.scope, expires_in))
    }

    /// A live access token's scopes and client.
    pub(crate) fn access_token(&self, value: &str) -> Option<Token> {
        lock(&self.inner)
            .tokens
            .get(value)
            .filter(|t| t.kind == TokenKind::Access && t.live())
            .cloned()
    }

    pub(crate) fn create_book(
        &self,
        title: &str,
        client_id: &str,
        sheets: &[NewSheet],
    ) -> Result<Spreadsheet, ErrorBody> {
        let book = new_book(title, client_id, sheets)?;
        let wire = book.to_wire(spreadsheet_url(&book.id));
        lock(&self.inner).books.insert(book.id.clone(), book);
        Ok(wire)
    }

    /// Runs `change` on a spreadsheet the token may reach: 404 if there is none, 403 if a
    /// `drive.file` grant did not create it.
    pub(crate) fn with_book<T>(
        &self,
        spreadsheet_id: &str,
        access: &Access,
        change: impl FnOnce(&mut Book) -> Result<T, ErrorBody>,
    ) -> Result<T, ErrorBody> {
        let mut inner = lock(&self.inner);
        let book = inner
            .books
            .get_mut(spreadsheet_id)
            .ok_or_else(super::errors::not_found)?;
        if let Access::OwnFiles(client) = access
            && book.created_by != *client
        {
            return Err(super::errors::permission_denied());
        }
        change(book)
    }
}

fn insert_token(
    inner: &mut Inner,
    kind: TokenKind,
    client_id: &str,
    scope: &str,
    grant: u64,
    expires_in: u64,
) -> String {
    let value = match kind {
        TokenKind::Access => format!("ya29.fake-{}", random_chars(64)),
        TokenKind::Refresh => format!("1//fake-{}", random_chars(48)),
    };
    let expires_at =
        (kind == TokenKind::Access).then(|| Instant::now() + Duration::from_secs(expires_in));
    inner.tokens.insert(
        value.clone(),
        Token {
            kind,
            scope: scope.to_owned(),
            client_id: client_id.to_owned(),
            grant,
            expires_at,
            revoked: false,
        },
    );
    inner.token_order.push(value.clone());
    value
}

/// Where Google would show the spreadsheet.
pub(crate) fn spreadsheet_url(spreadsheet_id: &str) -> String {
    fnt::export::sheets::spreadsheet_url(spreadsheet_id)
}

/// A book as `spreadsheets.create` makes it: no sheet asked for gives "Sheet1" with id 0;
/// a named sheet gets a random id unless the request fixed one.
fn new_book(title: &str, client_id: &str, sheets: &[NewSheet]) -> Result<Book, ErrorBody> {
    let mut made: Vec<SheetData> = Vec::new();
    for (i, new) in sheets.iter().enumerate() {
        let name = if new.title.is_empty() {
            format!("Sheet{}", i + 1)
        } else {
            new.title.clone()
        };
        if made.iter().any(|s| s.title == name) {
            return Err(super::errors::invalid_argument(format!(
                "Invalid requests[{i}].addSheet: A sheet with the name \"{name}\" already \
                 exists. Please enter another name."
            )));
        }
        let id = new
            .sheet_id
            .unwrap_or_else(|| rand::rng().random_range(1..i32::MAX));
        if made.iter().any(|s| s.sheet_id == id) {
            return Err(super::errors::invalid_argument(format!(
                "Invalid requests[{i}].addSheet: A sheet with the id {id} already exists."
            )));
        }
        let sheet = SheetData::new(id, &name, new.grid.as_ref());
        if sheet.row_count.saturating_mul(sheet.column_count) > 10_000_000 {
            return Err(super::errors::invalid_argument(
                "This action would increase the number of cells in the workbook above the \
                 limit of 10000000 cells.",
            ));
        }
        made.push(sheet);
    }
    if made.is_empty() {
        made.push(SheetData::new(0, "Sheet1", None));
    }
    Ok(Book {
        id: new_spreadsheet_id(),
        title: if title.is_empty() {
            "Untitled spreadsheet".to_owned()
        } else {
            title.to_owned()
        },
        sheets: made,
        created_by: client_id.to_owned(),
    })
}

/// 44 characters like Google's (`1ArynEROTTRpDHcrmr4PLJoUGWunnlCbZcF6Wz0q1ohk`).
fn new_spreadsheet_id() -> String {
    format!("1{}", random_chars(43))
}
