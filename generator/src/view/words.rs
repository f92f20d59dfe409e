//! The words the documents use for the model's enums and for figures that
//! read better as words ("four weeks", "99th percentile"), each mapping
//! written once. The chapters' views call these; templates never compare a
//! string against an enum's name.

use crate::model::Infeasible;
use crate::model::fault::{FailureMode, Relaxed};
use crate::model::headroom::Stage as FleetStage;
use crate::model::latency::Stage;
use crate::model::relabel::Spread;
use crate::model::rollout::Resource;
use crate::model::slo::SloKind;
use crate::model::strategy::Strategy;
use crate::render::markdown::group;

/// A strategy's name as the spec writes it.
pub fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::CustomerId => "hash by customer_id",
        Strategy::Composite => "composite key (customer_id, event_type)",
        Strategy::SubKeys => "sticky-key sub-partitioning",
    }
}

/// A stage of the fleet as a bound on what it carries ("… is saturated").
pub fn fleet_stage(s: FleetStage) -> &'static str {
    match s {
        FleetStage::Brokers => "the brokers' throughput",
        FleetStage::Source => "the source's busiest reader",
        FleetStage::KeyedSubtask => "the hottest keyed subtask",
        FleetStage::ClickHouseShard => "a ClickHouse shard's merge capacity",
    }
}

/// A sized count that may not exist: the count, or why no count fits.
pub fn fit(count: Result<u32, Infeasible>) -> String {
    match count {
        Ok(n) => group(f64::from(n), 0),
        Err(Infeasible::KeyTooHot { .. }) => "none (one key too hot)".to_owned(),
        Err(Infeasible::HashCollisions) => "none (hash collisions)".to_owned(),
        Err(Infeasible::PartitionTooHot { .. }) => "none (one partition too hot)".to_owned(),
        Err(Infeasible::BeyondSearch { limit, .. }) => {
            format!("none (over {} needed)", group(f64::from(limit), 0))
        }
    }
}

/// A count the model may not have (no strategy carries the month): the count, or a dash.
pub fn count(count: Option<u32>) -> String {
    count.map_or_else(|| "—".to_owned(), |n| group(f64::from(n), 0))
}

/// A sum of money in whole USD, or a dash when it has none (a fleet that
/// does not carry its months has no price).
pub fn usd(amount: Option<f64>) -> String {
    amount.map_or_else(|| "—".to_owned(), |v| group(v, 0))
}

/// A figure rounded for a reader to two significant figures: 49,136 →
/// "49,000", 4,512 → "4,500", 0.0137 → "0.014".
pub fn about(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return group(v, 0);
    }
    let exponent = v.abs().log10().floor() as i32 - 1;
    let step = 10f64.powi(exponent);
    let rounded = (v / step).round() * step;
    // Rounding up can add a digit (0.999 → 1.0): keep two significant figures of the result.
    let exponent = rounded.abs().log10().floor() as i32 - 1;
    let decimals = usize::try_from(-exponent).unwrap_or(0);
    group(rounded, decimals)
}

/// A wait of `ms` milliseconds rounded for a reader: 1,167 → "1.2 s", 85 → "85 ms".
pub fn wait(ms: f64) -> String {
    // From 995 ms, two significant figures of milliseconds would print "1,000 ms".
    if ms.abs() >= 995.0 {
        format!("{} s", about(ms / 1000.0))
    } else {
        format!("{} ms", about(ms))
    }
}

/// A figure with `decimals` places, or a dash when it has no finite value
/// (a checkpoint in a month whose job does not fit never completes).
pub fn figure_or_dash(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        group(v, decimals)
    } else {
        "—".to_owned()
    }
}

/// A ratio as a whole percentage, as the `pct(d=0)` filter prints it.
pub fn percent(ratio: f64) -> String {
    format!("{}%", group(ratio * 100.0, 0))
}

/// A relative change with its sign, one decimal: `+4.1%`, `−2.3%`, `0.0%`.
pub fn signed_percent(ratio: f64) -> String {
    let shown = group(ratio.abs() * 100.0, 1);
    if shown == "0.0" {
        shown + "%"
    } else if ratio > 0.0 {
        format!("+{shown}%")
    } else {
        format!("−{shown}%")
    }
}

