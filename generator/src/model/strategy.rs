//! The partitioning strategies and the skew each leaves, computed with the
//! real partitioners over the key distribution.
//!
//! A strategy fixes the record key, which the producer and the keyed Flink
//! operator both use: Kafka routes it with murmur2, Flink with its key groups.
//! Every key is hashed once ([`RoutedKey`]); the share of the hottest
//! partition or subtask for a given count is then a sum over keys, not a
//! closed form, so the predicted skew is the skew production would see.

use std::collections::BTreeMap;
use std::sync::Arc;

use partitioners::{keys, murmur_hash, murmur2, to_positive};
use serde::Serialize;

use super::known_keys::{KnownKeys, Partitioner, Refusal, RoutedKey};
use super::relabel::Relabelling;

use crate::inputs::keys::EventType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Key = `customer_id` (a Java `Long`; Kafka `LongSerializer`).
    CustomerId,
    /// Key = `(customer_id, event_type)` (Flink `Tuple2<Long, String>`).
    Composite,
    /// Key = `(customer_id, j)`: a hot customer's events spread over `s` sub-keys
    /// `j` (the producer picks `j` per batch), merged per customer in a second stage.
    SubKeys,
}

impl Strategy {
    /// In order of what they give up: the first keeps the most.
    pub const ALL: [Strategy; 3] = [Strategy::CustomerId, Strategy::Composite, Strategy::SubKeys];

    /// Whether all of one customer's events stay in one partition and one
    /// subtask, in order.
    pub fn keeps_customer_order(self) -> bool {
        self == Strategy::CustomerId
    }

    /// Whether a per-customer result needs a second keyed stage to merge partials.
    pub fn needs_merge_stage(self) -> bool {
        self != Strategy::CustomerId
    }
}

/// The prototype names the same three strategies by what it emulates.
impl From<crate::inputs::scenarios::Strategy> for Strategy {
    fn from(s: crate::inputs::scenarios::Strategy) -> Self {
        use crate::inputs::scenarios::Strategy as Bench;
        match s {
            Bench::Customer => Strategy::CustomerId,
            Bench::Composite => Strategy::Composite,
            Bench::Sticky => Strategy::SubKeys,
        }
    }
}

/// Who a customer is: a known id, or the `i`-th planned onboarding of
/// `data/onboardings.csv`, whose id nobody knows before it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRef {
    Known(i64),
    Onboarding(usize),
}

/// How one customer's events become record keys under a strategy.
#[derive(Debug, Clone, Copy)]
pub enum KeyShape<'a> {
    /// One key, the customer id.
    Customer,
    /// One key per event type, each with the type's share.
    Composite(&'a [EventType]),
    /// `s` sub-keys of equal share.
    SubKeys(u32),
}

/// Calls `push` with every record key of customer `id` under `shape`.
fn route(id: i64, share: f64, shape: KeyShape<'_>, mut push: impl FnMut(RoutedKey)) {
    match shape {
        KeyShape::Customer => push(RoutedKey {
            kafka_hash: kafka_hash(&keys::customer_key_bytes(id)),
            flink_hash: flink_hash(keys::customer_key_hash(id)),
            share,
        }),
        KeyShape::Composite(types) => {
            for t in types {
                push(RoutedKey {
                    kafka_hash: kafka_hash(&keys::composite_key_bytes(id, &t.event_type)),
                    flink_hash: flink_hash(keys::composite_key_hash(
                        id,
                        keys::event_type_hash(&t.event_type),
                    )),
                    share: share * t.share,
                });
            }
        }
        KeyShape::SubKeys(s) => {
            let s = s.max(1);
            for j in 0..s as i32 {
                push(RoutedKey {
                    kafka_hash: kafka_hash(&keys::sub_key_bytes(id, j)),
                    flink_hash: flink_hash(keys::sub_key_hash(id, j)),
                    share: share / f64::from(s),
                });
            }
        }
    }
}

/// The record keys of one strategy (in one month), with their shares of all
/// events. Keys of known customers route exactly; the keys of a customer not
/// yet on board route under each of the [`Relabelling`]'s drawn ids, and
/// every question about the spread is answered per draw.
#[derive(Debug, Clone)]
pub struct KeySet {
    known: Arc<KnownKeys>,
    /// The known keys' shares are multiplied by this: the part of a month's
    /// events today's customers carry.
    scale: f64,
    /// The keys of customers whose id is not known, per draw, as
    /// `(kafka_hash, share)` and `(flink_hash, share)`: where they land
    /// under that draw's ids.
    kafka_landings: Vec<Vec<(u32, f64)>>,
    flink_landings: Vec<Vec<(u32, f64)>>,
    relabelling: Relabelling,
    /// The largest share any single key carries: no partitioner can split it.
    pub largest_key_share: f64,
}

