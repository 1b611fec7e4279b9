//! Live progress over `GET /api/v1/ws`, with real WebSocket clients: a snapshot and then every
//! event in order, once; resume with `after_seq`; many subscribers; slow and silent clients;
//! and what the socket answers to bad messages and to other users' jobs.

use std::time::Duration;

use actix_web::http::StatusCode;
use awc::ws::{CloseCode, Frame, Message};
use futures_util::future::join_all;
use serde_json::{Value, json};

use fnt::actors::hub::{Census, CountListeners};
use fnt::db::models::{NewJob, NewUser};

use crate::helpers::{Act, ScriptedEngine, TestApp, novel_pdf, spawn_app_with};
use crate::ws_client::{RawWs, WsClient, is_final};

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

/// The stored events of a job after `after`, as the socket sends them.
async fn stored_after(app: &TestApp, id: &str, after: i64) -> Vec<Value> {
    let events = app.core.db.events_after(id, after, 100_000).await.unwrap();
    events
        .iter()
        .map(|e| {
            let mut value = serde_json::to_value(e).unwrap();
            value["type"] = json!("event");
            value
        })
        .collect()
}

async fn listeners(app: &TestApp) -> Census {
    app.core.hub.send(CountListeners).await.unwrap()
}

#[actix_web::test]
async fn a_subscriber_gets_a_snapshot_then_every_event_in_order_once() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(60)));
    let app = spawn_app_with(|_| {}, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    // Another job runs at the same time: its events must not reach this subscriber.
    let other = app.submit(&novel_pdf(12), &[]).await;

    let mut ws = WsClient::connect(&app.base).await;
    let snapshot = ws.subscribe(&id, Some(0)).await;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
    assert_eq!(snapshot["job_id"], id.as_str());
    assert!(snapshot["seq"].as_i64().unwrap() >= 1);
    let events = ws.events_until_final(&id).await;
    assert_eq!(app.wait_until_finished(&other).await["status"], "completed");

    assert_eq!(seqs(&events), (1..=events.len() as i64).collect::<Vec<_>>());
    assert_eq!(events, stored_after(&app, &id, 0).await, "the stored log");
    assert_eq!(events[0]["status"], "queued");
    let last = events.last().unwrap();
    assert_eq!(
        (last["status"].as_str(), last["progress_percent"].as_i64()),
        (Some("completed"), Some(100))
    );
    let percents: Vec<i64> = events
        .iter()
        .map(|e| e["progress_percent"].as_i64().unwrap())
        .collect();
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    for index in 0..last["total_chunks"].as_i64().unwrap() {
        for status in ["running", "done"] {
            assert!(
                events
                    .iter()
                    .any(|e| e["chunk"]["index"] == index && e["chunk"]["status"] == status),
                "no {status} event for chunk {index}"
            );
        }
    }
    for event in &events {
        for field in [
            "current_step",
            "processed_chunks",
            "total_chunks",
            "failed_chunks",
            "at",
        ] {
            assert!(!event[field].is_null(), "{field} missing in {event}");
        }
    }
}

