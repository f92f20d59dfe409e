//! The record keys of today's customers, hashed once, and their sums per
//! partition and per key group, kept for every month that scales them.
//!
//! A partition count's share of the hottest partition is a sum over every
//! key, and the searches ask for hundreds of counts over up to millions of
//! keys. Two things keep that affordable without giving up exact routing:
//! the keys are summed heaviest customers first and in steps, so a count
//! whose partial sums already overload a partition is refused after a
//! fraction of the keys (partial sums only grow, so they are a floor); and
//! whatever was summed for a count is kept, so the next month asking for it
//! goes on from there instead of starting over.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One record key, hashed once for each partitioner.
#[derive(Debug, Clone, Copy)]
pub(super) struct RoutedKey {
    /// `toPositive(murmur2(keyBytes))`: the partition is this modulo the count.
    pub kafka_hash: u32,
    /// `MathUtils.murmurHash(key.hashCode())`: the key group is this modulo maxParallelism.
    pub flink_hash: u32,
    pub share: f64,
}

/// Which partitioner buckets the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Partitioner {
    /// Kafka's partitions: the murmur2 hash modulo the partition count.
    Kafka,
    /// Flink's key groups: the murmur hash modulo maxParallelism.
    Flink,
}

impl Partitioner {
    fn hash(self, k: &RoutedKey) -> u32 {
        match self {
            Partitioner::Kafka => k.kafka_hash,
            Partitioner::Flink => k.flink_hash,
        }
    }
}

/// How many of the heaviest keys the first, cheapest refusal looks at. Skew
/// comes from the few heavy keys; the long tail adds to every partition alike.
const HEAVIEST_KEYS: usize = 2048;

/// The keys summed before the first look at the partial sums, then four
/// times as many before each next look: a refused count costs at most four
/// times the keys its refusal needed, an accepted one a third more than one
/// pass. Sets smaller than this are summed in one pass.
const FIRST_STEP: usize = 8192;

/// At most this many kept sums per key set (64 MiB): counts past it are
/// summed each time they are asked for.
const SUMS_KEPT: usize = 8 << 20;

/// The keys of today's customers as a strategy keys them.
#[derive(Debug)]
pub(super) struct KnownKeys {
    hashed: Arc<Hashed>,
    /// When these keys are `hashed`'s with some customers split into
    /// sub-keys: which keys left and which came.
    split: Option<Split>,
    /// The heaviest keys, heaviest first: a count at which these alone
    /// overload a partition is refused before the rest are summed.
    pub heaviest: Vec<RoutedKey>,
    pub largest_share: f64,
    /// A split set's whole sums (the hashed set keeps the partial ones).
    split_sums: Mutex<Kept>,
}

/// Keys hashed in the order of their customers, heaviest first, and their
/// sums so far per partitioner and bucket count.
#[derive(Debug)]
struct Hashed {
    keys: Vec<RoutedKey>,
    kept: Mutex<Kept>,
}

/// The customers split out of a hashed set.
#[derive(Debug)]
struct Split {
    /// Each split customer's one key, with its position in the hashed keys.
    removed: Vec<(usize, RoutedKey)>,
    /// Their sub-keys.
    added: Vec<RoutedKey>,
}

/// Sums kept per (partitioner, bucket count), within [`SUMS_KEPT`].
#[derive(Debug, Default)]
struct Kept {
    by_count: BTreeMap<(Partitioner, u32), Prefix>,
    held: usize,
}

/// The sums of the first `len` keys per bucket.
#[derive(Debug, Clone)]
struct Prefix {
    len: usize,
    sums: Arc<Vec<f64>>,
}

impl Kept {
    fn get(&self, at: (Partitioner, u32)) -> Option<Prefix> {
        self.by_count.get(&at).cloned()
    }

    /// Keeps `prefix` unless a longer one is kept or memory is spent.
    fn keep(&mut self, at: (Partitioner, u32), prefix: &Prefix) {
        match self.by_count.get_mut(&at) {
            Some(kept) if kept.len < prefix.len => *kept = prefix.clone(),
            Some(_) => {}
            None if self.held + prefix.sums.len() <= SUMS_KEPT => {
                self.held += prefix.sums.len();
                self.by_count.insert(at, prefix.clone());
            }
            None => {}
        }
    }
}

