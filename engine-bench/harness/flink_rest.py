"""A small client of Flink's REST API (the endpoints the web UI and `flink run` use).

Only the standard library: jar upload is a multipart POST built by hand.
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class RestError(RuntimeError):
    pass


class FlinkRest:
    def __init__(self, url, timeout_s=30.0):
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def _request(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            raise RestError(f"{method} {path}: HTTP {e.code}: {detail[:2000]}") from None
        except (urllib.error.URLError, OSError) as e:
            raise RestError(f"{method} {path}: {e}") from None
        return json.loads(data) if data else {}

    def get(self, path):
        return self._request("GET", path)

    def overview(self):
        return self.get("/overview")

    def wait_ready(self, slots, timeout_s=90.0):
        """Waits until the cluster answers and offers at least `slots` task slots."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            try:
                o = self.overview()
                if o.get("slots-total", 0) >= slots:
                    return o
                last = f"{o.get('slots-total', 0)} slots"
            except RestError as e:
                last = str(e)
            time.sleep(0.5)
        raise RestError(f"cluster at {self.url} not ready with {slots} slots after {timeout_s:.0f} s ({last})")

    def upload_jar(self, path):
        boundary = uuid.uuid4().hex
        name = os.path.basename(path)
        with open(path, "rb") as f:
            content = f.read()
        body = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="jarfile"; filename="{name}"\r\n'
            "Content-Type: application/x-java-archive\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        resp = self._request(
            "POST", "/jars/upload", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        if resp.get("status") != "success":
            raise RestError(f"jar upload failed: {resp}")
        # The id is the last path segment of the stored file name.
        return os.path.basename(resp["filename"])

    def delete_jar(self, jar_id):
        try:
            self._request("DELETE", f"/jars/{urllib.parse.quote(jar_id)}")
        except RestError:
            pass

    def run_jar(self, jar_id, entry_class, args, parallelism=None):
        body = {"entryClass": entry_class, "programArgsList": [str(a) for a in args]}
        if parallelism:
            body["parallelism"] = parallelism
        resp = self._request(
            "POST",
            f"/jars/{urllib.parse.quote(jar_id)}/run",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        return resp["jobid"]

    def job(self, job_id):
        return self.get(f"/jobs/{job_id}")

    def wait_running(self, job_id, timeout_s=60.0):
        """Waits until every vertex of the job runs; returns the job's details."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            j = self.job(job_id)
            if j["state"] in ("FAILED", "CANCELED", "FINISHED"):
                raise RestError(f"job {job_id} is {j['state']}: {self.exceptions(job_id)}")
            if j["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in j["vertices"]):
                return j
            time.sleep(0.2)
        raise RestError(f"job {job_id} not running after {timeout_s:.0f} s")

    def exceptions(self, job_id):
        try:
            e = self.get(f"/jobs/{job_id}/exceptions")
            return (e.get("root-exception") or "")[:3000]
        except RestError as err:
            return str(err)

    def cancel(self, job_id, timeout_s=30.0):
        try:
            self._request("PATCH", f"/jobs/{job_id}?mode=cancel")
        except RestError:
            pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.job(job_id)["state"] in ("CANCELED", "FAILED", "FINISHED"):
                    return
            except RestError:
                return
            time.sleep(0.2)

    def subtask_metrics(self, job_id, vertex_id, parallelism, names):
        """{subtask index: {metric: value}} for task metrics of one vertex, read per subtask
        index through the vertex endpoint (`get=0.busyTimeMsPerSecond,1.busy...`)."""
        out = {i: {} for i in range(parallelism)}
        # One request per group of subtasks, every metric of a subtask in the same one: the
        # REST server refreshes its metric store between requests, so counters compared
        # with each other must come from one answer. A group is as many subtasks as keep the
        # request line under Netty's 4096 bytes.
        per_subtask = max(len(f"{parallelism}.{n},") for n in names) * len(names)
        group = max(1, 3500 // per_subtask)
        for first in range(0, parallelism, group):
            wanted = [f"{i}.{n}" for i in range(first, min(parallelism, first + group)) for n in names]
            q = urllib.parse.quote(",".join(wanted), safe=",.")
            for m in self.get(f"/jobs/{job_id}/vertices/{vertex_id}/metrics?get={q}"):
                idx, _, name = m["id"].partition(".")
                out[int(idx)][name] = m["value"]
        return out

    def vertex_metric_names(self, job_id, vertex_id):
        return [m["id"] for m in self.get(f"/jobs/{job_id}/vertices/{vertex_id}/metrics")]
