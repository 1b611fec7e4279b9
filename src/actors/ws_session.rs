//! `WsSession`: one actor per open WebSocket. It speaks the protocol of [`super::ws_protocol`],
//! joins the hub's rooms of the jobs its client follows, and pings the client, closing the
//! socket when the client stays silent.
//!
//! The session runs only when its socket can take more bytes (actix-web-actors polls the actor
//! from the response stream), so a client that stops reading stalls its own session and nothing
//! else: the hub only ever pushes into the session's bounded [`Outbox`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use futures_util::stream;

use super::hub::{Membership, ProgressHub};
use super::outbox::{LiveEvent, Outbox};
use super::ws_protocol::{ClientMessage, ServerMessage};
use crate::api::error::ApiError;
use crate::db::{Db, DbError};
use crate::events::JobEvent;
use crate::metrics::Open;

/// Stored events read per round while a subscription catches up.
const REPLAY_BATCH: i64 = 200;
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
    outbox: Arc<Outbox>,
    subscriptions: HashMap<String, Subscription>,
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

struct Subscription {
    generation: u64,
    /// The last seq the client has (or said it has).
    last: i64,
    /// Caught up with the stored log: new events come from the outbox alone.
    live: bool,
    room: Option<Membership>,
}

pub struct SessionConfig {
    pub ping_every: Duration,
    pub client_timeout: Duration,
    pub buffer_events: usize,
}

