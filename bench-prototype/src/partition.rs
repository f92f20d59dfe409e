//! Partitioning strategies: which key an event gets and which subtask owns it.
//!
//! Every strategy routes with Flink's own key-group assignment over the Java
//! `hashCode()` of the key type the Flink job would use (the `partitioners`
//! crate, bit-exact), so the skew measured here is the skew Flink would see:
//!
//! - [`CustomerKeyGroups`]: `keyBy(customer_id)`, a Java `Long`.
//! - [`CompositeKeyGroups`]: `keyBy(Tuple2<Long, String>(customer_id, event_type))`.
//! - [`StickySubKeys`]: `keyBy(Tuple2<Long, Integer>(customer_id, sub))`, where a
//!   heavy customer's `sub` (every customer above `sticky_min_share`) moves
//!   round-robin over `s` sub-keys every
//!   `batch_records` of its events (sticky, so batches stay whole) and other
//!   customers keep sub 0.
//!
//! The last two split a customer's events over several keys, so a second
//! operator merges the partial window results per customer.

use partitioners::{flink_subtask, keys, murmur_hash};

use crate::codec::Reader;
use crate::config::Strategy;
use crate::error::{BenchError, Result};
use crate::event::Key;

/// Flink's `assignKeyToParallelOperator` for one (max parallelism,
/// parallelism) pair. When the max parallelism is a power of two (Flink's
/// default always is) the modulo and the division become a mask and a
/// shift: the same integers, without two hardware divisions per record.
#[derive(Debug, Clone, Copy)]
pub struct KeyGroupRouter {
    max_parallelism: u32,
    parallelism: u32,
    /// log2(max_parallelism) when it is a power of two.
    shift: Option<u32>,
}

impl KeyGroupRouter {
    pub fn new(parallelism: u32, max_parallelism: u32) -> Self {
        KeyGroupRouter {
            max_parallelism,
            parallelism,
            shift: max_parallelism
                .is_power_of_two()
                .then(|| max_parallelism.trailing_zeros()),
        }
    }

    /// The subtask of a key whose Java `hashCode()` is `key_hash`.
    #[inline]
    pub fn subtask(&self, key_hash: i32) -> usize {
        match self.shift {
            Some(shift) => {
                // murmur_hash is non-negative; key_group < 2^15 and
                // parallelism <= 2^15, so the product fits in u32.
                let key_group = (murmur_hash(key_hash) as u32) & (self.max_parallelism - 1);
                ((key_group * self.parallelism) >> shift) as usize
            }
            None => flink_subtask(key_hash, self.max_parallelism, self.parallelism) as usize,
        }
    }
}

/// A partitioner: the key of an event, then the subtask of a key.
pub trait Partitioner: Send {
    /// The key the keyed operator will see for this event.
    fn key(&mut self, customer_id: i64, event_type: u8) -> Key;
    /// The subtask (0-based) that owns `key`.
    fn route(&mut self, key: Key) -> usize;
    /// Whether partial results per key must be merged per customer downstream.
    fn merges_downstream(&self) -> bool;
    /// The partitioner's own state, which the source checkpoints with its
    /// offset: empty for a stateless one.
    fn snapshot(&self) -> Vec<u8> {
        Vec::new()
    }
    /// Replaces the state with a snapshot.
    fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            Ok(())
        } else {
            Err(BenchError::Snapshot(
                "state for a stateless partitioner".into(),
            ))
        }
    }
}

/// Flink key groups of `customer_id`.
#[derive(Debug, Clone)]
pub struct CustomerKeyGroups {
    router: KeyGroupRouter,
}

impl CustomerKeyGroups {
    pub fn new(parallelism: u32, max_parallelism: u32) -> Self {
        CustomerKeyGroups {
            router: KeyGroupRouter::new(parallelism, max_parallelism),
        }
    }
}

impl Partitioner for CustomerKeyGroups {
    #[inline]
    fn key(&mut self, customer_id: i64, _event_type: u8) -> Key {
        Key {
            customer_id,
            sub: 0,
        }
    }

    #[inline]
    fn route(&mut self, key: Key) -> usize {
        self.router
            .subtask(keys::customer_key_hash(key.customer_id))
    }

