"""What a benchmark run records about where it ran, and the tools it installs for itself:
the Flink distribution (from PyPI's `apache-flink-libraries`, the only registry this needs)
and the job jar (plain `javac` and `jar`, no Maven repository)."""

import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile

FLINK_VERSION = "1.18.1"
FLINK_PACKAGE = f"apache-flink-libraries=={FLINK_VERSION}"


def machine():
    cpu_model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = 0.0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    memory_gib = round(int(line.split()[1]) / (1024 * 1024), 1)
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {
        "cpu_model": cpu_model,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}",
        "java": java[0] if java else "unknown",
    }


def git_revision(root, paths):
    """`git rev-parse HEAD`, with `+dirty` when the paths that make the run differ from it."""
    try:
        rev = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    status = subprocess.run(
        ["git", "-C", root, "status", "--porcelain", "--", *paths], capture_output=True, text=True
    ).stdout
    return rev + ("+dirty" if status.strip() else "")


def ensure_flink(cache_dir):
    """The Flink distribution's lib/ directory, downloaded from PyPI on first use."""
    unpacked = os.path.join(cache_dir, f"apache-flink-libraries-{FLINK_VERSION}")
    lib = os.path.join(unpacked, "deps", "lib")
    if os.path.exists(os.path.join(lib, f"flink-dist-{FLINK_VERSION}.jar")):
        return lib
    os.makedirs(cache_dir, exist_ok=True)
    archive = os.path.join(cache_dir, f"apache-flink-libraries-{FLINK_VERSION}.tar.gz")
    if not os.path.exists(archive):
        print(f"downloading {FLINK_PACKAGE} from PyPI (about 231 MB) ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", cache_dir, FLINK_PACKAGE],
            check=True,
        )
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if re.match(rf"apache-flink-libraries-{re.escape(FLINK_VERSION)}/deps/(lib|bin)/", m.name)]
        tar.extractall(cache_dir, members=members, filter="data")
    return lib


def build_job_jar(root, lib, plan_file, build_dir):
    """Compiles engine-bench/flink-job/src with javac against the distribution and packs the plan into the jar."""
    src = os.path.join(root, "engine-bench", "flink-job", "src", "main", "java")
    classes = os.path.join(build_dir, "classes")
    shutil.rmtree(classes, ignore_errors=True)
    os.makedirs(classes)
    sources = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".java")]
    subprocess.run(
        ["javac", "-nowarn", "--release", "11", "-d", classes, "-cp", os.path.join(lib, "*"), *sorted(sources)],
        check=True,
    )
    shutil.copy(plan_file, os.path.join(classes, "capacity-plan.tsv"))
    jar = os.path.join(build_dir, "capacity-bench.jar")
    if os.path.exists(jar):
        os.remove(jar)
    subprocess.run(["jar", "--create", "--file", jar, "-C", classes, "."], check=True)
    return jar


def read_plan(path):
    """The `param NAME VALUE` records of a plan written by `specgen flink-plan` or
    `specgen clickhouse-plan`, as strings by name."""
    params = {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "param":
                params[fields[1]] = fields[2]
    return params