/// `x % d` for a fixed `d` by two multiplications (D. Lemire, O. Kaser,
/// N. Kurz, "Faster remainder by direct computation", 2019): exact for every
/// 32-bit `x` and `d > 0`.
#[derive(Debug, Clone, Copy)]
struct FastMod {
    m: u64,
    d: u32,
}

impl FastMod {
    fn new(d: u32) -> FastMod {
        assert!(d > 0, "a count of at least one");
        FastMod {
            m: (u64::MAX / u64::from(d)).wrapping_add(1),
            d,
        }
    }

    fn of(self, x: u32) -> usize {
        let low = self.m.wrapping_mul(u64::from(x));
        ((u128::from(low) * u128::from(self.d)) >> 64) as usize
    }
}

/// Where the summing of `len` keys stops to look: [`FIRST_STEP`], four times
/// that, ..., then `len`.
fn steps(len: usize) -> impl Iterator<Item = usize> {
    std::iter::successors(Some(FIRST_STEP), |s| s.checked_mul(4))
        .take_while(move |&s| s < len)
        .chain(std::iter::once(len))
}

/// When a count is refused on its partial sums.
pub(super) struct Refusal<'a> {
    /// A bucket whose sum passes this (unscaled) refuses the count at once.
    pub ceiling: f64,
    /// Asked at each step with the partial sums so far (a floor under the
    /// whole sums): whether they refuse the count.
    pub floor_refuses: &'a mut dyn FnMut(&[f64]) -> bool,
}

impl Refusal<'_> {
    /// Refuses nothing: the whole sums.
    fn never(f: &mut dyn FnMut(&[f64]) -> bool) -> Refusal<'_> {
        Refusal {
            ceiling: f64::INFINITY,
            floor_refuses: f,
        }
    }
}

impl Hashed {
    /// The sums of every key per bucket, unless the partial sums refuse the
    /// count: at once when a bucket's sum plus `lift` (what another key set
    /// adds to or takes from it at least) passes the ceiling, or at a step
    /// when `at_step(partial, len)` says so on the first `len` keys. What
    /// was summed is kept either way.
    fn sums_unless(
        &self,
        by: Partitioner,
        buckets: u32,
        lift: Option<&[f64]>,
        ceiling: f64,
        at_step: &mut dyn FnMut(&[f64], usize) -> bool,
    ) -> Option<Arc<Vec<f64>>> {
        let at = (by, buckets);
        let kept = self.kept.lock().expect("no panic holds the lock").get(at);
        let (mut len, mut sums) = match kept {
            Some(p) if p.len == self.keys.len() => return Some(p.sums),
            Some(p) => {
                if at_step(&p.sums, p.len) {
                    return None;
                }
                (p.len, p.sums.to_vec())
            }
            None => (0, vec![0.0; buckets as usize]),
        };
        let zero = vec![0.0; if lift.is_none() { buckets as usize } else { 0 }];
        let lift = lift.unwrap_or(&zero);
        // The remainder by multiplication, not by division: this loop is
        // where the model spends its time.
        let modulo = FastMod::new(buckets);
        let start = len;
        let mut refused = false;
        'steps: for step in steps(self.keys.len()).filter(|&s| s > start) {
            for k in &self.keys[len..step] {
                let b = modulo.of(by.hash(k));
                sums[b] += k.share;
                len += 1;
                if sums[b] + lift[b] > ceiling {
                    refused = true;
                    break 'steps;
                }
            }
            if len < self.keys.len() && at_step(&sums, len) {
                refused = true;
                break;
            }
        }
        let prefix = Prefix {
            len,
            sums: Arc::new(sums),
        };
        self.kept
            .lock()
            .expect("no panic holds the lock")
            .keep(at, &prefix);
        (!refused).then_some(prefix.sums)
    }
}

