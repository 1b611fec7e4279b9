//! `WsSession`: one actor per open WebSocket. It speaks the protocol of [`super::ws_protocol`],
//! follows each job its client subscribes to through a [`Subscription`], pings the client
//! (closing the socket when the client stays silent), and closes the socket when the sign-in
//! session that opened it ends.
//!
//! The session runs only when its socket can take more bytes (actix-web-actors polls the actor,
//! and the futures it spawned, from the response stream), so a client that stops reading stalls
//! its own session and nothing else: the hub only ever pushes into its subscriptions' bounded
//! outboxes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;

use super::hub::ProgressHub;
use super::subscription::{Next, Options, Overflow, Room, Subscription};
use super::ws_protocol::{ClientMessage, ServerMessage, WsError};
use crate::auth::session_watch::{self, SESSION_ENDED, SessionNews};
use crate::db::{Db, DbError};
use crate::events::JobEvent;
use crate::lifecycle::JobStatus;
use crate::metrics::Open;

/// Jobs one socket may follow at once.
pub const MAX_SUBSCRIPTIONS: usize = 64;
/// Subscribes being answered at once: each costs a database read.
const MAX_JOINING: usize = 8;
/// Longest job id accepted; real ones are 36 characters.
const MAX_JOB_ID: usize = 64;

pub struct WsSession {
    db: Db,
    hub: Addr<ProgressHub>,
    owner: String,
    /// The sign-in session that opened the socket; `None` without accounts.
    sign_in: Option<String>,
    buffer_events: usize,
    follows: HashMap<String, Follow>,
    /// Tells a stale answer (for a subscription since replaced) from the current one.
    generation: u64,
    /// Subscribes whose room and job are still being looked up.
    joining: usize,
    last_heard: Instant,
    ping_every: Duration,
    client_timeout: Duration,
    /// Counted in the open-sessions gauge until the actor is dropped.
    _open: Open,
}

/// One job the client follows.
struct Follow {
    generation: u64,
    /// The future answering the subscribe, then the one waiting for the job's next events.
    /// Cancelling it drops the subscription, which leaves the job's room.
    task: Option<SpawnHandle>,
    joining: bool,
}

pub struct SessionConfig {
    pub ping_every: Duration,
    pub client_timeout: Duration,
    pub buffer_events: usize,
}

/// Who opened the socket.
pub struct SessionOwner {
    pub user_id: String,
    pub session_id: Option<String>,
}

/// Why a subscribe is not served.
enum Refusal {
    Api(WsError),
    /// The sign-in session ended: the socket closes.
    SignedOut,
}

impl From<DbError> for Refusal {
    fn from(e: DbError) -> Self {
        Self::Api(WsError::from(e))
    }
}

impl WsSession {
    pub fn new(
        db: Db,
        hub: Addr<ProgressHub>,
        owner: SessionOwner,
        config: SessionConfig,
        open: Open,
    ) -> Self {
        Self {
            db,
            hub,
            owner: owner.user_id,
            sign_in: owner.session_id,
            buffer_events: config.buffer_events,
            follows: HashMap::new(),
            generation: 0,
            joining: 0,
            last_heard: Instant::now(),
            ping_every: config.ping_every,
            client_timeout: config.client_timeout,
            _open: open,
        }
    }

    fn send(ctx: &mut ws::WebsocketContext<Self>, message: &ServerMessage) {
        ctx.text(message.to_json());
    }

