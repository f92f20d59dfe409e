//! Results indexed by what they are for: a month of the plan, a scenario, a
//! partitioning strategy. A row cannot be missing: every index is built for
//! every month, scenario and strategy at once, so readers index instead of
//! searching a list and hoping.

use serde::Serialize;

use super::strategy::Strategy;
use crate::inputs::Scenario;

/// One value per scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ByScenario<T> {
    pub low: T,
    pub base: T,
    pub high: T,
}

impl<T> ByScenario<T> {
    pub fn from_fn(mut f: impl FnMut(Scenario) -> T) -> Self {
        ByScenario {
            low: f(Scenario::Low),
            base: f(Scenario::Base),
            high: f(Scenario::High),
        }
    }

    pub fn get(&self, scenario: Scenario) -> &T {
        match scenario {
            Scenario::Low => &self.low,
            Scenario::Base => &self.base,
            Scenario::High => &self.high,
        }
    }

    /// In [`Scenario::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Scenario, &T)> {
        Scenario::ALL.into_iter().map(move |s| (s, self.get(s)))
    }

    pub fn map<U>(&self, mut f: impl FnMut(Scenario, &T) -> U) -> ByScenario<U> {
        ByScenario::from_fn(|s| f(s, self.get(s)))
    }
}

/// One value per partitioning strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ByStrategy<T> {
    pub customer_id: T,
    pub composite: T,
    pub sub_keys: T,
}

impl<T> ByStrategy<T> {
    pub fn from_fn(mut f: impl FnMut(Strategy) -> T) -> Self {
        ByStrategy {
            customer_id: f(Strategy::CustomerId),
            composite: f(Strategy::Composite),
            sub_keys: f(Strategy::SubKeys),
        }
    }

    pub fn get(&self, strategy: Strategy) -> &T {
        match strategy {
            Strategy::CustomerId => &self.customer_id,
            Strategy::Composite => &self.composite,
            Strategy::SubKeys => &self.sub_keys,
        }
    }

    /// In [`Strategy::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Strategy, &T)> {
        Strategy::ALL.into_iter().map(move |s| (s, self.get(s)))
    }
}

/// One value per month of the plan, months `1..=n` with none missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Monthly<T> {
    rows: Vec<T>,
}

impl<T> Monthly<T> {
    /// Builds the value of every month `1..=months`.
    ///
    /// # Panics
    /// If `months` is 0: a plan has at least one month (the forecast loader
    /// rejects an empty forecast).
    pub fn from_fn(months: u32, f: impl FnMut(u32) -> T) -> Self {
        assert!(months > 0, "a plan has at least one month");
        Monthly {
            rows: (1..=months).map(f).collect(),
        }
    }

    /// The value of `month` (1-based).
    ///
    /// # Panics
    /// If `month` is outside the plan: month numbers come from the plan itself.
    pub fn get(&self, month: u32) -> &T {
        &self.rows[month as usize - 1]
    }

    pub fn months(&self) -> u32 {
        self.rows.len() as u32
    }

    /// `(month, value)` in month order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u32, &T)> + ExactSizeIterator {
        self.rows.iter().enumerate().map(|(i, r)| (i as u32 + 1, r))
    }

    pub fn first(&self) -> &T {
        &self.rows[0]
    }

    pub fn last(&self) -> &T {
        self.rows.last().expect("a plan has at least one month")
    }

    pub fn map<U>(&self, mut f: impl FnMut(u32, &T) -> U) -> Monthly<U> {
        Monthly {
            rows: self.iter().map(|(m, r)| f(m, r)).collect(),
        }
    }
}

impl<T> Monthly<ByScenario<T>> {
    /// Every `(month, scenario, value)`, month by month, scenarios in
    /// [`Scenario::ALL`] order: the order of the workbook's rows.
    pub fn flat(&self) -> impl Iterator<Item = (u32, Scenario, &T)> {
        self.iter()
            .flat_map(|(m, by)| by.iter().map(move |(s, v)| (m, s, v)))
    }

    /// [`Monthly::map`] over every month and scenario, on as many threads as
    /// the machine has cores. Each call of `f` stands alone, so the result is
    /// the same whatever thread ran it.
    pub fn par_map<U: Send>(
        &self,
        f: impl Fn(u32, Scenario, &T) -> U + Sync,
    ) -> Monthly<ByScenario<U>>
    where
        T: Sync,
    {
        let items: Vec<(u32, Scenario, &T)> = self.flat().collect();
        let mut results = parallel(&items, |&(m, s, v)| f(m, s, v)).into_iter();
        self.map(|_, by| by.map(|_, _| results.next().expect("one result per item")))
    }
}

/// `f` over every item, on as many scoped threads as the machine has cores,
/// in the items' order. Workers take the next item as they finish one, so a
/// slow month does not hold back the others.
pub fn parallel<I: Sync, U: Send>(items: &[I], f: impl Fn(&I) -> U + Sync) -> Vec<U> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, U)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let u = f(item);
                    done.lock()
                        .expect("no worker panics holding it")
                        .push((i, u));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("every worker finished");
    done.sort_by_key(|&(i, _)| i);
    done.into_iter().map(|(_, u)| u).collect()
}
