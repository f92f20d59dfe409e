//! Flink's key-group assignment (`KeyGroupRangeAssignment`, `MathUtils`).
//!
//! A keyed stream routes a record in two steps: the key's Java `hashCode()`
//! is scrambled with [`murmur_hash`] and taken modulo `maxParallelism` to give
//! its *key group*; key groups are then dealt to the `parallelism` subtasks in
//! contiguous ranges (`keyGroup * parallelism / maxParallelism`). When the
//! parallelism does not divide the max parallelism, some subtasks own one key
//! group more than others: a skew built into the scheme, before any hot key.

/// Lower bound of the default max parallelism (`DEFAULT_LOWER_BOUND_MAX_PARALLELISM`).
pub const DEFAULT_LOWER_BOUND_MAX_PARALLELISM: u32 = 128;
/// Upper bound of any max parallelism (`UPPER_BOUND_MAX_PARALLELISM`, 2^15).
pub const UPPER_BOUND_MAX_PARALLELISM: u32 = 32_768;

/// `MathUtils.murmurHash(int)`: one MurmurHash3 (x86, 32-bit) block over the
/// int's four bytes with seed 0, the length (4) mixed in, `fmix32`, then made
/// non-negative the way Flink does it (`-code`, and `MIN_VALUE` to 0).
pub fn murmur_hash(code: i32) -> i32 {
    let mut k = code as u32;
    k = k.wrapping_mul(0xcc9e_2d51);
    k = k.rotate_left(15);
    k = k.wrapping_mul(0x1b87_3593);

    // The seed is 0, so h1 ^= k1 leaves just k1.
    let mut h = k.rotate_left(13);
    h = h.wrapping_mul(5).wrapping_add(0xe654_6b64);

    // Finalisation: mix in the length in bytes, then fmix32.
    h ^= 4;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;

    let code = h as i32;
    if code >= 0 {
        code
    } else if code != i32::MIN {
        -code
    } else {
        0
    }
}

/// `KeyGroupRangeAssignment.computeKeyGroupForKeyHash`:
/// `murmurHash(keyHash) % maxParallelism`. `key_hash` is the key's Java
/// `hashCode()` (see [`crate::java`]).
///
/// # Panics
/// If `max_parallelism` is zero.
pub fn assign_to_key_group(key_hash: i32, max_parallelism: u32) -> u32 {
    assert!(max_parallelism > 0, "max parallelism must be positive");
    // murmur_hash is non-negative, so the cast is lossless.
    (murmur_hash(key_hash) as u32) % max_parallelism
}

/// `KeyGroupRangeAssignment.computeOperatorIndexForKeyGroup`:
/// `keyGroup * parallelism / maxParallelism`, in Java `int` arithmetic.
///
/// Both factors are at most 2^15, so the product fits an `i32` as in Java.
pub fn compute_operator_index_for_key_group(
    max_parallelism: u32,
    parallelism: u32,
    key_group: u32,
) -> u32 {
    assert!(max_parallelism > 0, "max parallelism must be positive");
    key_group * parallelism / max_parallelism
}

/// The key groups `[start, end]` (inclusive) owned by one subtask
/// (`computeKeyGroupRangeForOperatorIndex`).
pub fn compute_key_group_range_for_operator_index(
    max_parallelism: u32,
    parallelism: u32,
    operator_index: u32,
) -> (u32, u32) {
    assert!(parallelism > 0 && parallelism <= max_parallelism);
    let start = (operator_index * max_parallelism).div_ceil(parallelism);
    let end = ((operator_index + 1) * max_parallelism - 1) / parallelism;
    (start, end)
}

/// `MathUtils.roundUpToPowerOfTwo` for positive ints.
fn round_up_to_power_of_two(x: u32) -> u32 {
    x.next_power_of_two()
}

/// `KeyGroupRangeAssignment.computeDefaultMaxParallelism`:
/// `min(max(roundUpToPowerOfTwo(p + p/2), 128), 32768)`.
pub fn compute_default_max_parallelism(operator_parallelism: u32) -> u32 {
    assert!(
        operator_parallelism > 0 && operator_parallelism <= UPPER_BOUND_MAX_PARALLELISM,
        "operator parallelism must be in 1..=32768"
    );
    round_up_to_power_of_two(operator_parallelism + operator_parallelism / 2).clamp(
        DEFAULT_LOWER_BOUND_MAX_PARALLELISM,
        UPPER_BOUND_MAX_PARALLELISM,
    )
}

