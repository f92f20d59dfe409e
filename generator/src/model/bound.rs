//! Which bound sets a count. Each component is sized as the largest of a few
//! bounds (disk, network, merges, CPU, partitions per broker, today's count);
//! the documents name the one that binds, and what the count would be, and
//! what would set it, were that bound moved out of the way.

use serde::Serialize;

/// The binding bound of a count and the one behind it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Binding<B> {
    /// The largest bound; on a tie, the first listed.
    pub bound: B,
    pub count: u32,
    /// The largest of the other bounds: the count were `bound` relieved.
    /// `None` with a single bound.
    pub next: Option<Next<B>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Next<B> {
    pub bound: B,
    pub count: u32,
}

/// The binding bound of `bounds` (listed in the order a tie is named), and
/// the next one. `bounds` is never empty.
pub fn binding<B: Copy>(bounds: &[(B, u32)]) -> Binding<B> {
    let largest = |skip: Option<usize>| {
        bounds
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .fold(
                None,
                |best: Option<(usize, B, u32)>, (i, &(b, n))| match best {
                    Some((_, _, m)) if m >= n => best,
                    _ => Some((i, b, n)),
                },
            )
    };
    let (at, bound, count) = largest(None).expect("at least one bound");
    Binding {
        bound,
        count,
        next: largest(Some(at)).map(|(_, bound, count)| Next { bound, count }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_bound_binds_the_first_listed_on_a_tie_and_the_next_is_behind_it() {
        let b = binding(&[
            ("today", 6),
            ("disk", 58),
            ("network out", 40),
            ("network in", 58),
        ]);
        assert_eq!((b.bound, b.count), ("disk", 58));
        // Relieving disk leaves network in at the same count.
        assert_eq!(
            b.next,
            Some(Next {
                bound: "network in",
                count: 58
            })
        );
        let b = binding(&[("today", 4), ("merges", 3)]);
        assert_eq!((b.bound, b.count), ("today", 4));
        assert_eq!(
            b.next,
            Some(Next {
                bound: "merges",
                count: 3
            })
        );
        assert_eq!(binding(&[("only", 1)]).next, None);
    }
}
