"""A standalone Flink session cluster (one JobManager, one TaskManager) started from the
jars of the Flink distribution, on the loopback interface only. It does what the
distribution's `bin/start-cluster.sh` does (the PyPI archive ships the jars, not the
scripts): run the two entry points with a configuration directory.
"""

import os
import signal
import subprocess
import time

JOB_MANAGER = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"

LOG4J = """rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FileAppender
appender.file.name = FileAppender
appender.file.type = FILE
appender.file.fileName = ${sys:log.file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1} - %m%n
"""


def write_config(conf_dir, port, slots, work_dir):
    os.makedirs(conf_dir, exist_ok=True)
    settings = {
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.port": str(port),
        "jobmanager.memory.process.size": "1024m",
        "taskmanager.memory.process.size": "3072m",
        "taskmanager.memory.managed.fraction": "0.2",
        "taskmanager.numberOfTaskSlots": str(slots),
        # The REST API serves metrics from a cache; refresh it every second, not every 10 s.
        "metrics.fetcher.update-interval": "1000",
        "web.upload.dir": os.path.join(work_dir, "uploads"),
        "io.tmp.dirs": os.path.join(work_dir, "tmp"),
        "blob.server.port": "0",
        "taskmanager.rpc.port": "0",
        "jobmanager.rpc.port": str(port + 1),
        "state.checkpoints.dir": "file://" + os.path.join(work_dir, "checkpoints"),
    }
    for d in ("uploads", "tmp", "checkpoints"):
        os.makedirs(os.path.join(work_dir, d), exist_ok=True)
    with open(os.path.join(conf_dir, "flink-conf.yaml"), "w") as f:
        for k, v in settings.items():
            f.write(f"{k}: {v}\n")
    with open(os.path.join(conf_dir, "log4j.properties"), "w") as f:
        f.write(LOG4J)


class LocalCluster:
    def __init__(self, lib_dir, work_dir, port=18081, slots=16):
        self.lib_dir = lib_dir
        self.work_dir = work_dir
        self.port = port
        self.slots = slots
        self.conf_dir = os.path.join(work_dir, "conf")
        self.processes = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _resource_params(self, which):
        """The JVM options and dynamic properties the distribution's scripts compute with
        BashJavaUtils (memory sizes, CPU cores), as `(jvm_args, dynamic_args)`."""
        bin_dir = os.path.join(os.path.dirname(self.lib_dir), "bin")
        out = subprocess.run(
            [
                "java",
                "-cp",
                os.path.join(bin_dir, "bash-java-utils.jar") + os.pathsep + os.path.join(self.lib_dir, "*"),
                "org.apache.flink.runtime.util.bash.BashJavaUtils",
                which,
                "--configDir",
                self.conf_dir,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results = [line.split(":", 1)[1] for line in out.splitlines() if line.startswith("BASH_JAVA_UTILS_EXEC_RESULT:")]
        if len(results) != 2:
            raise RuntimeError(f"BashJavaUtils {which} gave no resource parameters:\n{out[-2000:]}")
        return results[0].split(), results[1].split()

    def _start(self, main_class, name, which):
        jvm_args, dynamic_args = self._resource_params(which)
        log = os.path.join(self.work_dir, f"{name}.log")
        cmd = [
            "java",
            *jvm_args,
            f"-Dlog.file={log}",
            f"-Dlog4j.configurationFile=file:{os.path.join(self.conf_dir, 'log4j.properties')}",
            "-cp",
            os.path.join(self.lib_dir, "*"),
            main_class,
            "--configDir",
            self.conf_dir,
            *dynamic_args,
        ]
        out = open(os.path.join(self.work_dir, f"{name}.out"), "w")
        # A process group of its own, so stopping it stops nothing else.
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(p)

    def start(self):
        os.makedirs(self.work_dir, exist_ok=True)
        write_config(self.conf_dir, self.port, self.slots, self.work_dir)
        self._start(JOB_MANAGER, "jobmanager", "GET_JM_RESOURCE_PARAMS")
        self._start(TASK_MANAGER, "taskmanager", "GET_TM_RESOURCE_PARAMS")
        return self

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.processes:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.processes = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    """Runs a cluster in the foreground until interrupted (SIGINT or SIGTERM): a cluster the
    benchmark did not start, for `just bench-flink --cluster URL` to submit to."""
    import argparse
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import environment
    from flink_rest import FlinkRest

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--root", default=".", help="the project root")
    ap.add_argument("--cache-dir", default="target/flink-cache", help="where the Flink distribution is downloaded")
    ap.add_argument("--work-dir", default="target/flink-cluster", help="configuration, logs and uploads")
    ap.add_argument("--port", type=int, default=8081, help="REST port")
    ap.add_argument("--slots", type=int, default=16, help="task slots of the TaskManager")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    lib = environment.ensure_flink(os.path.join(root, args.cache_dir))
    cluster = LocalCluster(lib, os.path.join(root, args.work_dir), port=args.port, slots=args.slots)
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with cluster:
        overview = FlinkRest(cluster.url).wait_ready(args.slots)
        print(f"Flink {overview.get('flink-version')} at {cluster.url} with {args.slots} slots; stop with Ctrl-C", flush=True)
        while not stopping:
            if any(p.poll() is not None for p in cluster.processes):
                raise SystemExit(f"a cluster process exited; see the logs under {cluster.work_dir}")
            time.sleep(0.5)


if __name__ == "__main__":
    main()
