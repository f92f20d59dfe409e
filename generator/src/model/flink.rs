//! Flink sizing for one month: each vertex's parallelism from its per-subtask
//! capacity calibrated on production (records in ÷ busy time), the keyed
//! vertex's so that its *hottest* subtask stays under the target utilization
//! (searched with Flink's real key-group assignment), then state, the
//! TaskManagers that carry it all ([`task_managers`]), and checkpoint size
//! and duration.

use std::collections::BTreeMap;

use partitioners::flink::UPPER_BOUND_MAX_PARALLELISM;
use partitioners::kafka_source::reader_shares;
use serde::Serialize;

use super::relabel::{FirstFits, Spread, Walk};
use super::strategy::{self, CustomerRef, KeySet, Strategy};
use super::task_managers::{self, Shape, TaskManagerFleet, VertexLoad};
use super::{Infeasible, ceil_u32};
use crate::inputs::assumptions::FlinkAssumptions;

/// A job vertex as the model sees it: how much of the keyed topic's traffic
/// reaches it, and what one subtask processes when 100% busy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VertexCalibration {
    pub name: String,
    pub keyed: bool,
    /// Records in per event of the keyed topic, measured.
    pub records_per_event: f64,
    /// Records one subtask processes per second of busy time, measured.
    pub capacity_per_s: f64,
    pub parallelism_today: u32,
    pub max_parallelism_today: u32,
}

