//! How Flink's Kafka source deals a topic's partitions to its readers
//! (`KafkaSourceEnumerator.getSplitOwner` in flink-connector-kafka, the
//! connector Flink 1.18 uses).
//!
//! Partition 0 of a topic goes to a reader picked by the topic name's Java
//! `hashCode()`, and partition `p` to the `p`-th reader after it, wrapping
//! round: every reader gets `⌊P/n⌋` or `⌈P/n⌉` partitions, whatever they
//! carry. So a source subtask's load is the sum of its partitions' loads, and
//! the busiest one, not the average, sets the source vertex's parallelism.

use crate::java::string_hash_code;

/// The reader (source subtask) that owns `partition` of `topic` among
/// `readers`: `((topic.hashCode() * 31) & 0x7FFFFFFF) % readers`, plus the
/// partition, modulo `readers`.
pub fn split_owner(topic: &str, partition: u32, readers: u32) -> u32 {
    owner_after(first_reader(topic, readers), partition, readers)
}

/// The reader partition 0 of `topic` goes to.
fn first_reader(topic: &str, readers: u32) -> u32 {
    assert!(readers > 0, "a source has at least one reader");
    (string_hash_code(topic).wrapping_mul(31) & 0x7FFF_FFFF) as u32 % readers
}

fn owner_after(start: u32, partition: u32, readers: u32) -> u32 {
    // `start + partition` in u64: Kafka partition ids are Java ints, so their
    // sum with a reader index cannot overflow there either.
    ((u64::from(start) + u64::from(partition)) % u64::from(readers)) as u32
}

/// Each reader's share of a topic's events, given each partition's share.
pub fn reader_shares(topic: &str, partition_shares: &[f64], readers: u32) -> Vec<f64> {
    // The topic is hashed once, not once a partition: sizing searches many
    // reader counts over thousands of partitions.
    let start = first_reader(topic, readers);
    let mut shares = vec![0.0; readers as usize];
    for (p, share) in partition_shares.iter().enumerate() {
        shares[owner_after(start, p as u32, readers) as usize] += share;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_zero_starts_at_the_topics_hash() {
        // "hello".hashCode() is 99162322 in Java; × 31 = 3074031982, which
        // wraps in an int to 3074031982 - 2^32 = -1220935314; & 0x7FFFFFFF
        // = 926548334; mod 7 = 926548334 - 7 × 132364047 = 5.
        assert_eq!(string_hash_code("hello"), 99_162_322);
        assert_eq!(split_owner("hello", 0, 7), 5);
        assert_eq!(split_owner("hello", 1, 7), 6);
        assert_eq!(split_owner("hello", 2, 7), 0);
        // One reader owns everything.
        assert_eq!(split_owner("hello", 41, 1), 0);
    }

    #[test]
    fn readers_get_whole_partitions_round_robin() {
        // 10 partitions over 4 readers: two readers get 3, two get 2.
        let mut counts = [0; 4];
        for p in 0..10 {
            counts[split_owner("events.raw", p, 4) as usize] += 1;
        }
        let mut sorted = counts;
        sorted.sort();
        assert_eq!(sorted, [2, 2, 3, 3]);
        // A hot partition makes its reader the busiest, whatever the count.
        let mut shares = vec![0.05; 10];
        shares[3] = 0.55;
        let readers = reader_shares("events.raw", &shares, 4);
        let owner = split_owner("events.raw", 3, 4) as usize;
        let busiest = readers.iter().cloned().fold(0.0, f64::max);
        assert_eq!(readers[owner], busiest);
        assert!((readers.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
