//! The load driver alone: how fast the source can generate, key, route and
//! batch events when nothing consumes them, so the report can show the
//! driver is not the bottleneck of any measured run.

use std::time::Instant;

use crate::event::{EventGenerator, Record, Schedule};
use crate::partition::{AnyPartitioner, Partitioner, PartitionerSpec};

/// Events per second of the driver's per-event work, on one thread.
///
/// The loop does what [`crate::runtime`]'s source does per event (send
/// time, generation, key, route, event time, append to the subtask's
/// buffer); a full buffer is cleared instead of sent.
pub fn driver_max_rate(
    generator: &EventGenerator,
    partitioner: &PartitionerSpec,
    nominal_rate: f64,
    records_per_buffer: usize,
    duration_s: f64,
) -> (f64, u64) {
    let mut part = AnyPartitioner::new(partitioner);
    let schedule = Schedule::new(nominal_rate);
    let p = partitioner.parallelism as usize;
    let mut buffers: Vec<Vec<Record>> = (0..p)
        .map(|_| Vec::with_capacity(records_per_buffer))
        .collect();
    let mut max_event_time = i64::MIN;
    let mut offset = 0u64;
    let start = Instant::now();
    let mut shipped = 0u64;
    loop {
        for _ in 0..65_536 {
            let sched = schedule.sched_ns(offset);
            let ev = generator.event(offset);
            let key = part.key(ev.customer_id, ev.event_type);
            let to = part.route(key);
            let event_time_ms = generator.event_time_ms(sched, ev.delay_ms);
            max_event_time = max_event_time.max(event_time_ms);
            let buf = &mut buffers[to];
            buf.push(Record {
                customer_id: key.customer_id,
                event_time_ms,
                sched_ns: sched,
                offset,
                sub: key.sub,
                value: ev.value,
            });
            if buf.len() >= records_per_buffer {
                shipped += buf.len() as u64;
                buf.clear();
            }
            offset += 1;
        }
        if start.elapsed().as_secs_f64() >= duration_s {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    // Keep the results observable so the loop cannot be optimised away.
    let checksum =
        shipped ^ max_event_time as u64 ^ buffers.iter().map(|b| b.len() as u64).sum::<u64>();
    (offset as f64 / secs, checksum)
}
