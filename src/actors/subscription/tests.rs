use std::cell::RefCell;
use std::rc::Rc;

use super::*;

const JOB: &str = "job";

fn event(seq: i64, status: &str) -> JobEvent {
    crate::events::bare_event(
        JOB,
        seq,
        crate::lifecycle::JobStatus::parse(status).unwrap(),
    )
}

/// The stored log, and what happens while it is read (the job moving on meanwhile).
#[derive(Clone, Default)]
struct FakeLog(Rc<RefCell<Stored>>);

/// What happens to the stored log while a read is under way.
type Meanwhile = Box<dyn FnOnce(&mut Vec<JobEvent>)>;

#[derive(Default)]
struct Stored {
    events: Vec<JobEvent>,
    reads: usize,
    /// Runs once, at the next read, after the read's rows were taken.
    during_read: Option<Meanwhile>,
}

impl FakeLog {
    fn with(seqs: impl IntoIterator<Item = i64>) -> Self {
        let log = Self::default();
        for seq in seqs {
            log.store(event(seq, "running"));
        }
        log
    }

    fn store(&self, event: JobEvent) {
        self.0.borrow_mut().events.push(event);
    }

    fn reads(&self) -> usize {
        self.0.borrow().reads
    }

    fn meanwhile(&self, during: impl FnOnce(&mut Vec<JobEvent>) + 'static) {
        self.0.borrow_mut().during_read = Some(Box::new(during));
    }
}