    fn refuse(ctx: &mut ws::WebsocketContext<Self>, job_id: Option<&str>, error: &WsError) {
        Self::send(ctx, &ServerMessage::error(job_id, error));
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Subscribe { job_id, after_seq }) => {
                self.subscribe(job_id, after_seq, ctx)
            }
            Ok(ClientMessage::Unsubscribe { job_id }) => {
                self.forget(&job_id, ctx);
                Self::send(ctx, &ServerMessage::Unsubscribed { job_id });
            }
            Err(e) => Self::refuse(
                ctx,
                None,
                &WsError::bad_request("invalid_message", format!("unreadable message: {e}")),
            ),
        }
    }

    fn subscribe(
        &mut self,
        job_id: String,
        after_seq: Option<i64>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let refusal = if job_id.is_empty() || job_id.len() > MAX_JOB_ID {
            Some(WsError::not_found("job"))
        } else if after_seq.is_some_and(|seq| seq < 0) {
            Some(WsError::bad_request(
                "invalid_request",
                "after_seq must be an event seq (0 or more)",
            ))
        } else if self.joining >= MAX_JOINING {
            Some(WsError::too_many(
                "too_many_requests",
                "wait for the answers to your earlier subscribes",
            ))
        } else if !self.follows.contains_key(&job_id) && self.follows.len() >= MAX_SUBSCRIPTIONS {
            Some(WsError::conflict(
                "too_many_subscriptions",
                format!("one socket follows at most {MAX_SUBSCRIPTIONS} jobs"),
            ))
        } else {
            None
        };
        if let Some(error) = refusal {
            return Self::refuse(ctx, Some(&job_id), &error);
        }
        // Replacing an earlier subscription to the job drops it, and what waited for it.
        self.forget(&job_id, ctx);
        self.generation += 1;
        let generation = self.generation;

        let (db, hub, owner, sign_in, buffer) = (
            self.db.clone(),
            self.hub.clone(),
            self.owner.clone(),
            self.sign_in.clone(),
            self.buffer_events,
        );
        let job = job_id.clone();
        // Join the room before reading the job: whatever is committed after the read then
        // reaches the room, and what came before is in the snapshot or the stored log.
        let joined = async move {
            let room = Room::join(&hub, &job, buffer)
                .await
                .map_err(|e| Refusal::Api(WsError::internal(format!("progress hub: {e}"))))?;
            // The socket may not have heard yet that its session ended on another instance.
            if let Some(session) = &sign_in
                && !session_watch::signed_in(&db, session, &owner).await?
            {
                return Err(Refusal::SignedOut);
            }
            let row = db.job(&job, &owner).await?;
            let timings = match &row {
                Some(r) if r.status == JobStatus::Running => db.chunk_timings(&job).await?,
                _ => Vec::new(),
            };
            Ok::<_, Refusal>((room, row.map(|row| (row, timings))))
        };
        self.joining += 1;
        let key = job_id.clone();
        let task = ctx.spawn(joined.into_actor(self).map(move |joined, act, ctx| {
            if !act.is_current(&job_id, generation) {
                return;
            }
            act.joining -= 1;
            if let Some(follow) = act.follows.get_mut(&job_id) {
                follow.joining = false;
            }
            let (room, (row, timings)) = match joined {
                Ok((room, Some(found))) => (room, found),
                Ok((_, None)) => {
                    return act.drop_subscription(&job_id, &WsError::not_found("job"), ctx);
                }
                Err(Refusal::Api(e)) => return act.drop_subscription(&job_id, &e, ctx),
                Err(Refusal::SignedOut) => return Self::sign_out(ctx),
            };
            if after_seq.is_some_and(|seq| seq > row.event_seq) {
                let error = WsError::bad_request(
                    "invalid_request",
                    format!("after_seq is past the job's last event ({})", row.event_seq),
                );
                return act.drop_subscription(&job_id, &error, ctx);
            }
            let snapshot = JobEvent::from_row(&row, None, &timings, chrono::Utc::now());
            Self::send(ctx, &ServerMessage::Snapshot(snapshot));
            let subscription = room.follow(
                act.db.clone(),
                after_seq.unwrap_or(row.event_seq),
                Options {
                    overflow: Overflow::Skip,
                    until_final: false,
                    keep_alive: None,
                },
            );
            act.pump(subscription, generation, ctx);
        }));
        self.follows.insert(
            key,
            Follow {
                generation,
                task: Some(task),
                joining: true,
            },
        );
    }

    fn is_current(&self, job_id: &str, generation: u64) -> bool {
        self.follows
            .get(job_id)
            .is_some_and(|f| f.generation == generation)
    }

    /// Stops following `job_id`, if the client did.
    fn forget(&mut self, job_id: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(follow) = self.follows.remove(job_id) else {
            return;
        };
        if follow.joining {
            self.joining -= 1;
        }
        if let Some(task) = follow.task {
            ctx.cancel_future(task);
        }
    }

    fn drop_subscription(
        &mut self,
        job_id: &str,
        error: &WsError,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        self.forget(job_id, ctx);
        Self::refuse(ctx, Some(job_id), error);
    }

    /// Sends the subscription's next events, then waits for more. One batch at a time: the
    /// next is looked for only once the socket took this one.
    fn pump(
        &mut self,
        mut subscription: Subscription,
        generation: u64,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let job_id = subscription.job_id().to_owned();
        let next = async move {
            let next = subscription.next().await;
            (subscription, next)
        };
        let task = ctx.spawn(
            next.into_actor(self)
                .map(move |(subscription, next), act, ctx| {
                    let job_id = subscription.job_id().to_owned();
                    if !act.is_current(&job_id, generation) {
                        return;
                    }
                    match next {
                        Ok(Next::Events(events)) => {
                            for live in events {
                                ctx.text(live.ws_text.clone());
                            }
                            act.pump(subscription, generation, ctx);
                        }
                        Ok(Next::Idle) => act.pump(subscription, generation, ctx),
                        Ok(Next::Ended) => {
                            if let Some(follow) = act.follows.get_mut(&job_id) {
                                follow.task = None;
                            }
                        }
                        Err(e) => act.drop_subscription(&job_id, &WsError::from(e), ctx),
                    }
                }),
        );
        if let Some(follow) = self.follows.get_mut(&job_id) {
            follow.task = Some(task);
        }
    }

    /// Closes the socket: the sign-in session that opened it has ended.
    fn sign_out(ctx: &mut ws::WebsocketContext<Self>) {
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Policy,
            description: Some(SESSION_ENDED.to_owned()),
        }));
        ctx.stop();
    }

    fn heartbeat(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        if self.last_heard.elapsed() > self.client_timeout {
            tracing::debug!("closing a silent WebSocket client");
            ctx.close(Some(ws::CloseReason {
                code: ws::CloseCode::Away,
                description: Some("no pong from the client".to_owned()),
            }));
            ctx.stop();
            return;
        }
        ctx.ping(b"");
    }
}

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(self.ping_every, Self::heartbeat);
        if let Some(session) = &self.sign_in {
            ctx.add_stream(session_watch::watch(&self.db, session.clone()));
        }
    }
}

