//! The three record keys of the pipeline, encoded as production encodes them:
//! the bytes the Kafka producer's serializer writes (what murmur2 hashes) and
//! the Java `hashCode()` Flink's `keyBy` feeds into the key-group hash.
//! The capacity model and the prototype both key records through these, so
//! they cannot route the same key two ways.
//!
//! - customer: `Long customer_id` (`LongSerializer`: 8 bytes, big-endian);
//! - composite: `Tuple2<Long, String>(customer_id, event_type)`, serialized as
//!   the customer's 8 bytes then the type's UTF-8;
//! - sub-key: `Tuple2<Long, Integer>(customer_id, j)`, serialized as the
//!   customer's 8 bytes then `j`'s 4 (big-endian). Customers that are not
//!   split carry `j = 0`.

use crate::java::{integer_hash_code, long_hash_code, string_hash_code, tuple2_hash_code};
use crate::kafka::long_key_bytes;

/// Kafka key bytes of a customer key.
pub fn customer_key_bytes(customer_id: i64) -> [u8; 8] {
    long_key_bytes(customer_id)
}

/// `Long.hashCode()` of a customer key.
pub fn customer_key_hash(customer_id: i64) -> i32 {
    long_hash_code(customer_id)
}

/// Kafka key bytes of `(customer_id, event_type)`.
pub fn composite_key_bytes(customer_id: i64, event_type: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + event_type.len());
    bytes.extend_from_slice(&long_key_bytes(customer_id));
    bytes.extend_from_slice(event_type.as_bytes());
    bytes
}

/// `Tuple2<Long, String>.hashCode()` of `(customer_id, event_type)`, given
/// the event type's `String.hashCode()` (callers on a hot path compute it once
/// per type with [`event_type_hash`]).
pub fn composite_key_hash(customer_id: i64, event_type_hash: i32) -> i32 {
    tuple2_hash_code(long_hash_code(customer_id), event_type_hash)
}

/// `String.hashCode()` of an event type's name.
pub fn event_type_hash(event_type: &str) -> i32 {
    string_hash_code(event_type)
}

/// Kafka key bytes of sub-key `j` of a customer.
pub fn sub_key_bytes(customer_id: i64, j: i32) -> [u8; 12] {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&long_key_bytes(customer_id));
    bytes[8..].copy_from_slice(&j.to_be_bytes());
    bytes
}

/// `Tuple2<Long, Integer>.hashCode()` of sub-key `j` of a customer.
pub fn sub_key_hash(customer_id: i64, j: i32) -> i32 {
    tuple2_hash_code(long_hash_code(customer_id), integer_hash_code(j))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_encode_as_the_java_serializers_and_hash_codes_do() {
        // Long 1: bytes 00..01; Long.hashCode(1) = 1.
        assert_eq!(customer_key_bytes(1), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(customer_key_hash(1), 1);
        // Tuple2.hashCode = 31 * f0.hashCode() + f1.hashCode(); "a".hashCode() = 97.
        assert_eq!(composite_key_hash(1, event_type_hash("a")), 31 + 97);
        assert_eq!(
            composite_key_bytes(1, "a"),
            vec![0, 0, 0, 0, 0, 0, 0, 1, b'a']
        );
        // Integer.hashCode(2) = 2.
        assert_eq!(sub_key_hash(1, 2), 31 + 2);
        assert_eq!(sub_key_bytes(1, 2), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    }
}