#[actix_web::test]
async fn a_reconnect_with_after_seq_gets_exactly_what_it_missed() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(150)));
    let app = spawn_app_with(|c| c.medium_parallelism = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let mut first = WsClient::connect(&app.base).await;
    let snapshot = first.subscribe(&id, None).await;
    let start = snapshot["seq"].as_i64().unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = first.next_json().await.expect("an event");
        assert_eq!(event["type"], "event");
        seen.push(event);
    }
    drop(first);
    let last_seen = seen.last().unwrap()["seq"].as_i64().unwrap();
    // Events go on while the client is away: wait for one to be stored rather than for a fixed
    // time, which a loaded machine may not fill.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while stored_after(&app, &id, last_seen).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "no event while away");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut second = WsClient::connect(&app.base).await;
    let resumed = second.subscribe(&id, Some(last_seen)).await;
    assert_eq!(resumed["type"], "snapshot");
    assert!(
        resumed["seq"].as_i64().unwrap() > last_seen,
        "nothing happened while away"
    );
    seen.extend(second.events_until_final(&id).await);

    let expected: Vec<i64> = (start + 1..=seen.last().unwrap()["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs(&seen), expected, "a gap or a duplicate");
    assert_eq!(seen, stored_after(&app, &id, start).await);
}

#[actix_web::test]
async fn two_hundred_subscribers_all_get_the_final_event() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(300)));
    let app = spawn_app_with(|c| c.medium_parallelism = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;

    let clients = join_all((0..200).map(|_| async {
        let mut ws = WsClient::connect(&app.base).await;
        let snapshot = ws.subscribe(&id, Some(0)).await;
        assert_eq!(snapshot["type"], "snapshot");
        ws
    }))
    .await;
    assert_eq!(listeners(&app).await.listeners, 200);
    let received = join_all(clients.into_iter().map(|mut ws| {
        let id = id.clone();
        async move { (ws.events_until_final(&id).await, ws) }
    }))
    .await;
    let stored = stored_after(&app, &id, 0).await;
    let mut sockets = Vec::new();
    for (events, ws) in received {
        assert_eq!(events, stored, "every subscriber gets the whole log");
        assert_eq!(events.last().unwrap()["status"], "completed");
        sockets.push(ws);
    }
    drop(sockets);
    // Closed sockets leave their rooms.
    let mut census = listeners(&app).await;
    for _ in 0..50 {
        if census.listeners == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        census = listeners(&app).await;
    }
    assert_eq!(
        census,
        Census {
            rooms: 0,
            listeners: 0
        }
    );
}

#[actix_web::test]
async fn a_slow_reader_does_not_stall_the_others_and_still_gets_the_final_event() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(5)));
    let app = spawn_app_with(
        |c| {
            c.medium_chunk_pages = 1;
            c.medium_parallelism = 4;
            // The default buffer: small enough that the slow client must lose events, large
            // enough that a normal client on a loaded machine keeps up with every one.
            c.ws_buffer_events = 64;
            c.socket_send_buffer = Some(4096);
            // The slow client never answers pings; it must not be dropped for that here.
            c.ws_client_timeout_ms = 600_000;
        },
        engine.engines(),
    )
    .await;
    let addr = app.base.trim_start_matches("http://").parse().unwrap();
    let ids = [
        app.submit(&novel_pdf(200), &[]).await,
        app.submit(&novel_pdf(200), &[]).await,
        app.submit(&novel_pdf(200), &[]).await,
    ];

    // The slow client follows every job and then stops reading.
    let mut slow = RawWs::connect(addr).await;
    for id in &ids {
        slow.send_text(&json!({"type": "subscribe", "job_id": id}).to_string())
            .await;
    }
    // A normal client follows the first job from its start to its end meanwhile.
    let mut fast = WsClient::connect(&app.base).await;
    fast.subscribe(&ids[0], Some(0)).await;
    let events = fast.events_until_final(&ids[0]).await;
    assert_eq!(events, stored_after(&app, &ids[0], 0).await);
    for id in &ids {
        app.wait_until_finished(id).await;
    }

    // Now the slow client reads: per job a snapshot, then events in order ending in the final
    // one, but not the whole log: what it could not take was coalesced.
    let mut finals = 0;
    let mut received = 0;
    let mut last_seq = std::collections::HashMap::new();
    while finals < ids.len() {
        let message = slow.next_text().await;
        let job = message["job_id"].as_str().unwrap().to_owned();
        let seq = message["seq"].as_i64().unwrap();
        match message["type"].as_str() {
            Some("snapshot") => {
                last_seq.insert(job, seq);
                if is_final(&message) {
                    finals += 1;
                }
            }
            Some("event") => {
                received += 1;
                let last = last_seq.get_mut(&job).expect("snapshot first");
                assert!(seq > *last, "out of order");
                *last = seq;
                if is_final(&message) {
                    finals += 1;
                }
            }
            _ => panic!("{message}"),
        }
    }
    let mut stored = 0;
    for id in &ids {
        let log = stored_after(&app, id, 0).await;
        assert_eq!(
            last_seq[id.as_str()],
            log.last().unwrap()["seq"].as_i64().unwrap()
        );
        stored += log.len();
    }
    assert!(
        received < stored / 2,
        "the slow client got {received} of {stored} events: its buffer was not bounded"
    );
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_disconnected_and_leaves_its_rooms() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(5)));
    let app = spawn_app_with(
        |c| {
            c.medium_chunk_pages = 1;
            c.medium_parallelism = 4;
            // The default buffer: small enough that the slow client must lose events, large
            // enough that a normal client on a loaded machine keeps up with every one.
            c.ws_buffer_events = 64;
            c.socket_send_buffer = Some(4096);
            c.socket_stall_timeout_secs = 1;
            c.ws_client_timeout_ms = 600_000;
        },
        engine.engines(),
    )
    .await;
    let addr = app.base.trim_start_matches("http://").parse().unwrap();
    let id = app.submit(&novel_pdf(200), &[]).await;
    let mut stalled = RawWs::connect(addr).await;
    stalled
        .send_text(&json!({"type": "subscribe", "job_id": id, "after_seq": 0}).to_string())
        .await;
    let mut fast = WsClient::connect(&app.base).await;
    fast.subscribe(&id, Some(0)).await;
    assert_eq!(
        fast.events_until_final(&id).await.last().unwrap()["status"],
        "completed"
    );

    // Bytes wait for the stalled client beyond the stall timeout: the server closes it.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(
        stalled.closed_within(Duration::from_secs(10)).await,
        "still open"
    );
    drop(fast);
    let mut census = listeners(&app).await;
    for _ in 0..50 {
        if census.listeners == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        census = listeners(&app).await;
    }
    assert_eq!(census.listeners, 0, "the stalled session is gone");
}

