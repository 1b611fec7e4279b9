//! `fnt process book.pdf -o book.csv`: the same pipeline, in-process, from the command line.

use std::process::Command;

use actix_web::http::StatusCode;

use crate::helpers::{novel_pdf, spawn_app};

/// Runs `fnt process ARGS -o CSV PDF` and checks that it succeeded.
fn process(args: &[&str], pdf: &std::path::Path, csv: &std::path::Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_fnt"))
        .arg("process")
        .args(args)
        .arg("-o")
        .arg(csv)
        .arg(pdf)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[actix_web::test]
async fn process_writes_the_same_sentences_as_the_service_to_csv() {
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("roman.pdf");
    let csv_path = dir.path().join("roman.csv");
    let pdf = novel_pdf(8);
    std::fs::write(&pdf_path, &pdf).unwrap();

    process(&["--quiet"], &pdf_path, &csv_path);

    let written = std::fs::read(&csv_path).unwrap();

    // Byte for byte the web export of the same book.
    let app = spawn_app().await;
    let (job, entry) = app.finished_entry(&pdf, &[]).await;
    let (status, _, downloaded) = app
        .download(&format!("/api/v1/history/{entry}/export?format=csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(written).unwrap(),
        String::from_utf8(downloaded).unwrap()
    );

    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&csv_path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let expected = app.sentences(&job).await;
    assert_eq!(rows.len(), expected.len());
    for (i, (row, (normalized, original, page))) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(row[1], page.to_string());
        assert_eq!(&row[2], fnt::export::neutralize(normalized).as_ref());
        assert_eq!(&row[3], fnt::export::neutralize(original).as_ref());
    }
}

/// A real book's chapters reach the CSV: each sentence says the heading it stands under.
#[test]
fn process_writes_each_sentences_chapter() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("gouraud.csv");
    let pdf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/producers/pdftex.pdf");
    process(&["--quiet", "--engine", "local"], &pdf, &csv_path);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&csv_path)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let chapters: Vec<&str> = rows.iter().map(|r| &r[6]).collect();
    // Book order: every sentence of chapter I, then every sentence of chapter II; the title
    // page and the table of contents give none.
    let first_two = chapters.iter().position(|c| *c == "Chapitre II").unwrap();
    assert!(first_two > 10, "{first_two}");
    assert!(chapters[..first_two].iter().all(|c| *c == "Chapitre I"));
    assert!(chapters[first_two..].iter().all(|c| *c == "Chapitre II"));
    let first = &rows[0];
    assert!(
        first[3].starts_with("L'année scolaire est finie."),
        "{first:?}"
    );
    assert_eq!(&first[1], "3");
    assert_eq!(&first[5], "1");
    // The same file as the web export: its header, its byte-order mark.
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(
        "\u{feff}position,page,normalized,original,edited,chapter,chapter_title\r\n".as_bytes()
    ));
}

#[test]
fn process_reports_an_unreadable_pdf_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.pdf");
    std::fs::write(&bogus, "pas un pdf").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_fnt"))
        .args(["process", "--quiet"])
        .arg(&bogus)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a PDF"), "{stderr}");
}