/// The [`HEAVIEST_KEYS`] heaviest of `keys`, heaviest first, without
/// sorting them all: a key joins only when it beats the lightest kept.
fn heaviest(keys: &[RoutedKey]) -> Vec<RoutedKey> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct ByShare(f64, usize);
    impl Eq for ByShare {}
    impl PartialOrd for ByShare {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for ByShare {
        // Ties go to the earlier key, as a stable sort would keep it.
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
        }
    }
    let mut kept: BinaryHeap<Reverse<ByShare>> = BinaryHeap::with_capacity(HEAVIEST_KEYS + 1);
    for (i, k) in keys.iter().enumerate() {
        if kept.len() < HEAVIEST_KEYS {
            kept.push(Reverse(ByShare(k.share, i)));
        } else if kept
            .peek()
            .is_some_and(|Reverse(lightest)| ByShare(k.share, i) > *lightest)
        {
            kept.pop();
            kept.push(Reverse(ByShare(k.share, i)));
        }
    }
    let mut heaviest: Vec<ByShare> = kept.into_iter().map(|Reverse(b)| b).collect();
    heaviest.sort_by(|a, b| b.cmp(a));
    heaviest.into_iter().map(|ByShare(_, i)| keys[i]).collect()
}

impl KnownKeys {
    /// Keys in the order of their customers, heaviest first (the order only
    /// decides how early a count can be refused, never a sum's value).
    pub fn new(keys: Vec<RoutedKey>) -> KnownKeys {
        let largest_share = keys.iter().map(|k| k.share).fold(0.0, f64::max);
        let heaviest = heaviest(&keys);
        KnownKeys {
            hashed: Arc::new(Hashed {
                keys,
                kept: Mutex::default(),
            }),
            split: None,
            heaviest,
            largest_share,
            split_sums: Mutex::default(),
        }
    }

