package capacity.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Discards the per-customer window results, timing each from its intended time: the window
 * of end E can fire once an event of event time E + out-of-orderness was due, and that event
 * was due at wall time E + out-of-orderness (event time is the intended send time minus the
 * disorder). So a result's latency is {@code now - (E + outOfOrderness)}: the processing
 * delay behind the open-loop schedule, no coordinated omission.
 *
 * <p>The gauge {@code windowLatencies} reports the last windows as
 * {@code end:results:p50:p99:max;...} (ms), for the harness to read over the REST API.
 */
public class LatencySink extends RichSinkFunction<Partial> {
    private static final long serialVersionUID = 1L;
    private static final int WINDOWS_KEPT = 8;

    private final long outOfOrdernessMs;
    private transient TreeMap<Long, List<Long>> latencies;

    public LatencySink(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    @Override
    public void open(Configuration parameters) {
        latencies = new TreeMap<>();
        getRuntimeContext().getMetricGroup().gauge("windowLatencies", (Gauge<String>) this::summary);
    }

    @Override
    public void invoke(Partial p, Context ctx) {
        long latency = System.currentTimeMillis() - (p.windowEndMs + outOfOrdernessMs);
        synchronized (this) {
            latencies.computeIfAbsent(p.windowEndMs, k -> new ArrayList<>()).add(latency);
            while (latencies.size() > WINDOWS_KEPT) {
                latencies.pollFirstEntry();
            }
        }
    }

    private synchronized String summary() {
        StringBuilder s = new StringBuilder();
        for (var entry : latencies.entrySet()) {
            long[] v = entry.getValue().stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(v);
            s.append(entry.getKey()).append(':').append(v.length).append(':')
                    .append(v[(int) ((v.length - 1) * 0.5)]).append(':')
                    .append(v[(int) ((v.length - 1) * 0.99)]).append(':')
                    .append(v[v.length - 1]).append(';');
        }
        return s.toString();
    }
}