impl VertexCalibration {
    /// Whether this is the Kafka source reading the keyed topic: the job's
    /// first vertex, unkeyed. Its readers hold whole partitions, so it is
    /// sized on its busiest reader ([`fit_source`]), not on even load.
    pub fn is_source(&self, index: usize) -> bool {
        index == 0 && !self.keyed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyedFit {
    /// `ceil(load / (u × capacity))`: the parallelism if keys spread evenly.
    pub lower_bound: u32,
    pub parallelism: Result<u32, Infeasible>,
    /// Key groups: the plan's maxParallelism.
    pub max_parallelism: u32,
    /// The hottest subtask's share at that parallelism, in the draw at the quantile.
    pub hottest_share: f64,
    /// What each relabelling of the unknown customer ids needed; `None`
    /// when no parallelism fits.
    pub spread: Option<Spread>,
}

/// The fewest subtasks whose hottest one stays under `cap` in the quantile
/// of the relabellings, with the plan's maxParallelism `m`. With the hash
/// and `m` fixed, more load only removes candidates, so more load never
/// needs fewer subtasks.
pub fn fit_keyed(keys: &KeySet, load: f64, cap: f64, m: u32, walk: Walk) -> KeyedFit {
    let lower_bound = ceil_u32(load / cap).max(1);
    let infeasible = |why| KeyedFit {
        lower_bound,
        parallelism: Err(why),
        max_parallelism: m,
        hottest_share: keys.largest_key_share,
        spread: None,
    };
    if keys.largest_key_share * load > cap {
        return infeasible(Infeasible::KeyTooHot {
            key_share: keys.largest_key_share,
        });
    }
    let relabelling = keys.relabelling();
    let draws = relabelling.draws as usize;
    let fits = |share: f64| share * load <= cap;
    let known_groups = keys.known_key_group_shares(m);
    // A subtask owns whole key groups: if the hottest key group alone is
    // over the limit in too many draws, no parallelism fits.
    let landings = keys.flink_landings();
    let hottest_group =
        strategy::hottest_per_draw(&known_groups, landings, |hash| (hash % m) as usize);
    let fitting_groups = hottest_group.iter().filter(|&&h| fits(h)).count() as u32;
    if fitting_groups < relabelling.must_fit || lower_bound > m {
        return infeasible(Infeasible::HashCollisions);
    }
    // Most counts are refused on running sums: the known keys' (newcomers
    // only add), then each draw's; the exact shares of every draw decide.
    let limit = cap / load;
    let cumulative = strategy::CumulativeKeyGroups::new(&known_groups);
    let mut groups = DrawGroups::new(landings, m);
    let mut first = FirstFits::new(draws);
    let mut chosen: Option<(u32, f64, u32)> = None;
    let mut searched_to = lower_bound;
    let need = relabelling.must_fit as usize;
    let mut widest: BTreeMap<usize, f64> = BTreeMap::new();
    for p in lower_bound..=m {
        if walk.stops_before(p, chosen.map(|c| c.0), &first) {
            break;
        }
        searched_to = p;
        // A subtask owns at most ceil(m/p) key groups: when the heaviest run
        // of that many fits, every subtask's known part does, unchecked.
        let width = m.div_ceil(p) as usize;
        let known_fit = *widest
            .entry(width)
            .or_insert_with(|| cumulative.widest_window(width))
            <= limit;
        if !known_fit && cumulative.some_subtask_over(p, limit) {
            continue;
        }
        match walk {
            Walk::ToChoice => {
                if !groups.enough_fit(&cumulative, p, limit, need) {
                    continue;
                }
            }
            Walk::EveryDraw => {
                let fit: Vec<bool> = (0..draws)
                    .map(|d| groups.fits(d, &cumulative, p, limit))
                    .collect();
                first.record(p, |d| fit[d]);
                if chosen.is_some() || fit.iter().filter(|&&f| f).count() < need {
                    continue;
                }
            }
        }
        if chosen.is_some() {
            continue;
        }
        let known_subtasks = strategy::subtask_shares(&known_groups, p);
        let hottest = strategy::hottest_per_draw(&known_subtasks, landings, |hash| {
            (u64::from(hash % m) * u64::from(p) / u64::from(m)) as usize
        });
        let fitting = hottest.iter().filter(|&&h| fits(h)).count() as u32;
        if fitting >= relabelling.must_fit {
            chosen = Some((p, relabelling.at_quantile(&hottest).1, fitting));
        }
    }
    // At p = m every subtask owns one key group, and the quantile of draws
    // fits there (checked above), so the search found a count.
    let Some((p, hottest, fitting)) = chosen else {
        return infeasible(Infeasible::HashCollisions);
    };
    KeyedFit {
        lower_bound,
        parallelism: Ok(p),
        max_parallelism: m,
        hottest_share: hottest,
        spread: (walk == Walk::EveryDraw).then(|| first.spread(relabelling, fitting, searched_to)),
    }
}

/// The unknown keys of each draw by key group, summed and in key-group
/// order. A subtask owns a run of consecutive key groups, so one pass over a
/// draw's groups finds whether any subtask goes over; the draws that failed
/// last are tried first, so a parallelism too few draws fit is refused
/// after a handful.
struct DrawGroups {
    m: u64,
    draws: Vec<Vec<(u64, f64)>>,
    order: Vec<usize>,
}

impl DrawGroups {
    fn new(landings: &[Vec<(u32, f64)>], m: u32) -> DrawGroups {
        let draws: Vec<Vec<(u64, f64)>> = landings
            .iter()
            .map(|landed| {
                let mut by_group: BTreeMap<u64, f64> = BTreeMap::new();
                for &(hash, share) in landed {
                    *by_group.entry(u64::from(hash % m)).or_insert(0.0) += share;
                }
                by_group.into_iter().collect()
            })
            .collect();
        DrawGroups {
            m: u64::from(m),
            order: (0..draws.len()).collect(),
            draws,
        }
    }

    /// Whether draw `d` keeps every subtask of `p` within `limit`, the
    /// known keys' part of each subtask read off their running sums (the
    /// caller has checked that part alone fits).
    fn fits(&self, d: usize, known: &strategy::CumulativeKeyGroups, p: u32, limit: f64) -> bool {
        let limit = limit * (1.0 + strategy::SUM_SLACK);
        let groups = &self.draws[d];
        let subtask = |g: u64| (g * u64::from(p) / self.m) as usize;
        let mut i = 0;
        while i < groups.len() {
            let s = subtask(groups[i].0);
            let mut sum = known.subtask_share(p, s);
            while i < groups.len() && subtask(groups[i].0) == s {
                sum += groups[i].1;
                i += 1;
            }
            if sum > limit {
                return false;
            }
        }
        true
    }

    /// Whether at least `need` draws fit; stops once too many failed.
    fn enough_fit(
        &mut self,
        known: &strategy::CumulativeKeyGroups,
        p: u32,
        limit: f64,
        need: usize,
    ) -> bool {
        let may_fail = self.order.len().saturating_sub(need);
        let mut failed = 0;
        for i in 0..self.order.len() {
            if !self.fits(self.order[i], known, p, limit) {
                // The next parallelism tries this draw first.
                self.order[failed..=i].rotate_right(1);
                failed += 1;
                if failed > may_fail {
                    return false;
                }
            }
        }
        true
    }
}

/// The keyed topic's partitions as the source vertex reads them.
pub struct SourceSplits<'a> {
    pub topic: &'a str,
    /// Each partition's share of the topic's events, at the month's count.
    pub partition_shares: &'a [f64],
}

/// The fewest source subtasks whose busiest one stays under `cap`, with the
/// partitions dealt as Flink's Kafka source deals them
/// ([`partitioners::kafka_source`]). A reader owns whole partitions, so
/// beyond one partition per reader more readers add nothing: the search ends
/// at the partition count.
pub fn fit_source(
    load: f64,
    cap: f64,
    splits: &SourceSplits<'_>,
) -> (u32, Result<u32, Infeasible>, f64) {
    let lower_bound = ceil_u32(load / cap).max(1);
    let partitions = splits.partition_shares.len() as u32;
    let hottest_partition = strategy::max(splits.partition_shares);
    if hottest_partition * load > cap {
        return (
            lower_bound,
            Err(Infeasible::PartitionTooHot {
                partition_share: hottest_partition,
            }),
            hottest_partition,
        );
    }
    // At one partition per reader the hottest partition fits (checked above).
    let p = (lower_bound.min(partitions)..=partitions)
        .map(|p| {
            let readers = reader_shares(splits.topic, splits.partition_shares, p);
            (p, strategy::max(&readers))
        })
        .find(|&(_, busiest)| busiest * load <= cap)
        .unwrap_or((partitions, hottest_partition));
    (lower_bound, Ok(p.0), p.1)
}

/// Key groups the plan gives each subtask of the widest month at least, so
/// the built-in imbalance `ceil(M/P) / (M/P)` stays small.
pub const MIN_KEY_GROUPS_PER_SUBTASK: u32 = 4;

/// The maxParallelism the plan sets once for the year: today's, or enough
/// key groups that the widest month's keyed vertex gets at least
/// [`MIN_KEY_GROUPS_PER_SUBTASK`] per subtask, rounded to a power of two like
/// Flink's default. Changing it is a state migration, so it is changed once,
/// not month by month.
pub fn plan_max_parallelism(today: u32, widest_lower_bound: u32) -> u32 {
    today
        .max((widest_lower_bound.saturating_mul(MIN_KEY_GROUPS_PER_SUBTASK)).next_power_of_two())
        .min(UPPER_BOUND_MAX_PARALLELISM)
}

/// Events/s one key (or sub-key) may carry before it is split: a
/// `sub_key_max_subtask_fraction` of the least of what a keyed subtask may
/// take at its target utilization, what one source subtask consumes, and what
/// one partition takes.
pub fn sub_key_limit(
    keyed: &VertexCalibration,
    limits: &super::kafka::PartitionLimits,
    event_bytes: f64,
    a: &FlinkAssumptions,
) -> f64 {
    a.sub_key_max_subtask_fraction.value
        * (a.target_utilization.value * keyed.capacity_per_s / keyed.records_per_event)
            .min(limits.consumer_events_per_s)
            .min(limits.partition_mb_per_s * super::kafka::BYTES_PER_MB / event_bytes)
}

/// The most sub-keys one customer gets: Flink's largest maxParallelism. More
/// sub-keys than key groups spread nothing further.
pub const MAX_SUB_KEYS_PER_CUSTOMER: u32 = 32_768;
/// The most sub-keys all split customers get together. Each is a key the
/// model hashes and holds, so the bound keeps memory in proportion to the
/// data; a load that needs more leaves the coolest customers whole, and the
/// fit then reports the key that is too hot.
pub const MAX_SUB_KEYS: u64 = 1 << 20;

/// Sub-keys per hot customer: enough that one sub-key carries at most the
/// per-key limit at the customer's peak rate, within
/// [`MAX_SUB_KEYS_PER_CUSTOMER`] and [`MAX_SUB_KEYS`], hottest customers first.
/// `customers` are the month's, known ids and onboardings alike, each with
/// its peak events/s.
pub fn sub_keys(
    customers: impl IntoIterator<Item = (CustomerRef, f64)>,
    per_key_limit_events_per_s: f64,
) -> BTreeMap<CustomerRef, u32> {
    let mut split: Vec<(CustomerRef, f64, u32)> = customers
        .into_iter()
        .map(|(who, rate)| {
            let s = ceil_u32(rate / per_key_limit_events_per_s);
            (who, rate, s.min(MAX_SUB_KEYS_PER_CUSTOMER))
        })
        .filter(|&(.., s)| s > 1)
        .collect();
    split.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut total = 0u64;
    let mut out = BTreeMap::new();
    for (who, _, s) in split {
        total += u64::from(s);
        if total > MAX_SUB_KEYS {
            break;
        }
        out.insert(who, s);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VertexSizing {
    pub name: String,
    pub keyed: bool,
    pub records_in_per_s: f64,
    pub capacity_per_s: f64,
    pub lower_bound: u32,
    pub parallelism: Result<u32, Infeasible>,
    pub max_parallelism: u32,
    /// The hottest subtask's share of the vertex's records, and its busy ratio at peak.
    pub hottest_share: f64,
    pub hottest_utilization: f64,
    /// What one subtask may take: its capacity at the target utilization.
    pub limit_per_s: f64,
    /// The keyed vertex: what each relabelling of unknown ids needed.
    pub spread: Option<Spread>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlinkSizing {
    pub vertices: Vec<VertexSizing>,
    /// With slot sharing a job needs as many slots as its widest vertex.
    pub slots: Option<u32>,
    pub task_managers: Option<u32>,
    /// What sets the TaskManager count: slots, vCPUs, memory or today's.
    pub fleet: Option<TaskManagerFleet>,
    /// Window entries in flight × bytes per entry.
    pub window_entries: f64,
    pub state_bytes: f64,
    /// The merge stage's part of the state: one entry per customer and window
    /// (0 without a merge stage).
    pub merge_state_bytes: f64,
    /// Partial results into the merge stage: one per key and window.
    pub merge_records_per_s: f64,
    /// A full checkpoint writes the whole state.
    pub checkpoint_bytes: f64,
    /// Upload time of the state spread over the TaskManagers.
    pub checkpoint_upload_s: f64,
    /// Barrier alignment: the hottest subtask drains its in-flight buffers first.
    pub barrier_alignment_s: f64,
    pub checkpoint_duration_s: f64,
}

/// Inputs of [`size`] that do not change with the strategy.
pub struct FlinkPlan<'a> {
    pub vertices: &'a [VertexCalibration],
    /// The TaskManager the plan runs.
    pub shape: Shape,
    pub task_managers_today: u32,
    pub window_s: f64,
    pub lateness_s: f64,
    pub event_bytes: f64,
    /// The keyed vertex's maxParallelism for the whole plan.
    pub max_parallelism: u32,
    /// How far the keyed vertex's search walks past its choice.
    pub walk: Walk,
    pub a: &'a FlinkAssumptions,
}

impl FlinkPlan<'_> {
    /// Window state of `keys` keys: one entry per key and window still open,
    /// the current one plus those kept for the watermark delay and lateness;
    /// as entries and bytes.
    pub fn window_state(&self, keys: f64) -> (f64, f64) {
        let windows_open = 1.0 + (self.lateness_s / self.window_s).ceil();
        let entries = keys * windows_open;
        (entries, entries * self.a.state_bytes_per_window_entry.value)
    }
}

pub fn size(
    plan: &FlinkPlan<'_>,
    strategy: Strategy,
    keys: &KeySet,
    source: &SourceSplits<'_>,
    customers: f64,
    peak_events_per_s: f64,
) -> FlinkSizing {
    let u = plan.a.target_utilization.value;
    let vertices: Vec<VertexSizing> = plan
        .vertices
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let load = peak_events_per_s * v.records_per_event;
            let cap = u * v.capacity_per_s;
            if v.is_source(i) {
                // The first vertex reads the keyed topic: its busiest reader
                // holds whole partitions, hot ones included.
                let (lower_bound, parallelism, busiest) = fit_source(load, cap, source);
                let p = parallelism.as_ref().ok().copied();
                VertexSizing {
                    name: v.name.clone(),
                    keyed: false,
                    records_in_per_s: load,
                    capacity_per_s: v.capacity_per_s,
                    lower_bound,
                    parallelism,
                    max_parallelism: v.max_parallelism_today.max(p.unwrap_or(0)),
                    hottest_share: busiest,
                    hottest_utilization: busiest * load / v.capacity_per_s,
                    limit_per_s: cap,
                    spread: None,
                }
            } else if v.keyed {
                let fit = fit_keyed(keys, load, cap, plan.max_parallelism, plan.walk);
                VertexSizing {
                    name: v.name.clone(),
                    keyed: true,
                    records_in_per_s: load,
                    capacity_per_s: v.capacity_per_s,
                    lower_bound: fit.lower_bound,
                    hottest_utilization: fit.hottest_share * load / v.capacity_per_s,
                    parallelism: fit.parallelism,
                    max_parallelism: fit.max_parallelism,
                    hottest_share: fit.hottest_share,
                    limit_per_s: cap,
                    spread: fit.spread,
                }
            } else {
                // Unkeyed vertices take rebalanced or forwarded records: even load.
                let p = ceil_u32(load / cap).max(1);
                VertexSizing {
                    name: v.name.clone(),
                    keyed: false,
                    records_in_per_s: load,
                    capacity_per_s: v.capacity_per_s,
                    lower_bound: p,
                    parallelism: Ok(p),
                    max_parallelism: v.max_parallelism_today.max(p),
                    hottest_share: 1.0 / f64::from(p),
                    hottest_utilization: load / f64::from(p) / v.capacity_per_s,
                    limit_per_s: cap,
                    spread: None,
                }
            }
        })
        .collect();
    // The merge stage keeps one entry per customer and window as well.
    let merge_keys = if strategy.needs_merge_stage() {
        customers
    } else {
        0.0
    };
    let (window_entries, state_bytes) = plan.window_state(keys.len() as f64 + merge_keys);
    let keyed_keys = keys.len() as f64;
    let merge_state_bytes = state_bytes * merge_keys / (keyed_keys + merge_keys).max(1.0);
    let merge_records_per_s = if merge_keys > 0.0 {
        keyed_keys / plan.window_s
    } else {
        0.0
    };
    let loads = vertices
        .iter()
        .map(|v| {
            v.parallelism.as_ref().ok().map(|&p| VertexLoad {
                parallelism: p,
                keyed: v.keyed,
                records_in_per_s: v.records_in_per_s,
                capacity_per_s: v.capacity_per_s,
            })
        })
        .collect::<Option<Vec<VertexLoad>>>();
    let fleet = loads.map(|loads| {
        task_managers::size(
            &loads,
            state_bytes,
            plan.task_managers_today,
            &plan.shape,
            plan.a,
        )
    });
    // With slot sharing the job takes as many slots as its widest vertex.
    let widest = fleet.as_ref().map(|f| f.slots);
    let task_managers = fleet.as_ref().map(|f| f.task_managers);
    let upload = plan.a.checkpoint_upload_mb_per_s_per_task_manager.value * 1e6;
    let checkpoint_upload_s =
        task_managers.map_or(f64::INFINITY, |tm| state_bytes / (upload * f64::from(tm)));
    let barrier_alignment_s = alignment_s(&vertices, plan);
    FlinkSizing {
        vertices,
        slots: widest,
        task_managers,
        fleet,
        window_entries,
        state_bytes,
        merge_state_bytes,
        merge_records_per_s,
        checkpoint_bytes: state_bytes,
        checkpoint_upload_s,
        barrier_alignment_s,
        checkpoint_duration_s: checkpoint_upload_s + barrier_alignment_s,
    }
}

