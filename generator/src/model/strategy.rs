//! The partitioning strategies and the skew each leaves, computed with the
//! real partitioners over the key distribution.
//!
//! A strategy fixes the record key, which the producer and the keyed Flink
//! operator both use: Kafka routes it with murmur2, Flink with its key groups.
//! Every key is hashed once ([`RoutedKey`]); the share of the hottest
//! partition or subtask for a given count is then a sum over keys, not a
//! closed form, so the predicted skew is the skew production would see.

use std::collections::BTreeMap;

use partitioners::{keys, murmur_hash, murmur2, to_positive};
use serde::Serialize;

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

/// One record key, hashed once for each partitioner.
#[derive(Debug, Clone, Copy)]
struct RoutedKey {
    /// `toPositive(murmur2(keyBytes))`: the partition is this modulo the count.
    kafka_hash: u32,
    /// `MathUtils.murmurHash(key.hashCode())`: the key group is this modulo maxParallelism.
    flink_hash: u32,
    share: f64,
}

/// The keys of one strategy, with their shares of all events.
#[derive(Debug, Clone)]
pub struct KeySet {
    keys: Vec<RoutedKey>,
    /// The heaviest keys, heaviest first: a count at which these alone
    /// overload a partition is refused without hashing every key.
    heaviest: Vec<RoutedKey>,
    /// The largest share any single key carries: no partitioner can split it.
    pub largest_key_share: f64,
}

/// How many of the heaviest keys the quick refusal looks at. Skew comes from
/// the few heavy keys; the long tail only adds to every partition alike.
const HEAVIEST_KEYS: usize = 2048;

/// Slack for comparing a partial sum with a limit: a partial sum taken in
/// another order may round a hair above the full one.
const SUM_SLACK: f64 = 1e-9;

impl KeySet {
    fn new(keys: Vec<RoutedKey>) -> KeySet {
        let largest_key_share = keys.iter().map(|k| k.share).fold(0.0, f64::max);
        let mut heaviest = keys.clone();
        heaviest.sort_by(|a, b| b.share.total_cmp(&a.share));
        heaviest.truncate(HEAVIEST_KEYS);
        KeySet {
            keys,
            heaviest,
            largest_key_share,
        }
    }

    /// The hottest partition's share at `partitions`, or `None` when the
    /// heaviest keys alone already put more than `limit_share` on one
    /// partition. A `Some` is the exact share, summed over every key.
    pub fn hottest_partition_share_unless_over(
        &self,
        partitions: u32,
        limit_share: f64,
    ) -> Option<f64> {
        let mut partial = vec![0.0; partitions as usize];
        for k in &self.heaviest {
            let p = &mut partial[(k.kafka_hash % partitions) as usize];
            *p += k.share;
            if *p > limit_share * (1.0 + SUM_SLACK) {
                return None;
            }
        }
        Some(self.hottest_partition_share(partitions))
    }

    /// Keyed by `customer_id`: 8 big-endian bytes for Kafka, `Long.hashCode()` for Flink.
    pub fn customer_id(customers: &[(i64, f64)]) -> KeySet {
        KeySet::new(
            customers
                .iter()
                .map(|&(id, share)| RoutedKey {
                    kafka_hash: kafka_hash(&keys::customer_key_bytes(id)),
                    flink_hash: flink_hash(keys::customer_key_hash(id)),
                    share,
                })
                .collect(),
        )
    }

    /// Keyed by `(customer_id, event_type)`: the customer's 8 bytes then the
    /// type's UTF-8 for Kafka, `Tuple2<Long, String>.hashCode()` for Flink.
    /// Event types are independent of the customer.
    pub fn composite(customers: &[(i64, f64)], event_types: &[EventType]) -> KeySet {
        let type_hashes: Vec<i32> = event_types
            .iter()
            .map(|t| keys::event_type_hash(&t.event_type))
            .collect();
        let mut routed = Vec::with_capacity(customers.len() * event_types.len());
        for &(id, share) in customers {
            for (t, &type_hash) in event_types.iter().zip(&type_hashes) {
                routed.push(RoutedKey {
                    kafka_hash: kafka_hash(&keys::composite_key_bytes(id, &t.event_type)),
                    flink_hash: flink_hash(keys::composite_key_hash(id, type_hash)),
                    share: share * t.share,
                });
            }
        }
        KeySet::new(routed)
    }

