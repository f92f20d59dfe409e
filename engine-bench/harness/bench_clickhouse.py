#!/usr/bin/env python3
"""`just bench-clickhouse`: the sink side on the real ClickHouse engine (chDB, in-process).

Two experiments on a MergeTree table shaped like the raw events table of
data/architecture.toml (its columns, sorting key and monthly partitions; the row size of the
keyed topic's average event):

1. Parts under insert load. For each insert batch size B, inserts of B rows are sent on an
   open-loop schedule at q inserts/s, and the table's active parts (system.parts) and the
   merges (system.merges, system.events) are sampled. A (B, q) point is merge-safe when the
   inserts keep their schedule and the active parts stay under the model's merge-safe limit
   without a rising trend. The highest merge-safe q per B is found by doubling then
   bisection, and the merge-safe rate in rows/s is fitted as
       R(B) = B / (t_part + t_row * B)
   (a fixed cost per part, insert and its later merges, plus a cost per row), i.e. a straight
   line 1/R = t_row + t_part / B fitted by least squares.
2. The idempotent sink. With `non_replicated_deduplication_window` set to the window the
   model's exactly-once plan configures, blocks are inserted with deterministic
   `insert_deduplication_token`s, then a restore's replay (the model's blocks-needed most
   recent blocks) is inserted again with the same tokens, and blocks older than the window
   are replayed too. Duplicated rows are counted each time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import environment  # noqa: E402

CHDB_VERSION = "4.4.0"

MODES = {
    "full": {"batch_sizes": [1000, 5000, 20000, 100000], "probe_s": 12.0, "refine_steps": 1, "max_probes": 7, "dedup_scale": 1.0},
    # The deduplication test at a tenth of the window and the replay (same ratio), so it
    # inserts hundreds of blocks, not thousands.
    "quick": {"batch_sizes": [2000, 20000], "probe_s": 4.0, "refine_steps": 0, "max_probes": 4, "dedup_scale": 0.1},
}


def ensure_chdb(target):
    """chDB from PyPI into a directory of its own (not the system's site-packages)."""
    marker = os.path.join(target, f".chdb-{CHDB_VERSION}")
    if not os.path.exists(marker):
        print(f"installing chdb=={CHDB_VERSION} from PyPI ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", target, f"chdb=={CHDB_VERSION}"],
            check=True,
        )
        open(marker, "w").close()
    sys.path.insert(0, target)


