//! The book model as the API shows it: pages of source sentences, each with its pieces
//! (`GET …/result`, `GET /history/{id}`, `GET /history/{id}/sentences`), and the flat view of
//! one piece per line, streamed (`GET …/result/pieces`, `GET /history/{id}/pieces`).

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::db::Db;
use crate::db::history::BookPage;
use crate::db::models::{PieceEntry, SentenceEntry, SourceRow};
use crate::engine::local::reads_as_sentence;

const DEFAULT_LIMIT: i64 = 100;
pub(crate) const MAX_LIMIT: i64 = 1000;
/// Pieces read from the database per step of a streamed flat view.
const FLAT_BATCH: i64 = 500;

/// `?offset=0&limit=100&chapter=3`: which source sentences a page holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    offset: Option<i64>,
    limit: Option<i64>,
    chapter: Option<i32>,
}

/// A checked [`PageQuery`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub offset: i64,
    pub limit: i64,
    pub chapter: Option<i32>,
}

impl PageQuery {
    pub(crate) fn window(&self) -> Result<Window, ApiError> {
        window(self.offset, self.limit, self.chapter)
    }
}

pub(crate) fn window(
    offset: Option<i64>,
    limit: Option<i64>,
    chapter: Option<i32>,
) -> Result<Window, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request(
            "invalid_request",
            "offset must be 0 or more",
        ));
    }
    if chapter.is_some_and(|c| c < 1) {
        return Err(ApiError::bad_request(
            "invalid_request",
            "chapter: chapters are numbered from 1",
        ));
    }
    Ok(Window {
        offset,
        limit,
        chapter,
    })
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct PieceView {
    /// 1-based, in book order: the address of the piece in `PATCH …/sentences/{position}`
    /// and in exports.
    pub position: i32,
    pub normalized: String,
    /// `verbatim`, `split`, `rewritten` or `over_limit`; absent for results made before kinds
    /// were kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub engine: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The learner changed `normalized`; `engine_text` is what the engine wrote.
    pub edited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether it reads as a complete sentence (a main clause, opening and closing like one),
    /// judged on the text as it stands now, edits included.
    pub complete: bool,
}

impl From<&SentenceEntry> for PieceView {
    fn from(s: &SentenceEntry) -> Self {
        Self {
            position: s.position + 1,
            normalized: s.normalized.clone(),
            kind: s.kind.clone(),
            engine: s.engine.clone(),
            model: s.model.clone(),
            edited: s.edited,
            engine_text: s.engine_text.clone(),
            edited_at: s.edited_at.and_then(DateTime::from_timestamp_millis),
            complete: reads_as_sentence(&s.normalized),
        }
    }
}

impl From<PieceEntry> for PieceView {
    fn from(p: PieceEntry) -> Self {
        let complete = reads_as_sentence(&p.normalized);
        Self {
            position: p.position + 1,
            normalized: p.normalized,
            kind: p.kind,
            engine: p.engine,
            model: p.model,
            edited: p.edited,
            engine_text: p.engine_text,
            complete,
            edited_at: p.edited_at.and_then(DateTime::from_timestamp_millis),
        }
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct SourceView {
    /// 1-based, in book order.
    pub index: i32,
    pub page: i32,
    /// The `index` of its chapter in `GET …/chapters`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chapter: Option<i32>,
    pub original: String,
    pub pieces: Vec<PieceView>,
}

impl SourceView {
    pub(crate) fn new(source: SourceRow, pieces: Vec<PieceEntry>) -> Self {
        Self {
            index: source.idx + 1,
            page: source.page,
            chapter: source.chapter,
            original: source.text,
            pieces: pieces.into_iter().map(PieceView::from).collect(),
        }
    }
}

/// A page of source sentences, as every paginated view shows it.
#[derive(Debug, Serialize)]
pub(crate) struct PageView {
    /// Source sentences matching in all.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    pub sources: Vec<SourceView>,
}

impl PageView {
    pub(crate) fn new(page: BookPage, window: Window) -> Self {
        Self {
            total: page.total,
            offset: window.offset,
            limit: window.limit,
            sources: page
                .sources
                .into_iter()
                .map(|(source, pieces)| SourceView::new(source, pieces))
                .collect(),
        }
    }
}

/// The page `window` of an entry's book.
pub(crate) async fn page(db: &Db, history_id: &str, window: Window) -> Result<PageView, ApiError> {
    let page = db
        .book_page(history_id, window.chapter, window.offset, window.limit)
        .await?;
    Ok(PageView::new(page, window))
}

/// One line of the flat view. The original comes with the first piece of its source only,
/// so the view stays proportional to the book however finely a sentence was cut.
#[derive(Serialize)]
struct FlatRow<'a> {
    position: i32,
    /// 1-based index of its source sentence, and its order there (1-based).
    source: i32,
    piece: i32,
    page: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    chapter: Option<i32>,
    normalized: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    original: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    engine: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    edited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    engine_text: Option<&'a str>,
}

fn flat_lines(rows: &[SentenceEntry]) -> Result<Bytes, serde_json::Error> {
    let mut out = Vec::with_capacity(rows.len() * 96);
    for row in rows {
        serde_json::to_writer(
            &mut out,
            &FlatRow {
                position: row.position + 1,
                source: row.source_idx + 1,
                piece: row.piece_idx + 1,
                page: row.page,
                chapter: row.chapter,
                normalized: &row.normalized,
                original: (row.piece_idx == 0).then_some(&*row.original),
                kind: row.kind.as_deref(),
                engine: &row.engine,
                model: row.model.as_deref(),
                edited: row.edited,
                engine_text: row.engine_text.as_deref(),
            },
        )?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

/// Every piece of an entry, one JSON object per line (NDJSON), read and sent in batches:
/// nothing holds the whole book in memory.
pub(crate) fn flat_view(db: Db, history_id: String) -> HttpResponse {
    // (next position to read after, done)
    let stream = futures_util::stream::unfold((-1, false), move |(after, done)| {
        let (db, history_id) = (db.clone(), history_id.clone());
        async move {
            if done {
                return None;
            }
            let batch = match db.sentence_batch(&history_id, after, FLAT_BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    // The status line is gone: cutting the stream short is all that is left
                    // to say (a client sees a line missing its newline, or too few lines).
                    tracing::warn!(error = %e, "flat view read failed");
                    return Some((
                        Err(std::io::Error::other("the result could not be read")),
                        (after, true),
                    ));
                }
            };
            let last = batch.last().map(|row| row.position)?;
            let finished = i64::try_from(batch.len()).unwrap_or(0) < FLAT_BATCH;
            Some((
                flat_lines(&batch).map_err(std::io::Error::other),
                (last, finished),
            ))
        }
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson; charset=utf-8")
        .streaming(stream)
}