/// Slack for comparing a partial sum with a limit: a partial sum taken in
/// another order may round a hair above the full one.
pub const SUM_SLACK: f64 = 1e-9;

impl KeySet {
    fn new(keys: Vec<RoutedKey>) -> KeySet {
        let known = KnownKeys::new(keys);
        let largest_share = known.largest_share;
        KeySet {
            known: Arc::new(known),
            scale: 1.0,
            kafka_landings: vec![Vec::new()],
            flink_landings: vec![Vec::new()],
            relabelling: Relabelling::EXACT,
            largest_key_share: largest_share,
        }
    }

    /// Known customers, each routed as `shape(id)` says.
    pub fn known<'a>(customers: &[(i64, f64)], shape: impl Fn(i64) -> KeyShape<'a>) -> KeySet {
        let mut routed = Vec::with_capacity(customers.len());
        for &(id, share) in customers {
            route(id, share, shape(id), |k| routed.push(k));
        }
        KeySet::new(routed)
    }

    /// Keyed by `customer_id`: 8 big-endian bytes for Kafka, `Long.hashCode()` for Flink.
    pub fn customer_id(customers: &[(i64, f64)]) -> KeySet {
        KeySet::known(customers, |_| KeyShape::Customer)
    }

    /// Keyed by `(customer_id, event_type)`: the customer's 8 bytes then the
    /// type's UTF-8 for Kafka, `Tuple2<Long, String>.hashCode()` for Flink.
    /// Event types are independent of the customer.
    pub fn composite(customers: &[(i64, f64)], event_types: &[EventType]) -> KeySet {
        KeySet::known(customers, |_| KeyShape::Composite(event_types))
    }

    /// Keyed by `(customer_id, j)`: customer `k` of `sub_keys` gets `j` in
    /// `0..s_k`, every other customer `j = 0`. The sticky producer moves a
    /// customer to another sub-key per batch, so over a window each sub-key
    /// carries an equal part. Kafka sees the customer's 8 bytes then `j`'s 4
    /// (big-endian); Flink `Tuple2<Long, Integer>.hashCode()`.
    pub fn sub_keys(customers: &[(i64, f64)], sub_keys: &BTreeMap<i64, u32>) -> KeySet {
        KeySet::known(customers, |id| {
            KeyShape::SubKeys(sub_keys.get(&id).copied().unwrap_or(1))
        })
    }

    /// This set, keyed as [`KeyShape::SubKeys`] with one sub-key each (as
    /// [`KeySet::known`] made it from `customers`, in their order), with the
    /// customers `split` lists as `(id, sub_keys)` split into that many
    /// sub-keys: only they are hashed again.
    pub fn split_customers(&self, customers: &[(i64, f64)], split: &[(i64, u32)]) -> KeySet {
        assert_eq!(self.known.len(), customers.len(), "one key per customer");
        let mut wanted: Vec<(i64, u32)> = split.iter().copied().filter(|&(_, s)| s > 1).collect();
        wanted.sort_unstable();
        // The split customers are the hottest, near the front: the walk
        // stops once each is found.
        let mut found = Vec::with_capacity(wanted.len());
        for (i, &(id, share)) in customers.iter().enumerate() {
            if found.len() == wanted.len() {
                break;
            }
            if let Ok(at) = wanted.binary_search_by_key(&id, |&(w, _)| w) {
                let mut sub_keys = Vec::with_capacity(wanted[at].1 as usize);
                route(id, share, KeyShape::SubKeys(wanted[at].1), |k| {
                    sub_keys.push(k)
                });
                found.push((i, sub_keys));
            }
        }
        let known = self.known.split(&found);
        let largest_key_share = known.largest_share;
        KeySet {
            known: Arc::new(known),
            scale: 1.0,
            kafka_landings: vec![Vec::new()],
            flink_landings: vec![Vec::new()],
            relabelling: Relabelling::EXACT,
            largest_key_share,
        }
    }

    /// This key set in a month: the known keys carry `scale` of the events,
    /// and each newcomer `(share, ids, shape)` is keyed under one drawn id
    /// per draw of `relabelling`. Without newcomers one draw says it all.
    pub fn in_month<'a>(
        &self,
        scale: f64,
        newcomers: impl IntoIterator<Item = (f64, &'a [i64], KeyShape<'a>)>,
        relabelling: Relabelling,
    ) -> KeySet {
        let newcomers: Vec<(f64, &[i64], KeyShape<'_>)> = newcomers.into_iter().collect();
        let relabelling = if newcomers.is_empty() {
            Relabelling::EXACT
        } else {
            relabelling
        };
        let draws = relabelling.draws as usize;
        let mut kafka_landings = vec![Vec::new(); draws];
        let mut flink_landings = vec![Vec::new(); draws];
        let mut largest_key_share = self.known.largest_share * scale;
        for (share, ids, shape) in newcomers {
            for draw in 0..draws {
                route(ids[draw], share, shape, |k| {
                    kafka_landings[draw].push((k.kafka_hash, k.share));
                    flink_landings[draw].push((k.flink_hash, k.share));
                    largest_key_share = largest_key_share.max(k.share);
                });
            }
        }
        KeySet {
            known: Arc::clone(&self.known),
            scale,
            kafka_landings,
            flink_landings,
            relabelling,
            largest_key_share,
        }
    }

    /// Keys of known and unknown customers alike (one draw's worth).
    pub fn len(&self) -> usize {
        self.known.len() + self.kafka_landings[0].len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn relabelling(&self) -> Relabelling {
        self.relabelling
    }

    /// The known keys' share of each of `partitions` partitions.
    fn known_partition_shares(&self, partitions: u32) -> Vec<f64> {
        self.scaled(&self.known.sums(Partitioner::Kafka, partitions))
    }

    /// Unscaled sums of the known keys, scaled to this month.
    fn scaled(&self, sums: &[f64]) -> Vec<f64> {
        sums.iter().map(|s| s * self.scale).collect()
    }

    /// Each partition's share of the events in draw `draw` when the topic
    /// has `partitions`.
    pub fn partition_shares(&self, partitions: u32, draw: usize) -> Vec<f64> {
        let mut shares = self.known_partition_shares(partitions);
        for &(hash, share) in &self.kafka_landings[draw] {
            shares[(hash % partitions) as usize] += share;
        }
        shares
    }

    /// The hottest partition's share in each draw at `partitions`.
    pub fn hottest_partition_shares(&self, partitions: u32) -> Vec<f64> {
        let known = self.known_partition_shares(partitions);
        hottest_per_draw(&known, &self.kafka_landings, |hash| {
            (hash % partitions) as usize
        })
    }

    /// The hottest partition's share in each draw at `partitions`, or `None`
    /// when the known keys alone put more than `limit_share` on one
    /// partition (newcomers only add to that), or when no draw the search
    /// still `wants` can stay within it. A `None` is decided on as few keys
    /// as it takes; a `Some` holds the exact shares, summed over every key.
    pub fn hottest_partition_shares_unless_over(
        &self,
        partitions: u32,
        limit_share: f64,
        wanted: Wanted<'_>,
    ) -> Option<Vec<f64>> {
        let over = limit_share * (1.0 + SUM_SLACK);
        let mut partial = vec![0.0; partitions as usize];
        for k in &self.known.heaviest {
            let p = &mut partial[(k.kafka_hash % partitions) as usize];
            *p += k.share * self.scale;
            if *p > over {
                return None;
            }
        }
        let bucket = |hash: u32| (hash % partitions) as usize;
        let landings = &self.kafka_landings;
        // Any partial sums are a floor under the known ones: when the draws
        // wanted do not fit on them, the count is refused before every key
        // is summed.
        let refuse = |floor: &[f64]| {
            if max(floor) > over {
                return true;
            }
            if wanted.together.is_none() && wanted.any_of.is_none() {
                return false;
            }
            let mut scratch = floor.to_vec();
            let together = wanted.together.is_some_and(|need| {
                enough_draws_within(floor, &mut scratch, landings, bucket, limit_share, need)
            });
            let mut any = || {
                wanted.any_of.is_some_and(|draws| {
                    draws
                        .iter()
                        .any(|&d| draw_within(floor, &mut scratch, &landings[d], bucket, over))
                })
            };
            !(together || any())
        };
        if refuse(&partial) {
            return None;
        }
        // A partition over the limit on the known keys alone refuses the
        // count as soon as its sum passes it.
        let known = self.known.sums_unless(
            Partitioner::Kafka,
            partitions,
            Refusal {
                ceiling: over / self.scale,
                floor_refuses: &mut |floor| refuse(&self.scaled(floor)),
            },
        )?;
        let known = self.scaled(&known);
        if refuse(&known) {
            return None;
        }
        Some(hottest_per_draw(&known, &self.kafka_landings, bucket))
    }

    /// The share of events whose partition changes when the topic goes from
    /// `from` to `to` partitions: Kafka has no consistent hashing, so a key
    /// moves unless its hash gives the same remainder for both counts. For a
    /// customer whose id is not known, the mean over the draws.
    pub fn moved_share(&self, from: u32, to: u32) -> f64 {
        let moves = |hash: u32| hash % from != hash % to;
        let known = self.known.share_where(Partitioner::Kafka, moves) * self.scale;
        let unknown: f64 = self
            .kafka_landings
            .iter()
            .flatten()
            .filter(|&&(hash, _)| moves(hash))
            .map(|&(_, share)| share)
            .sum::<f64>()
            / self.kafka_landings.len() as f64;
        known + unknown
    }

    /// The known keys' share of each key group for a given maxParallelism.
    pub fn known_key_group_shares(&self, max_parallelism: u32) -> Vec<f64> {
        self.scaled(&self.known.sums(Partitioner::Flink, max_parallelism))
    }

    /// Each key group's share in draw `draw` for a given maxParallelism.
    pub fn key_group_shares(&self, max_parallelism: u32, draw: usize) -> Vec<f64> {
        let mut shares = self.known_key_group_shares(max_parallelism);
        for &(hash, share) in &self.flink_landings[draw] {
            shares[(hash % max_parallelism) as usize] += share;
        }
        shares
    }

    /// Each draw's unknown keys as `(flink_hash, share)`: the key group is
    /// the hash modulo maxParallelism.
    pub fn flink_landings(&self) -> &[Vec<(u32, f64)>] {
        &self.flink_landings
    }
}

/// The hottest bucket of each draw: the known keys' shares plus that draw's
/// unknown keys, `landings[draw]` listing each as `(hash, share)` and
/// `bucket(hash)` placing it. Only the buckets an unknown key lands in can
/// beat the known keys' hottest, so a draw costs its unknown keys: they are
/// added to a scratch copy, read and taken back out.
pub fn hottest_per_draw(
    known: &[f64],
    landings: &[Vec<(u32, f64)>],
    bucket: impl Fn(u32) -> usize,
) -> Vec<f64> {
    let known_hottest = max(known);
    let mut scratch = known.to_vec();
    landings
        .iter()
        .map(|landed| {
            let mut hottest = known_hottest;
            for &(hash, share) in landed {
                let b = bucket(hash);
                scratch[b] += share;
                hottest = hottest.max(scratch[b]);
            }
            for &(hash, _) in landed {
                let b = bucket(hash);
                scratch[b] = known[b];
            }
            hottest
        })
        .collect()
}

/// Whether at least `need` of the draws keep every bucket within `limit`,
/// the quick test before [`hottest_per_draw`] decides exactly: a draw stops
/// at its first bucket over the limit, and the count stops as soon as too
/// many draws failed. `scratch` must hold `known` and is left holding it.
pub fn enough_draws_within(
    known: &[f64],
    scratch: &mut [f64],
    landings: &[Vec<(u32, f64)>],
    bucket: impl Fn(u32) -> usize,
    limit: f64,
    need: usize,
) -> bool {
    let limit = limit * (1.0 + SUM_SLACK);
    if max(known) > limit {
        return false;
    }
    let may_fail = landings.len().saturating_sub(need);
    let mut failed = 0;
    for landed in landings {
        if !draw_within(known, scratch, landed, &bucket, limit) {
            failed += 1;
            if failed > may_fail {
                return false;
            }
        }
    }
    true
}

/// Whether one draw's unknown keys `landed` on top of `known` keep every
/// bucket within `limit` (slack included): stops at the first bucket over.
/// `scratch` must hold `known` and is left holding it.
fn draw_within(
    known: &[f64],
    scratch: &mut [f64],
    landed: &[(u32, f64)],
    bucket: impl Fn(u32) -> usize,
    limit: f64,
) -> bool {
    let mut added = 0;
    let mut over = false;
    for &(hash, share) in landed {
        let b = bucket(hash);
        scratch[b] += share;
        added += 1;
        if scratch[b] > limit {
            over = true;
            break;
        }
    }
    for &(hash, _) in &landed[..added] {
        let b = bucket(hash);
        scratch[b] = known[b];
    }
    !over
}

/// Which draws a search still wants to fit at a count: a count at which
/// none of them can is refused on partial sums, the exact shares unsummed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    /// At least this many draws at the same count (the count a search chooses).
    pub together: Option<usize>,
    /// Or any one of these draws (those whose first fitting count the walk
    /// has not met yet).
    pub any_of: Option<&'a [usize]>,
}

