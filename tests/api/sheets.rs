//! Google Sheets: connecting a Google account (OAuth code flow) and exporting history entries,
//! against `fnt-fake-google`, which speaks Google's wire format and errors.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, novel_pdf, spawn_app, spawn_app_with};
use fnt::engine::Engines;
use fnt_fake_google::{self, Consent, FakeGoogle, FakeGoogleArgs, TokenFault, TokenKind};

/// Where Google sends the browser back; the port is the app's, which only exists once it runs,
/// so the test delivers the redirect to the app itself.
const REDIRECT: &str = "http://127.0.0.1:9/api/v1/google/callback";

async fn app_with_google() -> (TestApp, FakeGoogle) {
    app_with_google_and(|_| {}).await
}

async fn app_with_google_and(
    configure: impl FnOnce(&mut fnt::config::Config),
) -> (TestApp, FakeGoogle) {
    let fake = fnt_fake_google::start(FakeGoogleArgs::default())
        .await
        .expect("fake Google starts");
    let app = spawn_app_with(
        |c| {
            configure(c);
            c.google_client_id = Some("fake-client-id".into());
            c.google_client_secret = Some(fnt::config::Secret::new("fake-client-secret"));
            c.google_redirect_uri = Some(REDIRECT.into());
            c.google_base_url = Some(fake.url());
        },
        Engines::builtin(),
    )
    .await;
    (app, fake)
}

/// A consent started by the app's current user: (the callback URL Google sent the browser
/// back to, delivered to the app; the consent cookie the app gave this browser).
async fn consent_callback(app: &TestApp) -> (String, String) {
    let mut res = app
        .request(awc::http::Method::POST, "/api/v1/google/connect")
        .send()
        .await
        .expect("connect");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .cookie("fnt_google_consent")
        .expect("a consent cookie")
        .value()
        .to_owned();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    for part in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/api/v1/google/callback",
        "Max-Age=600",
    ] {
        assert!(set_cookie.contains(part), "{part} in {set_cookie}");
    }
    let body: Value = res.json().await.expect("JSON");
    let url = body["authorization_url"].as_str().unwrap().to_owned();
    let browser = awc::Client::builder().disable_redirects().finish();
    let res = browser.get(&url).send().await.expect("consent screen");
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res);
    assert!(back.starts_with(REDIRECT), "{back}");
    (back.replacen("http://127.0.0.1:9", &app.base, 1), cookie)
}

