//! Saved settings: validated, kept per user, and the defaults of every new job.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::{novel_pdf, spawn_app};

#[actix_web::test]
async fn saved_settings_are_the_defaults_of_new_jobs_and_upload_fields_override_them() {
    let app = spawn_app().await;
    let (status, initial) = app.get("/api/v1/settings").await;
    assert_eq!(status, StatusCode::OK, "{initial}");
    assert_eq!(initial["settings"]["sentence_length_limit"], 8);
    assert_eq!(initial["settings"]["engine"], "local");
    assert_eq!(initial["engines"], json!(["local"]));

    let (status, saved) = app
        .put_json(
            "/api/v1/settings",
            &json!({"sentence_length_limit": 12, "ignore_dialogue": true, "model_preference": "quality"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["settings"]["sentence_length_limit"], 12);
    assert_eq!(saved["settings"]["ignore_dialogue"], true);
    assert_eq!(saved["settings"]["model_preference"], "quality");
    // What was not sent kept its value.
    assert_eq!(
        saved["settings"]["fix_hyphenation"],
        initial["settings"]["fix_hyphenation"]
    );
    let (_, read_back) = app.get("/api/v1/settings").await;
    assert_eq!(read_back, saved);

    let job = app.submit(&novel_pdf(3), &[]).await;
    let settings = &app.job(&job).await["settings"];
    assert_eq!(settings["sentence_length_limit"], 12);
    assert_eq!(settings["ignore_dialogue"], true);
    let job = app
        .submit(&novel_pdf(3), &[("sentence_length_limit", "6")])
        .await;
    let settings = &app.job(&job).await["settings"];
    assert_eq!(settings["sentence_length_limit"], 6);
    assert_eq!(settings["ignore_dialogue"], true);
}

#[actix_web::test]
async fn invalid_settings_are_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let (_, before) = app.get("/api/v1/settings").await;
    for bad in [
        json!({"sentence_length_limit": 51}),
        json!({"sentence_length_limit": 2}),
        json!({"sentence_length_limit": -1}),
        json!({"sentence_length_limit": "eight"}),
        json!({"min_sentence_length": 0}),
        json!({"sentence_length_limit": 5, "min_sentence_length": 6}),
        json!({"engine": "gemini"}),
        json!({"input_mode": "pdf"}),
        json!({"model_preference": "fastest"}),
        json!({"ignore_dialogue": "yes"}),
        json!({"colour": "red"}),
        json!([1, 2]),
    ] {
        let (status, body) = app.put_json("/api/v1/settings", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
    let (status, body) = app
        .post_raw("/api/v1/settings", "application/json", b"{}".to_vec())
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (_, after) = app.get("/api/v1/settings").await;
    assert_eq!(after, before);
}