/// An assumption's unit after its value: a plural word unit ("groups",
/// "partition replicas") in the singular after a lone 1; symbols ("ms",
/// "MB/s") and ranges as they are.
pub fn unit_of(value: f64, ranged: bool, unit: &str) -> String {
    let word = unit.len() > 2 && unit.chars().all(|c| c.is_ascii_lowercase() || c == ' ');
    match unit.strip_suffix('s') {
        Some(singular) if word && value == 1.0 && !ranged => singular.to_owned(),
        _ => unit.to_owned(),
    }
}

/// What the relabellings of unknown ids needed of a count: `fewest–most`,
/// one figure when they agree, a dash when nothing fits.
pub fn spread(spread: Option<&Spread>) -> String {
    match spread {
        None => "—".into(),
        Some(s) => match s.most {
            Some(most) if most == s.fewest => group(f64::from(most), 0),
            Some(most) => format!(
                "{}–{}",
                group(f64::from(s.fewest), 0),
                group(f64::from(most), 0)
            ),
            None => format!(
                "{}–over {}",
                group(f64::from(s.fewest), 0),
                group(f64::from(s.searched_to), 0)
            ),
        },
    }
}

/// How many relabellings fit at the chosen count: `k of n`, or a dash.
pub fn fitting(spread: Option<&Spread>) -> String {
    spread.map_or_else(
        || "—".to_owned(),
        |s| format!("{} of {}", s.fitting, s.draws),
    )
}

/// A count printed as it is (no digit grouping), or a dash when there is none.
pub fn count_or_dash(count: Option<u32>) -> String {
    count.map_or_else(|| "—".to_owned(), |n| n.to_string())
}

/// Yes or no, as the tables print a flag.
pub fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// The failure table's name of a failure mode.
pub fn failure_mode(mode: FailureMode) -> &'static str {
    match mode {
        FailureMode::Broker => "A broker",
        FailureMode::TaskManager => "A TaskManager",
        FailureMode::ClickHouseReplica => "A ClickHouse replica",
        FailureMode::KeeperMajority => "Keeper majority",
        FailureMode::Zone => "A zone",
    }
}

/// The CAP property a failure gives up.
pub fn relaxed(r: Relaxed) -> &'static str {
    match r {
        Relaxed::Availability => "availability",
        Relaxed::Consistency => "consistency",
    }
}

/// A latency stage's name in the budget table.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Producer => "producer",
        Stage::Broker => "broker",
        Stage::SourceFetch => "source fetch",
        Stage::SourceQueueing => "source queueing",
        Stage::KeyByShuffle => "key by shuffle",
        Stage::KeyedQueueing => "keyed queueing",
        Stage::BarrierAlignment => "barrier alignment",
        Stage::WindowAndWatermark => "window and watermark",
        Stage::MergeStage => "merge stage",
        Stage::SinkBlock => "sink block",
        Stage::SinkFlush => "sink flush",
        Stage::ClickHouseVisibility => "clickhouse visibility",
        Stage::Query => "query",
    }
}

/// What sets a latency stage's p99.
pub fn stage_basis(stage: Stage) -> &'static str {
    match stage {
        Stage::SourceQueueing => "M/M/1 at the busiest reader, O(1) per record",
        Stage::KeyedQueueing => {
            "G/G/1 (Kingman) at the hottest subtask, a network buffer of records at once"
        }
        Stage::BarrierAlignment => "checkpoint barrier alignment at the hottest subtask",
        Stage::SinkBlock => "the window results' insert interval (event-time blocks)",
        Stage::WindowAndWatermark => "window length + out-of-orderness",
        Stage::SinkFlush => "buffer timeout + async-insert flush",
        Stage::KeyByShuffle | Stage::MergeStage => "network buffer timeout per shuffle",
        Stage::Producer | Stage::Broker | Stage::SourceFetch | Stage::ClickHouseVisibility => {
            "assumption"
        }
        Stage::Query => "today's p99, fanned out to the plan's shards (the slowest of n)",
    }
}