    fn merges_downstream(&self) -> bool {
        false
    }
}

/// Flink key groups of `(customer_id, event_type)`.
#[derive(Debug, Clone)]
pub struct CompositeKeyGroups {
    router: KeyGroupRouter,
    /// `String.hashCode()` of each event type's name, by index.
    type_hashes: Vec<i32>,
}

impl CompositeKeyGroups {
    pub fn new(parallelism: u32, max_parallelism: u32, event_type_names: &[String]) -> Self {
        CompositeKeyGroups {
            router: KeyGroupRouter::new(parallelism, max_parallelism),
            type_hashes: event_type_names
                .iter()
                .map(|n| keys::event_type_hash(n))
                .collect(),
        }
    }
}

impl Partitioner for CompositeKeyGroups {
    #[inline]
    fn key(&mut self, customer_id: i64, event_type: u8) -> Key {
        Key {
            customer_id,
            sub: i32::from(event_type),
        }
    }

    #[inline]
    fn route(&mut self, key: Key) -> usize {
        // Keys only ever carry an index the generator produced; an unknown
        // index hashes as a null field would (0).
        let type_hash = self.type_hashes.get(key.sub as usize).copied().unwrap_or(0);
        let hash = keys::composite_key_hash(key.customer_id, type_hash);
        self.router.subtask(hash)
    }

    fn merges_downstream(&self) -> bool {
        true
    }
}

/// Slot of the hot-customer table: the customer, its current sub-key and how
/// many more of its events keep that sub-key.
#[derive(Debug, Clone, Copy)]
struct HotSlot {
    customer_id: i64,
    /// The customer's own sub-key count (the plan splits each by its rate).
    sub_keys: u32,
    sub: u32,
    remaining: u32,
}

/// Sticky-key sub-partitioning of hot customers.
#[derive(Debug, Clone)]
pub struct StickySubKeys {
    router: KeyGroupRouter,
    batch_records: u32,
    /// Open addressing, power-of-two size, at most a quarter full.
    slots: Vec<Option<HotSlot>>,
    mask: usize,
}

impl StickySubKeys {
    pub fn new(
        parallelism: u32,
        max_parallelism: u32,
        hot_customers: &[(i64, u32)],
        batch_records: u32,
    ) -> Self {
        let size = (hot_customers.len() * 4).next_power_of_two().max(16);
        let mut table = StickySubKeys {
            router: KeyGroupRouter::new(parallelism, max_parallelism),
            batch_records: batch_records.max(1),
            slots: vec![None; size],
            mask: size - 1,
        };
        for &(customer_id, sub_keys) in hot_customers {
            let mut i = table.slot_of(customer_id);
            while let Some(s) = table.slots[i] {
                if s.customer_id == customer_id {
                    break;
                }
                i = (i + 1) & table.mask;
            }
            table.slots[i] = Some(HotSlot {
                customer_id,
                sub_keys: sub_keys.max(1),
                sub: 0,
                remaining: table.batch_records,
            });
        }
        table
    }