/// The subtask a key with Java hash `key_hash` is routed to
/// (`assignKeyToParallelOperator`).
pub fn flink_subtask(key_hash: i32, max_parallelism: u32, parallelism: u32) -> u32 {
    compute_operator_index_for_key_group(
        max_parallelism,
        parallelism,
        assign_to_key_group(key_hash, max_parallelism),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MurmurHash3 x86_32 over arbitrary bytes, written from the algorithm's
    /// description, used only to cross-check the one-block `murmur_hash`.
    fn murmur3_32(data: &[u8], seed: u32) -> u32 {
        let mix = |mut k: u32| {
            k = k.wrapping_mul(0xcc9e_2d51);
            k = k.rotate_left(15);
            k.wrapping_mul(0x1b87_3593)
        };
        let mut h = seed;
        let mut blocks = data.chunks_exact(4);
        for b in &mut blocks {
            h ^= mix(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let mut k = 0u32;
            for (i, &byte) in tail.iter().enumerate() {
                k |= u32::from(byte) << (8 * i);
            }
            h ^= mix(k);
        }
        h ^= data.len() as u32;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^ (h >> 16)
    }

    #[test]
    fn murmur_hash_matches_known_murmur3_int_vectors() {
        // Guava's Murmur3Hash32Test.testKnownIntegerInputs lists
        // murmur3_32().hashInt(x) (seed 0, the same single block + fmix32):
        // 0 -> 593689054, -42 -> -189366624, 42 -> -1134849565,
        // MIN_VALUE -> -1718298732, MAX_VALUE -> -1653689534.
        // Flink returns the absolute value of those.
        assert_eq!(murmur_hash(0), 593_689_054);
        assert_eq!(murmur_hash(-42), 189_366_624);
        assert_eq!(murmur_hash(42), 1_134_849_565);
        assert_eq!(murmur_hash(i32::MIN), 1_718_298_732);
        assert_eq!(murmur_hash(i32::MAX), 1_653_689_534);
        // SMHasher's published x86_32 vectors, seed 0 (as collected in the
        // widely cited list of MurmurHash3 test vectors): bytes 21 43 65 87
        // -> 0xF55B516B, bytes ff ff ff ff -> 0x76293B50. Little-endian those
        // bytes are the ints 0x87654321 and -1.
        assert_eq!(
            murmur_hash(0x8765_4321_u32 as i32),
            (0xF55B_516B_u32 as i32).wrapping_neg()
        );
        assert_eq!(murmur_hash(-1), 0x7629_3B50);
    }

    #[test]
    fn murmur_hash_is_one_murmur3_block_made_non_negative() {
        for x in (-100_000..100_000).chain([i32::MIN, i32::MAX, 100_001, 123_456_789]) {
            let full = murmur3_32(&x.to_le_bytes(), 0) as i32;
            let expected = if full == i32::MIN { 0 } else { full.abs() };
            assert_eq!(murmur_hash(x), expected, "x = {x}");
            assert!(murmur_hash(x) >= 0);
        }
        // Our byte-wise reference reproduces the published x86_32 vectors
        // for the tail lengths too (same list as above).
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 1_364_076_727);
        assert_eq!(murmur3_32(&[0x21, 0x43, 0x65], 0), 2_118_813_236);
        assert_eq!(murmur3_32(&[0x21, 0x43], 0), 2_700_587_130);
        assert_eq!(murmur3_32(&[0x21], 0), 1_919_294_708);
        // Bytes 21 43 65 87 with seed 0x5082EDEE give 0x2362F9DE (= 593689054).
        assert_eq!(
            murmur3_32(&[0x21, 0x43, 0x65, 0x87], 0x5082_EDEE),
            593_689_054
        );
    }

    #[test]
    fn default_max_parallelism_follows_flinks_formula() {
        // min(max(roundUpToPowerOfTwo(p + p/2), 128), 32768), worked by hand:
        assert_eq!(compute_default_max_parallelism(1), 128); // 1 -> 1 -> 128
        assert_eq!(compute_default_max_parallelism(16), 128); // 24 -> 32 -> 128
        assert_eq!(compute_default_max_parallelism(85), 128); // 127 -> 128
        assert_eq!(compute_default_max_parallelism(86), 256); // 129 -> 256
        assert_eq!(compute_default_max_parallelism(256), 512); // 384 -> 512
        assert_eq!(compute_default_max_parallelism(21_846), 32_768); // 32769 -> 65536 -> cap
        assert_eq!(compute_default_max_parallelism(32_768), 32_768);
    }

    #[test]
    fn operator_index_is_integer_scaling() {
        // keyGroup * parallelism / maxParallelism with 128 key groups, 3 subtasks:
        // key groups 0..=42 -> 0, 43..=85 -> 1, 86..=127 -> 2.
        assert_eq!(compute_operator_index_for_key_group(128, 3, 0), 0);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 42), 0);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 43), 1);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 85), 1);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 86), 2);
        assert_eq!(compute_operator_index_for_key_group(128, 3, 127), 2);
    }

    #[test]
    fn key_group_ranges_agree_with_operator_index() {
        for &(max_par, par) in &[(128, 3), (128, 16), (128, 100), (256, 96), (32_768, 1000)] {
            let mut next = 0;
            for op in 0..par {
                let (start, end) = compute_key_group_range_for_operator_index(max_par, par, op);
                assert_eq!(start, next, "ranges are contiguous");
                for kg in start..=end {
                    assert_eq!(compute_operator_index_for_key_group(max_par, par, kg), op);
                }
                next = end + 1;
            }
            assert_eq!(next, max_par, "ranges cover every key group");
        }
    }

    #[test]
    fn subtask_is_key_group_then_operator_index() {
        for key_hash in [0, 1, -1, 42, 100_001, i32::MIN] {
            let kg = assign_to_key_group(key_hash, 128);
            assert!(kg < 128);
            assert_eq!(kg, murmur_hash(key_hash) as u32 % 128);
            assert_eq!(flink_subtask(key_hash, 128, 16), kg * 16 / 128);
        }
        // 593689054 % 128 = 94; 94 * 16 / 128 = 11.
        assert_eq!(assign_to_key_group(0, 128), 94);
        assert_eq!(flink_subtask(0, 128, 16), 11);
    }
}
