package capacity.bench;

import java.time.Duration;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.utils.ParameterTool;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.time.Time;

/**
 * The keyed windowed aggregation of the pipeline under one partitioning strategy:
 *
 * <pre>
 *   source (open loop) -> watermarks -> keyBy(strategy key) -> window-aggregate (tumbling,
 *   event time, count/sum/max, service time per record) [-> keyBy(customer) -> merge] -> sink
 * </pre>
 *
 * The strategy keys are the pipeline's own encodings, so Flink's key-group assignment routes
 * them as the capacity model does: {@code customer} keys by a {@code Long}, {@code composite}
 * by {@code Tuple2<Long, String>(customer, event type)}, {@code sticky} by
 * {@code Tuple2<Long, Integer>(customer, sub-key)} with a merge stage per customer.
 *
 * <p>Arguments: {@code --strategy customer|composite|sticky --rate EVENTS_PER_S
 * --duration-s S --backend heap|rocksdb --service-us US --keyed-parallelism P
 * --max-parallelism M --source-parallelism N --merge-parallelism N --checkpoint-ms MS
 * [--checkpoint-dir URI]}.
 */
public final class CapacityJob {
    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        Plan plan = Plan.fromResource();
        String strategy = params.getRequired("strategy");
        double rate = params.getDouble("rate");
        long durationMs = (long) (params.getDouble("duration-s", 0) * 1000);
        String backend = params.get("backend", "heap");
        double serviceUs = params.getDouble("service-us", plan.doubleParam("service_time_us"));
        int keyedParallelism = params.getInt("keyed-parallelism", (int) plan.longParam("keyed_parallelism"));
        int maxParallelism = params.getInt("max-parallelism", (int) plan.longParam("max_parallelism"));
        int sourceParallelism = params.getInt("source-parallelism", 1);
        int mergeParallelism = params.getInt("merge-parallelism", 1);
        long checkpointMs = params.getLong("checkpoint-ms", 10_000);
        long windowMs = plan.longParam("window_ms");
        long outOfOrdernessMs = plan.longParam("out_of_orderness_ms");
        long latenessMs = plan.longParam("allowed_lateness_ms");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.getConfig().setAutoWatermarkInterval(plan.longParam("watermark_interval_ms"));
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }
        switch (backend) {
            case "heap":
                env.setStateBackend(new HashMapStateBackend());
                break;
            case "rocksdb":
                env.setStateBackend(new EmbeddedRocksDBStateBackend(false));
                break;
            default:
                throw new IllegalArgumentException("--backend must be heap or rocksdb, not " + backend);
        }
        if (params.has("checkpoint-dir")) {
            env.getCheckpointConfig().setCheckpointStorage(params.get("checkpoint-dir"));
        }

        DataStream<Event> events = env
                .addSource(new OpenLoopSource(plan, rate, durationMs), "source", TypeInformation.of(Event.class))
                .setParallelism(sourceParallelism)
                .assignTimestampsAndWatermarks(WatermarkStrategy
                        .<Event>forBoundedOutOfOrderness(Duration.ofMillis(outOfOrdernessMs))
                        .withTimestampAssigner((e, ts) -> e.eventTimeMs))
                .setParallelism(sourceParallelism)
                .name("watermarks");

        WindowAggregate aggregate = new WindowAggregate(
                Math.round(serviceUs * 1000), plan.longParam("sleep_threshold_us") * 1000);
        TumblingEventTimeWindows windows = TumblingEventTimeWindows.of(Time.milliseconds(windowMs));
        SingleOutputStreamOperator<Partial> partials;
        boolean merges;
        switch (strategy) {
            case "customer": {
                KeyedStream<Event, Long> keyed = events.keyBy(
                        (KeySelector<Event, Long>) e -> e.customerId, Types.LONG);
                partials = keyed.window(windows).allowedLateness(Time.milliseconds(latenessMs))
                        .aggregate(aggregate, new EmitPartial<Long>(),
                                TypeInformation.of(long[].class), TypeInformation.of(long[].class),
                                TypeInformation.of(Partial.class));
                merges = false;
                break;
            }
            case "composite": {
                KeyedStream<Event, Tuple2<Long, String>> keyed = events.keyBy(
                        (KeySelector<Event, Tuple2<Long, String>>) e -> Tuple2.of(e.customerId, e.eventTypeName),
                        Types.TUPLE(Types.LONG, Types.STRING));
                partials = keyed.window(windows).allowedLateness(Time.milliseconds(latenessMs))
                        .aggregate(aggregate, new EmitPartial<Tuple2<Long, String>>(),
                                TypeInformation.of(long[].class), TypeInformation.of(long[].class),
                                TypeInformation.of(Partial.class));
                merges = true;
                break;
            }
            case "sticky": {
                KeyedStream<Event, Tuple2<Long, Integer>> keyed = events.keyBy(
                        (KeySelector<Event, Tuple2<Long, Integer>>) e -> Tuple2.of(e.customerId, e.subKey),
                        Types.TUPLE(Types.LONG, Types.INT));
                partials = keyed.window(windows).allowedLateness(Time.milliseconds(latenessMs))
                        .aggregate(aggregate, new EmitPartial<Tuple2<Long, Integer>>(),
                                TypeInformation.of(long[].class), TypeInformation.of(long[].class),
                                TypeInformation.of(Partial.class));
                merges = true;
                break;
            }
            default:
                throw new IllegalArgumentException("--strategy must be customer, composite or sticky, not " + strategy);
        }
        partials = partials
                .name("window-aggregate").uid("window-aggregate")
                .setParallelism(keyedParallelism).setMaxParallelism(maxParallelism);

        DataStream<Partial> results = partials;
        if (merges) {
            // The second phase: partial results of one customer's keys, summed per customer.
            results = partials
                    .keyBy((KeySelector<Partial, Long>) p -> p.customerId, Types.LONG)
                    .window(windows)
                    .reduce((a, b) -> {
                        Partial m = new Partial();
                        m.customerId = a.customerId;
                        m.windowEndMs = a.windowEndMs;
                        m.count = a.count + b.count;
                        m.sum = a.sum + b.sum;
                        m.max = Math.max(a.max, b.max);
                        return m;
                    })
                    .name("merge").uid("merge")
                    .setParallelism(mergeParallelism);
        }
        results.addSink(new LatencySink(outOfOrdernessMs)).name("sink").setParallelism(mergeParallelism);
        env.execute("capacity-bench " + strategy + " " + backend + " " + (long) rate + "/s");
    }

    private CapacityJob() {}
}
