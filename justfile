# Capacity spec: `just spec` builds everything from data/, `just test` runs the tests.

# Build the spec: Markdown (spec/src), site (book/), PDFs, workbook and CSVs (out/).
spec:
    cargo run --release --locked -p specgen -- build

# Build the spec, then fail if a committed output (spec/src, spec/figures.tsv,
# data/bench/plan.tsv) was stale. It builds with the dev profile, whose dependencies
# `just test` has compiled already, so CI makes no second, release build of RocksDB and
# Typst; the outputs are byte for byte those of `just spec` (no step depends on the
# optimisation level).
spec-check:
    cargo run --locked -q -p specgen -- build
    git diff --exit-code -- spec data/bench/plan.tsv
    test -z "$(git status --porcelain -- spec data/bench/plan.tsv)"

# The site (book/), with the PDFs, the workbook and the CSVs under book/downloads/.
site: spec

# What the working tree does to the spec against BASE (a branch, tag or commit):
# verdicts, inputs, figures, chapters. More options go to `specgen diff`, e.g.
# `just diff origin/main --format md --fail-on verdict`.
[positional-arguments]
diff base *args:
    cargo run --release --locked -q -p specgen -- diff --base "$@"

# Lint the GitHub workflows with zizmor and actionlint (offline).
lint-workflows:
    .ci/lint-workflows

# Post FILE as the pull request's one spec-diff comment, or update it (GH_TOKEN set).
pr-comment repo pr file:
    .ci/pr-comment "{{repo}}" "{{pr}}" "{{file}}"

# Append FILE to the GitHub Actions run's summary page.
step-summary file:
    cat "{{file}}" >> "$GITHUB_STEP_SUMMARY"

# Run every test of the workspace (installs libclang and LibreOffice Calc when missing).
test: test-deps
    cargo test --workspace --locked

# The one system library the build needs beyond the Rust toolchain: libclang, with
# which the `rocksdb` crate generates its C bindings.
system-deps:
    @just _apt-install libclang-dev "ldconfig -p | grep -q 'libclang\(-[0-9.]*\)\?\.so'"

# LibreOffice Calc, with which the workbook test recalculates every formula, and what the
# real-engine quick modes need (a JDK to compile and run the Flink job, pip to fetch Flink
# and chDB from PyPI): installed so that no test skips on a fresh machine.
test-deps: system-deps
    @just _apt-install libreoffice-calc "command -v soffice >/dev/null"
    @just _apt-install default-jdk-headless "command -v javac >/dev/null"
    @just _apt-install python3-pip "python3 -m pip --version >/dev/null"

# Installs Debian package PACKAGE with apt (as root, or through sudo) unless CHECK succeeds.
_apt-install PACKAGE CHECK:
    #!/usr/bin/env sh
    if sh -c "{{CHECK}}"; then exit 0; fi
    if [ "$(id -u)" = 0 ]; then
        apt-get update && apt-get install -y --no-install-recommends {{PACKAGE}}
    elif command -v sudo >/dev/null; then
        sudo apt-get update && sudo apt-get install -y --no-install-recommends {{PACKAGE}}
    else
        echo "error: install {{PACKAGE}} (Debian/Ubuntu) first" >&2
        exit 1
    fi

# Remove the generated site and out/ (spec/src is committed and stays).
clean:
    rm -rf book out

# Fuzz every loader and the whole model for SECONDS each (release build), printing the
# executions; `SPECGEN_FUZZ_SEED=N` picks another sequence.
fuzz seconds="300":
    SPECGEN_FUZZ_SECONDS={{seconds}} cargo test --release --locked -p specgen --test testsuite fuzz:: -- --nocapture --test-threads=1

# Run the bottleneck prototype's scenarios (release build, about 22 minutes) and write
# data/bench/results.json, which `just spec` renders; the bisections replay the plan's
# busiest month from data/bench/plan.tsv, which `just spec` writes.
bench: system-deps
    cargo run --release --locked -p bench-prototype -- --data data