class Engine:
    def __init__(self, path):
        from chdb import session

        shutil.rmtree(path, ignore_errors=True)
        self.s = session.Session(path)
        self.s.query("CREATE DATABASE IF NOT EXISTS bench")

    def rows(self, sql):
        out = self.s.query(sql, "JSONCompact")
        return json.loads(out.bytes() if hasattr(out, "bytes") else str(out))["data"] if str(out).strip() else []

    def one(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def run(self, sql):
        self.s.query(sql)

    def events(self, names):
        q = ",".join(f"'{n}'" for n in names)
        got = {n: float(v) for n, v in self.rows(f"SELECT event, value FROM system.events WHERE event IN ({q})")}
        return {n: got.get(n, 0.0) for n in names}

    def close(self):
        self.s.close()


def create_table(engine, table, extra_settings=""):
    # The raw table's shape: one row per event, sorted by customer and time, monthly partitions.
    engine.run(f"DROP TABLE IF EXISTS bench.{table} SYNC")
    engine.run(
        f"""CREATE TABLE bench.{table} (
            ts DateTime64(3), customer_id Int64, event_type LowCardinality(String),
            value UInt32, payload String)
        ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (customer_id, ts)
        SETTINGS old_parts_lifetime = 10{extra_settings}"""
    )


def insert_sql(table, rows, payload_bytes, seed, token=None):
    # Payload: a random head and a repetitive tail, so it compresses about as JSON does.
    head = max(1, payload_bytes // 8)
    settings = f" SETTINGS insert_deduplication_token = '{token}'" if token else ""
    return (
        f"INSERT INTO bench.{table}{settings} SELECT now64(3), {seed} * 7919 + number % 4000, "
        f"['page_view','click','add_to_cart','search','purchase','error'][1 + number % 6], "
        f"number % 1000, concat(randomPrintableASCII({head}), repeat('\"k\":1,', {max(0, (payload_bytes - head) // 6)})) "
        f"FROM numbers({rows})"
    )


MERGE_EVENTS = ("Merge", "MergedRows", "MergeTotalMilliseconds", "InsertedRows")


def parts_probe(engine, batch, rate, seconds, payload_bytes, max_parts):
    """Inserts of `batch` rows at `rate` inserts/s for `seconds`; samples the active parts."""
    table = "raw_parts"
    create_table(engine, table)
    ev0 = engine.events(MERGE_EVENTS)
    start = time.monotonic()
    sent = 0
    samples = []
    insert_s = []
    next_sample = 0.0
    while True:
        now = time.monotonic() - start
        if now >= seconds:
            break
        if now >= next_sample:
            parts = engine.one(
                f"SELECT count() FROM system.parts WHERE database = 'bench' AND table = '{table}' AND active"
            )
            merges = engine.one(f"SELECT count() FROM system.merges WHERE database = 'bench' AND table = '{table}'")
            samples.append((now, int(parts or 0), int(merges or 0)))
            next_sample = now + 0.25
        due = int(now * rate) + 1
        if sent < due:
            t0 = time.monotonic()
            engine.run(insert_sql(table, batch, payload_bytes, sent))
            insert_s.append(time.monotonic() - t0)
            sent += 1
        else:
            time.sleep(min(0.01, (sent / rate) - now if rate > 0 else 0.01))
    elapsed = time.monotonic() - start
    ev1 = engine.events(MERGE_EVENTS)
    parts = [p for _, p, _ in samples]
    final = parts[-1] if parts else 0
    achieved = sent / elapsed
    # Merge-safe: every insert due was sent (the one in flight aside), the active parts never
    # passed the limit, and they did not drift up: the last third's mean is within 10 parts
    # (or 25%) of the first third's. A slope over a few seconds would read the saw-tooth of
    # parts being created and merged as growth.
    kept_schedule = sent >= int(seconds * rate)
    third = max(1, len(parts) // 3)
    first, last = statistics.fmean(parts[:third] or [0]), statistics.fmean(parts[-third:] or [0])
    drift = last - first
    safe = kept_schedule and max(parts, default=0) <= max_parts and drift <= max(10.0, 0.25 * first)
    merged_rows = ev1["MergedRows"] - ev0["MergedRows"]
    point = {
        "batch_rows": batch,
        "offered_inserts_per_s": round(rate, 3),
        "achieved_inserts_per_s": round(achieved, 3),
        "rows_per_s": round(achieved * batch, 1),
        "merge_safe": safe,
        "max_active_parts": max(parts, default=0),
        "final_active_parts": final,
        "parts_drift": round(drift, 2),
        "kept_schedule": kept_schedule,
        "mean_merges_running": round(statistics.fmean(m for _, _, m in samples), 3) if samples else 0.0,
        "merges_finished": ev1["Merge"] - ev0["Merge"],
        "merged_rows_per_s": round(merged_rows / elapsed, 1),
        "insert_p50_ms": round(1000 * statistics.median(insert_s), 2) if insert_s else None,
        "insert_max_ms": round(1000 * max(insert_s), 2) if insert_s else None,
    }
    print(
        f"  B={batch:>6} q={rate:7.2f}/s  {'safe' if safe else 'NOT safe':<8} achieved {achieved:7.2f}/s,"
        f" parts max {point['max_active_parts']:>4} final {final:>4} drift {drift:+.1f},"
        f" merged {point['merged_rows_per_s']:>10.0f} rows/s, insert p50 {point['insert_p50_ms']} ms",
        flush=True,
    )
    engine.run(f"DROP TABLE IF EXISTS bench.{table} SYNC")
    return point


def sweep_batch(engine, batch, mode, payload_bytes, max_parts):
    """Highest merge-safe inserts/s for one batch size: double until unsafe, then bisect."""
    probes = []
    lo, hi = 0.0, None
    rate = max(0.25, 4000.0 / batch)
    while hi is None and len(probes) < mode["max_probes"]:
        p = parts_probe(engine, batch, rate, mode["probe_s"], payload_bytes, max_parts)
        probes.append(p)
        if p["merge_safe"]:
            lo = rate
            rate *= 2
        else:
            hi = rate
    for _ in range(mode["refine_steps"] if hi else 0):
        mid = (lo + hi) / 2
        p = parts_probe(engine, batch, mid, mode["probe_s"], payload_bytes, max_parts)
        probes.append(p)
        if p["merge_safe"]:
            lo = mid
        else:
            hi = mid
    return {
        "batch_rows": batch,
        "merge_safe_inserts_per_s": round(lo, 3),
        "merge_safe_rows_per_s": round(lo * batch, 1),
        # No unsafe point found: the rate is a lower bound.
        "limit_observed": hi is not None,
        "probes": probes,
    }


def fit(batches):
    """Least squares of 1/R = t_row + t_part / B over the batch sizes with a limit observed."""
    pts = [(1.0 / b["batch_rows"], 1.0 / b["merge_safe_rows_per_s"]) for b in batches if b["merge_safe_rows_per_s"] > 0]
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    t_part = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else 0.0
    t_row = my - t_part * mx
    predicted = {b["batch_rows"]: b["batch_rows"] / (t_part + t_row * b["batch_rows"]) for b in batches}
    errors = [
        (b["merge_safe_rows_per_s"] - predicted[b["batch_rows"]]) / predicted[b["batch_rows"]]
        for b in batches
        if b["merge_safe_rows_per_s"] > 0
    ]
    return {
        "model": "merge-safe rows/s R(B) = B / (t_part_s + t_row_s * B), least squares on 1/R = t_row_s + t_part_s / B",
        "t_part_s": t_part,
        "t_row_s": t_row,
        "predicted_rows_per_s": {str(k): round(v, 1) for k, v in predicted.items()},
        "max_abs_error": round(max(abs(e) for e in errors), 4),
    }


def dedup_test(engine, window, replay_blocks, rows_per_block):
    """Blocks with deterministic tokens, then replays: within the window none is written
    again; a block older than the window is."""
    table = "raw_dedup"
    create_table(engine, table, f", non_replicated_deduplication_window = {window}")
    total = max(window, replay_blocks) + 50
    for i in range(total):
        # The token names the writer's block by checkpoint and sequence, as an exactly-once sink would.
        engine.run(insert_sql(table, rows_per_block, 16, i, token=f"ckpt-{i // 100}-blk-{i}"))
    base = int(engine.one(f"SELECT count() FROM bench.{table}"))
    expected = total * rows_per_block
    # A restore replays the blocks written since the last completed checkpoint.
    replay = min(replay_blocks, window)
    for i in range(total - replay, total):
        engine.run(insert_sql(table, rows_per_block, 16, i, token=f"ckpt-{i // 100}-blk-{i}"))
    after_replay = int(engine.one(f"SELECT count() FROM bench.{table}"))
    # The model's whole replay horizon, in full (may exceed the window).
    for i in range(total - replay_blocks, total - replay):
        engine.run(insert_sql(table, rows_per_block, 16, i, token=f"ckpt-{i // 100}-blk-{i}"))
    after_horizon = int(engine.one(f"SELECT count() FROM bench.{table}"))
    # Blocks older than the window: their hashes are forgotten, so they are written again.
    old = list(range(0, 10))
    for i in old:
        engine.run(insert_sql(table, rows_per_block, 16, i, token=f"ckpt-{i // 100}-blk-{i}"))
    after_old = int(engine.one(f"SELECT count() FROM bench.{table}"))
    engine.run(f"DROP TABLE IF EXISTS bench.{table} SYNC")
    return {
        "window_blocks": window,
        "model_replay_blocks": replay_blocks,
        "rows_per_block": rows_per_block,
        "blocks_inserted": total,
        "rows_first_pass": base,
        "rows_expected": expected,
        "replayed_within_window_blocks": replay,
        "duplicate_rows_within_window": after_replay - base,
        "replayed_horizon_blocks": replay_blocks,
        "duplicate_rows_over_horizon": after_horizon - base,
        "replayed_beyond_window_blocks": len(old),
        "duplicate_rows_beyond_window": after_old - after_horizon,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--specgen", required=True)
    ap.add_argument("--root", default=".")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--build-dir", default="target/clickhouse-bench")
    args = ap.parse_args()
    started = time.monotonic()
    root = os.path.abspath(args.root)
    mode_name = "quick" if args.quick else "full"
    mode = MODES[mode_name]
    build_dir = os.path.join(root, args.build_dir)
    os.makedirs(build_dir, exist_ok=True)
    out = args.out or os.path.join(
        root, "target/clickhouse-bench/clickhouse-results-quick.json" if args.quick else "data/bench/clickhouse-results.json"
    )
    plan_file = os.path.join(build_dir, "clickhouse-plan.tsv")
    subprocess.run([args.specgen, "--root", root, "clickhouse-plan", "--out", plan_file], check=True)
    plan = environment.read_plan(plan_file)
    ensure_chdb(os.path.join(root, "target", "py-chdb"))
    import chdb

    engine = Engine(os.path.join(build_dir, "chdb"))
    try:
        version = engine.one("SELECT version()")
        settings = dict(
            engine.rows(
                "SELECT name, value FROM system.merge_tree_settings WHERE name IN "
                "('parts_to_delay_insert','parts_to_throw_insert','max_parts_to_merge_at_once','merge_selecting_sleep_ms')"
            )
        )
        pool = dict(engine.rows("SELECT name, value FROM system.server_settings WHERE name = 'background_pool_size'"))
        max_parts = float(plan["merge_safe_max_parts"])
        payload = int(plan["avg_event_bytes"])
        print(f"ClickHouse {version} (chDB {chdb.__version__}); merge-safe limit {max_parts:.0f} active parts", flush=True)
        batches = []
        for b in mode["batch_sizes"]:
            batches.append(sweep_batch(engine, b, mode, payload, max_parts))
            print(f"  -> B={b}: merge-safe {batches[-1]['merge_safe_rows_per_s']:.0f} rows/s", flush=True)
        fitted = fit(batches)
        scale = mode["dedup_scale"]
        dedup = dedup_test(
            engine,
            max(1, int(float(plan["dedup_window_blocks"]) * scale)),
            max(1, int(round(float(plan["dedup_blocks_needed"]) * scale))),
            rows_per_block=10,
        )
    finally:
        engine.close()
    report = {
        "schema_version": 1,
        "mode": mode_name,
        "machine": environment.machine(),
        "command": "just bench-clickhouse" + (" --quick" if args.quick else ""),
        "git_revision": environment.git_revision(root, ["engine-bench", "generator", "inputs", "data/architecture.toml", "data/assumptions.toml"]),
        "clickhouse_version": version,
        "chdb_version": chdb.__version__,
        "wall_time_s": round(time.monotonic() - started, 1),
        "parameters": {
            "table": plan["table"],
            "production_batch_rows": int(plan["insert_batch_rows"]),
            "production_insert_interval_ms": float(plan["insert_interval_ms"]),
            "row_payload_bytes": payload,
            "merge_safe_max_parts": max_parts,
            "production_merge_safe_rows_per_s_per_shard": float(plan["production_merge_safe_rows_per_s"]),
            "probe_s": mode["probe_s"],
            "engine_settings": {**settings, **pool},
        },
        "batches": batches,
        "fit": fitted,
        "deduplication": dedup,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".partial", "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    os.replace(out + ".partial", out)
    print(json.dumps({"fit": fitted, "deduplication": dedup}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
