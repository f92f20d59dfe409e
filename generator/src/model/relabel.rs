//! Customers whose id nobody knows yet. Where a key lands depends on its id
//! alone, and a customer still to be onboarded has none at planning time; a
//! plan sized on one guessed id is sized on luck. So each onboarding gets an
//! id drawn at random in each of `draws` seeded relabellings, every count is
//! checked in every draw, and the plan takes the fewest partitions and
//! subtasks that fit in at least the stated quantile of the draws. Known
//! customers keep their exact routing in every draw.

use serde::Serialize;

use crate::rng::Rng;

/// The seed of the relabellings: fixed, so the same inputs give the same plan.
const SEED: u64 = 0x05EE_D1D5;

/// How many relabellings a fit is checked in, and in how many it must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Relabelling {
    pub draws: u32,
    /// `ceil(quantile × draws)`: a count is chosen once it fits in this many.
    pub must_fit: u32,
}

impl Relabelling {
    /// Every id known: one draw decides.
    pub const EXACT: Relabelling = Relabelling {
        draws: 1,
        must_fit: 1,
    };

    pub fn new(draws: u32, quantile: f64) -> Relabelling {
        let draws = draws.max(1);
        Relabelling {
            draws,
            must_fit: ((quantile * f64::from(draws)).ceil() as u32).clamp(1, draws),
        }
    }

    /// The draw at the quantile among `values` (one per draw), ranked from
    /// the smallest: the `must_fit`-th. Ties go to the lower draw, so the
    /// choice is reproducible.
    pub fn at_quantile(&self, values: &[f64]) -> (usize, f64) {
        let mut ranked: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        ranked[self.must_fit as usize - 1]
    }
}

/// How far a search walks past the count it chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Stop at the chosen count: all a sizing needs.
    ToChoice,
    /// Go on, up to twice that count, to learn what every draw needs on its
    /// own: the spread the documents show for one month.
    EveryDraw,
}

impl Walk {
    /// Whether a search that chose `chosen` stops before trying `count`.
    pub fn stops_before(self, count: u32, chosen: Option<u32>, first: &FirstFits) -> bool {
        match (self, chosen) {
            (_, None) => false,
            (Walk::ToChoice, Some(_)) => true,
            (Walk::EveryDraw, Some(c)) => first.all_found() || count > 2 * c,
        }
    }
}

/// What the draws needed of one count (partitions or subtasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub draws: u32,
    pub must_fit: u32,
    /// Draws in which the chosen count fits.
    pub fitting: u32,
    /// The fewest any draw needs on its own.
    pub fewest: u32,
    /// The most any draw needs on its own; `None` when some draw fits no
    /// count the search tried (a search that stops at its choice tries no more).
    pub most: Option<u32>,
    /// The largest count the search tried.
    pub searched_to: u32,
}

/// The first count at which each draw fits, gathered while a search walks
/// the counts upward.
pub struct FirstFits(Vec<Option<u32>>);

impl FirstFits {
    pub fn new(draws: usize) -> FirstFits {
        FirstFits(vec![None; draws])
    }

    pub fn record(&mut self, count: u32, fits: impl Fn(usize) -> bool) {
        for (draw, first) in self.0.iter_mut().enumerate() {
            if first.is_none() && fits(draw) {
                *first = Some(count);
            }
        }
    }

    /// The draws whose first fitting count the walk has not met yet.
    pub fn unfound(&self) -> Vec<usize> {
        (0..self.0.len()).filter(|&d| self.0[d].is_none()).collect()
    }

    pub fn all_found(&self) -> bool {
        self.0.iter().all(Option::is_some)
    }

    pub fn spread(&self, relabelling: Relabelling, fitting: u32, searched_to: u32) -> Spread {
        let found = self.0.iter().flatten();
        Spread {
            draws: relabelling.draws,
            must_fit: relabelling.must_fit,
            fitting,
            fewest: found.clone().copied().min().unwrap_or(0),
            most: self
                .0
                .iter()
                .copied()
                .collect::<Option<Vec<u32>>>()
                .and_then(|all| all.into_iter().max()),
            searched_to,
        }
    }
}

