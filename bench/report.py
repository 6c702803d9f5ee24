"""docs/benchmarks.md and docs/benchmarks/scale.svg from the records of one bench run."""

import math
import statistics
from pathlib import Path

SCENARIOS = ["converge", "no-change apply", "no-op plan"]
NOTES = Path(__file__).resolve().parent / "notes.md"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, unit="", digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        v = f"{v:.{digits}f}"
    return f"{v}{unit}"


def pick(records, **kv):
    return [r for r in records if all(r.get(k) == v for k, v in kv.items())]


def reference_row(records, tool, scenario):
    runs = pick(records, kind="reference", tool=tool, scenario=scenario)
    if not runs:
        return None
    return {
        "runs": len(runs),
        "wall": med([r["wall_s"] for r in runs]),
        "cpu": med([r["cpu_s"] for r in runs]),
        "rss": med([r["max_rss_mb"] for r in runs]),
        "calls": med([r["api_calls"] for r in runs]),
        "ops": runs[0].get("api_ops", {}),
        "changed": runs[0].get("changed"),
        "load": med([r["load"][0] for r in runs]),
    }


def sizes(records):
    return sorted({r["resources"] for r in pick(records, kind="scale")})


def scale_row(records, n):
    plan = pick(records, kind="scale", scenario="no-op plan", resources=n)
    engine = pick(records, kind="scale", scenario="engine plan", resources=n)
    apply = pick(records, kind="scale", scenario="apply", resources=n)
    state = pick(records, kind="scale", scenario="state", resources=n)
    return {
        "apply_wall": med([r["wall_s"] for r in apply]),
        "apply_calls": med([r["api_calls"] for r in apply]),
        "plan_wall": med([r["wall_s"] for r in plan]),
        "plan_calls": med([r["api_calls"] for r in plan]),
        "plan_ops": plan[0]["api_ops"] if plan else {},
        "engine_wall": med([r["wall_s"] for r in engine]),
        "engine_cpu": med([r["cpu_s"] for r in engine]),
        "engine_rss": med([r["max_rss_mb"] for r in engine]),
        "engine_instr": med([r.get("instructions") for r in engine]),
        "state_mb": state[0]["state_bytes"] / 2**20 if state else None,
        "load": med([r["load"][0] for r in plan + engine + apply]),
    }


SECTIONS = {"reference": ("reference",), "scale": ("scale",), "criterion": ("criterion",),
            "schedule": ("schedule",)}


def latest(earlier, current):
    """`current`, plus, for each section it lacks, the records of the latest earlier
    session that has it (each section says which session its figures come from)."""
    out = list(current)
    have = {r["kind"] for r in current}
    if not current:
        # the machine and load of the run that measured the reference network, else the last
        kinds = [r for r in earlier if r.get("kind") == "reference"] or earlier
        session = kinds[-1]["session"] if kinds else None
        out = [r for r in earlier if r.get("session") == session and r.get("kind") in ("machine", "end")]
    for kind in ("reference", "scale", "criterion", "schedule"):
        if kind in have:
            continue
        sessions = [r["session"] for r in earlier if r.get("kind") == kind and "session" in r]
        if sessions:
            out += [r for r in earlier if r.get("kind") == kind and r.get("session") == sessions[-1]]
    return out


def session_of(records, kind):
    s = sorted({r.get("session") for r in records if r.get("kind") == kind and r.get("session")})
    return f"(run of {', '.join(s)})" if s else ""


