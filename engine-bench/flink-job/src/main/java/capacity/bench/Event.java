package capacity.bench;

/**
 * One event as the keyed operator sees it. A POJO (public fields, no-argument constructor) so
 * Flink serializes it with its own POJO serializer, not Kryo.
 */
public class Event {
    public long customerId;
    /** Index into the plan's event types. */
    public int eventType;
    /** The event type's name: the second field of the composite key. */
    public String eventTypeName;
    /** Sticky sub-key of a split customer (0 for every other customer). */
    public int subKey;
    /** Event time, ms since the epoch: the intended send time minus the event's disorder. */
    public long eventTimeMs;
    public long value;

    public Event() {}
}