impl WsSession {
    pub fn new(
        db: Db,
        hub: Addr<ProgressHub>,
        owner: String,
        config: SessionConfig,
        open: Open,
    ) -> Self {
        Self {
            db,
            hub,
            owner,
            outbox: Arc::new(Outbox::new(config.buffer_events)),
            subscriptions: HashMap::new(),
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

    fn refuse(ctx: &mut ws::WebsocketContext<Self>, job_id: Option<&str>, error: &ApiError) {
        Self::send(ctx, &ServerMessage::error(job_id, error));
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        match serde_json::from_str::<ClientMessage>(text) {
            Ok(ClientMessage::Subscribe { job_id, after_seq }) => {
                self.subscribe(job_id, after_seq, ctx)
            }
            Ok(ClientMessage::Unsubscribe { job_id }) => {
                self.subscriptions.remove(&job_id);
                self.outbox.take(&job_id);
                Self::send(ctx, &ServerMessage::Unsubscribed { job_id });
            }
            Err(e) => Self::refuse(
                ctx,
                None,
                &ApiError::bad_request("invalid_message", format!("unreadable message: {e}")),
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
            Some(ApiError::not_found("job"))
        } else if after_seq.is_some_and(|seq| seq < 0) {
            Some(ApiError::bad_request(
                "invalid_request",
                "after_seq must be an event seq (0 or more)",
            ))
        } else if self.joining >= MAX_JOINING {
            Some(ApiError::too_many(
                "too_many_requests",
                "wait for the answers to your earlier subscribes",
                1,
            ))
        } else if !self.subscriptions.contains_key(&job_id)
            && self.subscriptions.len() >= MAX_SUBSCRIPTIONS
        {
            Some(ApiError::conflict(
                "too_many_subscriptions",
                format!("one socket follows at most {MAX_SUBSCRIPTIONS} jobs"),
            ))
        } else {
            None
        };
        if let Some(error) = refusal {
            return Self::refuse(ctx, Some(&job_id), &error);
        }
        self.generation += 1;
        let generation = self.generation;
        // Replacing an earlier subscription to the job leaves its room and drops what waited.
        self.subscriptions.insert(
            job_id.clone(),
            Subscription {
                generation,
                last: 0,
                live: false,
                room: None,
            },
        );
        self.outbox.take(&job_id);

        let (db, hub, outbox, owner) = (
            self.db.clone(),
            self.hub.clone(),
            Arc::clone(&self.outbox),
            self.owner.clone(),
        );
        let job = job_id.clone();
        // Join the room before reading the job: whatever is committed after the read then
        // reaches the outbox, and what came before is in the snapshot or the stored log.
        let joined = async move {
            let room = Membership::join(&hub, &job, &outbox)
                .await
                .map_err(|e| ApiError::internal(format!("progress hub: {e}")))?;
            let row = db.job(&job, &owner).await.map_err(ApiError::from)?;
            Ok::<_, ApiError>((room, row))
        };
        self.joining += 1;
        ctx.spawn(joined.into_actor(self).map(move |joined, act, ctx| {
            act.joining -= 1;
            if !act.is_current(&job_id, generation) {
                return;
            }
            let (room, row) = match joined {
                Ok((room, Some(row))) => (room, row),
                Ok((_, None)) => {
                    return act.drop_subscription(&job_id, &ApiError::not_found("job"), ctx);
                }
                Err(e) => return act.drop_subscription(&job_id, &e, ctx),
            };
            if after_seq.is_some_and(|seq| seq > row.event_seq) {
                let error = ApiError::bad_request(
                    "invalid_request",
                    format!("after_seq is past the job's last event ({})", row.event_seq),
                );
                return act.drop_subscription(&job_id, &error, ctx);
            }
            let snapshot = JobEvent::from_row(&row, None, chrono::Utc::now());
            Self::send(ctx, &ServerMessage::Snapshot(snapshot));
            if let Some(sub) = act.subscriptions.get_mut(&job_id) {
                sub.room = Some(room);
                sub.last = after_seq.unwrap_or(row.event_seq);
            }
            act.catch_up(job_id, ctx);
        }));
    }

    fn is_current(&self, job_id: &str, generation: u64) -> bool {
        self.subscriptions
            .get(job_id)
            .is_some_and(|s| s.generation == generation)
    }

    fn drop_subscription(
        &mut self,
        job_id: &str,
        error: &ApiError,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        self.subscriptions.remove(job_id);
        self.outbox.take(job_id);
        Self::refuse(ctx, Some(job_id), error);
    }

    /// Sends the stored events after the subscription's `last`, a batch per round, then goes
    /// live. One batch at a time: the next is read only once the socket took this one.
    fn catch_up(&mut self, job_id: String, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(sub) = self.subscriptions.get_mut(&job_id) else {
            return;
        };
        sub.live = false;
        let (generation, after) = (sub.generation, sub.last);
        let db = self.db.clone();
        let job = job_id.clone();
        let read = async move { db.events_after(&job, after, REPLAY_BATCH).await };
        ctx.spawn(read.into_actor(self).map(
            move |read: Result<Vec<JobEvent>, DbError>, act, ctx| {
                if !act.is_current(&job_id, generation) {
                    return;
                }
                let events = match read {
                    Ok(events) => events,
                    Err(e) => return act.drop_subscription(&job_id, &ApiError::from(e), ctx),
                };
                let full = events.len() as i64 == REPLAY_BATCH;
                act.forward(&job_id, events.into_iter().map(LiveEvent::new), ctx);
                if full {
                    act.catch_up(job_id, ctx);
                } else if let Some(sub) = act.subscriptions.get_mut(&job_id) {
                    sub.live = true;
                    act.drain(&job_id, true, ctx);
                }
            },
        ));
    }

    /// Sends what the hub left for `job_id`. Once live, events the outbox coalesced go out as
    /// they are: a client that cannot keep up gets the latest state, and a jump in `seq` tells
    /// it that it skipped some.
    fn drain(&mut self, job_id: &str, just_caught_up: bool, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(sub) = self.subscriptions.get(job_id) else {
            return;
        };
        if !sub.live {
            return;
        }
        let pending = self.outbox.take(job_id);
        // A gap the outbox did not make (a relay that reconnected, events out of order) is
        // filled from the stored log; so is any gap while the stored log is being caught up.
        let gap = !pending.continues(sub.last);
        if pending.lagged || (gap && (just_caught_up || !pending.coalesced)) {
            return self.catch_up(job_id.to_owned(), ctx);
        }
        self.forward(job_id, pending.events, ctx);
    }

    fn forward(
        &mut self,
        job_id: &str,
        events: impl IntoIterator<Item = Arc<LiveEvent>>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let Some(sub) = self.subscriptions.get_mut(job_id) else {
            return;
        };
        for live in events {
            if live.event.seq > sub.last {
                sub.last = live.event.seq;
                ctx.text(live.ws_text.clone());
            }
        }
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

/// The outbox has something: the hub pushed an event.
struct OutboxReady;

impl Actor for WsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(self.ping_every, Self::heartbeat);
        let outbox = Arc::clone(&self.outbox);
        ctx.add_stream(stream::unfold(outbox, |outbox| async move {
            outbox.ready().await;
            Some((OutboxReady, outbox))
        }));
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        // Leaving every room now rather than when the hub next finds the outbox gone.
        self.subscriptions.clear();
    }
}

impl StreamHandler<OutboxReady> for WsSession {
    fn handle(&mut self, _: OutboxReady, ctx: &mut Self::Context) {
        self.outbox
            .keep_only(|job_id| self.subscriptions.contains_key(job_id));
        let live: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|(job_id, sub)| sub.live && self.outbox.has(job_id))
            .map(|(job_id, _)| job_id.clone())
            .collect();
        for job_id in live {
            self.drain(&job_id, false, ctx);
        }
    }
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
                &ApiError::bad_request("invalid_message", "messages are JSON text frames"),
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
