//! Accounts: sign-up, sign-in, rotating refresh tokens, logout; expired, forged and revoked
//! tokens; ownership on every route and on the WebSocket; WebSockets closed when their session
//! ends; admin-only system endpoints; the limits; and the single-user mode.

use std::time::Duration;

use actix_web::http::StatusCode;
use awc::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use fnt::app::Application;
use fnt::auth::AuthMode;
use fnt::config::{Config, ServeConfig};
use fnt::engine::Engines;

use crate::helpers::{
    Act, ScriptedEngine, TestApp, eventually, multipart_body, novel_pdf, spawn_app_with,
};
use crate::ws_client::{WsClient, assert_closed_for_ended_session};

async fn accounts_app(configure: impl FnOnce(&mut Config), engines: Engines) -> TestApp {
    spawn_app_with(
        |c| {
            c.auth = Some(AuthMode::Accounts);
            configure(c);
        },
        engines,
    )
    .await
}

/// Registers `email` and returns (access token, refresh token).
async fn register(app: &TestApp, email: &str) -> (String, String) {
    app.act_as(None);
    let (status, body) = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    tokens(&body)
}

fn tokens(body: &Value) -> (String, String) {
    (
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    )
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    app.act_as(None);
    app.post_json(
        "/api/v1/auth/login",
        &json!({"email": email, "password": password}),
    )
    .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> (StatusCode, Value) {
    app.act_as(None);
    app.post_json(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": refresh_token}),
    )
    .await
}

async fn me_status(app: &TestApp, token: Option<&str>) -> StatusCode {
    app.act_as(token);
    app.get("/api/v1/auth/me").await.0
}

/// Sends an upload and returns status, body and the Retry-After header.
async fn upload_with_headers(app: &TestApp, pdf: &[u8]) -> (StatusCode, Value, Option<u64>) {
    let boundary = "accounts-boundary";
    let body = multipart_body(boundary, &[], Some(("book.pdf", pdf)));
    let mut res = app
        .request(Method::POST, "/api/v1/jobs")
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(body)
        .await
        .expect("sent");
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: Value = res.json().await.expect("JSON");
    (res.status(), body, retry_after)
}

#[actix_web::test]
async fn sign_up_sign_in_refresh_and_logout() {
    let app = accounts_app(|_| {}, Engines::builtin()).await;
    let (access, first_refresh) = register(&app, "Alice@Example.com ").await;

    app.act_as(Some(&access));
    let (status, me) = app.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            me["email"].as_str(),
            me["role"].as_str(),
            me["auth"].as_str()
        ),
        (Some("alice@example.com"), Some("user"), Some("accounts"))
    );

    // Refused sign-ups, each in the one error shape.
    app.act_as(None);
    for (body, status, code) in [
        (
            json!({"email": "alice@example.com", "password": "another password"}),
            StatusCode::CONFLICT,
            "email_taken",
        ),
        (
            json!({"email": "not-an-email", "password": "long enough"}),
            StatusCode::BAD_REQUEST,
            "invalid_email",
        ),
        (
            json!({"email": "b@example.com", "password": "short"}),
            StatusCode::BAD_REQUEST,
            "invalid_password",
        ),
        (
            json!({"email": "b@example.com", "password": "long enough", "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let (got, answer) = app.post_json("/api/v1/auth/register", &body).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }

    // Wrong password and unknown email get the same answer.
    let (wrong, wrong_body) = login(&app, "alice@example.com", "not the password").await;
    let (unknown, unknown_body) = login(&app, "nobody@example.com", "not the password").await;
    assert_eq!(
        (wrong, unknown),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong_body, unknown_body);
    let (status, body) = login(&app, "alice@example.com", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (second_access, _) = tokens(&body);
    assert_eq!(me_status(&app, Some(&second_access)).await, StatusCode::OK);

    // Refresh rotates: the new pair works, the old refresh token is spent.
    let (status, body) = refresh(&app, &first_refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (rotated_access, rotated_refresh) = tokens(&body);
    assert_ne!(rotated_refresh, first_refresh);
    assert_eq!(me_status(&app, Some(&rotated_access)).await, StatusCode::OK);
    // Presenting the spent token again means someone copied it: the session ends for all.
    assert_eq!(
        refresh(&app, &first_refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &rotated_refresh).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me_status(&app, Some(&rotated_access)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me_status(&app, Some(&second_access)).await,
        StatusCode::OK,
        "other sessions live on"
    );

    // Logout ends the session's access and refresh tokens at once.
    let (status, body) = login(&app, "alice@example.com", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK);
    let (access, refresh_token) = tokens(&body);
    app.act_as(Some(&access));
    assert_eq!(
        app.post("/api/v1/auth/logout").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        me_status(&app, Some(&access)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &refresh_token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn expired_forged_and_garbage_tokens_are_refused() {
    let app = accounts_app(|c| c.access_token_secs = 1, Engines::builtin()).await;
    let (access, _) = register(&app, "eve@example.com").await;
    assert_eq!(me_status(&app, Some(&access)).await, StatusCode::OK);

    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    for forged in [
        format!("{}.{forged_payload}.{}", parts[0], parts[2]),
        format!("{none_header}.{forged_payload}."),
        format!("{none_header}.{}.", parts[1]),
        "garbage".to_owned(),
        String::new(),
    ] {
        app.act_as(Some(&forged));
        let (status, body) = app.get("/api/v1/jobs").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{forged}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    // The token lives two seconds (whole seconds, as JWT counts them): wait for it to expire
    // rather than for a fixed time.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while me_status(&app, Some(&access)).await != StatusCode::UNAUTHORIZED {
        assert!(
            std::time::Instant::now() < deadline,
            "the token never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = app
        .request(Method::GET, "/api/v1/jobs")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
}

#[actix_web::test]
async fn another_users_jobs_answer_404_on_every_route_and_on_the_websocket() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(20)));
    let app = accounts_app(|_| {}, engine.engines()).await;
    let (alice, _) = register(&app, "alice@example.com").await;
    let (bob, _) = register(&app, "bob@example.com").await;

    app.act_as(Some(&alice));
    let id = app.submit(&novel_pdf(6), &[]).await;
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    let missing = uuid::Uuid::new_v4().to_string();

    let routes = |job: &str| {
        [
            (Method::GET, format!("/api/v1/jobs/{job}")),
            (Method::GET, format!("/api/v1/jobs/{job}/result")),
            (Method::GET, format!("/api/v1/jobs/{job}/events")),
            (Method::POST, format!("/api/v1/jobs/{job}/cancel")),
            (Method::POST, format!("/api/v1/jobs/{job}/retry")),
        ]
    };
    for (method, path) in routes(&id) {
        app.act_as(Some(&bob));
        let mut theirs = app.request(method.clone(), &path).send().await.unwrap();
        let theirs_body: Value = theirs.json().await.unwrap();
        let missing_path = path.replace(&id, &missing);
        let mut absent = app
            .request(method.clone(), &missing_path)
            .send()
            .await
            .unwrap();
        let absent_body: Value = absent.json().await.unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            theirs_body, absent_body,
            "{method} {path}: exactly like a missing job"
        );

        app.act_as(None);
        let anonymous = app.request(method.clone(), &path).send().await.unwrap();
        assert_eq!(
            anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    app.act_as(Some(&bob));
    let (_, listed) = app.get("/api/v1/jobs").await;
    assert_eq!(listed["jobs"], json!([]));
    app.act_as(Some(&alice));
    let (_, listed) = app.get("/api/v1/jobs").await;
    assert_eq!(listed["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/jobs/{id}/result")).await.0,
        StatusCode::OK
    );

    // The WebSocket: Bob cannot follow Alice's job; Alice can; nobody can without a token.
    let mut ws = WsClient::connect_as(&app.base, Some(&bob)).await;
    let answer = ws.subscribe(&id, Some(0)).await;
    assert_eq!(answer["error"]["code"], "not_found", "{answer}");
    let mut ws = WsClient::connect_as(&app.base, Some(&alice)).await;
    assert_eq!(ws.subscribe(&id, Some(0)).await["type"], "snapshot");
    let refused = awc::Client::new()
        .ws(format!("{}/api/v1/ws", app.base.replacen("http", "ws", 1)))
        .connect()
        .await;
    match refused {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
            assert_eq!(status, StatusCode::UNAUTHORIZED)
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a WebSocket without a token was accepted"),
    }
}

/// An accounts app whose jobs run long enough to have events while a socket follows them.
async fn app_with_a_running_job() -> (TestApp, String) {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(200)));
    let app = accounts_app(
        |c| {
            // Without pings, a socket that stays open fails the test's wait instead of
            // keeping it waiting.
            c.ws_ping_interval_ms = 600_000;
            c.ws_client_timeout_ms = 600_000;
        },
        engine.engines(),
    )
    .await;
    let (owner, _) = register(&app, "reader@example.com").await;
    app.act_as(Some(&owner));
    let id = app.submit(&novel_pdf(12), &[]).await;
    (app, id)
}

/// A socket opened with `access`, following `job`.
async fn following(app: &TestApp, access: &str, job: &str) -> WsClient {
    let mut ws = WsClient::connect_as(&app.base, Some(access)).await;
    let snapshot = ws.subscribe(job, Some(0)).await;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
    ws
}

#[actix_web::test]
async fn a_websocket_closes_when_its_session_logs_out() {
    let (app, id) = app_with_a_running_job().await;
    let (status, body) = login(&app, "reader@example.com", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (leaving, _) = tokens(&body);
    let (status, body) = login(&app, "reader@example.com", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (staying, _) = tokens(&body);
    let mut ws = following(&app, &leaving, &id).await;
    let mut other = following(&app, &staying, &id).await;

    app.act_as(Some(&leaving));
    assert_eq!(
        app.post("/api/v1/auth/logout").await.0,
        StatusCode::NO_CONTENT
    );
    // At once: the next thing the client sends is not served.
    ws.try_send(awc::ws::Message::Text(
        json!({"type": "subscribe", "job_id": id, "after_seq": 0})
            .to_string()
            .into(),
    ))
    .await;
    assert_closed_for_ended_session(&mut ws).await;

    // Another session's socket serves on.
    let events = other.events_until_final(&id).await;
    assert_eq!(events.last().unwrap()["status"], "completed");
    assert_eq!(other.subscribe(&id, None).await["type"], "snapshot");
}

#[actix_web::test]
async fn a_websocket_closes_when_its_session_is_revoked_for_a_reused_refresh_token() {
    let (app, id) = app_with_a_running_job().await;
    let (status, body) = login(&app, "reader@example.com", "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, spent) = tokens(&body);
    let (status, body) = refresh(&app, &spent).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (access, _) = tokens(&body);
    let mut ws = following(&app, &access, &id).await;

    // Someone presents the spent refresh token: the session is revoked for everyone.
    assert_eq!(refresh(&app, &spent).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me_status(&app, Some(&access)).await,
        StatusCode::UNAUTHORIZED
    );
    ws.try_send(awc::ws::Message::Text(
        json!({"type": "subscribe", "job_id": id})
            .to_string()
            .into(),
    ))
    .await;
    assert_closed_for_ended_session(&mut ws).await;

    // A socket the revoked token opens now is refused at the handshake.
    let refused = awc::Client::new()
        .ws(format!(
            "{}/api/v1/ws?access_token={access}",
            app.base.replacen("http", "ws", 1)
        ))
        .connect()
        .await;
    assert!(
        matches!(
            refused,
            Err(awc::error::WsClientError::InvalidResponseStatus(
                StatusCode::UNAUTHORIZED
            ))
        ),
        "a revoked token opened a socket"
    );
}

#[actix_web::test]
async fn system_endpoints_are_for_admins() {
    let app = accounts_app(|_| {}, Engines::builtin()).await;
    let (user, _) = register(&app, "ops@example.com").await;
    app.act_as(None);
    assert_eq!(
        app.get("/api/v1/system/status").await.0,
        StatusCode::UNAUTHORIZED
    );
    app.act_as(Some(&user));
    let (status, body) = app.get("/api/v1/system/status").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    assert!(
        app.core
            .db
            .set_role("ops@example.com", "admin")
            .await
            .unwrap()
    );
    let (_, body) = login(&app, "ops@example.com", "correct horse battery").await;
    let (admin, _) = tokens(&body);
    app.act_as(Some(&admin));
    let (status, body) = app.get("/api/v1/system/status").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["jobs"].is_object() && body["progress_listeners"].is_number());
}

/// An upload sent over a plain socket that stops half-way through its body: the server has
/// admitted it and is reading it. `finish` sends the rest and returns the status line.
struct HalfSent {
    socket: tokio::net::TcpStream,
    rest: Vec<u8>,
}

impl HalfSent {
    async fn start(app: &TestApp, body: &[u8], boundary: &str) -> Self {
        use tokio::io::AsyncWriteExt;
        let host = app.base.trim_start_matches("http://").to_owned();
        let mut socket = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "POST /api/v1/jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            app.token().unwrap(),
            body.len()
        );
        let half = body.len() / 2;
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(&body[..half]).await.unwrap();
        socket.flush().await.unwrap();
        Self {
            socket,
            rest: body[half..].to_vec(),
        }
    }

    async fn finish(mut self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.socket.write_all(&self.rest).await.unwrap();
        let mut answer = Vec::new();
        self.socket.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    }
}

#[actix_web::test]
async fn uploads_sent_at_once_past_the_job_limit_are_refused_before_their_bodies() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = accounts_app(|c| c.jobs_per_user = Some(3), engine.engines()).await;
    let (alice, _) = register(&app, "alice@example.com").await;
    app.act_as(Some(&alice));
    let boundary = "half-sent";
    let body = multipart_body(boundary, &[], Some(("book.pdf", &novel_pdf(6))));

    // Three uploads admitted and half received: none is a job yet.
    let mut uploads = Vec::new();
    for _ in 0..3 {
        uploads.push(HalfSent::start(&app, &body, boundary).await);
    }
    eventually("three bodies being received", || async {
        let parts = app
            .stored_uploads()
            .iter()
            .filter(|f| f.ends_with(".part"))
            .count();
        (parts == 3).then_some(())
    })
    .await;

    // A fourth is refused at once, its body never read, though no job exists yet.
    let (status, body_of_fourth, _) = upload_with_headers(&app, &body[..0]).await;
    assert_eq!(
        (status, body_of_fourth["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_jobs"))
    );
    assert_eq!(
        app.stored_uploads()
            .iter()
            .filter(|f| f.ends_with(".part"))
            .count(),
        3
    );

    // The three finish and become jobs.
    for upload in uploads {
        assert_eq!(upload.finish().await, "HTTP/1.1 202 Accepted");
    }
    // Their places are jobs now, not uploads in flight: still three at once.
    let (status, refused, _) = upload_with_headers(&app, &novel_pdf(6)).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_jobs"))
    );
}

#[actix_web::test]
async fn uploads_per_hour_and_jobs_at_once_are_limited_per_user() {
    let engine = ScriptedEngine::new().always(Act::Hang);
    let app = accounts_app(
        |c| {
            c.uploads_per_hour = Some(3);
            c.jobs_per_user = Some(2);
        },
        engine.engines(),
    )
    .await;
    let (alice, _) = register(&app, "alice@example.com").await;
    let (bob, _) = register(&app, "bob@example.com").await;
    let pdf = novel_pdf(6);

    app.act_as(Some(&alice));
    for _ in 0..2 {
        assert_eq!(
            upload_with_headers(&app, &pdf).await.0,
            StatusCode::ACCEPTED
        );
    }
    let (status, body, retry_after) = upload_with_headers(&app, &pdf).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_jobs"))
    );
    assert!(retry_after.is_some());

    // Another user is not held back by Alice's jobs.
    app.act_as(Some(&bob));
    assert_eq!(
        upload_with_headers(&app, &pdf).await.0,
        StatusCode::ACCEPTED
    );

    // A cancelled job frees its place, but not the hour's upload count.
    app.act_as(Some(&alice));
    let (_, listed) = app.get("/api/v1/jobs").await;
    let first = listed["jobs"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(&format!("/api/v1/jobs/{first}/cancel")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        upload_with_headers(&app, &pdf).await.0,
        StatusCode::ACCEPTED
    );
    let (_, listed) = app.get("/api/v1/jobs").await;
    let second = listed["jobs"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(&format!("/api/v1/jobs/{second}/cancel")).await.0,
        StatusCode::OK
    );
    let (status, body, retry_after) = upload_with_headers(&app, &pdf).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_uploads"))
    );
    let wait = retry_after.expect("Retry-After");
    assert!((3000..=3601).contains(&wait), "{wait}");
    let (_, listed) = app.get("/api/v1/jobs").await;
    assert_eq!(
        listed["jobs"].as_array().unwrap().len(),
        3,
        "no job row for refused uploads"
    );
}

#[actix_web::test]
async fn sign_in_attempts_per_ip_and_json_bodies_are_limited() {
    let app = accounts_app(|c| c.auth_requests_per_minute = Some(3), Engines::builtin()).await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "x@example.com", "whatever pass").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    app.act_as(None);
    let res = app
        .request(Method::POST, "/api/v1/auth/login")
        .send_json(&json!({"email": "x@example.com", "password": "whatever pass"}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));

    // Behind a trusted proxy each forwarded client has its own count; without trust, the
    // header is ignored (anyone could send it).
    for (trust, expected) in [
        (true, StatusCode::UNAUTHORIZED),
        (false, StatusCode::TOO_MANY_REQUESTS),
    ] {
        let app = accounts_app(
            |c| {
                c.auth_requests_per_minute = Some(1);
                c.trust_proxy = trust;
            },
            Engines::builtin(),
        )
        .await;
        let mut last = StatusCode::OK;
        for client in ["203.0.113.7", "203.0.113.8"] {
            last = app
                .request(Method::POST, "/api/v1/auth/login")
                .insert_header(("fly-client-ip", client))
                .send_json(&json!({"email": "x@example.com", "password": "whatever pass"}))
                .await
                .unwrap()
                .status();
        }
        assert_eq!(last, expected, "trust_proxy = {trust}");
    }

    let app = accounts_app(|_| {}, Engines::builtin()).await;
    let huge = json!({"email": "a@example.com", "password": "p".repeat(64 * 1024)});
    let (status, body) = app.post_json("/api/v1/auth/register", &huge).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
}

#[actix_web::test]
async fn without_accounts_everyone_is_the_local_user_and_only_on_loopback() {
    let app = spawn_app_with(|_| {}, Engines::builtin()).await;
    let (status, me) = app.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["auth"].as_str(), me["role"].as_str()),
        (Some("none"), Some("admin"))
    );
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "a@b.co", "password": "whatever pass"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("auth_disabled"))
    );

    let dir = tempfile::tempdir().unwrap();
    let public = Application::build(
        ServeConfig {
            bind: "0.0.0.0:0".parse().unwrap(),
            metrics_bind: None,
            core: Config {
                data_dir: dir.path().to_owned(),
                auth: Some(AuthMode::None),
                ..Config::default()
            },
        },
        Engines::builtin(),
    )
    .await;
    let refusal = public.err().expect("refused").to_string();
    assert!(refusal.contains("--auth none is refused"), "{refusal}");
}
