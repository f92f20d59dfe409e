//! The production key distribution and O(1) sampling from it.
//!
//! Customers: the hot customers with their listed shares, then the tail's
//! consecutive ids sharing the tail's share by a Zipf law of rank
//! (`share_r ∝ 1 / r^s`). Event types: their listed shares. Sampling uses
//! Walker's alias method so the driver spends a few nanoseconds per event
//! whatever the number of customers.

/// An alias table over `n` outcomes: one 64-bit random number picks a column
/// (high 32 bits) and decides between the column and its alias (low 32 bits).
#[derive(Debug, Clone)]
pub struct AliasTable {
    /// Probability, scaled to 2^32, of keeping the column rather than its alias.
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Builds the table from non-negative weights (not necessarily normalised).
    /// Returns `None` when there is no positive weight.
    pub fn new(weights: &[f64]) -> Option<Self> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || n > u32::MAX as usize || total <= 0.0 || !total.is_finite() {
            return None;
        }
        // Vose's algorithm: columns below the mean are topped up by columns above it.
        let mut scaled: Vec<f64> = weights.iter().map(|w| w / total * n as f64).collect();
        let mut keep = vec![1u64 << 32; n];
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let mut small: Vec<usize> = Vec::new();
        let mut large: Vec<usize> = Vec::new();
        for (i, &p) in scaled.iter().enumerate() {
            if p < 1.0 {
                small.push(i)
            } else {
                large.push(i)
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            keep[s] = (scaled[s] * 4_294_967_296.0) as u64;
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding: they keep their own column.
        Some(AliasTable { keep, alias })
    }

    pub fn len(&self) -> usize {
        self.keep.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    /// The outcome for one uniform 64-bit random number.
    #[inline]
    pub fn sample(&self, random: u64) -> usize {
        let column = (((random >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (random & 0xffff_ffff) < self.keep[column] {
            column
        } else {
            self.alias[column] as usize
        }
    }
}

/// An alias table whose columns carry their outcomes' values, so one
/// random access yields the sampled value (the driver's hot path).
#[derive(Debug, Clone)]
pub struct ValueSampler<T: Copy> {
    columns: Vec<Column<T>>,
}

#[derive(Debug, Clone, Copy)]
struct Column<T: Copy> {
    keep: u64,
    value: T,
    alias_value: T,
}

impl<T: Copy> ValueSampler<T> {
    pub fn new(table: &AliasTable, values: &[T]) -> Self {
        let columns = (0..table.len())
            .map(|i| Column {
                keep: table.keep[i],
                value: values[i],
                alias_value: values[table.alias[i] as usize],
            })
            .collect();
        ValueSampler { columns }
    }

    #[inline]
    pub fn sample(&self, random: u64) -> T {
        let column = &self.columns[(((random >> 32) * self.columns.len() as u64) >> 32) as usize];
        if (random & 0xffff_ffff) < column.keep {
            column.value
        } else {
            column.alias_value
        }
    }
}

/// Customers and event types with their shares, ready to sample.
#[derive(Debug, Clone)]
pub struct KeyDistribution {
    /// Customer ids: hot customers first (in file order), then the tail by rank.
    pub customer_ids: Vec<i64>,
    /// Share of all events per customer, aligned with `customer_ids`.
    pub customer_shares: Vec<f64>,
    /// How many of the first customers are the hot ones.
    pub hot_count: usize,
    pub event_type_names: Vec<String>,
    pub event_type_shares: Vec<f64>,
    customers: ValueSampler<i64>,
    event_types: ValueSampler<u8>,
}

impl KeyDistribution {
    /// The production key distribution: every customer with its share, as
    /// `data/keys` gives it (hot customers first, then the tail by rank).
    pub fn from_inputs(keys: &pipeline_inputs::KeyDistribution) -> Self {
        let (ids, shares) = keys.customers().into_iter().unzip();
        let names = keys
            .event_types
            .iter()
            .map(|e| e.event_type.clone())
            .collect();
        let type_shares = keys.event_types.iter().map(|e| e.share).collect();
        Self::new(ids, shares, keys.hot.len(), names, type_shares)
    }

    /// A distribution from explicit tables (tests and micro-benchmarks).
    ///
    /// # Panics
    /// If either table has no positive share (the loaders reject such input).
    pub fn new(
        customer_ids: Vec<i64>,
        customer_shares: Vec<f64>,
        hot_count: usize,
        event_type_names: Vec<String>,
        event_type_shares: Vec<f64>,
    ) -> Self {
        let customers = AliasTable::new(&customer_shares).expect("customer shares are positive");
        let customers = ValueSampler::new(&customers, &customer_ids);
        let event_types =
            AliasTable::new(&event_type_shares).expect("event type shares are positive");
        // Event types index a byte (the loader caps them at 255).
        let type_indices: Vec<u8> = (0..event_type_shares.len()).map(|i| i as u8).collect();
        let event_types = ValueSampler::new(&event_types, &type_indices);
        KeyDistribution {
            customer_ids,
            customer_shares,
            hot_count,
            event_type_names,
            event_type_shares,
            customers,
            event_types,
        }
    }

    #[inline]
    pub fn sample_customer(&self, random: u64) -> i64 {
        self.customers.sample(random)
    }

    #[inline]
    pub fn sample_event_type(&self, random: u64) -> u8 {
        self.event_types.sample(random)
    }

    pub fn hot_customer_ids(&self) -> &[i64] {
        &self.customer_ids[..self.hot_count]
    }

    /// Every customer (hot list or tail) with at least `min_share` of all
    /// events: the heavy hitters sticky-key sub-partitioning splits.
    pub fn customers_with_share_at_least(&self, min_share: f64) -> Vec<i64> {
        self.customer_ids
            .iter()
            .zip(&self.customer_shares)
            .filter(|(_, s)| **s >= min_share)
            .map(|(c, _)| *c)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_sampling_follows_the_weights() {
        let table = AliasTable::new(&[0.5, 0.3, 0.2, 0.0]).unwrap();
        let mut counts = [0u64; 4];
        let n = 200_000u64;
        for i in 0..n {
            counts[table.sample(crate::event::mix64(i))] += 1;
        }
        let f = |c: u64| c as f64 / n as f64;
        assert!((f(counts[0]) - 0.5).abs() < 0.01, "{counts:?}");
        assert!((f(counts[1]) - 0.3).abs() < 0.01, "{counts:?}");
        assert!((f(counts[2]) - 0.2).abs() < 0.01, "{counts:?}");
        assert_eq!(counts[3], 0);
    }

    #[test]
    fn alias_table_rejects_empty_weights() {
        assert!(AliasTable::new(&[]).is_none());
        assert!(AliasTable::new(&[0.0, 0.0]).is_none());
    }
}