#[actix_web::test]
async fn a_silent_client_is_dropped_and_a_live_one_is_kept() {
    let app = spawn_app_with(
        |c| {
            c.ws_ping_interval_ms = 50;
            c.ws_client_timeout_ms = 400;
        },
        fnt::engine::Engines::builtin(),
    )
    .await;
    let id = app.submit(&novel_pdf(6), &[]).await;
    let mut silent = WsClient::connect(&app.base).await;
    silent.answer_pings = false;
    let mut live = WsClient::connect(&app.base).await;

    let closed = async {
        match silent.next_frame().await {
            Some(Frame::Close(reason)) => reason,
            Some(other) => panic!("unexpected {other:?}"),
            None => None,
        }
    };
    let idle = async {
        let quiet = tokio::time::timeout(Duration::from_millis(1500), live.next_frame()).await;
        assert!(quiet.is_err(), "the live client heard something but pings");
    };
    let (reason, ()) = tokio::join!(closed, idle);
    assert_eq!(reason.map(|r| r.code), Some(CloseCode::Away));
    assert_eq!(live.subscribe(&id, Some(0)).await["type"], "snapshot");
}

async fn other_users_job(app: &TestApp) -> String {
    let db = &app.core.db;
    db.insert_user(NewUser {
        id: "other-user".into(),
        email: "other@example.com".into(),
        password_hash: None,
        role: "user".into(),
        created_at: 0,
    })
    .await
    .unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let staged = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(staged.path(), b"%PDF-1.7").unwrap();
    db.insert_job(
        NewJob {
            id: id.clone(),
            owner_id: "other-user".into(),
            status: fnt::lifecycle::JobStatus::Completed,
            file_name: "theirs.pdf".into(),
            input_hash: "0".repeat(64),
            file_size: 1,
            page_count: 1,
            settings: fnt::settings::Settings::default().into(),
            engine: "local".into(),
            current_step: "done".into(),
            created_at: 0,
        },
        b"%PDF-1.7".to_vec(),
        staged.path(),
        fnt::lifecycle::admission::Quota::default(),
    )
    .await
    .unwrap();
    id
}