/// A barrier waits behind the data already queued at the keyed vertex's
/// hottest subtask: with credit-based flow control at most
/// `exclusive × channels + floating` buffers per input gate, each
/// `network_buffer_kib`, drained at that subtask's processing rate.
fn alignment_s(vertices: &[VertexSizing], plan: &FlinkPlan<'_>) -> f64 {
    let Some(k) = vertices.iter().position(|v| v.keyed) else {
        return 0.0;
    };
    let keyed = &vertices[k];
    let upstream = k
        .checked_sub(1)
        .and_then(|i| vertices[i].parallelism.as_ref().ok().copied())
        .unwrap_or(1);
    let a = plan.a;
    let buffers = a.exclusive_buffers_per_channel.value * f64::from(upstream)
        + a.floating_buffers_per_gate.value;
    let queued_records = buffers * a.network_buffer_kib.value * 1024.0 / plan.event_bytes;
    // The hottest subtask drains at its capacity (it is the busy one).
    queued_records / keyed.capacity_per_s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_sized_on_its_busiest_reader() {
        // Topic "a": hashCode 97, × 31 = 3007. Four partitions carrying 40%,
        // 20%, 20%, 20% of 100 records/s; a subtask may take 45/s.
        let shares = [0.4, 0.2, 0.2, 0.2];
        let splits = SourceSplits {
            topic: "a",
            partition_shares: &shares,
        };
        // Even spread: ⌈100 / 45⌉ = 3 readers. With 3, partition 0 goes to
        // 3007 mod 3 = 1 and partition 3 wraps back to 1: 60/s, over 45.
        // With 4, each reader owns one partition: the busiest takes 40/s.
        let (lower_bound, p, busiest) = fit_source(100.0, 45.0, &splits);
        assert_eq!(lower_bound, 3);
        assert_eq!(p, Ok(4));
        assert_eq!(busiest, 0.4);
        // Under 40/s a subtask cannot read the hottest partition at all.
        let (_, p, _) = fit_source(100.0, 30.0, &splits);
        assert_eq!(
            p,
            Err(Infeasible::PartitionTooHot {
                partition_share: 0.4
            })
        );
    }
}
