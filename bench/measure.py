"""Measuring one command: wall time, CPU, max RSS, and the API calls the emulator logged.

Standard library only (CI runs the quick form with the system Python).
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALL = re.compile(r"AWS (\w+)\.(\w+) => (\d+)")


def load_average():
    return [round(x, 2) for x in os.getloadavg()]


def port_free(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


# One read per service the reference stack uses. LocalStack builds a service's backend for
# a region on the first request to it (2-9 s on this machine, while the tool under test
# waits); on AWS there is no such cost. `warm` pays it before anything is timed, the same
# for every tool, so that the figures are the tool's and not the emulator's start-up.
WARM_UP = [
    ("ec2", "POST", "/", b"Action=DescribeVpcs&Version=2016-11-15"),
    ("ec2", "POST", "/", b"Action=DescribeAddresses&Version=2016-11-15"),
    ("ec2", "POST", "/", b"Action=DescribeNatGateways&Version=2016-11-15"),
    ("route53", "GET", "/2013-04-01/hostedzone", None),
    ("sts", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15"),
]


class Emulator:
    """A fresh LocalStack (and moto) started by localstack/up in its own run directory.
    With `warm` (the default), its services are started before the first timed command."""

    def __init__(self, port, warm=True):
        self.port = port
        self.run_dir = Path(tempfile.mkdtemp(prefix="infra-bench-ls-"))
        self.env = None
        self.warm = warm
        self.warm_up_s = None

    def __enter__(self):
        for p in (self.port, self.port + 1):
            if not port_free(p):
                raise SystemExit(
                    f"scripts/bench: port {p} is in use; every run needs a fresh emulator, "
                    "so stop what listens there or set BENCH_PORT to a free port"
                )
        base = dict(
            os.environ,
            LOCALSTACK_PORT=str(self.port),
            MOTO_PORT=str(self.port + 1),
            LOCALSTACK_RUN_DIR=str(self.run_dir),
        )
        out = subprocess.run(
            [str(ROOT / "localstack/up")], env=base, check=True, capture_output=True, text=True
        )
        env = dict(base)
        for line in out.stdout.splitlines():
            if line.startswith("export ") and "=" in line:
                k, v = line[len("export ") :].split("=", 1)
                env[k] = v
        # botocore (Ansible) reads the region from AWS_DEFAULT_REGION
        env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
        self.env = env
        self.log = self.run_dir / "localstack.log"
        if self.warm:
            self.warm_up_s = self.warm_up()
        return self

    def warm_up(self):
        """Send WARM_UP's requests (unsigned: the emulator reads only the credential scope);
        returns the seconds they took."""
        region = self.env.get("AWS_REGION", "us-east-1")
        t0 = time.monotonic()
        for service, method, path, body in WARM_UP:
            req = urllib.request.Request(
                f"http://127.0.0.1:{self.port}{path}",
                data=body,
                method=method,
                headers={
                    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/"
                    f"{region}/{service}/aws4_request, SignedHeaders=host, Signature=0",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            with urllib.request.urlopen(req, timeout=120) as resp:
                if resp.status != 200:
                    raise SystemExit(f"scripts/bench: warm-up {service} {path} answered {resp.status}")
        return round(time.monotonic() - t0, 3)

    def __exit__(self, *exc):
        subprocess.run(
            [str(ROOT / "localstack/down")],
            env=dict(os.environ, LOCALSTACK_RUN_DIR=str(self.run_dir)),
            capture_output=True,
        )
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def log_lines(self):
        with contextlib.suppress(FileNotFoundError), open(self.log, errors="replace") as f:
            return f.readlines()
        return []

    def calls_since(self, start):
        """API calls logged after line `start`, waiting until the log stops growing."""
        lines, stable = self.log_lines(), 0
        while stable < 3:
            time.sleep(0.1)
            more = self.log_lines()
            stable = stable + 1 if len(more) == len(lines) else 0
            lines = more
        ops = Counter()
        for line in lines[start:]:
            m = CALL.search(line)
            if m:
                ops[f"{m.group(1)}:{m.group(2)}"] += 1
        return dict(sorted(ops.items()))


def run(cmd, env=None, cwd=None, emulator=None, ok=(0,), stdout_to=None):
    """Run `cmd` as a whole process, from exec to exit. Returns a dict of figures."""
    start_line = len(emulator.log_lines()) if emulator else 0
    out = open(stdout_to, "w") if stdout_to else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    load = load_average()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_to:
        out.close()
    if proc.returncode not in ok:
        err.seek(0)
        tail = err.read().decode(errors="replace")[-3000:]
        if stdout_to:
            tail += Path(stdout_to).read_text(errors="replace")[-3000:]
        raise SystemExit(f"scripts/bench: {' '.join(map(str, cmd))} exited {proc.returncode}:\n{tail}")
    fig = {
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "max_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "exit": proc.returncode,
        "load": load,
    }
    if emulator:
        ops = emulator.calls_since(start_line)
        fig["api_calls"] = sum(ops.values())
        fig["api_ops"] = ops
    return fig


def instructions(cmd, env=None):
    """User-space instructions retired by `cmd`: `perf stat`, or where the machine has no
    hardware counters (VMs), valgrind's callgrind (about 50 times slower). None without
    either."""
    if shutil.which("perf"):
        res = subprocess.run(
            ["perf", "stat", "-x,", "-e", "instructions:u", *map(str, cmd)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in res.stderr.splitlines():
            parts = line.split(",")
            if len(parts) > 2 and parts[2].startswith("instructions") and parts[0].isdigit():
                return {"instructions": int(parts[0]), "counter": "perf"}
    if shutil.which("valgrind"):
        res = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *map(str, cmd)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        m = re.search(r"Collected : (\d+)", res.stderr)
        if m:
            return {"instructions": int(m.group(1)), "counter": "callgrind"}
    return {"instructions": None, "counter": None}
