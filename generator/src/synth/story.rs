//! The sample's story, as numbers: a pipeline at about 80k events/s with
//! diurnal and weekly peaks, a few hot customers that make some Kafka
//! partitions and one keyed Flink subtask run hot (backpressuring its
//! upstream at peaks), ClickHouse parts climbing at peak hours, and a
//! forecast that reaches about 1M events/s by month 12.

/// Monday 2026-10-19 00:00 UTC: the first sample.
pub const START_TS: i64 = 1_792_368_000;
pub const DAYS: i64 = 28;

/// Mean events/s over the four weeks.
pub const MEAN_EVENTS_PER_S: f64 = 80_000.0;
/// Diurnal shape: 1 + a1·cos(2π(h−peak)/24) + a2·cos(4π(h−peak)/24).
pub const DIURNAL_PEAK_HOUR_UTC: f64 = 14.5;
pub const DIURNAL_A1: f64 = 0.42;
pub const DIURNAL_A2: f64 = 0.08;
/// Relative level Monday..Sunday.
pub const WEEKLY: [f64; 7] = [1.04, 1.06, 1.06, 1.05, 1.02, 0.89, 0.88];
/// Growth per week over the four weeks.
pub const WEEKLY_GROWTH: f64 = 0.012;
/// Relative noise on a 5-minute rate.
pub const NOISE: f64 = 0.03;

/// Fraction of events that fail validation and go to the dead-letter topic.
pub const DLQ_FRACTION: f64 = 0.0015;

/// The named hot customers: (id, name, share of all events).
pub const HOT_CUSTOMERS: &[(i64, &str, f64)] = &[
    (100_017, "Northwind Retail", 0.074),
    (100_342, "Contoso Games", 0.041),
    (100_051, "Fabrikam Mobility", 0.033),
    (100_733, "Tailspin Media", 0.026),
    (100_204, "Wingtip Travel", 0.021),
    (100_090, "Adatum Health", 0.018),
    (100_466, "Litware Finance", 0.015),
    (100_128, "Proseware Ads", 0.013),
    (100_581, "Woodgrove Bank", 0.012),
    (100_302, "Lucerne Publishing", 0.011),
    (100_415, "Coho Logistics", 0.010),
    (100_999, "Alpine Energy", 0.009),
];
pub const TAIL_CUSTOMERS: u32 = 3_988;

// Where production departs from the key list the model reads, as real data
// does: the sample's metrics are routed from these, the exported list stays
// as it is, so the check of today's skew has an error to report.

/// A listed hot customer whose traffic carries another id (listed, carried):
/// an account migrated after the list was exported.
pub const MISLISTED_CUSTOMER: (i64, i64) = (100_302, 100_320);
/// Tail customers scatter around the Zipf law the list states: each share is
/// multiplied by `exp(σ·z)`, `z` standard normal, and the tail renormalised.
pub const TAIL_SCATTER_SIGMA: f64 = 0.35;
/// Hot customers keep their own daily rhythm, not the pipeline's:
/// (id, amplitude, peak hour UTC) makes the share `× (1 + a·cos(2π(h − peak)/24))`.
pub const HOT_CUSTOMER_RHYTHMS: &[(i64, f64, f64)] = &[
    (100_017, 0.15, 16.0),
    (100_342, 0.35, 20.5),
    (100_051, 0.25, 8.0),
    (100_733, 0.30, 22.0),
    (100_204, 0.20, 11.0),
];
/// Job restarts, a deploy and a lost TaskManager, each restored from its
/// checkpoint: (day, hour UTC, 5-minute samples with nothing consumed). The
/// backlog is then read at the rate the hottest keyed subtask allows.
pub const RESTARTS: &[(i64, f64, i64)] = &[(9, 4.0, 2), (20, 3.5, 3)];
pub const TAIL_FIRST_ID: i64 = 200_000;
pub const TAIL_ZIPF_EXPONENT: f64 = 0.5;

/// The second component of the composite key, with each type's share of events.
pub const EVENT_TYPES: &[(&str, f64)] = &[
    ("page_view", 0.38),
    ("click", 0.24),
    ("add_to_cart", 0.16),
    ("search", 0.10),
    ("purchase", 0.07),
    ("error", 0.05),
];

/// Per-record busy time of each job vertex's subtasks (µs), what production measures.
pub const SOURCE_ENRICH_US: f64 = 31.0;
pub const WINDOW_AGGREGATE_US: f64 = 42.0;
pub const AGG_SINK_US: f64 = 40.0;
/// A keyed subtask never reports quite 100% busy: sampling, GC, checkpoints.
pub const MAX_BUSY_RATIO: f64 = 0.975;
/// Window results per input event (10 s windows per customer and event type).
pub const WINDOW_OUTPUT_RATIO: f64 = 0.02;

/// ClickHouse: rows/s one shard's merge pool keeps up with, and the parts curve.
pub const MERGE_CAPACITY_ROWS_PER_S: f64 = 52_000.0;
pub const BASE_PARTS: f64 = 70.0;
pub const PARTS_AT_SATURATION: f64 = 900.0;
/// Rows rewritten by merges per row inserted (write amplification).
pub const MERGE_AMPLIFICATION: f64 = 2.6;

/// Forecast: customers and events per customer today and in month 12, per scenario.
pub const CUSTOMERS_TODAY: f64 = 4_000.0;
pub const EVENTS_PER_CUSTOMER_TODAY: f64 = 20.0;
/// (scenario, customers in month 12, events per customer per s in month 12)
pub const FORECAST_MONTH_12: &[(&str, f64, f64)] = &[
    ("low", 7_000.0, 45.0),
    ("base", 9_200.0, 60.0),
    ("high", 11_000.0, 75.0),
];
pub const FIRST_MONTH: (i32, u32) = (2027, 1);
/// Named onboardings: (customer, first month, events/s, scenarios).
pub const ONBOARDINGS: &[(&str, u32, f64, &str)] = &[
    ("Initech", 4, 60_000.0, "low base high"),
    ("Globex", 7, 150_000.0, "low base high"),
    ("Umbrella", 10, 240_000.0, "base high"),
];