    #[inline]
    fn slot_of(&self, customer_id: i64) -> usize {
        ((customer_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize & self.mask
    }
}

impl Partitioner for StickySubKeys {
    #[inline]
    fn key(&mut self, customer_id: i64, _event_type: u8) -> Key {
        let mut i = self.slot_of(customer_id);
        loop {
            match &mut self.slots[i] {
                None => {
                    return Key {
                        customer_id,
                        sub: 0,
                    };
                }
                Some(slot) if slot.customer_id == customer_id => {
                    let sub = slot.sub;
                    slot.remaining -= 1;
                    if slot.remaining == 0 {
                        slot.remaining = self.batch_records;
                        slot.sub = (slot.sub + 1) % slot.sub_keys;
                    }
                    return Key {
                        customer_id,
                        sub: sub as i32,
                    };
                }
                Some(_) => i = (i + 1) & self.mask,
            }
        }
    }

    #[inline]
    fn route(&mut self, key: Key) -> usize {
        let hash = keys::sub_key_hash(key.customer_id, key.sub);
        self.router.subtask(hash)
    }

    fn merges_downstream(&self) -> bool {
        true
    }

    /// Each hot customer's current sub-key and the events left on it. A
    /// source restored without them would start every rotation over at
    /// sub-key 0, and the replay would key events differently from the run
    /// it replaces.
    fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for slot in self.slots.iter().flatten() {
            out.extend_from_slice(&slot.customer_id.to_le_bytes());
            out.extend_from_slice(&slot.sub.to_le_bytes());
            out.extend_from_slice(&slot.remaining.to_le_bytes());
        }
        out
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::new(bytes);
        while r.remaining() > 0 {
            let customer_id = r.i64()?;
            let sub = r.i32()? as u32;
            let remaining = r.i32()? as u32;
            let mut i = self.slot_of(customer_id);
            loop {
                match &mut self.slots[i] {
                    Some(slot) if slot.customer_id == customer_id => {
                        if sub >= slot.sub_keys || remaining == 0 || remaining > self.batch_records
                        {
                            return Err(BenchError::Snapshot(format!(
                                "sub-key {sub} with {remaining} events left for customer {customer_id}"
                            )));
                        }
                        slot.sub = sub;
                        slot.remaining = remaining;
                        break;
                    }
                    Some(_) => i = (i + 1) & self.mask,
                    None => {
                        return Err(BenchError::Snapshot(format!(
                            "customer {customer_id} is not split into sub-keys"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

/// One of the three strategies, dispatched without a virtual call per record.
#[derive(Debug, Clone)]
pub enum AnyPartitioner {
    Customer(CustomerKeyGroups),
    Composite(CompositeKeyGroups),
    Sticky(StickySubKeys),
}

/// What a strategy needs to be built.
#[derive(Debug, Clone)]
pub struct PartitionerSpec {
    pub strategy: Strategy,
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub event_type_names: Vec<String>,
    /// The customers the sticky strategy splits, each with its sub-key count.
    pub hot_customers: Vec<(i64, u32)>,
    pub sticky_batch_records: u32,
}

impl AnyPartitioner {
    pub fn new(spec: &PartitionerSpec) -> Self {
        match spec.strategy {
            Strategy::Customer => AnyPartitioner::Customer(CustomerKeyGroups::new(
                spec.parallelism,
                spec.max_parallelism,
            )),
            Strategy::Composite => AnyPartitioner::Composite(CompositeKeyGroups::new(
                spec.parallelism,
                spec.max_parallelism,
                &spec.event_type_names,
            )),
            Strategy::Sticky => AnyPartitioner::Sticky(StickySubKeys::new(
                spec.parallelism,
                spec.max_parallelism,
                &spec.hot_customers,
                spec.sticky_batch_records,
            )),
        }
    }
}

impl Partitioner for AnyPartitioner {
    #[inline]
    fn key(&mut self, customer_id: i64, event_type: u8) -> Key {
        match self {
            AnyPartitioner::Customer(p) => p.key(customer_id, event_type),
            AnyPartitioner::Composite(p) => p.key(customer_id, event_type),
            AnyPartitioner::Sticky(p) => p.key(customer_id, event_type),
        }
    }

    #[inline]
    fn route(&mut self, key: Key) -> usize {
        match self {
            AnyPartitioner::Customer(p) => p.route(key),
            AnyPartitioner::Composite(p) => p.route(key),
            AnyPartitioner::Sticky(p) => p.route(key),
        }
    }

    fn merges_downstream(&self) -> bool {
        match self {
            AnyPartitioner::Customer(p) => p.merges_downstream(),
            AnyPartitioner::Composite(p) => p.merges_downstream(),
            AnyPartitioner::Sticky(p) => p.merges_downstream(),
        }
    }

    fn snapshot(&self) -> Vec<u8> {
        match self {
            AnyPartitioner::Customer(p) => p.snapshot(),
            AnyPartitioner::Composite(p) => p.snapshot(),
            AnyPartitioner::Sticky(p) => p.snapshot(),
        }
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            AnyPartitioner::Customer(p) => p.restore(bytes),
            AnyPartitioner::Composite(p) => p.restore(bytes),
            AnyPartitioner::Sticky(p) => p.restore(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partitioners::{assign_to_key_group, compute_operator_index_for_key_group};
    use partitioners::{integer_hash_code, long_hash_code, string_hash_code, tuple2_hash_code};

    #[test]
    fn fast_router_equals_flinks_formula() {
        for (max_p, p) in [
            (128, 12),
            (128, 64),
            (128, 128),
            (512, 256),
            (32_768, 1000),
            (100, 7),
        ] {
            let router = KeyGroupRouter::new(p, max_p);
            for h in (-50_000..50_000).chain([i32::MIN, i32::MAX, 123_456_789]) {
                assert_eq!(
                    router.subtask(h),
                    flink_subtask(h, max_p, p) as usize,
                    "{max_p} {p} {h}"
                );
            }
        }
    }

    #[test]
    fn customer_strategy_routes_as_flink_does() {
        let mut p = CustomerKeyGroups::new(12, 128);
        for cid in [100_017i64, 100_342, 200_000, 203_987, 0, -5, 1 << 40] {
            let key = p.key(cid, 3);
            assert_eq!(
                key,
                Key {
                    customer_id: cid,
                    sub: 0
                }
            );
            let kg = assign_to_key_group(long_hash_code(cid), 128);
            assert_eq!(
                p.route(key),
                compute_operator_index_for_key_group(128, 12, kg) as usize
            );
        }
        // Worked by hand: Long.hashCode(0) = 0, murmurHash(0) = 593689054,
        // % 128 = 94, 94 * 12 / 128 = 8.
        assert_eq!(
            p.route(Key {
                customer_id: 0,
                sub: 0
            }),
            8
        );
    }

    #[test]
    fn composite_strategy_hashes_the_tuple_of_long_and_string() {
        let names = vec!["page_view".to_string(), "click".to_string()];
        let mut p = CompositeKeyGroups::new(64, 128, &names);
        let key = p.key(100_017, 1);
        assert_eq!(key.sub, 1);
        let hash = tuple2_hash_code(long_hash_code(100_017), string_hash_code("click"));
        assert_eq!(p.route(key), flink_subtask(hash, 128, 64) as usize);
        assert!(p.merges_downstream());
    }

    #[test]
    fn sticky_strategy_rotates_hot_sub_keys_per_batch_and_leaves_others_alone() {
        let mut p = StickySubKeys::new(64, 128, &[(100_017, 3), (100_342, 5)], 2);
        let subs: Vec<i32> = (0..8).map(|_| p.key(100_017, 0).sub).collect();
        assert_eq!(subs, vec![0, 0, 1, 1, 2, 2, 0, 0]);
        // Another hot customer keeps its own rotation over its own sub-key count.
        let subs: Vec<i32> = (0..12).map(|_| p.key(100_342, 0).sub).collect();
        assert_eq!(subs, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 0]);
        // A tail customer is never split.
        for _ in 0..10 {
            assert_eq!(p.key(200_001, 0).sub, 0);
        }
        let key = Key {
            customer_id: 100_017,
            sub: 2,
        };
        let hash = tuple2_hash_code(long_hash_code(100_017), integer_hash_code(2));
        assert_eq!(p.route(key), flink_subtask(hash, 128, 64) as usize);
    }

    /// A source restored from a checkpoint keys the replayed events as the
    /// run it replaces did: the rotation is part of the checkpoint.
    #[test]
    fn sticky_rotation_survives_a_restore() {
        let mut p = StickySubKeys::new(64, 128, &[(100_017, 3), (100_342, 3)], 2);
        for _ in 0..3 {
            p.key(100_017, 0);
        }
        let snapshot = p.snapshot();
        let after: Vec<i32> = (0..5).map(|_| p.key(100_017, 0).sub).collect();
        let mut restored = StickySubKeys::new(64, 128, &[(100_017, 3), (100_342, 3)], 2);
        restored.restore(&snapshot).unwrap();
        let replayed: Vec<i32> = (0..5).map(|_| restored.key(100_017, 0).sub).collect();
        assert_eq!(replayed, after);
        assert_eq!(after, vec![1, 2, 2, 0, 0]);
        assert!(restored.restore(&snapshot[..5]).is_err());
        let mut other = StickySubKeys::new(64, 128, &[(7, 3)], 2);
        assert!(other.restore(&snapshot).is_err(), "not its hot customers");
    }
}