impl Wanted<'_> {
    /// Any count the known keys alone fit.
    pub const ANY_COUNT: Wanted<'static> = Wanted {
        together: None,
        any_of: None,
    };
}

/// Each subtask's share, given the key groups' shares: subtask
/// `keyGroup * parallelism / maxParallelism` owns key group `keyGroup`.
pub fn subtask_shares(key_group_shares: &[f64], parallelism: u32) -> Vec<f64> {
    let max_parallelism = key_group_shares.len() as u64;
    let mut shares = vec![0.0; parallelism as usize];
    for (kg, share) in key_group_shares.iter().enumerate() {
        shares[(kg as u64 * u64::from(parallelism) / max_parallelism) as usize] += share;
    }
    shares
}

/// The key groups' shares summed in order, to give any subtask's share in
/// one subtraction while searching parallelisms.
pub struct CumulativeKeyGroups(Vec<f64>);

impl CumulativeKeyGroups {
    pub fn new(key_group_shares: &[f64]) -> Self {
        let mut sum = 0.0;
        let mut cumulative = Vec::with_capacity(key_group_shares.len() + 1);
        cumulative.push(0.0);
        for s in key_group_shares {
            sum += s;
            cumulative.push(sum);
        }
        CumulativeKeyGroups(cumulative)
    }

