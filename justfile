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
