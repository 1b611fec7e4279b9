//! Which model each preference uses now. Each preference has an ordered list of candidate
//! ids; a candidate Google does not list, or that answered 404, is skipped for the whole
//! process, and one that keeps answering "overloaded" gives way to the next for a while.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::wire::ModelInfo;
use crate::clock::Clock;
use crate::settings::ModelPreference;

/// Overloaded answers in a row from one model before its preference tries the next candidate.
const OVERLOAD_STREAK: u32 = 3;
/// How long an overloaded model is passed over before it is tried again.
const OVERLOAD_COOLDOWN: Duration = Duration::from_secs(5 * 60);

const PREFERENCES: [ModelPreference; 3] = [
    ModelPreference::Speed,
    ModelPreference::Balanced,
    ModelPreference::Quality,
];

pub(crate) struct Models {
    candidates: [Vec<String>; 3],
    clock: Clock,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The last listing, by id; `None` until one succeeded (every candidate is then assumed).
    listed: Option<HashMap<String, ModelInfo>>,
    /// Ids that answered 404: gone for this process, whatever a later listing says.
    not_found: HashSet<String>,
    overload: HashMap<String, Overload>,
}

#[derive(Default)]
struct Overload {
    streak: u32,
    /// Passed over until this clock time.
    until: Option<Duration>,
}

/// A model that gave way to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Move {
    pub from: String,
    pub to: Option<String>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // Every update is a single assignment or insertion: a poisoned lock holds consistent data.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn slot(preference: ModelPreference) -> usize {
    match preference {
        ModelPreference::Speed => 0,
        ModelPreference::Balanced => 1,
        ModelPreference::Quality => 2,
    }
}

impl Models {
    pub(crate) fn new(candidates: [Vec<String>; 3], clock: Clock) -> Self {
        let candidates = candidates.map(|list| {
            list.into_iter()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
                .collect()
        });
        Self {
            candidates,
            clock,
            state: Mutex::default(),
        }
    }

    pub(crate) fn candidates(&self, preference: ModelPreference) -> &[String] {
        &self.candidates[slot(preference)]
    }

    /// The model `preference` uses now: its first available candidate that is not cooling
    /// down from overload (or the first available one if all are), `None` when none exists.
    pub(crate) fn current(&self, preference: ModelPreference) -> Option<String> {
        let state = lock(&self.state);
        let now = self.clock.now();
        let available: Vec<&String> = self
            .candidates(preference)
            .iter()
            .filter(|id| state.available(id))
            .collect();
        available
            .iter()
            .find(|id| !state.cooling(id, now))
            .or_else(|| available.first())
            .map(|id| (*id).clone())
    }

    /// Whether `model` may still be called (listed, or not listed yet, and never a 404).
    pub(crate) fn available(&self, model: &str) -> bool {
        lock(&self.state).available(model)
    }

    /// The model answered 404: every preference that used it moves on. Returns the moves.
    pub(crate) fn not_found(&self, model: &str) -> Vec<Move> {
        let before = self.currents();
        lock(&self.state).not_found.insert(model.to_owned());
        self.moves_since(before)
    }

    /// The model answered "overloaded"; after a streak it is passed over for a while.
    pub(crate) fn overloaded(&self, model: &str) -> Vec<Move> {
        let before = self.currents();
        {
            let mut state = lock(&self.state);
            let now = self.clock.now();
            let overload = state.overload.entry(model.to_owned()).or_default();
            overload.streak += 1;
            if overload.streak >= OVERLOAD_STREAK {
                overload.streak = 0;
                overload.until = Some(now + OVERLOAD_COOLDOWN);
            }
        }
        self.moves_since(before)
    }

    /// The model answered: its overload streak starts again.
    pub(crate) fn answered(&self, model: &str) {
        if let Some(overload) = lock(&self.state).overload.get_mut(model) {
            overload.streak = 0;
        }
    }

    /// A fresh listing from Google; returns the moves it caused.
    pub(crate) fn listed(&self, models: Vec<ModelInfo>) -> Vec<Move> {
        let before = self.currents();
        let listed = models
            .into_iter()
            .filter(ModelInfo::generates_content)
            .map(|m| (m.id().to_owned(), m))
            .collect();
        lock(&self.state).listed = Some(listed);
        self.moves_since(before)
    }

    /// The listed output token limit of `model`, when the listing gave one.
    pub(crate) fn output_limit(&self, model: &str) -> Option<i64> {
        let state = lock(&self.state);
        let info = state.listed.as_ref()?.get(model)?;
        (info.output_token_limit > 0).then_some(info.output_token_limit)
    }

