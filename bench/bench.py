"""The benchmark driver behind scripts/bench (see docs/benchmarks.md for what it reports).

    python3 bench/bench.py --infra target/release/infra [--ansible VENV] [--runs 3]
        [--sizes 100,1000,10000] [--out docs] [--quick]

Every emulator run starts a fresh LocalStack on BENCH_PORT (default 4590) and stops it
after; API calls are counted from LocalStack's own request log. Raw runs are appended to
OUT/benchmarks/runs.jsonl; OUT/benchmarks.md and OUT/benchmarks/scale.svg are rewritten.
"""

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
import report  # noqa: E402

ROOT = measure.ROOT
REFERENCE = ROOT / "stacks/bench/reference"
SCALE = ROOT / "stacks/bench/scale"
PLAYBOOK = ROOT / "bench/ansible/reference.yml"
PORT = int(os.environ.get("BENCH_PORT", "4590"))
# --cold: time the first requests to a fresh emulator too (its services start lazily)
WARM = True


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def infra_reference(infra, runs, records):
    """Converge, no-change apply and no-op plan of the reference network, each run on a
    fresh emulator."""
    for i in range(runs):
        with measure.Emulator(PORT, warm=WARM) as emu, tempfile.TemporaryDirectory() as tmp:
            args = ["--stack", str(REFERENCE), "--state", f"{tmp}/state.db", "--no-color"]
            steps = [
                ("converge", ["apply", "--auto-approve"], (0,)),
                ("no-change apply", ["apply", "--auto-approve"], (0,)),
                ("no-op plan", ["plan", "--detailed-exitcode"], (0,)),
            ]
            for scenario, cmd, ok in steps:
                fig = measure.run([infra, *cmd, *args], env=emu.env, emulator=emu, ok=ok)
                rec = {"kind": "reference", "tool": "infra", "scenario": scenario, "run": i,
                       "emulator_warm_up_s": emu.warm_up_s, **fig}
                records.append(rec)
                log(f"infra {scenario} run {i}: {fig['wall_s']} s, {fig['api_calls']} calls")


def ansible_reference(venv, runs, records):
    playbook = str(venv / "bin/ansible-playbook")
    for i in range(runs):
        with measure.Emulator(PORT, warm=WARM) as emu:
            env = dict(
                emu.env,
                ANSIBLE_LOCALHOST_WARNING="False",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
                ANSIBLE_NOCOLOR="1",
                ANSIBLE_HOME=str(emu.run_dir / "ansible"),
            )
            steps = [
                ("converge", []),
                ("no-change apply", []),
                ("no-op plan", ["--check"]),
            ]
            for scenario, extra in steps:
                out = emu.run_dir / f"ansible-{i}-{scenario.replace(' ', '-')}.log"
                fig = measure.run(
                    [playbook, "-i", "localhost,", str(PLAYBOOK), *extra],
                    env=env,
                    emulator=emu,
                    stdout_to=out,
                )
                fig["changed"] = changed_tasks(out)
                rec = {"kind": "reference", "tool": "ansible", "scenario": scenario, "run": i,
                       "emulator_warm_up_s": emu.warm_up_s, **fig}
                records.append(rec)
                log(f"ansible {scenario} run {i}: {fig['wall_s']} s, {fig['api_calls']} calls")


def changed_tasks(log_file):
    """The `changed=N` of the play recap, and the tasks that reported a change."""
    count, tasks, task = None, [], None
    for line in Path(log_file).read_text(errors="replace").splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK [") : line.index("]")]
        elif line.startswith("changed:") and task and task not in tasks:
            tasks.append(task)
        elif "changed=" in line and "ok=" in line:
            for part in line.split():
                if part.startswith("changed="):
                    count = int(part.split("=")[1])
    return {"count": count, "tasks": tasks}


def scale(infra, sizes, runs, records):
    """Per size, on a fresh emulator: apply the synthetic stack, then no-op plans with
    refresh (API calls) and without (the engine alone), and the state's size."""
    for n in sizes:
        with measure.Emulator(PORT, warm=WARM) as emu, tempfile.TemporaryDirectory() as tmp:
            state = f"{tmp}/state.db"
            args = ["--stack", str(SCALE), "--var", f"resources={n}", "--state", state, "--no-color"]
            fig = measure.run([infra, "apply", "--auto-approve", "--parallelism", "10", *args],
                              env=emu.env, emulator=emu)
            records.append({"kind": "scale", "scenario": "apply", "resources": n, **fig})
            log(f"scale {n}: apply {fig['wall_s']} s, {fig['api_calls']} calls")
            for i in range(runs):
                fig = measure.run([infra, "plan", "--detailed-exitcode", *args], env=emu.env, emulator=emu)
                records.append({"kind": "scale", "scenario": "no-op plan", "resources": n, "run": i, **fig})
                log(f"scale {n}: no-op plan {fig['wall_s']} s, {fig['api_calls']} calls")
            engine = [infra, "plan", "--detailed-exitcode", "--refresh=false", *args]
            for i in range(runs):
                fig = measure.run(engine, env=emu.env, emulator=emu)
                if i == 0:
                    fig.update(measure.instructions(engine, env=emu.env))
                records.append({"kind": "scale", "scenario": "engine plan", "resources": n, "run": i, **fig})
                log(f"scale {n}: engine-only plan {fig['wall_s']} s, {fig['max_rss_mb']} MB")
            keep = os.environ.get("BENCH_KEEP_STATE")
            if keep:
                # a converged state to profile the engine on later, without the emulator
                Path(keep).mkdir(parents=True, exist_ok=True)
                with sqlite3.connect(state) as src, sqlite3.connect(f"{keep}/scale-{n}.db") as dst:
                    src.backup(dst)
            size = os.path.getsize(state)
            wal = Path(state + "-wal")
            size += wal.stat().st_size if wal.exists() else 0
            records.append({"kind": "scale", "scenario": "state", "resources": n,
                            "state_bytes": size, "load": measure.load_average()})