    /// Whether some subtask of `parallelism` takes more than `limit_share`.
    /// Subtask `i` owns key groups `ceil(i·M/p)` up to `ceil((i+1)·M/p)`,
    /// the range [`subtask_shares`] assigns it one key group at a time.
    /// Subtask `i`'s share at `parallelism`, one subtraction (rounded as a
    /// running sum rounds: a quick test, not the exact share).
    pub fn subtask_share(&self, parallelism: u32, i: usize) -> f64 {
        let m = (self.0.len() - 1) as u64;
        let p = u64::from(parallelism);
        let start = |i: u64| (i * m).div_ceil(p) as usize;
        self.0[start(i as u64 + 1)] - self.0[start(i as u64)]
    }

    /// The most any `width` consecutive key groups carry: no subtask of a
    /// parallelism that gives each at most `width` groups carries more.
    pub fn widest_window(&self, width: usize) -> f64 {
        let c = &self.0;
        (0..c.len().saturating_sub(width))
            .map(|i| c[i + width] - c[i])
            .fold(0.0, f64::max)
    }

    pub fn some_subtask_over(&self, parallelism: u32, limit_share: f64) -> bool {
        let m = (self.0.len() - 1) as u64;
        let p = u64::from(parallelism);
        let start = |i: u64| (i * m).div_ceil(p) as usize;
        (0..p).any(|i| self.0[start(i + 1)] - self.0[start(i)] > limit_share * (1.0 + SUM_SLACK))
    }
}

