//! File exports of a history entry: CSV, XLSX (read back), JSON and Anki, whole or a selection.

use actix_web::http::StatusCode;
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};

use crate::helpers::{TestApp, novel_pdf, spawn_app};

const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"clic\")";

/// A JSON export's sentences one per row, each with its source's original, page and chapter.
fn json_rows(doc: &Value) -> Vec<Value> {
    let mut rows = Vec::new();
    for source in doc["sources"].as_array().expect("sources") {
        for sentence in source["sentences"].as_array().expect("sentences") {
            let mut row = sentence.clone();
            for key in ["original", "page", "chapter"] {
                if !source[key].is_null() {
                    row[key] = source[key].clone();
                }
            }
            rows.push(row);
        }
    }
    rows
}

/// A finished entry whose second sentence was edited into something a spreadsheet would run.
async fn entry_with_a_formula(app: &TestApp) -> (String, Value) {
    let (_, id) = app.finished_entry(&novel_pdf(5), &[]).await;
    let (status, body) = app
        .patch_json(
            &format!("/api/v1/history/{id}/sentences/2"),
            &json!({"normalized": FORMULA}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail = app.history_detail(&id).await;
    (id, detail)
}

fn header(headers: &awc::http::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn csv_has_every_sentence_and_neutralises_formulas() {
    let app = spawn_app().await;
    let (id, detail) = entry_with_a_formula(&app).await;
    let sentences = detail["sentences"].as_array().unwrap();

    let (status, headers, bytes) = app
        .download(&format!("/api/v1/history/{id}/export?format=csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("text/csv"));
    let disposition = header(&headers, "content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("book.csv"), "{disposition}");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");

    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let head: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        head,
        [
            "position",
            "page",
            "normalized",
            "original",
            "edited",
            "chapter",
            "chapter_title"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), sentences.len());
    for (row, s) in rows.iter().zip(sentences) {
        assert_eq!(row[0], s["position"].to_string());
        assert_eq!(row[1], s["page"].to_string());
        assert_eq!(row[4], s["edited"].to_string());
        if row[0] != *"2" {
            assert_eq!(&row[2], s["normalized"].as_str().unwrap());
        }
    }
    assert_eq!(rows[1][2], format!("'{FORMULA}"), "the formula is text");
}

#[actix_web::test]
async fn xlsx_opens_with_a_header_row_and_the_sentences_as_text() {
    let app = spawn_app().await;
    let (id, detail) = entry_with_a_formula(&app).await;
    let sentences = detail["sentences"].as_array().unwrap();

    let (status, headers, bytes) = app
        .download(&format!("/api/v1/history/{id}/export?format=xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, "content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("a valid XLSX file");
    let sheet = book
        .worksheet_range("Sentences")
        .expect("the Sentences sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][..4], ["position", "page", "normalized", "original"]);
    assert_eq!(rows.len(), sentences.len() + 1);
    assert_eq!(rows[1][2], sentences[0]["normalized"].as_str().unwrap());
    assert_eq!(rows[1][3], sentences[0]["original"].as_str().unwrap());
    // A string cell, exactly as written: never a formula.
    assert_eq!(rows[2][2], FORMULA);
    assert!(
        book.worksheet_formula("Sentences")
            .expect("formulas readable")
            .used_cells()
            .all(|(_, _, f)| f.is_empty()),
        "no cell holds a formula"
    );
}

#[actix_web::test]
async fn json_and_anki_exports_carry_the_sentences() {
    let app = spawn_app().await;
    let (id, detail) = entry_with_a_formula(&app).await;
    let sentences = detail["sentences"].as_array().unwrap();

    let (status, headers, bytes) = app
        .download(&format!("/api/v1/history/{id}/export?format=json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("application/json"));
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["file_name"], "book.pdf");
    let exported = json_rows(&doc);
    assert_eq!(exported.len(), sentences.len());
    assert_eq!(
        exported[1]["normalized"], FORMULA,
        "JSON keeps the text as it is"
    );
    assert_eq!(exported[1]["edited"], true);
    assert_eq!(exported[0]["original"], sentences[0]["original"]);

    let (status, headers, bytes) = app
        .download(&format!("/api/v1/history/{id}/export?format=ANKI"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("text/"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("#separator:tab\n"), "{text}");
    let cards: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(cards.len(), sentences.len());
    // The novel has chapters: front, back, and the chapter's tag.
    assert!(text.contains("\n#tags column:3\n"), "{text}");
    for card in &cards {
        assert_eq!(card.split('\t').count(), 3, "{card}");
    }
    assert!(cards[1].starts_with("'="), "{}", cards[1]);
    let page = sentences[0]["page"].as_i64().unwrap();
    assert!(cards[0].contains(&format!("p. {page}")), "{}", cards[0]);
}

#[actix_web::test]
async fn a_selection_exports_only_those_sentences_and_bad_requests_are_refused() {
    let app = spawn_app().await;
    let (id, detail) = entry_with_a_formula(&app).await;
    let count = detail["sentences"].as_array().unwrap().len();
    assert!(count >= 6, "{count}");

    let (status, _, bytes) = app
        .download(&format!(
            "/api/v1/history/{id}/export?format=json&positions=1-3,5"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let positions: Vec<i64> = json_rows(&doc)
        .iter()
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3, 5]);

    for (query, code) in [
        ("format=pdf", "invalid_format"),
        ("format=", "invalid_format"),
        ("", "invalid_request"),
        ("format=csv&positions=3-1", "invalid_selection"),
        ("format=csv&positions=a", "invalid_selection"),
        ("format=csv&positions=0", "invalid_selection"),
        ("format=csv&positions=999999", "invalid_selection"),
        ("format=csv&colour=red", "invalid_request"),
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/history/{id}/export?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
    }
    let (status, _) = app
        .get("/api/v1/history/00000000-0000-0000-0000-000000000000/export?format=csv")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The book's chapters: listed for the entry and for its job, named by every sentence of the
/// detail and the exports, and exported one at a time or as a range.
#[actix_web::test]
async fn chapters_are_listed_named_and_exported_alone() {
    let app = spawn_app().await;
    let (job, id) = app.finished_entry(&novel_pdf(12), &[]).await;

    let (status, body) = app.get(&format!("/api/v1/history/{id}/chapters")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let chapters = body["chapters"].as_array().expect("chapters").clone();
    assert!(chapters.len() >= 3, "{body}");
    for (i, c) in chapters.iter().enumerate() {
        assert_eq!(c["index"], i + 1, "{c}");
        assert!(
            c["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("CHAPITRE")),
            "{c}"
        );
        assert!(c["sentence_count"].as_u64().is_some_and(|n| n > 0), "{c}");
    }
    let (status, by_job) = app.get(&format!("/api/v1/jobs/{job}/chapters")).await;
    assert_eq!(status, StatusCode::OK, "{by_job}");
    assert_eq!(by_job["chapters"], body["chapters"]);

    // Every sentence of the detail names its chapter; the counts add up.
    let detail = app.history_detail(&id).await;
    let sentences = detail["sentences"].as_array().unwrap();
    let second = &chapters[1];
    let in_second: Vec<&Value> = sentences.iter().filter(|s| s["chapter"] == 2).collect();
    assert_eq!(
        in_second.len() as u64,
        second["sentence_count"].as_u64().unwrap()
    );
    assert_eq!(in_second[0]["position"], second["first_position"]);
    assert_eq!(
        in_second.last().unwrap()["position"],
        second["last_position"]
    );

    // One chapter, as JSON: its sentences only, and the list of chapters.
    let (status, _, bytes) = app
        .download(&format!(
            "/api/v1/history/{id}/export?format=json&chapters=2"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let exported = json_rows(&doc);
    assert_eq!(exported.len(), in_second.len());
    assert!(exported.iter().all(|s| s["chapter"] == 2));
    assert_eq!(doc["chapters"][1]["title"], second["title"]);

    // A range, as CSV: the chapter columns filled.
    let (status, _, bytes) = app
        .download(&format!(
            "/api/v1/history/{id}/export?format=csv&chapters=2-3"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected = second["sentence_count"].as_u64().unwrap()
        + chapters[2]["sentence_count"].as_u64().unwrap();
    assert_eq!(rows.len() as u64, expected);
    assert!(rows.iter().all(|r| &r[5] == "2" || &r[5] == "3"));
    assert_eq!(&rows[0][6], second["title"].as_str().unwrap());

    // Chapters that are not there: the one error shape.
    for bad in ["0", "x", "3-2", "99"] {
        let (status, body) = app
            .get(&format!(
                "/api/v1/history/{id}/export?format=csv&chapters={bad}"
            ))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_selection", "{bad}: {body}");
    }
}
