//! TaskManagers from a TaskManager shape (vCPUs, memory, slots in `data/`):
//! enough slots for the widest vertex, enough vCPUs for every subtask's busy
//! time, enough memory for the framework, the network buffers and the window
//! state, and never fewer than run today. Slots are a scheduling unit, not a
//! core: with slot sharing one slot runs a subtask of every vertex, so the
//! vCPUs a job burns are the sum over its vertices, not its widest one.

use serde::Serialize;

use super::bound::{self, Binding, Next};
use super::ceil_u32;
use crate::inputs::assumptions::FlinkAssumptions;

pub const BYTES_PER_GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// What sets the TaskManager count: the largest of the four bounds. Declared
/// in the order a tie is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The plan keeps what runs today (a smaller cluster is a saving of its own).
    Today,
    /// Slots for the widest vertex.
    Slots,
    /// vCPUs for the busy time of every subtask.
    Cpu,
    /// Memory for the network buffers and the window state.
    Memory,
}

impl Bound {
    pub fn name(self) -> &'static str {
        match self {
            Bound::Today => "today's count",
            Bound::Slots => "slots",
            Bound::Cpu => "CPU",
            Bound::Memory => "memory",
        }
    }

    /// What would relieve the bound.
    pub fn lever(self) -> &'static str {
        match self {
            Bound::Today => "removing TaskManagers (the job restarts on fewer)",
            Bound::Slots => "more slots per TaskManager, where CPU and memory allow",
            Bound::Cpu => "a cheaper per-record cost or TaskManagers with more vCPUs",
            Bound::Memory => "less window state per key or TaskManagers with more memory",
        }
    }
}

/// One TaskManager as the plan runs it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shape {
    pub vcpu: f64,
    pub memory_gib: f64,
    pub slots: u32,
    /// vCPUs the framework takes besides the task threads.
    pub framework_vcpu: f64,
    /// GiB neither state nor network buffers may use: framework, JVM, the OS.
    pub overhead_gib: f64,
    pub task_heap_gib_per_slot: f64,
}

impl Shape {
    pub fn from_assumptions(a: &FlinkAssumptions) -> Shape {
        Shape {
            vcpu: a.task_manager_vcpu.value,
            memory_gib: a.task_manager_memory_gib.value,
            slots: a.task_manager_slots.value as u32,
            framework_vcpu: a.framework_vcpu_per_task_manager.value,
            overhead_gib: a.task_manager_overhead_gib.value,
            task_heap_gib_per_slot: a.task_heap_gib_per_slot.value,
        }
    }

    /// vCPUs the task threads may keep busy at peak: what the framework
    /// leaves, at the target utilization.
    pub fn task_vcpu(&self, target_utilization: f64) -> f64 {
        target_utilization * (self.vcpu - self.framework_vcpu)
    }

    /// GiB left for network buffers and RocksDB's managed memory.
    pub fn free_gib(&self) -> f64 {
        self.memory_gib - self.overhead_gib - f64::from(self.slots) * self.task_heap_gib_per_slot
    }
}

/// One job vertex at the month's peak, as the TaskManager count reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VertexLoad {
    pub parallelism: u32,
    pub keyed: bool,
    pub records_in_per_s: f64,
    /// Records one subtask processes per busy second: one busy task thread
    /// is one busy vCPU.
    pub capacity_per_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskManagerFleet {
    pub by_slots: u32,
    pub by_cpu: u32,
    pub by_memory: u32,
    pub today: u32,
    pub task_managers: u32,
    pub binding: Bound,
    /// The largest of the other bounds: the count were `binding` relieved.
    pub next: Option<Next<Bound>>,
    /// The widest vertex's parallelism: the slots the job takes.
    pub slots: u32,
    /// The lever when slots bind: TaskManagers set by the other bounds, and
    /// the slots per TaskManager that would carry the job on them.
    pub without_slot_bound: u32,
    pub without_slot_binding: Bound,
    pub slots_per_task_manager_then: u32,
    /// Σ over vertices of records in ÷ true rate: vCPUs busy at peak.
    pub busy_vcpu: f64,
    /// Busy vCPUs over the fleet's vCPUs at the chosen count.
    pub cpu_utilization: f64,
    /// Network buffers every gate and result partition requires.
    pub network_buffers: f64,
    pub network_gib: f64,
    /// RocksDB managed memory for the window state: block cache for the
    /// state and write buffers beside it.
    pub state_memory_gib: f64,
    /// Memory one TaskManager needs at the chosen count, of its `memory_gib`.
    pub memory_per_task_manager_gib: f64,
}