/// An SLO's name.
pub fn slo_name(kind: SloKind) -> &'static str {
    match kind {
        SloKind::IngestLag => "Ingest lag",
        SloKind::ProcessingLag => "Processing lag",
        SloKind::QueryP99 => "Query p99",
        SloKind::LossyOnFailure => "Lossy on failure",
    }
}

/// An SLO's indicator, exactly: what is counted and where it is read.
/// `window` names the interval the query SLI is judged over (the metrics' resolution).
pub fn slo_indicator(kind: SloKind, window: &str) -> String {
    match kind {
        SloKind::IngestLag => "share of minutes in which the Flink source's consumer lag in seconds \
            (`records-lag-max` ÷ consume rate, Little's law) is under the threshold"
            .to_owned(),
        SloKind::ProcessingLag => "share of minutes in which wall-clock time minus the event time of \
            the newest window result in ClickHouse (`max(window_end)` of `customer_window_agg_local`) \
            is under the threshold"
            .to_owned(),
        SloKind::QueryP99 => format!(
            "share of {window} windows whose dashboard query p99 (`system.query_log`, \
             `query_duration_ms`) is under the threshold"
        ),
        SloKind::LossyOnFailure => "share of failures after which events lost or duplicated per event \
            processed (reconciliation of Kafka offsets against ClickHouse row counts) stay under the \
            threshold"
            .to_owned(),
    }
}

/// A resource today's footprint lacks: the system that lacks it, the
/// resource, and the resource named on its own.
pub fn shortfall(resource: Resource) -> (&'static str, &'static str, &'static str) {
    match resource {
        Resource::Partitions => ("the keyed topic", "partitions", "partitions"),
        Resource::Brokers => ("Kafka", "brokers", "brokers"),
        Resource::TaskManagers => ("Flink", "TaskManagers", "TaskManagers"),
        Resource::ClickhouseShards => ("ClickHouse", "shards", "ClickHouse shards"),
        Resource::HotKey => ("the pipeline", "hot_key", "hot_key"),
    }
}

