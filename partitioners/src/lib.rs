//! Bit-exact re-implementations of the key partitioners of the pipeline.
//!
//! The capacity model predicts skew from the partitioners production runs, so
//! these functions reproduce the Java code bit for bit (wrapping `i32`
//! arithmetic, Java's signed results) rather than approximating it:
//!
//! - [`kafka`]: the producer's key partitioner, `toPositive(murmur2(key)) % n`
//!   (Kafka 3.6 `BuiltInPartitioner.partitionForKey`).
//! - [`flink`]: Flink's key-group assignment
//!   (`KeyGroupRangeAssignment` and `MathUtils.murmurHash`, Flink 1.18).
//! - [`java`]: the Java `hashCode`s Flink feeds into the key-group hash
//!   (`Long`, `Integer`, `String`, Flink's `Tuple2`).
//! - [`keys`]: the pipeline's three record keys (customer, composite, sub-key)
//!   as Kafka bytes and Java hash codes.
//!
//! The crate has no dependencies and knows nothing about the model, the
//! benchmark or I/O.

pub mod flink;
pub mod java;
pub mod kafka;
pub mod kafka_source;
pub mod keys;

pub use flink::{
    assign_to_key_group, compute_default_max_parallelism, compute_operator_index_for_key_group,
    flink_subtask, murmur_hash,
};
pub use java::{integer_hash_code, long_hash_code, string_hash_code, tuple2_hash_code};
pub use kafka::{kafka_partition, long_key_bytes, murmur2, to_positive};