def criterion(quick, records):
    """Run the criterion benches; read their estimates."""
    cmd = ["cargo", "bench", "--quiet", "-p", "infra-plan", "-p", "infra-state", "--bench", "pipeline",
           "--bench", "state_writes"]
    if quick:
        # each bench once, in the test profile: proves they still build and run
        cmd = ["cargo", "test", "--quiet", "-p", "infra-plan", "-p", "infra-state", "--benches"]
    log(" ".join(cmd))
    subprocess.run(cmd, cwd=ROOT, check=True)
    if quick:
        return
    records.extend(criterion_estimates(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))))


def criterion_estimates(target):
    """The estimates criterion wrote under TARGET/criterion. A bench id `group/name/size`
    is a directory per part (`criterion/pipeline/load/100/new/estimates.json`): the first
    part is the group, the rest the bench."""
    root = target / "criterion"
    out = []
    for est in sorted(root.glob("**/new/estimates.json")):
        parts = est.relative_to(root).parts[:-2]
        if len(parts) < 2:
            continue
        data = json.loads(est.read_text())
        out.append({
            "kind": "criterion", "group": parts[0], "bench": "/".join(parts[1:]),
            "mean_ms": round(data["mean"]["point_estimate"] / 1e6, 3),
            "ci_ms": [round(data["mean"]["confidence_interval"][k] / 1e6, 3)
                      for k in ("lower_bound", "upper_bound")],
            "load": measure.load_average(),
        })
    return out


def schedule(quick, records):
    """Apply scheduling on the fake provider with synthetic latencies (infra-apply)."""
    scale_down = "1000" if quick else "100"
    cmd = ["cargo", "run", "--quiet", "-p", "infra-apply", "--example", "schedule",
           *([] if quick else ["--release"]), "--", scale_down]
    log(" ".join(cmd))
    if os.environ.get("BENCH_SCHEDULE_BIN"):
        # a prebuilt example (the target directory may be busy with another build)
        cmd = [os.environ["BENCH_SCHEDULE_BIN"], scale_down]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("{"):
            records.append({"kind": "schedule", **json.loads(line), "load": measure.load_average()})


def machine(infra, ansible):
    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            return "unknown"

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lock = (ROOT / "localstack/requirements.lock").read_text()
    localstack = next((l for l in lock.splitlines() if l.startswith("localstack-core")), "localstack-core")
    return {
        "kind": "machine",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "infra": version([infra, "--version"]) + (" (debug build)" if "/debug/" in infra else " (release build)"),
        "rustc": version(["rustc", "--version"]),
        "localstack": localstack,
        "ansible": version([str(ansible / "bin/ansible"), "--version"]) if ansible else None,
        "commit": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "load": measure.load_average(),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--infra", required=True)
    p.add_argument("--ansible", help="the Ansible virtualenv (omit to skip Ansible)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--ansible-runs", type=int)
    p.add_argument("--sizes", default="100,1000,10000")
    p.add_argument("--out", default=str(ROOT / "docs"))
    p.add_argument("--quick", action="store_true", help="CI: check, don't publish")
    p.add_argument("--only", default="reference,ansible,scale,criterion,schedule")
    p.add_argument("--cold", action="store_true",
                   help="do not warm each fresh emulator's services before timing")
    a = p.parse_args()
    global WARM
    WARM = not a.cold
    infra = str(Path(a.infra).resolve())
    ansible = Path(a.ansible).resolve() if a.ansible else None
    only = set(a.only.split(","))
    records = [machine(infra, ansible)]
    if "reference" in only:
        infra_reference(infra, a.runs, records)
    if ansible and "ansible" in only:
        ansible_reference(ansible, a.ansible_runs or a.runs, records)
    if "scale" in only:
        scale(infra, [int(s) for s in a.sizes.split(",")], a.runs, records)
    if "criterion" in only:
        criterion(a.quick, records)
    if "schedule" in only:
        schedule(a.quick, records)
    records.append({"kind": "end", "load": measure.load_average(), "date": time.strftime("%H:%M")})
    session = records[0]["date"]
    for r in records:
        r["session"] = session
    out = Path(a.out)
    if not a.quick:
        (out / "benchmarks").mkdir(parents=True, exist_ok=True)
        raw = out / "benchmarks/runs.jsonl"
        earlier = [json.loads(l) for l in raw.read_text().splitlines() if l.strip()] if raw.exists() else []
        with open(raw, "a") as f:
            for r in records if only != {"report"} else []:
                f.write(json.dumps(r, sort_keys=True) + "\n")
        # sections this run skipped (--only) keep the figures of the latest run that had them;
        # `--only report` rewrites the page from the raw runs alone
        records = report.latest(earlier, records if only != {"report"} else [])
        report.write(records, out)
        log(f"wrote {out / 'benchmarks.md'}")
    else:
        print(report.summary(records))
    failures = report.check(records)
    for msg in failures:
        log(f"target missed: {msg}")
    if a.quick and any(f.startswith("broken:") for f in failures):
        sys.exit(1)


if __name__ == "__main__":
    main()
