//! Every kind of bad input gets a 4xx in the one error shape, stores nothing, and leaves the
//! server serving; what only reading the pages shows (a scan without text) gets the same
//! error on a `rejected` job.

use actix_web::http::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, eventually, multipart_body, novel_pdf, spawn_app, spawn_app_with};
use fnt_testkit::pdf::{encrypted_pdf, image_only_pdf};

/// The error shape, and nothing left behind.
async fn assert_rejected(
    app: &TestApp,
    (status, body): (StatusCode, Value),
    expected: StatusCode,
    code: &str,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        app.stored_uploads(),
        Vec::<String>::new(),
        "an upload was left behind"
    );
    let (_, jobs) = app.get("/api/v1/jobs").await;
    assert_eq!(jobs["jobs"], Value::Array(vec![]), "a job row was created");
    assert_eq!(
        app.get("/healthz").await.0,
        StatusCode::OK,
        "the server stopped serving"
    );
}

#[actix_web::test]
async fn files_that_are_not_usable_pdfs_are_refused() {
    let app = spawn_app().await;
    let good = novel_pdf(5);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

    assert_rejected(
        &app,
        app.upload(b"", &[]).await,
        unprocessable,
        "empty_file",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(b"Bonjour, ceci n'est pas un PDF.", &[]).await,
        unprocessable,
        "not_a_pdf",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&good[..good.len() / 3], &[]).await,
        unprocessable,
        "malformed_pdf",
    )
    .await;
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend(std::iter::repeat_n(b"obj << /Type /Page >> endobj \xff\xfe", 200).flatten());
    assert_rejected(
        &app,
        app.upload(&garbage, &[]).await,
        unprocessable,
        "malformed_pdf",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&encrypted_pdf(), &[]).await,
        unprocessable,
        "encrypted_pdf",
    )
    .await;
    // Only reading pages tells a scan from a book: the sandboxed reader does, after the 202.
    let refusal = app.upload_refused(&image_only_pdf(3), &[]).await;
    assert!(refusal.job.is_some(), "{refusal:?}");
    assert_eq!(refusal.code(), "no_text_layer");
    assert!(refusal.message().contains("local engine"), "{refusal:?}");
    eventually("the staged upload to go", || async {
        app.stored_uploads().is_empty().then_some(())
    })
    .await;
}

#[actix_web::test]
async fn limits_on_pages_and_size_are_enforced() {
    let app = spawn_app_with(
        |c| {
            c.max_pages = 4;
            c.max_upload_mb = 1;
        },
        fnt::engine::Engines::builtin(),
    )
    .await;
    let (status, body) = app.upload(&novel_pdf(8), &[]).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("at most 4"),
        "{body}"
    );
    assert_rejected(
        &app,
        (status, body),
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_pages",
    )
    .await;

    let mut big = novel_pdf(2);
    big.extend(std::iter::repeat_n(b'%', 2 * 1024 * 1024));
    assert_rejected(
        &app,
        app.upload(&big, &[]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[actix_web::test]
async fn malformed_requests_are_refused() {
    let app = spawn_app().await;
    let pdf = novel_pdf(5);
    let bad = StatusCode::BAD_REQUEST;

    assert_rejected(
        &app,
        app.upload(&pdf, &[("sentence_length_limit", "2")]).await,
        bad,
        "invalid_setting",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&pdf, &[("sentence_length_limit", "huit")]).await,
        bad,
        "invalid_setting",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&pdf, &[("colour", "blue")]).await,
        bad,
        "invalid_setting",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&pdf, &[("engine", "gemini")]).await,
        bad,
        "invalid_setting",
    )
    .await;
    assert_rejected(
        &app,
        app.upload(&pdf, &[("ignore_dialogue", &"x".repeat(5000))])
            .await,
        bad,
        "invalid_setting",
    )
    .await;

    let no_file = multipart_body("b0undary", &[("ignore_dialogue", "true")], None);
    let res = app
        .post_raw(
            "/api/v1/jobs",
            "multipart/form-data; boundary=b0undary",
            no_file,
        )
        .await;
    assert_rejected(&app, res, bad, "missing_file").await;

    let two_files = {
        let mut body = multipart_body("b0undary", &[], Some(("a.pdf", &pdf)));
        body.truncate(body.len() - "--b0undary--\r\n".len());
        body.extend(multipart_body("b0undary", &[], Some(("b.pdf", &pdf))));
        body
    };
    let res = app
        .post_raw(
            "/api/v1/jobs",
            "multipart/form-data; boundary=b0undary",
            two_files,
        )
        .await;
    assert_rejected(&app, res, bad, "invalid_request").await;

    let res = app
        .post_raw(
            "/api/v1/jobs",
            "application/json",
            br#"{"file": "book.pdf"}"#.to_vec(),
        )
        .await;
    assert_rejected(&app, res, bad, "invalid_request").await;
    let res = app
        .post_raw(
            "/api/v1/jobs",
            "multipart/form-data; boundary=zz",
            b"--zz\r\nnonsense".to_vec(),
        )
        .await;
    assert_rejected(&app, res, bad, "invalid_request").await;
}

#[actix_web::test]
async fn unknown_routes_methods_and_ids_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let cases = [
        (
            app.get("/api/v1/nothing-here").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (app.get("/nope").await, StatusCode::NOT_FOUND, "not_found"),
        (
            app.get("/api/v1/jobs/not-a-uuid").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.get("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000")
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.post("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000/cancel")
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.get("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000/result")
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.post("/api/v1/jobs/x/y/z").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.post("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000/retry")
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.get("/api/v1/jobs/not-a-uuid/events").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.get("/api/v1/jobs?limit=0").await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            app.get("/api/v1/jobs?limit=abc").await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            app.get("/api/v1/jobs?offset=-1").await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            app.get("/api/v1/jobs?sort=up").await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            app.get("/api/v1/jobs/6f1c2b1e-0000-4000-8000-000000000000/cancel")
                .await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (i, ((status, body), expected, code)) in cases.into_iter().enumerate() {
        assert_eq!(status, expected, "case {i}: {body}");
        assert_eq!(body["error"]["code"], code, "case {i}: {body}");
    }
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
}