/// One id per draw for each of `customers` onboardings: uniform over the
/// positive `Long`s, as any id the id service may hand out. The `i`-th
/// onboarding's ids depend on `i` and the draw only, so a customer keeps its
/// drawn ids in every month and scenario.
pub fn draw_ids(customers: usize, draws: u32) -> Vec<Vec<i64>> {
    (0..customers)
        .map(|i| {
            let mut rng = Rng::new(SEED ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            (0..draws).map(|_| (rng.next_u64() >> 1) as i64).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantile_rounds_up_to_a_whole_draw() {
        // 0.9 × 32 = 28.8: a count must fit in 29 of the 32 draws.
        assert_eq!(Relabelling::new(32, 0.9).must_fit, 29);
        assert_eq!(Relabelling::new(10, 0.9).must_fit, 9);
        assert_eq!(Relabelling::new(1, 0.5).must_fit, 1);
        assert_eq!(Relabelling::new(4, 1.0).must_fit, 4);
    }

    #[test]
    fn the_draw_at_the_quantile_is_ranked_from_the_smallest() {
        let r = Relabelling::new(4, 0.75);
        // Ranked: 0.1 (draw 2), 0.2 (draw 0), 0.3 (draw 3), 0.4 (draw 1); the 3rd.
        assert_eq!(r.at_quantile(&[0.2, 0.4, 0.1, 0.3]), (3, 0.3));
    }

    #[test]
    fn drawn_ids_are_positive_reproducible_and_differ_by_draw_and_customer() {
        let a = draw_ids(3, 16);
        assert_eq!(a, draw_ids(3, 16));
        assert!(a.iter().flatten().all(|&id| id >= 0));
        assert_ne!(a[0], a[1]);
        let distinct: std::collections::BTreeSet<i64> = a[0].iter().copied().collect();
        assert_eq!(distinct.len(), 16);
        // More draws extend the same sequence: a customer keeps its first ids.
        assert_eq!(draw_ids(3, 32)[2][..16], a[2][..]);
    }

    #[test]
    fn first_fits_give_the_spread() {
        let mut f = FirstFits::new(3);
        f.record(10, |d| d == 1);
        f.record(11, |d| d != 2);
        assert!(!f.all_found());
        let s = f.spread(Relabelling::new(3, 0.6), 2, 11);
        assert_eq!((s.fewest, s.most, s.must_fit), (10, None, 2));
        f.record(14, |_| true);
        assert_eq!(f.spread(Relabelling::new(3, 0.6), 2, 14).most, Some(14));
    }

    /// A month with two newcomers over a flat tail of known customers.
    fn month_keys() -> crate::model::strategy::KeySet {
        use crate::model::strategy::{KeySet, KeyShape};
        let known: Vec<(i64, f64)> = (0..300).map(|i| (10_000 + i, 1.0 / 300.0)).collect();
        let ids = draw_ids(2, 16);
        KeySet::customer_id(&known).in_month(
            0.85,
            [
                (0.09, &ids[0][..], KeyShape::Customer),
                (0.06, &ids[1][..], KeyShape::Customer),
            ],
            Relabelling::new(16, 0.75),
        )
    }

    #[test]
    fn the_keyed_fit_is_the_first_parallelism_the_quantile_of_draws_fits() {
        use crate::model::{flink, strategy};
        let keys = month_keys();
        let (load, cap, m) = (100_000.0, 12_000.0, 256);
        let fit = flink::fit_keyed(&keys, load, cap, m, Walk::EveryDraw);
        let chosen = fit.parallelism.expect("fits");
        // Recomputed draw by draw from the key groups.
        let hottest = |p: u32, draw: usize| {
            strategy::max(&strategy::subtask_shares(
                &keys.key_group_shares(m, draw),
                p,
            ))
        };
        let fitting = |p: u32| (0..16).filter(|&d| hottest(p, d) * load <= cap).count();
        // 12 of 16 draws (0.75) must fit, and none of the smaller counts does so.
        assert!(fitting(chosen) >= 12);
        for p in fit.lower_bound..chosen {
            assert!(fitting(p) < 12, "p = {p}");
        }
        let spread = fit.spread.expect("a spread");
        assert_eq!(spread.fitting as usize, fitting(chosen));
        // Each draw's own first fit.
        let own: Vec<u32> = (0..16)
            .map(|d| {
                (fit.lower_bound..=m)
                    .find(|&p| hottest(p, d) * load <= cap)
                    .unwrap()
            })
            .collect();
        assert_eq!(spread.fewest, *own.iter().min().unwrap());
        let most = *own.iter().max().unwrap();
        assert_eq!(spread.most, (most <= 2 * chosen).then_some(most));
        // The share shown is the 12th smallest of the draws' hottest.
        let mut at: Vec<f64> = (0..16).map(|d| hottest(chosen, d)).collect();
        at.sort_by(f64::total_cmp);
        assert!((fit.hottest_share - at[11]).abs() < 1e-12);
        // Searching only to the choice gives the same count.
        let quick = flink::fit_keyed(&keys, load, cap, m, Walk::ToChoice);
        assert_eq!(quick.parallelism, fit.parallelism);
        assert_eq!(quick.hottest_share, fit.hottest_share);
    }

    #[test]
    fn the_partition_fit_is_the_first_count_the_quantile_of_draws_fits() {
        use crate::model::kafka::{self, PartitionLimits};
        use crate::model::strategy;
        let keys = month_keys();
        let l = PartitionLimits {
            peak_events_per_s: 100_000.0,
            peak_mb_per_s: 50.0,
            partition_mb_per_s: 7.0,
            consumer_events_per_s: 14_000.0,
        };
        let fit = kafka::fit_partitions(&keys, &l, Walk::EveryDraw);
        let chosen = fit.partitions.expect("fits");
        let fits = |share: f64| share * 100_000.0 <= 14_000.0 && share * 50.0 <= 7.0;
        let fitting = |n: u32| {
            (0..16)
                .filter(|&d| fits(strategy::max(&keys.partition_shares(n, d))))
                .count()
        };
        // max(50/7, 100,000/14,000) rounds up to 8.
        assert_eq!(fit.lower_bound, 8);
        assert!(fitting(chosen) >= 12);
        for n in 8..chosen {
            assert!(fitting(n) < 12, "n = {n}");
        }
        assert_eq!(
            fit.hottest_share,
            strategy::max(&keys.partition_shares(chosen, fit.draw))
        );
        let quick = kafka::fit_partitions(&keys, &l, Walk::ToChoice);
        assert_eq!(quick.partitions, fit.partitions);
        assert_eq!(quick.draw, fit.draw);
    }
}