impl StreamHandler<SessionNews> for WsSession {
    fn handle(&mut self, news: SessionNews, ctx: &mut Self::Context) {
        let Some(session) = self.sign_in.clone() else {
            return;
        };
        match news {
            SessionNews::Ended => Self::sign_out(ctx),
            SessionNews::Unsure => {
                let (db, owner) = (self.db.clone(), self.owner.clone());
                let check = async move { session_watch::signed_in(&db, &session, &owner).await };
                ctx.spawn(check.into_actor(self).map(|live, _, ctx| match live {
                    Ok(true) => {}
                    Ok(false) => Self::sign_out(ctx),
                    // Checked again at the next subscribe, and at the next news.
                    Err(e) => tracing::warn!(error = %e, "could not check a socket's session"),
                }));
            }
        }
    }

    /// The feed ends only with the database.
    fn finished(&mut self, _: &mut Self::Context) {}
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WsSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(ws::Message::Text(text)) => self.on_text(&text, ctx),
            Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
            Ok(ws::Message::Pong(_)) | Ok(ws::Message::Nop) => {}
            Ok(ws::Message::Binary(_)) | Ok(ws::Message::Continuation(_)) => Self::refuse(
                ctx,
                None,
                &WsError::bad_request("invalid_message", "messages are JSON text frames"),
            ),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                let code = match e {
                    ws::ProtocolError::Overflow => ws::CloseCode::Size,
                    _ => ws::CloseCode::Protocol,
                };
                ctx.close(Some(ws::CloseReason {
                    code,
                    description: Some(e.to_string()),
                }));
                ctx.stop();
            }
        }
    }

    /// The client's side of the socket ended.
    fn finished(&mut self, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