#[actix_web::test]
async fn another_users_job_is_not_found_exactly_like_a_missing_one() {
    let app = spawn_app_with(|_| {}, fnt::engine::Engines::builtin()).await;
    let theirs = other_users_job(&app).await;
    let missing = uuid::Uuid::new_v4().to_string();

    let mut ws = WsClient::connect(&app.base).await;
    let mut answers = Vec::new();
    for id in [&theirs, &missing] {
        let mut answer = ws.subscribe(id, Some(0)).await;
        assert_eq!(answer["job_id"], id.as_str());
        answer["job_id"] = Value::Null;
        answers.push(answer);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0]["error"]["code"], "not_found");
    assert_eq!(
        listeners(&app).await.listeners,
        0,
        "refused subscriptions leave no room behind"
    );
    for path in [
        format!("/api/v1/jobs/{theirs}"),
        format!("/api/v1/jobs/{theirs}/events"),
    ] {
        assert_eq!(app.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

#[actix_web::test]
async fn bad_messages_get_an_error_and_the_socket_keeps_serving() {
    let app = spawn_app_with(|_| {}, fnt::engine::Engines::builtin()).await;
    let id = app.submit(&novel_pdf(6), &[]).await;
    app.wait_until_finished(&id).await;
    let mut ws = WsClient::connect(&app.base).await;

    let refusals = [
        (Message::Text("not json".into()), "invalid_message"),
        (
            Message::Text(r#"{"type":"subscribe","job_id":"x","extra":1}"#.into()),
            "invalid_message",
        ),
        (
            Message::Text(r#"{"type":"shout"}"#.into()),
            "invalid_message",
        ),
        (Message::Binary(vec![0xff, 0x00].into()), "invalid_message"),
        (
            Message::Text(json!({"type":"subscribe","job_id":""}).to_string().into()),
            "not_found",
        ),
        (
            Message::Text(
                json!({"type":"subscribe","job_id":"x".repeat(500)})
                    .to_string()
                    .into(),
            ),
            "not_found",
        ),
        (
            Message::Text(
                json!({"type":"subscribe","job_id":id,"after_seq":-1})
                    .to_string()
                    .into(),
            ),
            "invalid_request",
        ),
        (
            Message::Text(
                json!({"type":"subscribe","job_id":id,"after_seq":1_000_000})
                    .to_string()
                    .into(),
            ),
            "invalid_request",
        ),
    ];
    for (message, code) in refusals {
        let shown = format!("{message:?}");
        ws.send(message).await;
        let answer = ws.next_json().await.expect("an answer");
        assert_eq!(answer["type"], "error", "{shown}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{shown}: {answer}");
        assert!(answer["error"]["message"].is_string());
    }

    // Still serving: the whole log of the finished job, then an unsubscribe.
    assert_eq!(ws.subscribe(&id, Some(0)).await["type"], "snapshot");
    assert_eq!(
        ws.events_until_final(&id).await,
        stored_after(&app, &id, 0).await
    );
    ws.send_json(json!({"type": "unsubscribe", "job_id": id}))
        .await;
    assert_eq!(
        ws.next_json().await.unwrap(),
        json!({"type": "unsubscribed", "job_id": id})
    );

    // A frame far larger than any message closes the socket with "message too big".
    ws.send(Message::Text("x".repeat(64 * 1024).into())).await;
    match ws.next_frame().await {
        Some(Frame::Close(reason)) => assert_eq!(reason.map(|r| r.code), Some(CloseCode::Size)),
        other => panic!("expected a close, got {other:?}"),
    }

    // The endpoint without the upgrade answers in the API's error shape.
    let (status, body) = app.get("/api/v1/ws").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "websocket_required");
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
}

#[actix_web::test]
async fn after_unsubscribe_no_more_events_arrive() {
    let engine = ScriptedEngine::new().always(Act::Delay(Duration::from_millis(80)));
    let app = spawn_app_with(|c| c.medium_parallelism = 1, engine.engines()).await;
    let id = app.submit(&novel_pdf(12), &[]).await;
    let mut ws = WsClient::connect(&app.base).await;
    ws.subscribe(&id, None).await;
    ws.send_json(json!({"type": "unsubscribe", "job_id": id}))
        .await;
    loop {
        let message = ws.next_json().await.unwrap();
        if message["type"] == "unsubscribed" {
            break;
        }
        assert_eq!(message["type"], "event");
    }
    assert_eq!(app.wait_until_finished(&id).await["status"], "completed");
    // The next message is the answer to this, not a late event.
    let answer = ws.subscribe("no-such-job", None).await;
    assert_eq!(answer["error"]["code"], "not_found");
}