impl EventLog for FakeLog {
    fn events_after(
        &self,
        job_id: &str,
        after: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<JobEvent>, DbError>> {
        let mut stored = self.0.borrow_mut();
        stored.reads += 1;
        let mut rows: Vec<JobEvent> = stored
            .events
            .iter()
            .filter(|e| e.job_id == job_id && e.seq > after)
            .cloned()
            .collect();
        rows.sort_by_key(|e| e.seq);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        if let Some(during) = stored.during_read.take() {
            during(&mut stored.events);
        }
        std::future::ready(Ok(rows))
    }
}

fn room(buffer: usize) -> Room {
    Room {
        job_id: JOB.to_owned(),
        outbox: Arc::new(Outbox::new(buffer)),
        _membership: None,
    }
}

fn options(overflow: Overflow) -> Options {
    Options {
        overflow,
        until_final: false,
        keep_alive: Some(Duration::from_millis(20)),
    }
}

/// Stores an event and relays it, as a commit does.
fn commit(log: &FakeLog, outbox: &Outbox, seq: i64) {
    log.store(event(seq, "running"));
    outbox.push(LiveEvent::new(event(seq, "running")));
}

async fn seqs(sub: &mut Subscription<FakeLog>) -> Vec<i64> {
    match sub.next().await.expect("read") {
        Next::Events(events) => events.iter().map(|e| e.event.seq).collect(),
        other => panic!("expected events, got {other:?}"),
    }
}

async fn is_idle(sub: &mut Subscription<FakeLog>) -> bool {
    matches!(sub.next().await.expect("read"), Next::Idle)
}

#[actix_rt::test]
async fn an_event_committed_during_the_replay_follows_it_live() {
    let log = FakeLog::with(1..=3);
    let room = room(8);
    let outbox = Arc::clone(&room.outbox);
    let relay = Arc::clone(&outbox);
    log.meanwhile(move |stored| {
        stored.push(event(4, "running"));
        relay.push(LiveEvent::new(event(4, "running")));
    });
    let mut sub = room.follow(log.clone(), 0, options(Overflow::Replay));

    assert_eq!(seqs(&mut sub).await, [1, 2, 3]);
    assert_eq!(seqs(&mut sub).await, [4]);
    assert!(is_idle(&mut sub).await);
    assert_eq!(log.reads(), 1, "the live event needed no second read");
}

#[actix_rt::test]
async fn events_both_replayed_and_relayed_are_delivered_once() {
    let log = FakeLog::with(1..=3);
    let room = room(8);
    let outbox = Arc::clone(&room.outbox);
    // Committed and relayed before the replay read them.
    for seq in 2..=3 {
        outbox.push(LiveEvent::new(event(seq, "running")));
    }
    let mut sub = room.follow(log.clone(), 1, options(Overflow::Replay));

    assert_eq!(seqs(&mut sub).await, [2, 3]);
    // A relay that repeats itself.
    outbox.push(LiveEvent::new(event(3, "running")));
    commit(&log, &outbox, 4);
    assert_eq!(seqs(&mut sub).await, [4]);
    outbox.push(LiveEvent::new(event(4, "running")));
    assert!(is_idle(&mut sub).await);
}

#[actix_rt::test]
async fn a_live_gap_is_read_from_the_log() {
    let log = FakeLog::with(1..=2);
    let room = room(8);
    let outbox = Arc::clone(&room.outbox);
    let mut sub = room.follow(log.clone(), 0, options(Overflow::Skip));
    assert_eq!(seqs(&mut sub).await, [1, 2]);

    // 3 was committed but never relayed (a relay that reconnected, a payload too big).
    log.store(event(3, "running"));
    commit(&log, &outbox, 4);
    assert_eq!(seqs(&mut sub).await, [3, 4]);
    assert_eq!(log.reads(), 2);

    // The hub lagged: no event at all, only word that some may be missing.
    log.store(event(5, "running"));
    outbox.mark_lagged(JOB);
    assert_eq!(seqs(&mut sub).await, [5]);
}

#[actix_rt::test]
async fn a_long_log_is_replayed_a_batch_at_a_time() {
    let log = FakeLog::with(1..=450);
    let mut sub = room(8).follow(log.clone(), 0, options(Overflow::Replay));
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    for _ in 0..3 {
        let batch = seqs(&mut sub).await;
        sizes.push(batch.len());
        all.extend(batch);
    }
    assert_eq!(sizes, [200, 200, 50]);
    assert_eq!(all, (1..=450).collect::<Vec<_>>());
    assert_eq!(log.reads(), 3);
}

/// Live, then eight events for an outbox that holds two.
async fn overflowed(overflow: Overflow) -> Vec<i64> {
    let log = FakeLog::with(1..=2);
    let room = room(2);
    let outbox = Arc::clone(&room.outbox);
    let mut sub = room.follow(log.clone(), 0, options(overflow));
    assert_eq!(seqs(&mut sub).await, [1, 2]);
    assert!(is_idle(&mut sub).await);
    for seq in 3..=10 {
        commit(&log, &outbox, seq);
    }
    let mut got = Vec::new();
    while got.last() != Some(&10) {
        got.extend(seqs(&mut sub).await);
    }
    got
}

#[actix_rt::test]
async fn an_overflowing_listener_gets_every_event_or_the_newest_as_it_asked() {
    assert_eq!(
        overflowed(Overflow::Replay).await,
        (3..=10).collect::<Vec<_>>()
    );
    assert_eq!(overflowed(Overflow::Skip).await, [9, 10]);
}

#[actix_rt::test]
async fn what_overflowed_during_the_replay_is_read_even_when_skipping() {
    let log = FakeLog::with(1..=2);
    let room = room(2);
    let outbox = Arc::clone(&room.outbox);
    let relay = Arc::clone(&outbox);
    log.meanwhile(move |stored| {
        for seq in 3..=10 {
            stored.push(event(seq, "running"));
            relay.push(LiveEvent::new(event(seq, "running")));
        }
    });
    let mut sub = room.follow(log.clone(), 0, options(Overflow::Skip));
    assert_eq!(seqs(&mut sub).await, [1, 2]);
    assert_eq!(seqs(&mut sub).await, (3..=10).collect::<Vec<_>>());
}

#[actix_rt::test]
async fn until_final_ends_with_the_first_final_event() {
    let log = FakeLog::with(1..=2);
    log.store(event(3, "partial"));
    // A retry runs the job again after its final event.
    log.store(event(4, "running"));
    let until_final = Options {
        until_final: true,
        ..options(Overflow::Replay)
    };
    let mut sub = room(8).follow(log.clone(), 0, until_final);
    assert_eq!(seqs(&mut sub).await, [1, 2, 3]);
    assert!(matches!(sub.next().await, Ok(Next::Ended)));

    let mut follows_on = room(8).follow(log, 0, options(Overflow::Replay));
    assert_eq!(seqs(&mut follows_on).await, [1, 2, 3, 4]);
}

#[actix_rt::test]
async fn a_final_event_arriving_live_ends_the_subscription() {
    let log = FakeLog::with(1..=2);
    let room = room(8);
    let outbox = Arc::clone(&room.outbox);
    let until_final = Options {
        until_final: true,
        ..options(Overflow::Replay)
    };
    let mut sub = room.follow(log.clone(), 0, until_final);
    assert_eq!(seqs(&mut sub).await, [1, 2]);
    log.store(event(3, "completed"));
    outbox.push(LiveEvent::new(event(3, "completed")));
    assert_eq!(seqs(&mut sub).await, [3]);
    assert!(matches!(sub.next().await, Ok(Next::Ended)));
}
