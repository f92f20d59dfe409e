//! Java `hashCode()`s of the key types Flink hashes into key groups.
//!
//! All arithmetic wraps at 32 bits, as Java's `int` does.

/// `Long.hashCode(long)`: `(int)(value ^ (value >>> 32))`.
pub fn long_hash_code(value: i64) -> i32 {
    let bits = value as u64;
    (bits ^ (bits >> 32)) as i32
}

/// `Integer.hashCode(int)`: the value itself.
pub fn integer_hash_code(value: i32) -> i32 {
    value
}

/// `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over the string's
/// UTF-16 code units (so a character outside the BMP counts as its two
/// surrogates), wrapping at 32 bits.
pub fn string_hash_code(value: &str) -> i32 {
    value.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Flink `Tuple2.hashCode()`: `31 * f0.hashCode() + f1.hashCode()`, given the
/// fields' own hash codes (a null field would hash to 0).
pub fn tuple2_hash_code(f0_hash: i32, f1_hash: i32) -> i32 {
    f0_hash.wrapping_mul(31).wrapping_add(f1_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_hash_folds_the_high_word() {
        // Worked from the documented definition (value ^ (value >>> 32)).
        assert_eq!(long_hash_code(0), 0);
        assert_eq!(long_hash_code(100_001), 100_001);
        assert_eq!(long_hash_code(-1), 0); // 0xffffffff ^ 0xffffffff
        assert_eq!(long_hash_code(1 << 32), 1);
        assert_eq!(long_hash_code(i64::MAX), i32::MIN); // 0x7fffffff ^ 0xffffffff
        assert_eq!(long_hash_code(i64::MIN), i32::MIN); // 0x80000000 ^ 0
        assert_eq!(long_hash_code(-2), 1); // 0xfffffffe ^ 0xffffffff
    }

    #[test]
    fn integer_hash_is_identity() {
        assert_eq!(integer_hash_code(-7), -7);
        assert_eq!(integer_hash_code(i32::MAX), i32::MAX);
    }

    #[test]
    fn string_hash_matches_documented_values() {
        // The empty string hashes to zero (String.hashCode javadoc).
        assert_eq!(string_hash_code(""), 0);
        // "abc": 97*31^2 + 98*31 + 99 = 96354.
        assert_eq!(string_hash_code("abc"), 96_354);
        // "hello".hashCode() = 99162322, the value Java tutorials print.
        assert_eq!(string_hash_code("hello"), 99_162_322);
        // The classic collision: "Aa" and "BB" both hash to 2112.
        assert_eq!(string_hash_code("Aa"), 2112);
        assert_eq!(string_hash_code("BB"), 2112);
        // The well-known string whose hashCode is Integer.MIN_VALUE (wraps).
        assert_eq!(string_hash_code("polygenelubricants"), i32::MIN);
        // A non-BMP character hashes as its two UTF-16 surrogates
        // (U+1F600 = D83D DE00): 0xD83D * 31 + 0xDE00.
        assert_eq!(string_hash_code("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn tuple2_hash_is_31_f0_plus_f1() {
        assert_eq!(
            tuple2_hash_code(long_hash_code(1), integer_hash_code(2)),
            33
        );
        assert_eq!(
            tuple2_hash_code(long_hash_code(100_001), integer_hash_code(3)),
            100_001 * 31 + 3
        );
        // Wraps like Java int arithmetic.
        assert_eq!(tuple2_hash_code(i32::MAX, 1), i32::MAX.wrapping_mul(31) + 1);
    }
}