# Rerun only the prototype's fault experiments (one planned kill, then the seeded kill points
# per strategy) and replace the fault section of data/bench/results.json (a few minutes).
bench-faults: system-deps
    cargo run --release --locked -p bench-prototype -- --data data --faults-only

# Criterion micro-benchmarks of the prototype: per-record cost of each state backend,
# each partitioner, the channel hop.
bench-micro: system-deps
    cargo bench --locked -p bench-prototype --bench micro

# How `specgen build` scales with the key count: the committed inputs with the tail grown to
# each COUNT customers, built in release in a scratch copy; prints the wall time and the peak
# memory of each build, with the machine and the revision. The binary and the file cache are
# warmed by one untimed build of the first count.
bench-scale *counts="3988 100000 1000000":
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release --locked -q -p specgen
    target="$(cargo metadata --format-version 1 --no-deps | sed 's/.*"target_directory":"\([^"]*\)".*/\1/')"
    bin="$target/release/specgen"
    echo "revision $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' with uncommitted changes')"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "command: just bench-scale {{counts}}"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    warm=yes
    for count in {{counts}}; do
        rm -rf "$scratch/root" && mkdir "$scratch/root"
        cp -r spec book.toml data "$scratch/root/"
        sed -i "s/^customers = .*/customers = $count/" "$scratch/root/data/keys/tail.toml"
        if [ "$warm" = yes ]; then "$bin" --root "$scratch/root" build > /dev/null; warm=no; fi
        start=$(date +%s%N)
        if [ -x /usr/bin/time ]; then
            /usr/bin/time -f "%M" -o "$scratch/rss" "$bin" --root "$scratch/root" build > /dev/null
            rss="$(awk '{printf "%.0f MiB", $1/1024}' "$scratch/rss")"
        else
            "$bin" --root "$scratch/root" build > /dev/null
            rss="unknown (GNU time is not installed)"
        fi
        end=$(date +%s%N)
        awk -v c="$count" -v ns="$((end - start))" -v rss="$rss" \
            'BEGIN { printf "%10s tail customers: %7.1f s, peak memory %s\n", c, ns / 1e9, rss }'
    done

# The real Flink 1.18 job (engine-bench/): each strategy's sustainable throughput on a
# loopback standalone cluster, against the model (about 20 minutes on 2 cores); writes
# data/bench/flink-results.json and prints predicted, measured and error. Downloads Flink
# from PyPI (apache-flink-libraries) into target/ and compiles the job with javac.
# `just bench-flink --cluster http://HOST:8081` runs the same job on a running cluster.
[positional-arguments]
bench-flink *args:
    cargo build --release --locked -q -p specgen
    python3 engine-bench/harness/bench_flink.py --specgen "${CARGO_TARGET_DIR:-target}/release/specgen" "$@"

# The same code paths in a few minutes, one repeat, coarse bisection; writes under target/.
bench-flink-quick:
    just bench-flink --quick

# A standalone Flink 1.18 cluster in the foreground (Ctrl-C stops it), on the loopback
# interface: a cluster to try `just bench-flink --cluster http://127.0.0.1:PORT` against.
flink-cluster port="8081" slots="16":
    python3 engine-bench/harness/local_cluster.py --port {{port}} --slots {{slots}}

# ClickHouse (chDB from PyPI, in-process): active parts and merges against insert batch
# size and rate, the merge-safe rate fitted against batch size, and the idempotent sink's
# deduplication window; writes data/bench/clickhouse-results.json (`--quick`: target/).
[positional-arguments]
bench-clickhouse *args:
    cargo build --release --locked -q -p specgen
    python3 engine-bench/harness/bench_clickhouse.py --specgen "${CARGO_TARGET_DIR:-target}/release/specgen" "$@"

# Every real-engine test, the one `just test` leaves out included: the quick modes of
# bench-flink (on a cluster it starts, and with --cluster on one started separately) and
# bench-clickhouse end to end, about 8 minutes.
test-engines:
    cargo test --locked -p specgen --test testsuite engine_bench -- --include-ignored