def check(records):
    """Targets the run missed. `broken:` ones mean the benchmark itself no longer works."""
    out = []
    plan = reference_row(records, "infra", "no-op plan")
    if plan and plan["calls"] > 15:
        out.append(f"no-op plan of the reference network made {plan['calls']} API calls (target <= 15)")
    for scenario in SCENARIOS:
        ours, theirs = (reference_row(records, t, scenario) for t in ("infra", "ansible"))
        if ours and theirs and theirs["wall"] < 10 * ours["wall"]:
            out.append(f"{scenario}: {theirs['wall'] / ours['wall']:.1f}x faster than Ansible (target 10x)")
    ns = sizes(records)
    rows = {n: scale_row(records, n) for n in ns}
    for n in ns:
        r = rows[n]
        # pagination: one call per 200 ids (filter limit) or per page of 300 records
        if r["plan_calls"] is not None and r["plan_calls"] > 20 + n / 100:
            out.append(f"broken: no-op plan at {n} resources made {r['plan_calls']} API calls")
        if n == 1000 and r["plan_wall"] and r["plan_wall"] >= 2:
            out.append(f"no-op plan at 1,000 resources took {r['plan_wall']:.2f} s (target < 2 s)")
        if n == 10000 and r["engine_wall"] and r["engine_wall"] >= 0.2:
            out.append(f"engine-only plan at 10,000 resources took {r['engine_wall'] * 1000:.0f} ms (target < 200 ms)")
        if n == 10000 and r["engine_rss"] and r["engine_rss"] >= 200:
            out.append(f"engine-only plan at 10,000 resources used {r['engine_rss']:.0f} MB (target < 200 MB)")
        if n == 10000 and r["state_mb"] and r["state_mb"] >= 20:
            out.append(f"state at 10,000 resources is {r['state_mb']:.1f} MB (target < 20 MB)")
    for s in pick(records, kind="schedule"):
        if s["ratio"] > 1.05:
            out.append(f"apply took {s['ratio']:.3f}x its critical path (target <= 1.05)")
    return out


def growth(rows, key, ns):
    lo, hi = rows[ns[0]][key], rows[ns[-1]][key]
    if not lo or not hi:
        return "–"
    return f"{hi / lo:.1f}x for {ns[-1] // ns[0]}x resources"


