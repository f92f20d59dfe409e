package capacity.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark plan that {@code specgen flink-plan} derives from data/: the key distribution
 * (customers with their shares and sub-key counts), the event types, the window and
 * watermark settings. The job never reads data/ itself; the plan travels inside the job jar
 * as the resource {@code /capacity-plan.tsv}, so a remote cluster runs exactly what was planned.
 *
 * <p>Format: one record per line, tab-separated; {@code #} starts a comment.
 * {@code param NAME VALUE}, {@code event_type NAME SHARE}, {@code customer ID SHARE SUB_KEYS}.
 */
public final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;

    public final Map<String, String> params = new HashMap<>();
    public final List<String> eventTypes = new ArrayList<>();
    public final List<Double> eventTypeShares = new ArrayList<>();
    public final List<Long> customers = new ArrayList<>();
    public final List<Double> customerShares = new ArrayList<>();
    public final List<Integer> customerSubKeys = new ArrayList<>();

    public static final String RESOURCE = "/capacity-plan.tsv";

    public static Plan fromResource() throws IOException {
        try (InputStream in = Plan.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("the job jar carries no " + RESOURCE + ": build it with the harness");
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        }
    }

    static Plan parse(BufferedReader reader) throws IOException {
        Plan plan = new Plan();
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            try {
                switch (f[0]) {
                    case "param":
                        plan.params.put(f[1], f[2]);
                        break;
                    case "event_type":
                        plan.eventTypes.add(f[1]);
                        plan.eventTypeShares.add(Double.parseDouble(f[2]));
                        break;
                    case "customer":
                        plan.customers.add(Long.parseLong(f[1]));
                        plan.customerShares.add(Double.parseDouble(f[2]));
                        plan.customerSubKeys.add(Integer.parseInt(f[3]));
                        break;
                    default:
                        throw new IOException("unknown record `" + f[0] + "`");
                }
            } catch (RuntimeException e) {
                throw new IOException("capacity plan line " + lineNo + ": " + e, e);
            }
        }
        if (plan.customers.isEmpty() || plan.eventTypes.isEmpty()) {
            throw new IOException("capacity plan has no customers or no event types");
        }
        return plan;
    }

    public long longParam(String name) {
        return Long.parseLong(param(name));
    }

    public double doubleParam(String name) {
        return Double.parseDouble(param(name));
    }

    private String param(String name) {
        String v = params.get(name);
        if (v == null) {
            throw new IllegalArgumentException("capacity plan lacks param `" + name + "`");
        }
        return v;
    }
}
