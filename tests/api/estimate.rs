//! The preflight estimate: the job a PDF would make and what it would cost, before any job.

use actix_web::http::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, multipart_body, novel_pdf, spawn_app};

pub(crate) async fn estimate(
    app: &TestApp,
    pdf: &[u8],
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let boundary = "fnt-estimate-boundary";
    let body = multipart_body(boundary, fields, Some(("roman.pdf", pdf)));
    app.post_raw(
        "/api/v1/jobs/estimate",
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await
}

#[actix_web::test]
async fn the_estimate_matches_the_job_it_describes_and_starts_nothing() {
    let app = spawn_app().await;
    let pdf = novel_pdf(12);

    let (status, body) = estimate(&app, &pdf, &[("sentence_length_limit", "6")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["file_name"], "roman.pdf");
    assert_eq!(body["file_size"].as_u64(), Some(pdf.len() as u64));
    let e = &body["estimate"];
    let (_, jobs) = app.get("/api/v1/jobs").await;
    assert_eq!(
        jobs["jobs"],
        serde_json::json!([]),
        "an estimate is not a job"
    );

    let models = e["models"].as_array().unwrap();
    let names: Vec<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "gemini-3.5-flash-lite",
            "gemini-3.8-flash",
            "gemini-3.1-pro-preview"
        ]
    );
    let costs: Vec<f64> = models
        .iter()
        .map(|m| m["estimated_cost_usd"].as_f64().unwrap())
        .collect();
    assert!(
        costs[0] > 0.0 && costs[0] < costs[1] && costs[1] < costs[2],
        "{costs:?}"
    );
    assert!(e["estimated_tokens_in"].as_u64().unwrap() > e["words"].as_u64().unwrap());
    assert!(e["estimated_tokens_out"].as_u64().unwrap() > 0);

    let job = app.submit(&pdf, &[("sentence_length_limit", "6")]).await;
    let done = app.wait_until_finished(&job).await;
    assert_eq!(e["pages"], done["page_count"]);
    assert_eq!(e["chunks"], done["total_chunks"]);
}

#[actix_web::test]
async fn what_an_upload_would_refuse_the_estimate_refuses_the_same_way() {
    let app = spawn_app().await;
    let (status, body) = estimate(&app, b"%PDF-1.4 not really", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = estimate(&app, b"hello", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "not_a_pdf");
    let (status, body) = estimate(&app, &novel_pdf(3), &[("sentence_length_limit", "99")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app
        .post_raw(
            "/api/v1/jobs/estimate",
            "multipart/form-data; boundary=x",
            multipart_body("x", &[("engine", "local")], None),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "missing_file");
    let (status, body) = app.get("/api/v1/jobs/estimate").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
}

#[actix_web::test]
async fn estimates_are_limited_per_user_when_uploads_are() {
    let app = crate::helpers::spawn_app_with(
        |c| c.uploads_per_hour = Some(1),
        fnt::engine::Engines::builtin(),
    )
    .await;
    let pdf = novel_pdf(3);
    for _ in 0..6 {
        let (status, body) = estimate(&app, &pdf, &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = estimate(&app, &pdf, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_estimates");
}