    /// Preferences that have no model left, with their candidates.
    pub(crate) fn exhausted(&self) -> Vec<(ModelPreference, &[String])> {
        PREFERENCES
            .into_iter()
            .filter(|&p| self.current(p).is_none())
            .map(|p| (p, self.candidates(p)))
            .collect()
    }

    /// A few of the ids the last listing offered, for messages.
    pub(crate) fn some_listed(&self) -> Vec<String> {
        let state = lock(&self.state);
        let mut ids: Vec<String> = state
            .listed
            .iter()
            .flat_map(|l| l.keys().cloned())
            .collect();
        ids.sort();
        ids.truncate(12);
        ids
    }

    fn currents(&self) -> [Option<String>; 3] {
        PREFERENCES.map(|p| self.current(p))
    }

    fn moves_since(&self, before: [Option<String>; 3]) -> Vec<Move> {
        let mut moves: Vec<Move> = Vec::new();
        for (old, new) in before.into_iter().zip(self.currents()) {
            if let Some(from) = old
                && Some(&from) != new.as_ref()
                && !moves.iter().any(|m| m.from == from && m.to == new)
            {
                moves.push(Move { from, to: new });
            }
        }
        moves
    }
}

impl State {
    fn available(&self, id: &str) -> bool {
        !self.not_found.contains(id) && self.listed.as_ref().is_none_or(|l| l.contains_key(id))
    }

    fn cooling(&self, id: &str, now: Duration) -> bool {
        self.overload
            .get(id)
            .and_then(|o| o.until)
            .is_some_and(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &str) -> Vec<String> {
        list.split(',').map(str::to_owned).collect()
    }

    fn models() -> Models {
        Models::new(
            [
                ids("lite-a,lite-b"),
                ids("flash-a,flash-b"),
                ids("pro-a,flash-a"),
            ],
            Clock::accelerated(1_000.0),
        )
    }

    fn info(id: &str) -> ModelInfo {
        ModelInfo {
            name: format!("models/{id}"),
            output_token_limit: 8_192,
            supported_generation_methods: vec!["generateContent".into()],
            ..ModelInfo::default()
        }
    }

    #[test]
    fn a_404_moves_every_preference_that_used_the_model_at_once() {
        let models = models();
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-a")
        );
        let moves = models.not_found("flash-a");
        assert_eq!(
            moves,
            vec![Move {
                from: "flash-a".into(),
                to: Some("flash-b".into())
            }]
        );
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-b")
        );
        // Quality's own first choice is untouched.
        assert_eq!(
            models.current(ModelPreference::Quality).as_deref(),
            Some("pro-a")
        );
        models.not_found("pro-a");
        assert_eq!(models.current(ModelPreference::Quality), None);
        assert_eq!(models.exhausted().len(), 1);
    }

    #[test]
    fn the_listing_decides_which_candidates_exist_and_their_limits() {
        let models = models();
        assert_eq!(models.output_limit("flash-b"), None);
        let moves = models.listed(vec![info("lite-b"), info("flash-b"), info("pro-a")]);
        assert_eq!(
            models.current(ModelPreference::Speed).as_deref(),
            Some("lite-b")
        );
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-b")
        );
        assert_eq!(moves.len(), 2);
        assert_eq!(models.output_limit("flash-b"), Some(8_192));
        // A model that cannot generate content is as good as absent.
        let mut embed = info("lite-a");
        embed.supported_generation_methods = vec!["embedContent".into()];
        models.listed(vec![embed]);
        assert_eq!(models.current(ModelPreference::Speed), None);
        assert!(models.some_listed().is_empty());
    }

    #[test]
    fn repeated_overload_tries_the_next_candidate_for_a_while() {
        let models = models();
        assert!(models.overloaded("flash-a").is_empty());
        models.answered("flash-a");
        assert!(models.overloaded("flash-a").is_empty());
        assert!(models.overloaded("flash-a").is_empty());
        let moves = models.overloaded("flash-a");
        assert_eq!(moves.first().and_then(|m| m.to.as_deref()), Some("flash-b"));
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-b")
        );
        // When every candidate is cooling down, the first is used anyway.
        for _ in 0..OVERLOAD_STREAK {
            models.overloaded("flash-b");
        }
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-a")
        );
        // 5 min of this clock is 0.3 s of real time.
        std::thread::sleep(Duration::from_millis(400));
        models.answered("flash-a");
        assert_eq!(
            models.current(ModelPreference::Balanced).as_deref(),
            Some("flash-a")
        );
    }
}
