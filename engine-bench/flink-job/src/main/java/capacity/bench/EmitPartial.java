package capacity.bench;

import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/** Turns a window's accumulator into a {@link Partial} stamped with the window's end. */
public class EmitPartial<K> extends ProcessWindowFunction<long[], Partial, K, TimeWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public void process(K key, Context ctx, Iterable<long[]> accs, Collector<Partial> out) {
        for (long[] acc : accs) {
            Partial p = new Partial();
            p.customerId = acc[0];
            p.windowEndMs = ctx.window().getEnd();
            p.count = acc[1];
            p.sum = acc[2];
            p.max = acc[3];
            out.collect(p);
        }
    }
}
