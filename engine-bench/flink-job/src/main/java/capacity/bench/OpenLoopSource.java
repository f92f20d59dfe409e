package capacity.bench;

import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;

/**
 * An open-loop source: subtask i of n sends its share rate/n of events on a fixed schedule,
 * event k at {@code start + k / (rate/n)}, whatever the job downstream does. When the job
 * backpressures, {@code collect} blocks, the schedule runs ahead of what was sent, and the
 * gap (the source lag, in ms and in records) grows: the measure of an unsustainable rate.
 * Nothing is dropped, so no coordinated omission hides the backlog.
 *
 * <p>Each event's event time is its intended send time (wall clock) minus a disorder: uniform
 * within the watermark's out-of-orderness for most events, beyond it for a late fraction.
 * Customers are drawn from the plan's shares; a split customer's sub-key moves round-robin
 * every {@code sticky_batch_records} of its events, as a sticky producer would.
 */
public class OpenLoopSource extends RichParallelSourceFunction<Event> {
    private static final long serialVersionUID = 1L;

    /** Events sent per lock acquisition at most, so checkpoints are not starved. */
    private static final int MAX_BURST = 512;

    private final Plan plan;
    private final double rate;
    private final long durationMs;

    private volatile boolean running = true;
    private volatile long lagMs;
    private volatile long lagRecords;

    public OpenLoopSource(Plan plan, double rate, long durationMs) {
        this.plan = plan;
        this.rate = rate;
        this.durationMs = durationMs;
    }

    @Override
    public void open(Configuration parameters) {
        getRuntimeContext().getMetricGroup().gauge("lagMs", (Gauge<Long>) () -> lagMs);
        getRuntimeContext().getMetricGroup().gauge("lagRecords", (Gauge<Long>) () -> lagRecords);
    }

    @Override
    public void run(SourceContext<Event> ctx) {
        int subtask = getRuntimeContext().getIndexOfThisSubtask();
        int subtasks = getRuntimeContext().getNumberOfParallelSubtasks();
        double subtaskRate = rate / subtasks;
        SplittableRandom random = new SplittableRandom(plan.longParam("seed") * 1_000_003L + subtask);
        AliasSampler customers = new AliasSampler(plan.customerShares);
        AliasSampler types = new AliasSampler(plan.eventTypeShares);
        int n = plan.customers.size();
        long[] ids = new long[n];
        int[] subKeys = new int[n];
        int[] currentSub = new int[n];
        int[] remaining = new int[n];
        int batch = (int) plan.longParam("sticky_batch_records");
        for (int i = 0; i < n; i++) {
            ids[i] = plan.customers.get(i);
            subKeys[i] = plan.customerSubKeys.get(i);
            remaining[i] = batch;
        }
        String[] typeNames = plan.eventTypes.toArray(new String[0]);
        long outOfOrderness = plan.longParam("out_of_orderness_ms");
        double lateFraction = plan.doubleParam("late_fraction");
        long lateExtra = plan.longParam("late_extra_ms");
        long valueMax = plan.longParam("value_max");

        long startNanos = System.nanoTime();
        long startWallMs = System.currentTimeMillis();
        double nanosPerEvent = 1e9 / subtaskRate;
        long sent = 0;
        while (running) {
            long elapsed = System.nanoTime() - startNanos;
            if (durationMs > 0 && elapsed >= durationMs * 1_000_000L) {
                break;
            }
            long due = (long) (elapsed / nanosPerEvent) + 1;
            long behind = due - sent;
            lagRecords = behind;
            lagMs = Math.max(0, (long) ((elapsed - sent * nanosPerEvent) / 1e6));
            if (behind <= 0) {
                LockSupport.parkNanos(Math.min((long) (sent * nanosPerEvent) - elapsed, 1_000_000L));
                continue;
            }
            int burst = (int) Math.min(behind, MAX_BURST);
            synchronized (ctx.getCheckpointLock()) {
                for (int b = 0; b < burst; b++) {
                    int c = customers.sample(random);
                    int t = types.sample(random);
                    Event e = new Event();
                    e.customerId = ids[c];
                    e.eventType = t;
                    e.eventTypeName = typeNames[t];
                    if (subKeys[c] > 1) {
                        e.subKey = currentSub[c];
                        if (--remaining[c] == 0) {
                            remaining[c] = batch;
                            currentSub[c] = (currentSub[c] + 1) % subKeys[c];
                        }
                    }
                    long intendedMs = startWallMs + (long) (sent * nanosPerEvent / 1e6);
                    long disorder = random.nextDouble() < lateFraction
                            ? outOfOrderness + 1 + (long) (random.nextDouble() * lateExtra)
                            : (long) (random.nextDouble() * outOfOrderness);
                    e.eventTimeMs = intendedMs - disorder;
                    e.value = 1 + random.nextLong(valueMax);
                    ctx.collect(e);
                    sent++;
                }
            }
        }
    }

    @Override
    public void cancel() {
        running = false;
    }
}