/// Buffers the job's network stack requires at these parallelisms. Each
/// vertex reads the one before it: all-to-all when keyed or when the
/// parallelisms differ (rebalance), one channel when forwarded. A subtask's
/// input gate takes `exclusive` buffers per channel plus `floating`; a
/// result partition at least one buffer per subpartition plus one.
pub fn network_buffers(vertices: &[VertexLoad], exclusive: f64, floating: f64) -> f64 {
    vertices
        .windows(2)
        .map(|pair| {
            let (up, down) = (
                f64::from(pair[0].parallelism),
                f64::from(pair[1].parallelism),
            );
            let all_to_all = pair[1].keyed || pair[0].parallelism != pair[1].parallelism;
            let (channels_per_gate, subpartitions) =
                if all_to_all { (up, down) } else { (1.0, 1.0) };
            down * (channels_per_gate * exclusive + floating) + up * (subpartitions + 1.0)
        })
        .sum()
}

impl TaskManagerFleet {
    /// What the plan's rules give without today's floor.
    pub fn by_rules(&self) -> u32 {
        self.by_slots.max(self.by_cpu).max(self.by_memory)
    }
}

/// The TaskManagers a month needs on `shape`.
pub fn size(
    vertices: &[VertexLoad],
    state_bytes: f64,
    today: u32,
    shape: &Shape,
    a: &FlinkAssumptions,
) -> TaskManagerFleet {
    let widest = vertices.iter().map(|v| v.parallelism).max().unwrap_or(1);
    let by_slots = widest.div_ceil(shape.slots);
    let busy_vcpu: f64 = vertices
        .iter()
        .map(|v| v.records_in_per_s / v.capacity_per_s)
        .sum();
    let by_cpu = ceil_u32(busy_vcpu / shape.task_vcpu(a.target_utilization.value));
    let network_buffers = network_buffers(
        vertices,
        a.exclusive_buffers_per_channel.value,
        a.floating_buffers_per_gate.value,
    );
    let network_gib = network_buffers * a.network_buffer_kib.value * 1024.0 / BYTES_PER_GIB;
    // The window state is read and written by every record: it must stay in
    // the block cache, beside write buffers taking their ratio of managed memory.
    let state_memory_gib = state_bytes / BYTES_PER_GIB / (1.0 - a.rocksdb_write_buffer_ratio.value);
    let by_memory = ceil_u32((network_gib + state_memory_gib) / shape.free_gib());
    // The largest bound sets the count; on a tie, the first named.
    let Binding {
        bound: binding,
        count: task_managers,
        next,
    } = bound::binding(&[
        (Bound::Today, today),
        (Bound::Slots, by_slots),
        (Bound::Cpu, by_cpu),
        (Bound::Memory, by_memory),
    ]);
    let Binding {
        bound: without_slot_binding,
        count: without_slot_bound,
        ..
    } = bound::binding(&[
        (Bound::Today, today),
        (Bound::Cpu, by_cpu),
        (Bound::Memory, by_memory),
    ]);
    let n = f64::from(task_managers);
    TaskManagerFleet {
        slots: widest,
        without_slot_bound,
        without_slot_binding,
        slots_per_task_manager_then: widest.div_ceil(without_slot_bound),
        by_slots,
        by_cpu,
        by_memory,
        today,
        task_managers,
        binding,
        next,
        busy_vcpu,
        cpu_utilization: busy_vcpu / (n * shape.vcpu),
        network_buffers,
        network_gib,
        state_memory_gib,
        memory_per_task_manager_gib: shape.overhead_gib
            + f64::from(shape.slots) * shape.task_heap_gib_per_slot
            + (network_gib + state_memory_gib) / n,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::inputs::assumptions;

    fn committed() -> FlinkAssumptions {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/assumptions.toml");
        let a = assumptions::load(&path).unwrap().flink;
        // The figures the worked examples below are computed with.
        assert_eq!(
            (a.target_utilization.value, a.task_manager_vcpu.value),
            (0.7, 4.0)
        );
        assert_eq!(
            (
                a.framework_vcpu_per_task_manager.value,
                a.task_manager_slots.value
            ),
            (0.25, 4.0)
        );
        assert_eq!(
            (
                a.task_manager_memory_gib.value,
                a.task_manager_overhead_gib.value,
                a.task_heap_gib_per_slot.value
            ),
            (16.0, 2.0, 0.5)
        );
        assert_eq!(
            (
                a.exclusive_buffers_per_channel.value,
                a.floating_buffers_per_gate.value,
                a.network_buffer_kib.value,
                a.rocksdb_write_buffer_ratio.value
            ),
            (2.0, 8.0, 32.0, 0.5)
        );
        a
    }

    fn job() -> Vec<VertexLoad> {
        let v = |parallelism, keyed, records_in_per_s, capacity_per_s| VertexLoad {
            parallelism,
            keyed,
            records_in_per_s,
            capacity_per_s,
        };
        vec![
            v(10, false, 50_000.0, 10_000.0),
            v(20, true, 49_000.0, 7_000.0),
            v(2, false, 1_000.0, 20_000.0),
        ]
    }

    #[test]
    fn the_largest_of_slots_cpu_memory_and_today_sets_the_count() {
        let a = committed();
        let shape = Shape::from_assumptions(&a);
        let fleet = size(&job(), 10.0 * BYTES_PER_GIB, 3, &shape, &a);
        // Busy vCPUs: 50,000/10,000 + 49,000/7,000 + 1,000/20,000 = 12.05;
        // per TaskManager 0.7 × (4 − 0.25) = 2.625: 12.05 / 2.625 = 4.59 → 5.
        assert!((fleet.busy_vcpu - 12.05).abs() < 1e-9);
        assert_eq!(fleet.by_cpu, 5);
        // Slots: the widest vertex, 20 / 4 = 5.
        assert_eq!(fleet.by_slots, 5);
        // Buffers: source → keyed, all-to-all: 20 gates × (10 × 2 + 8) + 10
        // partitions × (20 + 1) = 770; keyed → sink, 20 to 2: 2 × (20 × 2 + 8)
        // + 20 × (2 + 1) = 156; 926 × 32 KiB. State: 10 GiB ÷ (1 − 0.5) = 20
        // GiB. Free per TaskManager: 16 − 2 − 4 × 0.5 = 12 GiB.
        assert_eq!(fleet.network_buffers, 926.0);
        let network_gib = 926.0 * 32.0 / (1024.0 * 1024.0);
        assert!((fleet.network_gib - network_gib).abs() < 1e-12);
        assert_eq!(fleet.state_memory_gib, 20.0);
        assert_eq!(fleet.by_memory, 2); // (20.028 / 12) = 1.67 → 2
        // Slots and CPU tie at 5: slots are named, today's 3 is below.
        assert_eq!((fleet.task_managers, fleet.binding), (5, Bound::Slots));
        assert!((fleet.cpu_utilization - 12.05 / 20.0).abs() < 1e-12);
        assert_eq!(fleet.without_slot_bound, 5);

        // 100 GiB of state: 200 GiB of managed memory, (200.028 / 12) → 17.
        let fleet = size(&job(), 100.0 * BYTES_PER_GIB, 3, &shape, &a);
        assert_eq!((fleet.task_managers, fleet.binding), (17, Bound::Memory));
        // Today's 30 stays.
        let fleet = size(&job(), 0.0, 30, &shape, &a);
        assert_eq!((fleet.task_managers, fleet.binding), (30, Bound::Today));
    }

    #[test]
    fn slots_bind_when_the_widest_vertex_idles_and_the_lever_says_by_how_much() {
        let a = committed();
        let shape = Shape::from_assumptions(&a);
        // A keyed vertex of 64 mostly idle subtasks: 64 / 4 = 16 TaskManagers
        // for 7,000/7,000 + 1 = 2 busy vCPUs (1 TaskManager by CPU); today 2.
        let mut job = job();
        job[0] = VertexLoad {
            records_in_per_s: 10_000.0,
            ..job[0]
        };
        job[1] = VertexLoad {
            parallelism: 64,
            records_in_per_s: 7_000.0,
            ..job[1]
        };
        job[2].records_in_per_s = 0.0;
        let fleet = size(&job, 0.0, 2, &shape, &a);
        assert_eq!((fleet.task_managers, fleet.binding), (16, Bound::Slots));
        assert_eq!(fleet.by_cpu, 1);
        // Without the slot bound today's 2 remain, at 64 / 2 = 32 slots each.
        assert_eq!(fleet.without_slot_bound, 2);
        assert_eq!(fleet.slots_per_task_manager_then, 32);
    }

    #[test]
    fn a_forwarded_edge_has_one_channel_per_gate() {
        let v = |parallelism, keyed| VertexLoad {
            parallelism,
            keyed,
            records_in_per_s: 1.0,
            capacity_per_s: 1.0,
        };
        // 4 → 4 forwarded: 4 × (1 × 2 + 8) + 4 × (1 + 1) = 48.
        assert_eq!(network_buffers(&[v(4, false), v(4, false)], 2.0, 8.0), 48.0);
        // 4 → 4 keyed is all-to-all: 4 × (4 × 2 + 8) + 4 × (4 + 1) = 84.
        assert_eq!(network_buffers(&[v(4, false), v(4, true)], 2.0, 8.0), 84.0);
    }
}