    /// Keyed by `(customer_id, j)`: customer `k` of `sub_keys` gets `j` in
    /// `0..s_k`, every other customer `j = 0`. The sticky producer moves a
    /// customer to another sub-key per batch, so over a window each sub-key
    /// carries an equal part. Kafka sees the customer's 8 bytes then `j`'s 4
    /// (big-endian); Flink `Tuple2<Long, Integer>.hashCode()`.
    pub fn sub_keys(customers: &[(i64, f64)], sub_keys: &BTreeMap<i64, u32>) -> KeySet {
        let mut routed = Vec::with_capacity(customers.len());
        for &(id, share) in customers {
            let s = sub_keys.get(&id).copied().unwrap_or(1).max(1);
            for j in 0..s as i32 {
                routed.push(RoutedKey {
                    kafka_hash: kafka_hash(&keys::sub_key_bytes(id, j)),
                    flink_hash: flink_hash(keys::sub_key_hash(id, j)),
                    share: share / f64::from(s),
                });
            }
        }
        KeySet::new(routed)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Each partition's share of the events when the topic has `partitions`.
    pub fn partition_shares(&self, partitions: u32) -> Vec<f64> {
        let mut shares = vec![0.0; partitions as usize];
        for k in &self.keys {
            shares[(k.kafka_hash % partitions) as usize] += k.share;
        }
        shares
    }

    pub fn hottest_partition_share(&self, partitions: u32) -> f64 {
        max(&self.partition_shares(partitions))
    }

    /// The share of events whose partition changes when the topic goes from
    /// `from` to `to` partitions: Kafka has no consistent hashing, so a key
    /// moves unless its hash gives the same remainder for both counts.
    pub fn moved_share(&self, from: u32, to: u32) -> f64 {
        self.keys
            .iter()
            .filter(|k| k.kafka_hash % from != k.kafka_hash % to)
            .map(|k| k.share)
            .sum()
    }

    /// Each key group's share for a given maxParallelism.
    pub fn key_group_shares(&self, max_parallelism: u32) -> Vec<f64> {
        let mut shares = vec![0.0; max_parallelism as usize];
        for k in &self.keys {
            shares[(k.flink_hash % max_parallelism) as usize] += k.share;
        }
        shares
    }
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
        let p = set.partition_shares(24);
        let mut expected = vec![0.0; 24];
        for &(id, share) in &c {
            expected[kafka_partition(&long_key_bytes(id), 24) as usize] += share;
        }
        assert_eq!(p, expected);
        let s = subtask_shares(&set.key_group_shares(128), 12);
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
        let sum: f64 = split.partition_shares(24).iter().sum();
        assert!((sum - total).abs() < 1e-9);
        assert!(split.hottest_partition_share(24) < whole.hottest_partition_share(24));
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
        // 5,000 keys, a few heavy: more than the heaviest-key list holds.
        let mut c: Vec<(i64, f64)> = (0..5000).map(|i| (i, 1.0)).collect();
        for (i, w) in [(7, 400.0), (8, 300.0), (9, 200.0)] {
            c[i].1 = w;
        }
        let total: f64 = c.iter().map(|x| x.1).sum();
        let c: Vec<(i64, f64)> = c.iter().map(|&(id, w)| (id, w / total)).collect();
        let set = KeySet::customer_id(&c);
        for n in 1..200 {
            let exact = set.hottest_partition_share(n);
            for limit in [exact * 0.9, exact, exact * 1.1] {
                match set.hottest_partition_share_unless_over(n, limit) {
                    Some(s) => assert_eq!(s, exact, "n = {n}"),
                    None => assert!(exact > limit, "n = {n}: refused a count that fits"),
                }
            }
        }
        // The heaviest key alone (400 of 5,897) refuses a limit below it.
        assert_eq!(
            set.hottest_partition_share_unless_over(50, 390.0 / total),
            None
        );
    }
}
