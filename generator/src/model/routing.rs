//! Where each customer's events land, with the real partitioners: Kafka's
//! murmur2 key partitioner, Flink's key-group assignment, and the Kafka
//! source's split assignment. Shares, not closed forms, so the predicted skew
//! is the skew production would see.

use partitioners::{
    flink_subtask, kafka_partition, long_hash_code, long_key_bytes, string_hash_code,
};

/// Share of events per partition of a topic keyed by `customer_id` (LongSerializer).
pub fn kafka_partition_shares(customers: &[(i64, f64)], partitions: u32) -> Vec<f64> {
    let mut shares = vec![0.0; partitions as usize];
    for &(id, share) in customers {
        shares[kafka_partition(&long_key_bytes(id), partitions) as usize] += share;
    }
    shares
}

/// Share of events per subtask after `keyBy(customerId)` (a Java `Long` key).
pub fn flink_subtask_shares(
    customers: &[(i64, f64)],
    max_parallelism: u32,
    parallelism: u32,
) -> Vec<f64> {
    let mut shares = vec![0.0; parallelism as usize];
    for &(id, share) in customers {
        shares[flink_subtask(long_hash_code(id), max_parallelism, parallelism) as usize] += share;
    }
    shares
}

/// The source subtask that reads `partition` of `topic`: Flink's
/// `KafkaSourceEnumerator.getSplitOwner`, a topic-dependent start index and
/// then round-robin over partitions.
pub fn source_subtask_of_partition(topic: &str, partition: u32, parallelism: u32) -> u32 {
    let start = (string_hash_code(topic).wrapping_mul(31) & 0x7FFF_FFFF) as u32 % parallelism;
    (start + partition) % parallelism
}
