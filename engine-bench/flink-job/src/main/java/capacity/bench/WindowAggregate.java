package capacity.bench;

import java.util.concurrent.locks.LockSupport;

import org.apache.flink.api.common.functions.AggregateFunction;

/**
 * Count, sum and max of one key's events in a window, paying a fixed service time per record.
 *
 * <p>The service time stands for the production operator's per-record cost (the pooled
 * busy time per record of the production metrics), so a few subtasks on a small machine
 * saturate at the rate a production subtask would. It is paid as a sleep, not a busy-wait,
 * so many subtasks share two cores: Flink still counts the sleep as busy time because it
 * happens inside the operator. Sleeping once per record would cost the sleep's own
 * granularity (about 50 µs on Linux), so the owed time accumulates and is slept off once it
 * reaches a threshold; the time actually slept is measured and the difference carried over,
 * so over many records the paid time equals the owed time.
 */
public class WindowAggregate implements AggregateFunction<Event, long[], long[]> {
    private static final long serialVersionUID = 1L;

    private final long serviceNanos;
    private final long sleepThresholdNanos;
    /** Owed service time: one operator instance per subtask, so one debt per subtask thread. */
    private transient long debtNanos;

    public WindowAggregate(long serviceNanos, long sleepThresholdNanos) {
        this.serviceNanos = serviceNanos;
        this.sleepThresholdNanos = sleepThresholdNanos;
    }

    @Override
    public long[] createAccumulator() {
        // customer, count, sum, max
        return new long[4];
    }

    @Override
    public long[] add(Event e, long[] acc) {
        acc[0] = e.customerId;
        acc[1] += 1;
        acc[2] += e.value;
        acc[3] = Math.max(acc[3], e.value);
        pay();
        return acc;
    }

    private void pay() {
        if (serviceNanos <= 0) {
            return;
        }
        debtNanos += serviceNanos;
        if (debtNanos >= sleepThresholdNanos) {
            long start = System.nanoTime();
            LockSupport.parkNanos(debtNanos);
            debtNanos -= System.nanoTime() - start;
        }
    }

    @Override
    public long[] getResult(long[] acc) {
        return acc;
    }

    @Override
    public long[] merge(long[] a, long[] b) {
        return new long[] {a[0] != 0 ? a[0] : b[0], a[1] + b[1], a[2] + b[2], Math.max(a[3], b[3])};
    }
}
