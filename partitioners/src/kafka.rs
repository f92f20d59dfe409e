//! Kafka's default key partitioner (`org.apache.kafka.common.utils.Utils`).
//!
//! A record with a key goes to partition `toPositive(murmur2(keyBytes)) % n`,
//! where `keyBytes` are the bytes the key serializer produced. For a `long`
//! key (`LongSerializer`) those are the 8 bytes of the value, big-endian.

/// Seed of Kafka's murmur2 (`0x9747b28c`).
const SEED: u32 = 0x9747_b28c;
/// Mixing constant `m` of MurmurHash2.
const M: u32 = 0x5bd1_e995;
/// Shift `r` of MurmurHash2.
const R: u32 = 24;

/// 32-bit MurmurHash2 exactly as `Utils.murmur2(byte[])` computes it.
///
/// Java works on signed `int`s with wrapping arithmetic and logical shifts
/// (`>>>`); the same bits come out of `u32` wrapping arithmetic with `>>`, so
/// the computation is done on `u32` and reinterpreted as `i32` at the end.
pub fn murmur2(data: &[u8]) -> i32 {
    let length = data.len() as u32;
    let mut h: u32 = SEED ^ length;

    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        // Kafka reads each 4-byte block little-endian.
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // The 1–3 trailing bytes are folded in highest first, as the Java
    // `switch` with fall-through does. Java's `(data[i] & 0xff)` makes each
    // byte unsigned, which `u32::from(u8)` already is.
    let tail = blocks.remainder();
    if !tail.is_empty() {
        if tail.len() >= 3 {
            h ^= u32::from(tail[2]) << 16;
        }
        if tail.len() >= 2 {
            h ^= u32::from(tail[1]) << 8;
        }
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit (not `abs`, so `i32::MIN` maps to 0).
pub fn to_positive(number: i32) -> i32 {
    number & 0x7fff_ffff
}

/// The partition Kafka's producer picks for a keyed record:
/// `toPositive(murmur2(keyBytes)) % numPartitions`.
///
/// # Panics
/// If `num_partitions` is zero (a topic always has at least one partition).
pub fn kafka_partition(key_bytes: &[u8], num_partitions: u32) -> u32 {
    assert!(num_partitions > 0, "a topic has at least one partition");
    // `to_positive` is non-negative, so the cast is lossless.
    (to_positive(murmur2(key_bytes)) as u32) % num_partitions
}

/// The bytes `LongSerializer` writes for a Java `long` key: 8 bytes, big-endian.
pub fn long_key_bytes(value: i64) -> [u8; 8] {
    value.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from Apache Kafka's own `UtilsTest.testMurmur2`
    /// (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
    const KAFKA_UTILS_TEST_VECTORS: &[(&[u8], i32)] = &[
        (b"21", -973_932_308),
        (b"foobar", -790_332_482),
        (b"a-little-bit-long-string", -985_981_536),
        (b"a-little-bit-longer-string", -1_486_304_829),
        (
            b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        (b"abc", 479_470_107),
    ];

    #[test]
    fn murmur2_matches_kafka_utils_test() {
        for &(input, expected) in KAFKA_UTILS_TEST_VECTORS {
            assert_eq!(
                murmur2(input),
                expected,
                "murmur2({:?})",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn to_positive_clears_only_the_sign_bit() {
        // Documented behaviour of `Utils.toPositive`: "-2147483648 -> 0",
        // "-1 -> 2147483647", positive numbers unchanged.
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(0), 0);
        assert_eq!(to_positive(12_345), 12_345);
    }

    #[test]
    fn partition_is_to_positive_murmur2_mod_n() {
        // -790332482 & 0x7fffffff = 1357151166; 1357151166 % 10 = 6.
        assert_eq!(kafka_partition(b"foobar", 10), 6);
        // -973932308 & 0x7fffffff = 1173551340; 1173551340 % 12 = 0.
        assert_eq!(kafka_partition(b"21", 12), 0);
        for n in 1..64 {
            assert!(kafka_partition(b"a-little-bit-long-string", n) < n);
        }
    }

    #[test]
    fn long_keys_serialize_big_endian() {
        assert_eq!(long_key_bytes(1), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(long_key_bytes(-1), [0xff; 8]);
        assert_eq!(
            long_key_bytes(0x0102_0304_0506_0708),
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
    }
}
