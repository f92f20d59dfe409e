# Capacity spec: `just spec` builds everything from data/, `just test` runs the tests.

# Build the spec: Markdown (spec/src), site (book/), PDFs, workbook and CSVs (out/).
spec:
    cargo run --release --locked -p specgen -- build

# Run every test of the workspace.
test:
    cargo test --workspace --locked

# Remove the generated site and out/ (spec/src is committed and stays).
clean:
    rm -rf book out

# Run the bottleneck prototype's scenarios (release build, about 10 minutes) and write
# data/bench/results.json, which `just spec` renders.
bench:
    cargo run --release --locked -p bench-prototype -- --data data

# Criterion micro-benchmarks of the prototype: per-record cost of each state backend,
# each partitioner, the channel hop.
bench-micro:
    cargo bench --locked -p bench-prototype --bench micro