def reference_table(records):
    lines = [
        "| scenario | tool | runs | wall (median) | client CPU | max RSS | API calls | load (1 min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ratios = []
    for scenario in SCENARIOS:
        rows = {t: reference_row(records, t, scenario) for t in ("infra", "ansible")}
        for tool, r in rows.items():
            if r:
                lines.append(
                    f"| {scenario} | {tool} | {r['runs']} | {fmt(r['wall'], ' s')} | {fmt(r['cpu'], ' s')} "
                    f"| {fmt(r['rss'], ' MB', 0)} | {fmt(r['calls'], '', 0)} | {fmt(r['load'], '', 1)} |"
                )
        if rows["infra"] and rows["ansible"]:
            ratios.append((scenario, rows["ansible"]["wall"] / rows["infra"]["wall"],
                           rows["ansible"]["calls"] / max(rows["infra"]["calls"], 1)))
    out = "\n".join(lines)
    if ratios:
        out += "\n\n| scenario | Ansible wall / infra wall | Ansible calls / infra calls |\n|---|---|---|\n"
        out += "\n".join(f"| {s} | **{w:.1f}x** | {c:.1f}x |" for s, w, c in ratios)
    ops = []
    for scenario in SCENARIOS:
        for tool in ("infra", "ansible"):
            r = reference_row(records, tool, scenario)
            if r:
                ops.append(f"- {tool}, {scenario}: " + ", ".join(f"{k} {v}" for k, v in r["ops"].items()))
    changed = []
    for scenario in SCENARIOS[1:]:
        r = reference_row(records, "ansible", scenario)
        if r and r["changed"] and r["changed"]["count"]:
            changed.append(f"- Ansible, {scenario}: {r['changed']['count']} task(s) reported a change "
                           f"on the converged stack ({', '.join(r['changed']['tasks'])})")
    out += "\n\nAPI calls by operation (first run):\n\n" + "\n".join(ops)
    if changed:
        out += "\n\nNot idempotent on this emulator:\n\n" + "\n".join(changed)
    return out


def scale_table(records):
    ns = sizes(records)
    if not ns:
        return "(not run)"
    rows = {n: scale_row(records, n) for n in ns}
    lines = [
        "| resources | apply | apply calls | no-op plan | plan calls | engine-only plan | engine CPU | engine RSS | instructions | state DB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in ns:
        r = rows[n]
        instr = f"{r['engine_instr'] / 1e6:.0f} M" if r["engine_instr"] else "–"
        lines.append(
            f"| {n:,} | {fmt(r['apply_wall'], ' s', 1)} | {fmt(r['apply_calls'], '', 0)} | {fmt(r['plan_wall'], ' s')} "
            f"| {fmt(r['plan_calls'], '', 0)} | {fmt(r['engine_wall'] and r['engine_wall'] * 1000, ' ms', 0)} "
            f"| {fmt(r['engine_cpu'] and r['engine_cpu'] * 1000, ' ms', 0)} | {fmt(r['engine_rss'], ' MB', 0)} "
            f"| {instr} | {fmt(r['state_mb'], ' MB', 1)} | {fmt(r['load'], '', 1)} |"
        )
    if len(ns) > 1:
        lines.append("")
        lines.append(f"Growth from {ns[0]:,} to {ns[-1]:,} resources: apply {growth(rows, 'apply_wall', ns)}; "
                     f"no-op plan {growth(rows, 'plan_wall', ns)}, its API calls {growth(rows, 'plan_calls', ns)}; "
                     f"engine-only plan {growth(rows, 'engine_wall', ns)} (instructions "
                     f"{growth(rows, 'engine_instr', ns)}); state {growth(rows, 'state_mb', ns)}.")
    lines.append("")
    lines.append(f"No-op plan API calls at {ns[-1]:,} resources: " +
                 ", ".join(f"{k} {v}" for k, v in rows[ns[-1]]["plan_ops"].items()))
    return "\n".join(lines)


def criterion_table(records):
    rows = pick(records, kind="criterion")
    if not rows:
        return "(not run)"
    lines = ["| group | bench | mean | 95% interval |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['group']} | {r['bench']} | {r['mean_ms']:.2f} ms | {r['ci_ms'][0]:.2f}–{r['ci_ms'][1]:.2f} ms |")
    return "\n".join(lines)


def schedule_table(records):
    rows = pick(records, kind="schedule")
    if not rows:
        return "(not run)"
    lines = ["| graph | latencies scaled | parallelism | critical path | apply wall | ratio |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['graph']} | 1/{r['scale']} | {r['parallelism']} | {r['critical_path_s']:.3f} s "
                     f"| {r['wall_s']:.3f} s | **{r['ratio']:.3f}** |")
    return "\n".join(lines)


def plot(records, path):
    """Log-log SVG of time against resource count."""
    ns = sizes(records)
    if len(ns) < 2:
        return
    rows = {n: scale_row(records, n) for n in ns}
    series = [("apply (emulator)", "apply_wall", "#d62728"), ("no-op plan (emulator)", "plan_wall", "#1f77b4"),
              ("engine-only plan", "engine_wall", "#2ca02c")]
    vals = [rows[n][k] for _, k, _ in series for n in ns if rows[n][k]]
    lo, hi = math.floor(math.log10(min(vals))), math.ceil(math.log10(max(vals)))
    hi = max(hi, lo + 1)
    w, h, m = 640, 400, 60
    x = lambda n: m + (math.log10(n) - math.log10(ns[0])) / (math.log10(ns[-1]) - math.log10(ns[0])) * (w - 2 * m)
    y = lambda v: h - m - (math.log10(v) - lo) / (hi - lo) * (h - 2 * m)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">infra: time against resource count (log-log)</text>']
    for e in range(lo, hi + 1):
        svg.append(f'<line x1="{m}" x2="{w - m}" y1="{y(10 ** e)}" y2="{y(10 ** e)}" stroke="#ddd"/>')
        svg.append(f'<text x="{m - 6}" y="{y(10 ** e) + 4}" text-anchor="end">{10 ** e:g} s</text>')
    for n in ns:
        svg.append(f'<line x1="{x(n)}" x2="{x(n)}" y1="{m}" y2="{h - m}" stroke="#ddd"/>')
        svg.append(f'<text x="{x(n)}" y="{h - m + 18}" text-anchor="middle">{n:,}</text>')
    svg.append(f'<text x="{w / 2}" y="{h - 15}" text-anchor="middle">resources</text>')
    for i, (label, key, color) in enumerate(series):
        pts = [(x(n), y(rows[n][key])) for n in ns if rows[n][key]]
        svg.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="' +
                   " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        for a, b in pts:
            svg.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"/>')
        svg.append(f'<text x="{m + 10}" y="{m + 16 * i}" fill="{color}">{label}</text>')
    svg.append("</svg>")
    path.write_text("\n".join(svg) + "\n")


def summary(records):
    return "\n\n".join([reference_table(records), scale_table(records), schedule_table(records)])


def warm_text(records):
    """How the reference runs met their fresh emulators: warmed (the default) or cold."""
    ups = [r.get("emulator_warm_up_s") for r in pick(records, kind="reference")]
    if not ups or any(u is None for u in ups):
        return ("Cold emulators (`--cold`, or runs from before the warm-up existed): the first "
                "command of each run also paid for LocalStack starting its services lazily.")
    return (f"Each fresh emulator is warmed before anything is timed: one read per service "
            f"(EC2, Route53, STS), the same for both tools, because LocalStack builds a "
            f"service's backend on its first request (here {min(ups):.1f}-{max(ups):.1f} s) "
            f"and AWS has no such cost. `scripts/bench --cold` times it too.")


def write(records, out):
    m = pick(records, kind="machine")[0]
    end = pick(records, kind="end")[0]
    plot(records, out / "benchmarks/scale.svg")
    failures = check(records)
    targets = "\n".join(f"- missed: {f}" for f in failures) or "- every target was met"
    notes = NOTES.read_text() if NOTES.exists() else ""
    text = f"""# Benchmarks

Generated by `scripts/bench` on {m['date']} (commit {m['commit']}); rerun it to refresh this
page. Raw runs: [benchmarks/runs.jsonl](benchmarks/runs.jsonl) (one JSON object per command).

- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}. Load average
  (1, 5, 15 min) at the start {m['load']}, at the end {end['load']}: other builds shared the
  machine, so wall times are noisy; the Ansible ratio is measured back to back in one run,
  and engine figures also give instruction counts (`perf stat`, or valgrind's callgrind
  where the machine has no hardware counters, as on this VM).
- Versions: {m['infra']}, {m['rustc']}, {m['localstack']}, {m['ansible'] or 'Ansible not run'}.
- Every emulator run below starts a fresh LocalStack and stops it after; API calls are
  counted from LocalStack's own request log (`AWS ec2.DescribeVpcs => 200`), not from
  what the client reports. Each command is a whole process, timed from exec to exit.
- {warm_text(records)}

## Targets

{targets}

## 1-2. The reference network, side by side with Ansible {session_of(records, "reference")}

1 VPC, 3 public + 3 private subnets, an internet gateway, 3 EIPs, 3 NAT gateways, 1 public
+ 3 private route tables with their default routes and 6 associations, a public hosted
zone with one A record: `stacks/bench/reference` for infra, `bench/ansible/reference.yml`
(amazon.aws) for Ansible. Converge from empty (`apply` / `ansible-playbook`), a no-change
apply on the converged stack, and a no-op plan (`plan` / `ansible-playbook --check`).

{reference_table(records)}

## 3. Scale {session_of(records, "scale")}

`stacks/bench/scale --var resources=N`: subnets, route tables, associations, security
groups (3 rules each) and A records spread over 1, 2 or 4 VPCs and hosted zones. Apply once
(`--parallelism 10`), then no-op plans with refresh (API calls) and with `--refresh=false`
(the engine alone: SQLite state, parse, config, diff, graph).

{scale_table(records)}

![time against resource count](benchmarks/scale.svg)

Criterion benches (`cargo bench -p infra-plan --bench pipeline`, `cargo bench -p
infra-state --bench state_writes`): each stage of the engine in-process, and writing a full
apply's rows to the state (one transaction per resource, as apply commits them).

{criterion_table(records)}

## 4. Apply scheduling {session_of(records, "schedule")}

The fake provider with synthetic latencies (a NAT gateway 90 s, an EKS cluster 600 s, a
node group 180 s, scaled down), `--parallelism 10`: apply's wall time against the critical
path of its execution graph (`cargo run -p infra-apply --release --example schedule`).

{schedule_table(records)}

{notes}"""
    (out / "benchmarks.md").write_text(text)