/// Delivers Google's redirect to the app as a browser holding `cookie` would.
async fn deliver(callback: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let browser = awc::Client::builder().disable_redirects().finish();
    let mut request = browser.get(callback);
    if let Some(cookie) = cookie {
        request = request.insert_header(("cookie", format!("fnt_google_consent={cookie}")));
    }
    let mut res = request.send().await.expect("callback");
    let status = res.status();
    if status == StatusCode::SEE_OTHER {
        return (status, location(&res));
    }
    let body = res.body().await.expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Plays the browser through a consent: our connect → Google's consent screen → our callback.
/// Returns where the callback sends the browser.
async fn consent(app: &TestApp) -> String {
    let (callback, cookie) = consent_callback(app).await;
    let (status, location) = deliver(&callback, Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    location
}

fn location<S>(res: &awc::ClientResponse<S>) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn export(app: &TestApp, id: &str, body: &Value) -> (StatusCode, Value) {
    app.post_json(&format!("/api/v1/history/{id}/sheets"), body)
        .await
}

#[actix_web::test]
async fn connect_export_append_refresh_and_reconnect() {
    let (app, fake) = app_with_google().await;
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["configured"], true);
    assert_eq!(status["connected"], false);

    let (_, url) = app.post("/api/v1/google/connect").await;
    let url = url["authorization_url"].as_str().unwrap();
    for part in [
        "client_id=fake-client-id",
        "access_type=offline",
        "code_challenge_method=S256",
        "response_type=code",
        "state=",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    assert_eq!(consent(&app).await, "/?google=connected#settings");
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["connected"], true, "{status}");
    assert_eq!(status["needs_reconnect"], false);

    // A new spreadsheet: header formatted and frozen, then every sentence, as literal text.
    let (_, id) = app.finished_entry(&novel_pdf(5), &[]).await;
    let formula = "=IMPORTXML(\"http://evil.example\",\"//a\")";
    app.patch_json(
        &format!("/api/v1/history/{id}/sentences/1"),
        &json!({"normalized": formula}),
    )
    .await;
    let (status, created) = export(&app, &id, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["appended"], false);
    let sheet = created["spreadsheet_id"].as_str().unwrap().to_owned();
    let detail = app.history_detail(&id).await;
    let sentences = detail["sentences"].as_array().unwrap().clone();
    assert_eq!(created["rows"].as_u64(), Some(sentences.len() as u64));
    let cells = fake.state().cells(&sheet).expect("the spreadsheet exists");
    assert_eq!(
        cells[0],
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
    // Each row names its chapter as the detail does.
    for (row, s) in cells[1..].iter().zip(&sentences) {
        let chapter = s["chapter"]
            .as_i64()
            .map_or_else(String::new, |c| c.to_string());
        assert_eq!(row[5], chapter, "{row:?}");
    }
    assert!(cells[1..].iter().any(|r| r[6].starts_with("CHAPITRE")));
    assert_eq!(cells.len(), sentences.len() + 1);
    assert_eq!(cells[1][2], formula, "stored as text (RAW), not run");
    assert_eq!(cells[2][3], sentences[1]["original"].as_str().unwrap());
    let header = fake
        .state()
        .header_format(&sheet)
        .expect("header formatted");
    assert_eq!(header.text_format.and_then(|t| t.bold), Some(true));
    assert!(header.background_color.is_some());
    assert_eq!(fake.state().frozen_rows(&sheet), Some(1));
    // The entry says where it went.
    let detail = app.history_detail(&id).await;
    assert_eq!(detail["entry"]["exported_to_sheets"], true);
    assert_eq!(detail["entry"]["sheet_url"], created["sheet_url"]);
    assert!(detail["entry"]["exported_at"].is_string());

    // Appending a selection to the same spreadsheet, named by its link, after the access
    // token expired: refreshed once, then written below the last row.
    fake.state().expire_access_tokens();
    let refresh_count = || {
        fake.state()
            .issued_tokens()
            .iter()
            .filter(|t| t.kind == TokenKind::Access)
            .count()
    };
    let before = refresh_count();
    let link = created["sheet_url"].as_str().unwrap();
    let (status, appended) = export(
        &app,
        &id,
        &json!({"spreadsheet_id": link, "positions": "2-3"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{appended}");
    assert_eq!(appended["appended"], true);
    assert_eq!(appended["rows"], 2);
    assert_eq!(appended["spreadsheet_id"], sheet.as_str());
    assert_eq!(refresh_count(), before + 1, "one refresh");
    let cells = fake.state().cells(&sheet).unwrap();
    assert_eq!(cells.len(), sentences.len() + 3);
    assert_eq!(cells[sentences.len() + 1][0], "2");
    assert_eq!(
        cells[sentences.len() + 2][2],
        sentences[2]["normalized"].as_str().unwrap()
    );

    // Google refuses the refresh token: the user must reconnect, and nothing is sent until.
    fake.state().expire_access_tokens();
    fake.state()
        .script_token_faults([TokenFault::ExpiredOrRevoked]);
    let (status, body) = export(&app, &id, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "google_reconnect_required");
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["needs_reconnect"], true);
    let requests = fake.state().requests().len();
    let (status, body) = export(&app, &id, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        fake.state().requests().len(),
        requests,
        "Google was not asked"
    );

    // Consenting again repairs it; disconnecting forgets it and revokes the grant.
    assert_eq!(consent(&app).await, "/?google=connected#settings");
    let (status, body) = export(&app, &id, &json!({"positions": "1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.delete("/api/v1/google").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        fake.state().requests().iter().any(|r| r.path == "/revoke"),
        "the grant was revoked"
    );
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["connected"], false);
    let (status, body) = export(&app, &id, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "google_not_connected");
    let (status, _) = app.delete("/api/v1/google").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fake.stop().await;
}

#[actix_web::test]
async fn refused_consents_and_forged_callbacks_connect_nothing() {
    let (app, fake) = app_with_google().await;

    fake.state().script_consent([Consent::Deny]);
    assert_eq!(
        consent(&app).await,
        "/?google=google_access_denied#settings"
    );
    fake.state()
        .script_consent([Consent::GrantOnly("openid email".into())]);
    assert_eq!(
        consent(&app).await,
        "/?google=google_scope_missing#settings"
    );
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["connected"], false, "{status}");

    for query in [
        "",
        "?code=abc",
        "?state=&code=abc",
        "?state=never-issued&code=abc",
        &format!("?state={}&code=abc", "s".repeat(500)),
    ] {
        let (status, body) = app.get(&format!("/api/v1/google/callback{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_oauth_state", "{body}");
    }

    // A consent link sent to someone else: their browser lacks this one's cookie (or has its
    // own), so it connects nothing, and the consent stays usable by the browser that asked.
    let (callback, cookie) = consent_callback(&app).await;
    let (_, other_cookie) = consent_callback(&app).await;
    for stranger in [None, Some(other_cookie.as_str()), Some("forged")] {
        let (status, body) = deliver(&callback, stranger).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{stranger:?}: {body}");
        assert!(body.contains("invalid_oauth_state"), "{body}");
    }
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["connected"], false, "{status}");
    let (status, location) = deliver(&callback, Some(&cookie)).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/?google=connected#settings")
    );
    // A state works once: replaying Google's redirect is refused.
    let (status, body) = deliver(&callback, Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // An expired consent is refused too.
    app.core
        .db
        .save_oauth_state(
            "old-state-hash",
            "old-browser-hash",
            fnt::db::LOCAL_USER_ID,
            "verifier",
            -1,
        )
        .await
        .unwrap();
    assert_eq!(
        app.core
            .db
            .take_oauth_state("old-state-hash", "old-browser-hash")
            .await
            .unwrap(),
        None
    );

    let (_, id) = app.finished_entry(&novel_pdf(3), &[]).await;
    for (body, code) in [
        (json!({"spreadsheet_id": "../../x"}), "invalid_spreadsheet"),
        (json!({"positions": "z"}), "invalid_selection"),
        (json!({"sheet": "x"}), "invalid_request"),
    ] {
        let (status, answer) = export(&app, &id, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    // A spreadsheet Google does not have.
    let (status, answer) = export(
        &app,
        &id,
        &json!({"spreadsheet_id": "1AAAAAAAAAAAAAAAAAAAAAAAAAA"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "spreadsheet_not_found");
    fake.stop().await;
}

#[actix_web::test]
async fn without_a_google_client_the_export_says_it_is_not_configured() {
    let app = spawn_app().await;
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(status["configured"], false);
    let (_, id) = app.finished_entry(&novel_pdf(3), &[]).await;
    for (status, body) in [
        app.post("/api/v1/google/connect").await,
        export(&app, &id, &json!({})).await,
        app.get("/api/v1/google/callback?state=abc&code=def").await,
    ] {
        // A feature this server does not offer is the learner's to know, not a server error.
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "google_not_configured");
    }
    let metrics = app.metrics().await;
    let server_errors: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("fnt_http_requests_total") && l.contains("status=\"5"))
        .collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
}

#[actix_web::test]
async fn another_users_entry_cannot_be_exported_and_connections_are_per_user() {
    let (app, fake) = app_with_google_and(|c| c.auth = Some(fnt::auth::AuthMode::Accounts)).await;
    let tokens = [
        app.register("alice@example.com").await,
        app.register("bob@example.com").await,
    ];
    app.act_as(Some(&tokens[0]));
    assert_eq!(consent(&app).await, "/?google=connected#settings");
    let (_, id) = app.finished_entry(&novel_pdf(3), &[]).await;

    app.act_as(Some(&tokens[1]));
    let (_, status) = app.get("/api/v1/google").await;
    assert_eq!(
        status["connected"], false,
        "alice's connection is hers: {status}"
    );
    let requests = fake.state().requests().len();
    for target in [id.as_str(), "00000000-0000-0000-0000-000000000000"] {
        let (status, body) = export(&app, target, &json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(
            body,
            json!({"error": {"code": "not_found", "message": "history entry not found"}})
        );
    }
    assert_eq!(
        fake.state().requests().len(),
        requests,
        "Google was not asked"
    );
    app.act_as(None);
    assert_eq!(
        app.post("/api/v1/google/connect").await.0,
        StatusCode::UNAUTHORIZED
    );
    fake.stop().await;
}