/// Day names, Monday first, as the weekly profile is indexed.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A small count in words ("four"); larger ones in digits.
pub fn count_word(n: u64) -> String {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    WORDS
        .get(n as usize)
        .map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

/// `n` of a unit in words: "two cores", "one core".
pub fn counted(n: u64, singular: &str, plural: &str) -> String {
    let unit = if n == 1 { singular } else { plural };
    format!("{} {unit}", count_word(n))
}

/// A span of whole days as the text names it: whole weeks when it is some,
/// as a noun ("four weeks") and as an adjective ("four-week").
pub fn span(days: f64) -> (String, String) {
    let days = days.round().max(0.0) as u64;
    let (n, unit) = if days > 0 && days.is_multiple_of(7) {
        (days / 7, "week")
    } else {
        (days, "day")
    };
    let noun = counted(n, unit, &format!("{unit}s"));
    let adjective = format!("{}-{unit}", count_word(n));
    (noun, adjective)
}

/// A hold of `hours` as the text names it: "a full day", "two full days", "12 hours".
pub fn hold(hours: f64) -> String {
    let whole = hours.round() as u64;
    if hours.fract() == 0.0 && whole > 0 && whole.is_multiple_of(24) {
        match whole / 24 {
            1 => "a full day".to_owned(),
            n => format!("{} full days", count_word(n)),
        }
    } else {
        format!("{} hours", group(hours, 0))
    }
}

/// An interval of seconds as an adjective, long and short: ("5-minute", "5-min").
pub fn interval(seconds: i64) -> (String, String) {
    if seconds > 0 && seconds % 60 == 0 {
        let m = seconds / 60;
        (format!("{m}-minute"), format!("{m}-min"))
    } else {
        (format!("{seconds}-second"), format!("{seconds}-s"))
    }
}

/// A quantile in words, long and short: 0.99 → ("99th percentile", "p99").
pub fn percentile(q: f64) -> (String, String) {
    let pct = q * 100.0;
    let number = if (pct - pct.round()).abs() < 1e-9 {
        format!("{}", pct.round() as u64)
    } else {
        let s = format!("{pct:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    let suffix = match number.parse::<u64>() {
        Ok(n) if (11..=13).contains(&(n % 100)) => "th",
        Ok(n) if n % 10 == 1 => "st",
        Ok(n) if n % 10 == 2 => "nd",
        Ok(n) if n % 10 == 3 => "rd",
        _ => "th",
    };
    (format!("{number}{suffix} percentile"), format!("p{number}"))
}

/// A rate in the short form of a heading: 1000000 → "1M", 200000 → "200k".
pub fn compact(x: f64) -> String {
    let (value, suffix) = if x.abs() >= 1e6 {
        (x / 1e6, "M")
    } else if x.abs() >= 1e3 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let s = format!("{value:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_switches_to_seconds_from_a_second() {
        assert_eq!(wait(1_167.0), "1.2 s");
        assert_eq!(wait(85.4), "85 ms");
        assert_eq!(wait(999.0), "1.0 s");
        assert_eq!(wait(994.0), "990 ms");
        assert_eq!(wait(12_400.0), "12 s");
    }

    #[test]
    fn about_keeps_two_significant_figures() {
        assert_eq!(about(49_136.0), "49,000");
        assert_eq!(about(0.999), "1.0");
        assert_eq!(about(4_512.0), "4,500");
        assert_eq!(about(45_414.0), "45,000");
        assert_eq!(about(95.0), "95");
        assert_eq!(about(0.0137), "0.014");
        assert_eq!(about(0.0), "0");
    }

    #[test]
    fn a_lone_one_takes_the_singular_of_a_word_unit() {
        assert_eq!(unit_of(1.0, false, "groups"), "group");
        assert_eq!(
            unit_of(1.0, false, "partition replicas"),
            "partition replica"
        );
        assert_eq!(unit_of(2.0, false, "groups"), "groups");
        assert_eq!(unit_of(1.0, true, "groups"), "groups");
        assert_eq!(unit_of(1.0, false, "ms"), "ms");
        assert_eq!(unit_of(1.0, false, "s"), "s");
        assert_eq!(unit_of(1.0, false, "MB/s"), "MB/s");
        assert_eq!(unit_of(1.0, false, "ratio"), "ratio");
    }

    #[test]
    fn figures_in_words() {
        assert_eq!(span(28.0), ("four weeks".into(), "four-week".into()));
        assert_eq!(span(7.0), ("one week".into(), "one-week".into()));
        assert_eq!(span(30.0), ("30 days".into(), "30-day".into()));
        assert_eq!(hold(24.0), "a full day");
        assert_eq!(hold(48.0), "two full days");
        assert_eq!(hold(12.0), "12 hours");
        assert_eq!(interval(300), ("5-minute".into(), "5-min".into()));
        assert_eq!(interval(30), ("30-second".into(), "30-s".into()));
        assert_eq!(percentile(0.99), ("99th percentile".into(), "p99".into()));
        assert_eq!(
            percentile(0.999),
            ("99.9th percentile".into(), "p99.9".into())
        );
        assert_eq!(percentile(0.95).1, "p95");
        assert_eq!(percentile(0.51).0, "51st percentile");
        assert_eq!(compact(1_000_000.0), "1M");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(200_000.0), "200k");
        assert_eq!(counted(2, "core", "cores"), "two cores");
        assert_eq!(counted(1, "core", "cores"), "one core");
        assert_eq!(counted(32, "core", "cores"), "32 cores");
    }

    #[test]
    fn counts_that_may_not_exist() {
        assert_eq!(fit(Ok(1024)), "1,024");
        assert_eq!(
            fit(Err(Infeasible::KeyTooHot { key_share: 0.5 })),
            "none (one key too hot)"
        );
        assert_eq!(
            fit(Err(Infeasible::HashCollisions)),
            "none (hash collisions)"
        );
        assert_eq!(
            fit(Err(Infeasible::BeyondSearch {
                needed: 5000,
                limit: 4096
            })),
            "none (over 4,096 needed)"
        );
        assert_eq!(count(None), "—");
        assert_eq!(count(Some(2048)), "2,048");
        assert_eq!(count_or_dash(Some(2048)), "2048");
    }
}