pub fn max(shares: &[f64]) -> f64 {
    shares.iter().copied().fold(0.0, f64::max)
}

fn kafka_hash(bytes: &[u8]) -> u32 {
    // `to_positive` clears the sign bit, so the cast is lossless.
    to_positive(murmur2(bytes)) as u32
}

fn flink_hash(java_hash_code: i32) -> u32 {
    // `MathUtils.murmurHash` is non-negative.
    murmur_hash(java_hash_code) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::relabel::Relabelling;
    use partitioners::long_hash_code;
    use partitioners::{flink_subtask, kafka_partition, long_key_bytes};

    fn customers() -> Vec<(i64, f64)> {
        let n = 500;
        (0..n).map(|i| (100_000 + i, 1.0 / n as f64)).collect()
    }

    #[test]
    fn customer_id_routing_is_the_real_partitioners() {
        let c = customers();
        let set = KeySet::customer_id(&c);
        let p = set.partition_shares(24, 0);
        let mut expected = vec![0.0; 24];
        for &(id, share) in &c {
            expected[kafka_partition(&long_key_bytes(id), 24) as usize] += share;
        }
        assert_eq!(p, expected);
        let s = subtask_shares(&set.key_group_shares(128, 0), 12);
        let mut expected = vec![0.0; 12];
        for &(id, share) in &c {
            expected[flink_subtask(long_hash_code(id), 128, 12) as usize] += share;
        }
        for (a, b) in s.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn sub_keys_split_a_hot_customer_and_keep_the_total() {
        let mut c = customers();
        c[0].1 += 0.5;
        let total: f64 = c.iter().map(|x| x.1).sum();
        let whole = KeySet::customer_id(&c);
        let split = KeySet::sub_keys(&c, &BTreeMap::from([(c[0].0, 8)]));
        assert_eq!(split.len(), c.len() + 7);
        assert!((split.largest_key_share - c[0].1 / 8.0).abs() < 1e-12);
        let sum: f64 = split.partition_shares(24, 0).iter().sum();
        assert!((sum - total).abs() < 1e-9);
        assert!(split.hottest_partition_shares(24)[0] < whole.hottest_partition_shares(24)[0]);
    }

    #[test]
    fn composite_keys_multiply_shares() {
        let c = customers();
        let types = vec![
            EventType {
                event_type: "a".into(),
                share: 0.75,
            },
            EventType {
                event_type: "b".into(),
                share: 0.25,
            },
        ];
        let set = KeySet::composite(&c, &types);
        assert_eq!(set.len(), 2 * c.len());
        assert!((set.largest_key_share - 0.75 / 500.0).abs() < 1e-15);
    }

    #[test]
    fn running_sums_give_each_subtask_its_key_groups() {
        // M = 4, p = 3: key group g goes to g·3/4, so 0 and 1 to subtask 0,
        // 2 to subtask 1, 3 to subtask 2: shares 0.1+0.2, 0.3, 0.4.
        let groups = [0.1, 0.2, 0.3, 0.4];
        let cumulative = CumulativeKeyGroups::new(&groups);
        assert!(cumulative.some_subtask_over(3, 0.35));
        assert!(!cumulative.some_subtask_over(3, 0.45));
        // p = 2: 0.1+0.2 and 0.3+0.4.
        assert!(cumulative.some_subtask_over(2, 0.69));
        assert!(!cumulative.some_subtask_over(2, 0.71));
        // Against the one-group-at-a-time assignment, over every p and limit.
        let groups: Vec<f64> = (0..128).map(|g| f64::from((g * 37) % 11 + 1)).collect();
        let total: f64 = groups.iter().sum();
        let groups: Vec<f64> = groups.iter().map(|g| g / total).collect();
        let cumulative = CumulativeKeyGroups::new(&groups);
        for p in 1..=128 {
            let hottest = max(&subtask_shares(&groups, p));
            assert!(cumulative.some_subtask_over(p, hottest * 0.999), "p = {p}");
            assert!(!cumulative.some_subtask_over(p, hottest * 1.001), "p = {p}");
        }
    }

    #[test]
    fn the_quick_refusal_never_refuses_a_count_that_fits() {
        // 20,000 keys, a few heavy: more than the heaviest-key list holds,
        // and more than one step of the summing.
        let mut c: Vec<(i64, f64)> = (0..20_000).map(|i| (i, 1.0)).collect();
        for (i, w) in [(7, 400.0), (8, 300.0), (9, 200.0)] {
            c[i].1 = w;
        }
        let total: f64 = c.iter().map(|x| x.1).sum();
        let c: Vec<(i64, f64)> = c.iter().map(|&(id, w)| (id, w / total)).collect();
        // The exact shares from a set of their own, so that `set` is asked
        // before it has summed a count whole: a refusal then stops on
        // partial sums, and the next ask resumes them.
        let reference = KeySet::customer_id(&c);
        let set = KeySet::customer_id(&c);
        // The same customers as one sub-key each, the heaviest split in 4.
        let split_reference = KeySet::sub_keys(&c, &BTreeMap::from([(7, 4)]));
        let split = KeySet::known(&c, |_| KeyShape::SubKeys(1)).split_customers(&c, &[(7, 4)]);
        for n in 1..120 {
            for (reference, set) in [(&reference, &set), (&split_reference, &split)] {
                let exact = reference.hottest_partition_shares(n)[0];
                for limit in [exact * 0.9, exact * 0.999, exact, exact * 1.1] {
                    let got = set.hottest_partition_shares_unless_over(n, limit, Wanted::ANY_COUNT);
                    if exact > limit * (1.0 + SUM_SLACK) {
                        assert_eq!(got, None, "n = {n}: a count that does not fit");
                    } else {
                        let got =
                            got.unwrap_or_else(|| panic!("n = {n}: refused a count that fits"));
                        assert!((got[0] - exact).abs() < 1e-12, "n = {n}");
                    }
                }
            }
        }
        // The heaviest key alone (400 of 20,897) refuses a limit below it.
        assert_eq!(
            set.hottest_partition_shares_unless_over(50, 390.0 / total, Wanted::ANY_COUNT),
            None
        );
        // With newcomers in 8 draws, asking that 6 fit: refused only when
        // fewer than 6 draws stay within the limit.
        let ids = crate::model::relabel::draw_ids(2, 8);
        let month = set.in_month(
            0.7,
            [
                (0.2, &ids[0][..], KeyShape::Customer),
                (0.1, &ids[1][..], KeyShape::Customer),
            ],
            Relabelling::new(8, 0.75),
        );
        for n in 1..200 {
            let exact = month.hottest_partition_shares(n);
            for limit in [0.21, 0.25, 0.3, 0.35] {
                let within = exact.iter().filter(|&&h| h <= limit).count();
                match month.hottest_partition_shares_unless_over(
                    n,
                    limit,
                    Wanted {
                        together: Some(6),
                        any_of: None,
                    },
                ) {
                    Some(s) => assert_eq!(s, exact, "n = {n}"),
                    None => assert!(within < 6, "n = {n}: refused with {within} draws within"),
                }
            }
        }
    }

    #[test]
    fn a_newcomer_lands_where_the_real_partitioners_put_its_drawn_id() {
        let c = customers();
        let ids: Vec<i64> = vec![7_000_001, 42, 1 << 40];
        let month = KeySet::customer_id(&c).in_month(
            0.75,
            [(0.25, &ids[..], KeyShape::Customer)],
            Relabelling::new(3, 1.0),
        );
        assert_eq!(month.len(), c.len() + 1);
        assert_eq!(month.largest_key_share, 0.25);
        for (draw, &id) in ids.iter().enumerate() {
            // Known customers at 3/4 of their share, the newcomer on top.
            let mut expected = vec![0.0; 24];
            for &(known, share) in &c {
                expected[kafka_partition(&long_key_bytes(known), 24) as usize] += share * 0.75;
            }
            expected[kafka_partition(&long_key_bytes(id), 24) as usize] += 0.25;
            let got = month.partition_shares(24, draw);
            for (a, b) in got.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-12, "draw {draw}");
            }
            let mut groups = vec![0.0; 128];
            for &(known, share) in &c {
                groups[flink_subtask(long_hash_code(known), 128, 128) as usize] += share * 0.75;
            }
            groups[flink_subtask(long_hash_code(id), 128, 128) as usize] += 0.25;
            for (a, b) in month.key_group_shares(128, draw).iter().zip(&groups) {
                assert!((a - b).abs() < 1e-12, "draw {draw}");
            }
            let hottest = max(&expected);
            assert!((month.hottest_partition_shares(24)[draw] - hottest).abs() < 1e-12);
        }
        // Without newcomers one draw says it all.
        let alone = KeySet::customer_id(&c).in_month(1.0, [], Relabelling::new(3, 1.0));
        assert_eq!(alone.relabelling(), Relabelling::EXACT);
    }

    #[test]
    fn moved_share_averages_a_newcomer_over_its_draws() {
        // One known key and one newcomer with two drawn ids.
        let known = [(1_i64, 1.0)];
        let ids = [5_i64, 6];
        let set = KeySet::customer_id(&known).in_month(
            0.5,
            [(0.5, &ids[..], KeyShape::Customer)],
            Relabelling::new(2, 1.0),
        );
        let moves = |id: i64| {
            kafka_partition(&long_key_bytes(id), 10) != kafka_partition(&long_key_bytes(id), 15)
        };
        let expected = 0.5 * f64::from(u8::from(moves(1)))
            + 0.5 * (f64::from(u8::from(moves(5))) + f64::from(u8::from(moves(6)))) / 2.0;
        assert!((set.moved_share(10, 15) - expected).abs() < 1e-12);
    }
}