    /// These keys with customer `i`'s key (for each `(i, sub_keys)` of
    /// `split`) replaced by `sub_keys(i)`'s keys. Only the split customers
    /// are hashed again; the rest stay this set's, sums and all.
    pub fn split(&self, split: &[(usize, Vec<RoutedKey>)]) -> KnownKeys {
        assert!(self.split.is_none(), "split once, from whole customers");
        let removed: Vec<(usize, RoutedKey)> = split
            .iter()
            .map(|(i, _)| (*i, self.hashed.keys[*i]))
            .collect();
        let added: Vec<RoutedKey> = split.iter().flat_map(|(_, k)| k).copied().collect();
        let is_removed = |k: &RoutedKey| {
            removed
                .iter()
                .any(|(_, r)| r.kafka_hash == k.kafka_hash && r.flink_hash == k.flink_hash)
        };
        // The heaviest without the split keys, with their sub-keys: a subset
        // of the keys, which is all the first refusal needs.
        let mut heaviest: Vec<RoutedKey> = self
            .heaviest
            .iter()
            .filter(|k| !is_removed(k))
            .chain(&added)
            .copied()
            .collect();
        heaviest.sort_by(|a, b| b.share.total_cmp(&a.share));
        heaviest.truncate(HEAVIEST_KEYS);
        // The largest key left whole is the first of the heaviest not split
        // (every other key is lighter than all of those), unless each of
        // them was split.
        let largest_whole = match self.heaviest.iter().find(|k| !is_removed(k)) {
            Some(k) => k.share,
            None => self
                .hashed
                .keys
                .iter()
                .enumerate()
                .filter(|(i, _)| !removed.iter().any(|(r, _)| r == i))
                .map(|(_, k)| k.share)
                .fold(0.0, f64::max),
        };
        let largest_share = added.iter().map(|k| k.share).fold(largest_whole, f64::max);
        KnownKeys {
            hashed: Arc::clone(&self.hashed),
            split: Some(Split { removed, added }),
            heaviest,
            largest_share,
            split_sums: Mutex::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.hashed.keys.len()
            + self
                .split
                .as_ref()
                .map_or(0, |s| s.added.len() - s.removed.len())
    }

    /// Each bucket's sum of the keys' shares, unscaled.
    pub fn sums(&self, by: Partitioner, buckets: u32) -> Arc<Vec<f64>> {
        self.sums_unless(by, buckets, Refusal::never(&mut |_| false))
            .expect("a sum nothing refuses")
    }

    /// Each bucket's sum of the keys' shares, unscaled, unless partial sums
    /// (each bucket's sum over some of the keys, a floor under its whole
    /// sum) refuse the count as `refusal` says.
    pub fn sums_unless(
        &self,
        by: Partitioner,
        buckets: u32,
        refusal: Refusal<'_>,
    ) -> Option<Arc<Vec<f64>>> {
        let Refusal {
            ceiling,
            floor_refuses,
        } = refusal;
        let Some(split) = &self.split else {
            return self
                .hashed
                .sums_unless(by, buckets, None, ceiling, &mut |partial, _| {
                    floor_refuses(partial)
                });
        };
        let at = (by, buckets);
        if let Some(p) = self
            .split_sums
            .lock()
            .expect("no panic holds the lock")
            .get(at)
        {
            return Some(p.sums);
        }
        let modulo = FastMod::new(buckets);
        let bucket = |k: &RoutedKey| modulo.of(by.hash(k));
        // The hashed keys summed so far, less every split key (summed yet or
        // not), with every sub-key: under this set's sums, bucket by bucket.
        let mut lift = vec![0.0; buckets as usize];
        for (_, k) in &split.removed {
            lift[bucket(k)] -= k.share;
        }
        for k in &split.added {
            lift[bucket(k)] += k.share;
        }
        // At a step, only the split keys among the first `len` are taken
        // out: a closer floor.
        let mut floor = Vec::new();
        let whole =
            self.hashed
                .sums_unless(by, buckets, Some(&lift), ceiling, &mut |partial, len| {
                    floor.clear();
                    floor.extend_from_slice(partial);
                    for (i, k) in &split.removed {
                        if *i < len {
                            floor[bucket(k)] -= k.share;
                        }
                    }
                    for k in &split.added {
                        floor[bucket(k)] += k.share;
                    }
                    floor_refuses(&floor)
                })?;
        let mut sums = whole.to_vec();
        for (_, k) in &split.removed {
            sums[bucket(k)] -= k.share;
        }
        for k in &split.added {
            sums[bucket(k)] += k.share;
        }
        let prefix = Prefix {
            len: self.len(),
            sums: Arc::new(sums),
        };
        self.split_sums
            .lock()
            .expect("no panic holds the lock")
            .keep(at, &prefix);
        Some(prefix.sums)
    }

    /// The unscaled share of the keys whose hash `moves`.
    pub fn share_where(&self, by: Partitioner, moves: impl Fn(u32) -> bool) -> f64 {
        let of = |keys: &mut dyn Iterator<Item = &RoutedKey>| -> f64 {
            keys.filter(|k| moves(by.hash(k))).map(|k| k.share).sum()
        };
        let all = of(&mut self.hashed.keys.iter());
        match &self.split {
            None => all,
            Some(s) => all - of(&mut s.removed.iter().map(|(_, k)| k)) + of(&mut s.added.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_remainder_equals_the_remainder() {
        let mut rng = crate::rng::Rng::new(7);
        for d in [1, 2, 3, 7, 24, 902, 4096, 65_537, u32::MAX - 1, u32::MAX] {
            let modulo = FastMod::new(d);
            for x in [0, 1, d - 1, d, u32::MAX, u32::MAX - 1, 0x7FFF_FFFF] {
                assert_eq!(modulo.of(x), (x % d) as usize, "{x} % {d}");
            }
            for _ in 0..10_000 {
                let x = rng.next_u64() as u32;
                assert_eq!(modulo.of(x), (x % d) as usize, "{x} % {d}");
            }
        }
    }

    #[test]
    fn steps_grow_fourfold_and_end_at_the_last_key() {
        assert_eq!(steps(100).collect::<Vec<_>>(), [100]);
        assert_eq!(steps(8192).collect::<Vec<_>>(), [8192]);
        assert_eq!(
            steps(200_000).collect::<Vec<_>>(),
            [8192, 32_768, 131_072, 200_000]
        );
    }

    #[test]
    fn the_heaviest_are_the_first_of_a_stable_sort() {
        // Shares out of order, with many ties.
        let keys: Vec<RoutedKey> = keys()
            .iter()
            .enumerate()
            .map(|(i, k)| RoutedKey {
                share: 1.0 / ((i * 7919) % 1000 + 10) as f64,
                ..*k
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| b.share.total_cmp(&a.share));
        sorted.truncate(HEAVIEST_KEYS);
        let kept = heaviest(&keys);
        assert_eq!(kept.len(), HEAVIEST_KEYS);
        for (a, b) in kept.iter().zip(&sorted) {
            assert_eq!((a.kafka_hash, a.share), (b.kafka_hash, b.share));
        }
    }

    /// 40,000 keys (past two steps), hashes and shares from a seeded draw.
    fn keys() -> Vec<RoutedKey> {
        let mut rng = crate::rng::Rng::new(11);
        (0..40_000)
            .map(|i| RoutedKey {
                kafka_hash: (rng.next_u64() as u32) >> 1,
                flink_hash: rng.next_u64() as u32,
                share: 1.0 / f64::from(i + 10),
            })
            .collect()
    }

    fn by_hand(keys: &[RoutedKey], by: Partitioner, buckets: u32) -> Vec<f64> {
        let mut sums = vec![0.0; buckets as usize];
        for k in keys {
            sums[(by.hash(k) % buckets) as usize] += k.share;
        }
        sums
    }

    #[test]
    fn a_refused_count_resumes_where_it_stopped_and_sums_every_key() {
        let keys = keys();
        let set = KnownKeys::new(keys.clone());
        // Refused at the first look only: the second ask resumes there.
        let mut seen = Vec::new();
        let mut look = || {
            set.sums_unless(
                Partitioner::Kafka,
                97,
                Refusal::never(&mut |floor| {
                    seen.push(floor.iter().sum::<f64>());
                    seen.len() == 1
                }),
            )
        };
        assert!(look().is_none());
        assert!(look().is_some());
        let first_8192: f64 = keys[..8192].iter().map(|k| k.share).sum();
        let first_32768: f64 = keys[..32_768].iter().map(|k| k.share).sum();
        assert_eq!(seen.len(), 3);
        assert!((seen[0] - first_8192).abs() < 1e-9);
        assert!(
            (seen[1] - first_8192).abs() < 1e-9,
            "resumed, not summed anew"
        );
        assert!((seen[2] - first_32768).abs() < 1e-9);
        // Resumed sums are the one-pass sums, bit for bit.
        assert_eq!(
            *set.sums(Partitioner::Kafka, 97),
            by_hand(&keys, Partitioner::Kafka, 97)
        );
        assert_eq!(
            *set.sums(Partitioner::Flink, 128),
            by_hand(&keys, Partitioner::Flink, 128)
        );
    }

    #[test]
    fn a_split_set_sums_its_own_keys_and_its_floor_is_under_them() {
        let keys = keys();
        let whole = KnownKeys::new(keys.clone());
        // Customers 3 and 20,000 split, each into two keys of half its share.
        let sub = |i: usize, salt: u32| {
            let k = keys[i];
            (0..2)
                .map(|j| RoutedKey {
                    kafka_hash: k.kafka_hash ^ (salt + j),
                    flink_hash: k.flink_hash ^ (salt + j),
                    share: k.share / 2.0,
                })
                .collect::<Vec<_>>()
        };
        let split = whole.split(&[(3, sub(3, 5)), (20_000, sub(20_000, 9))]);
        let mut own: Vec<RoutedKey> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 3 && *i != 20_000)
            .map(|(_, k)| *k)
            .collect();
        own.extend(sub(3, 5));
        own.extend(sub(20_000, 9));
        assert_eq!(split.len(), own.len());
        assert_eq!(split.largest_share, keys[0].share);
        for buckets in [7, 97, 1000] {
            let exact = by_hand(&own, Partitioner::Kafka, buckets);
            let mut floors = 0;
            let sums = split
                .sums_unless(
                    Partitioner::Kafka,
                    buckets,
                    Refusal::never(&mut |floor| {
                        floors += 1;
                        assert!(floor.iter().zip(&exact).all(|(f, e)| *f <= e + 1e-12));
                        false
                    }),
                )
                .expect("nothing refused");
            assert!(floors >= 2, "looked at the partial sums");
            for (a, b) in sums.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-12);
            }
        }
        let moves = |h: u32| h % 10 != h % 15;
        let expected: f64 = own
            .iter()
            .filter(|k| moves(k.kafka_hash))
            .map(|k| k.share)
            .sum();
        assert!((split.share_where(Partitioner::Kafka, moves) - expected).abs() < 1e-12);
    }
}
