package capacity.bench;

/** A window's count, sum and max for one key, or (after the merge stage) for one customer. */
public class Partial {
    public long customerId;
    /** The window's end (exclusive), event time in ms. */
    public long windowEndMs;
    public long count;
    public long sum;
    public long max;

    public Partial() {}
}
