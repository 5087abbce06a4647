"""How much of a backfill is Airflow? news_daily over 7 demo days, through Airflow and without.

Both sides run the same code path on the same days against the bundled demo sites (served on
127.0.0.1 by ``scrapers.demo.server``), each with a fresh lake and staging area:

1. the floor: in a child process, for each day in turn, ``scrapers.tasks.daily.plan_run``, then
   ``crawl_source`` for every job (4 at a time, as 4 executor slots would), ``write_staged``,
   the gate task's ``gate_run`` and ``publish_extra``, and ``report_run``: what the DAG's
   tasks call, with nothing around them;
2. Airflow: ``tests.airflow_proc.AirflowHarness`` (a throwaway PostgreSQL, api-server, scheduler,
   dag-processor and triggerer in one process group, LocalExecutor at parallelism 4),
   one backfill of the same days created through ``POST /api/v2/backfills`` as the UI's dialog
   does (``max_active_runs`` 3, the DAG's own limit), timed from the POST to its completion.

It prints the wall time of each, Airflow's overhead as a ratio (goal: at most 25% on top of the
floor), task instances per run, CPU seconds per task instance (psutil over the component tree:
every live process's own and reaped children's CPU, so finished task processes are counted by
the process that waited for them), CPU by component, the idle CPU the components burn with no
run, and where a run's wall time goes (queueing, task start-up and the work itself).

Days: 2026-11-18 .. 2026-11-24 by default, the days the demo outlets publish on (2026-11-11 ..
17 crawl every feed, sitemap, listing and archive and find nothing: ``--first-day 2026-11-11
--days 14`` adds them). A gate that fails costs both sides the same work: the gate task's
checks run either way, only the Asset's extra is not built.

The demo's sources are all on 127.0.0.1, one domain group, so their crawls take turns on one
domain lease on both sides; the bench counts the crawl logs that say they waited for it.

    .venv/bin/python bench/backfill.py [--first-day 2026-11-18] [--days 7] [--parallelism 4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROJECT_ROOT, Report, bench_env, fmt_bytes, run_child

DAG_ID = "news_daily"
GOAL_OVERHEAD = 0.25
DEFAULT_FIRST_DAY = date(2026, 11, 18)
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"
IDLE_SECONDS = 20.0


# -- the floor: the DAG's task functions called in a loop -----------------------------------

def run_id_of(day: date) -> str:
    """The run id Airflow gives a backfill run of ``day`` (it names the run's staging)."""
    return f"backfill__{day.isoformat()}T00:00:00+00:00"


def timed_step(steps: list[dict[str, Any]], name: str, func: Any, *args: Any,
               **kwargs: Any) -> tuple[Any, str]:
    """Call ``func``, record its wall time and outcome under ``name``; return (result, state)."""
    start = time.perf_counter()
    state, result = "success", None
    try:
        result = func(*args, **kwargs)
    except Exception as exc:  # a failed crawl or gate fails only its own step, as in the DAG
        state = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
    steps.append({"task": name, "seconds": time.perf_counter() - start, "state": state})
    return result, state


def floor_day(day: date, slots: int) -> dict[str, Any]:
    """One day's run as the DAG runs it, without Airflow; per-step wall times and states."""
    from scrapers.tasks.daily import (
        crawl_source,
        gate_run,
        plan_run,
        publish_extra,
        report_run,
        write_staged,
    )

    def gate(jobs: list[dict[str, Any]], summary: dict[str, Any], crawled: list[str],
             run_id: str) -> dict[str, Any]:
        """What the DAG's gate task does: every source's checks, then the Asset's extra."""
        failed = [job["source"] for job, state in zip(jobs, crawled, strict=True)
                  if state != "success"]
        gate_run(jobs, summary, failed_crawls=failed)
        return publish_extra(jobs, summary, run_id=run_id)

    run_id = run_id_of(day)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    steps: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    jobs, _ = timed_step(steps, "plan", plan_run, {}, start, start + timedelta(days=1), run_id)
    with ThreadPoolExecutor(max_workers=slots) as pool:
        crawled = list(pool.map(lambda job: timed_step(steps, "crawl", crawl_source, job)[1],
                                jobs))
    summary, _ = timed_step(steps, "write", write_staged, jobs, run_id)
    timed_step(steps, "gate", gate, jobs, summary, crawled, run_id)
    timed_step(steps, "report", report_run, jobs, summary, run_id)
    return {"day": day.isoformat(), "seconds": time.perf_counter() - t0, "steps": steps,
            "written": (summary or {}).get("totals", {}).get("written")}


def child_floor(days: list[date], slots: int) -> dict[str, Any]:
    """Every day in turn; the whole loop's wall time and each day's steps."""
    t0 = time.perf_counter()
    runs = [floor_day(day, slots) for day in days]
    return {"seconds": time.perf_counter() - t0, "runs": runs}


# -- Airflow: CPU of the component tree -----------------------------------------------------

def cpu_by_component(group: Any) -> dict[str, float]:
    """CPU seconds so far of each component's tree: own time plus reaped children's time.

    A finished process's CPU lives on in its parent's ``children_*`` times once it is waited
    for, so the sum over live processes keeps every finished task process too. The scheduler's
    descendants (LocalExecutor workers, task supervisors and runners, scrapy) are counted apart
    as ``tasks``; PostgreSQL (attached to the group) is ``postgres``.
    """
    import psutil

    totals: dict[str, float] = defaultdict(float)
    roots = [*group.procs.items(), *((name, p) for name, (p, _) in group.attached.items())]
    for name, proc in roots:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(proc.pid)
            for member in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = member.cpu_times()
                    own = t.user + t.system
                    reaped = t.children_user + t.children_system
                    if name == "scheduler" and member.pid != root.pid:
                        totals["tasks"] += own + reaped
                    elif name == "scheduler":
                        totals["scheduler"] += own
                        totals["tasks"] += reaped
                    else:
                        totals[name] += own + reaped
    return dict(totals)


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each component used between two snapshots."""
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in sorted(set(before) | set(after))}


def parse_instant(value: str | None) -> datetime | None:
    """An API timestamp as an aware datetime (None stays None)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def backfill_body(first: date, last: date, max_active_runs: int) -> dict[str, Any]:
    """The body the UI's Backfill dialog posts (bounds are inclusive logical dates)."""
    return {"dag_id": DAG_ID, "from_date": f"{first.isoformat()}T00:00:00Z",
            "to_date": f"{last.isoformat()}T00:00:00Z", "run_backwards": False,
            "dag_run_conf": {}, "reprocess_behavior": "none",
            "max_active_runs": max_active_runs, "run_on_latest_version": True}


def wait_backfill(af: Any, backfill_id: int, runs_wanted: int, timeout: float
                  ) -> list[dict[str, Any]]:
    """Poll until every run of the backfill is finished and the backfill completed."""
    deadline = time.monotonic() + timeout
    last: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        runs = [r for r in af.api.get(f"/api/v2/dags/{DAG_ID}/dagRuns",
                                      params={"limit": 100, "order_by": "logical_date"}
                                      )["dag_runs"] if r["run_type"] == "backfill"]
        last = [(r["dag_run_id"], r["state"]) for r in runs]
        if (len(runs) == runs_wanted and all(r["state"] in ("success", "failed") for r in runs)
                and af.api.get(f"/api/v2/backfills/{backfill_id}")["completed_at"]):
            return runs
        af.assert_alive()
        time.sleep(2.0)  # the API's own CPU counts: poll gently
    raise TimeoutError(f"backfill {backfill_id} not done after {timeout:.0f} s: {last}")


def airflow_backfill(days: list[date], env: dict[str, str], root: Path, parallelism: int,
                     max_active_runs: int, timeout: float) -> dict[str, Any]:
    """Start a throwaway Airflow, backfill ``days``, and measure it; always stops it."""
    from tests.airflow_proc import AirflowHarness

    extra = {**env, "AIRFLOW__CORE__PARALLELISM": str(parallelism)}
    af = AirflowHarness(root, extra_env=extra, base_env=bench_env())
    out: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        af.init_db()
        api = af.start()
        af.wait_for_dag(DAG_ID)
        api.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        out["startup_s"] = time.perf_counter() - t0
        out["startup_parts"] = dict(af.timings)
        idle0 = cpu_by_component(af.group)
        time.sleep(IDLE_SECONDS)
        idle1 = cpu_by_component(af.group)
        out["idle_cpu"] = cpu_delta(idle0, idle1)
        start = time.perf_counter()
        backfill = api.post("/api/v2/backfills",
                            backfill_body(days[0], days[-1], max_active_runs))
        runs = wait_backfill(af, backfill["id"], len(days), timeout)
        out["seconds"] = time.perf_counter() - start
        out["cpu"] = cpu_delta(idle1, cpu_by_component(af.group))
        out["runs"] = []
        for run in runs:
            tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances",
                          params={"limit": 200})["task_instances"]
            out["runs"].append({"run": run, "tis": tis})
        out["lease_waits"] = count_lease_waits(af.home / "logs")
        out["peak_tree_rss"] = af.sampler.peak_tree
        out["peak_pss"] = af.sampler.peak_pss
    finally:
        af.stop()
    return out


def count_lease_waits(logs: Path) -> dict[str, int]:
    """Crawl task logs, and how many of them say the crawl waited for a held domain lease."""
    crawls = [p for p in logs.rglob("*.log") if "task_id=crawl" in str(p)]
    waited = sum("for domain group" in p.read_text(encoding="utf-8", errors="replace")
                 for p in crawls)
    return {"crawl_logs": len(crawls), "waited": waited}


def crawl_overlap(runs: list[dict[str, Any]]) -> tuple[float, float]:
    """Summed running time of every crawl task instance, and the time any crawl was running.

    The demo's sources share one domain lease, so one crawl at a time does its work: the
    difference is time crawl task instances spent on a slot beside another crawl (waiting for
    the lease, or starting up and finishing while another crawled): an upper bound of the wait.
    """
    spans = sorted((parse_instant(ti["start_date"]), parse_instant(ti["end_date"]))
                   for entry in runs for ti in entry["tis"]
                   if ti["task_id"] == "crawl" and ti.get("start_date") and ti.get("end_date"))
    busy = sum((end - start).total_seconds() for start, end in spans)
    union, reach = 0.0, None
    for start, end in spans:
        if reach is None or start > reach:
            union += (end - start).total_seconds()
            reach = end
        elif end > reach:
            union += (end - reach).total_seconds()
            reach = end
    return busy, union


# -- report ---------------------------------------------------------------------------------

def ti_timeline(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per task: mean duration and mean wait from queued to started; per run: wall and states."""
    durations: dict[str, list[float]] = defaultdict(list)
    waits: dict[str, list[float]] = defaultdict(list)
    sched: dict[str, list[float]] = defaultdict(list)
    states: dict[str, int] = defaultdict(int)
    run_walls = []
    for entry in runs:
        run = entry["run"]
        r0, r1 = parse_instant(run.get("start_date")), parse_instant(run.get("end_date"))
        if r0 and r1:
            run_walls.append((r1 - r0).total_seconds())
        for ti in entry["tis"]:
            states[ti["state"] or "none"] += 1
            if ti.get("duration") is not None:
                durations[ti["task_id"]].append(float(ti["duration"]))
            queued, started = parse_instant(ti.get("queued_when")), parse_instant(
                ti.get("start_date"))
            scheduled = parse_instant(ti.get("scheduled_when"))
            if queued and started:
                waits[ti["task_id"]].append((started - queued).total_seconds())
            if scheduled and queued:
                sched[ti["task_id"]].append((queued - scheduled).total_seconds())
    return {"durations": durations, "waits": waits, "sched": sched, "states": dict(states),
            "run_walls": run_walls}


def mean(values: list[float]) -> float:
    """Arithmetic mean, 0 for no values."""
    return sum(values) / len(values) if values else 0.0


def report(out: Report, days: list[date], slots: int, floor: dict[str, Any], floor_cpu: float,
           floor_rss: int, af: dict[str, Any], floor_rows: int, af_rows: int) -> None:
    """Print the comparison and the evidence for where Airflow's time goes."""
    floor_s, af_s = floor["seconds"], af["seconds"]
    overhead = af_s / floor_s - 1
    tl = ti_timeline(af["runs"])
    tis = sum(len(r["tis"]) for r in af["runs"])
    floor_steps = sum(len(r["steps"]) for r in floor["runs"])
    cpu_total = sum(af["cpu"].values())
    out(f"days: {days[0]} .. {days[-1]} ({len(days)} runs; demo articles exist on 2026-11-18 "
        f"..24, earlier days crawl and find nothing)")
    out(f"floor (scrapers.tasks.daily functions in a loop, crawls {slots} at a time): "
        f"{floor_s:.1f} s wall, {floor_cpu:.1f} s CPU (process tree), peak RSS "
        f"{fmt_bytes(floor_rss)} (largest single process), {floor_steps} steps, "
        f"{floor_rows} rows in the lake")
    out(f"airflow backfill (POST /api/v2/backfills to completed): {af_s:.1f} s wall, "
        f"{cpu_total:.1f} s CPU (component tree), {tis} task instances = "
        f"{tis / len(af['runs']):.1f} per run ({dict(sorted(tl['states'].items()))}), "
        f"{af_rows} rows in the lake; peak RSS of the tree {fmt_bytes(af['peak_tree_rss'])} "
        f"(PSS {fmt_bytes(af['peak_pss'])})")
    verdict = "PASS" if overhead <= GOAL_OVERHEAD else "MISS"
    out(f"airflow overhead: {af_s / floor_s:.2f}x the floor's wall = +{overhead:.0%} "
        f"(goal <= +{GOAL_OVERHEAD:.0%}): {verdict}")
    out(f"CPU: {cpu_total / tis:.2f} s per task instance under Airflow vs "
        f"{floor_cpu / floor_steps:.2f} s per step in the floor; Airflow used "
        f"{cpu_total - floor_cpu:+.1f} s CPU more = {(cpu_total - floor_cpu) / tis:.2f} s per "
        f"task instance")
    out("CPU by component during the backfill (s; idle = the same components over "
        f"{IDLE_SECONDS:.0f} s with no run, per second):")
    for name, secs in sorted(af["cpu"].items(), key=lambda kv: -kv[1]):
        idle = af["idle_cpu"].get(name, 0.0) / IDLE_SECONDS
        out(f"  {name:<14} {secs:7.1f} s  ({secs / max(cpu_total, 1e-9):4.0%}); idle "
            f"{idle:.2f} CPU-s/s -> {idle * af_s:.1f} s over the backfill's wall")
    floor_by_task: dict[str, list[float]] = defaultdict(list)
    for run in floor["runs"]:
        for step in run["steps"]:
            floor_by_task[step["task"]].append(step["seconds"])
    out("per task: mean wall in the floor vs Airflow's task-instance duration, and the wait "
        "from scheduled to queued and queued to running:")
    out(f"  {'task':<8} {'n':>4} {'floor s':>8} {'airflow s':>10} {'sched->queued':>14} "
        f"{'queued->run':>12}")
    for task in ("plan", "crawl", "write", "gate", "report"):
        ran = tl["durations"].get(task, [])
        out(f"  {task:<8} {len(ran):>4} {mean(floor_by_task.get(task, [])):>8.2f} "
            f"{mean(ran):>10.2f} {mean(tl['sched'].get(task, [])):>14.2f} "
            f"{mean(tl['waits'].get(task, [])):>12.2f}")
    busy_crawls, any_crawl = crawl_overlap(af["runs"])
    waits = af.get("lease_waits", {})
    out(f"crawl task instances: {busy_crawls:.0f} s summed, {any_crawl:.0f} s with any crawl "
        f"running: up to {busy_crawls - any_crawl:.0f} s on a slot beside another crawl of the "
        f"one domain group; {waits.get('waited', 0)} of {waits.get('crawl_logs', 0)} crawl logs "
        "say they waited for the domain lease")
    floor_runs = [r["seconds"] for r in floor["runs"]]
    out(f"per run: floor {mean(floor_runs):.1f} s a day (days in turn); Airflow "
        f"{mean(tl['run_walls']):.1f} s a run (up to the backfill's max_active_runs at once)")
    busy = sum(sum(v) for v in tl["durations"].values())
    out(f"task-instance time: {busy:.0f} s summed over {tis} instances vs the floor's "
        f"{sum(floor_runs):.0f} s of steps; slot use {busy / (af_s * slots):.0%} of "
        f"{slots} slots x {af_s:.0f} s")
    out(f"one-time start-up (not in the ratio): {af['startup_s']:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in af['startup_parts'].items())})")


def lake_rows(lake: Path) -> int:
    """Article rows in a lake (0 when it has none)."""
    if not (lake / "articles").exists():
        return 0
    import pyarrow.dataset as ds

    return ds.dataset(lake / "articles", format="parquet", partitioning="hive").count_rows()


def main() -> None:
    """Run the floor, then the Airflow backfill, on the same days; print and log the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-day", type=date.fromisoformat, default=DEFAULT_FIRST_DAY)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--parallelism", type=int, default=4, help="LocalExecutor slots")
    parser.add_argument("--max-active-runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="backfill time limit, s")
    parser.add_argument("--tis-json", type=Path,
                        help="also write every run and task instance (as the API gives them) here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        days = [date.fromisoformat(d) for d in args.child[1].split(",")]
        print(json.dumps(child_floor(days, int(args.child[0]))))
        return
    from scrapers.demo.server import serve_demo_sites

    days = [args.first_day + timedelta(days=n) for n in range(args.days)]
    out = Report()
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    server = serve_demo_sites()
    try:
        def side_env(name: str) -> dict[str, str]:
            return {"NEWSFLOW_DEMO_BASE": server.base_url,
                    "NEWSFLOW_REGISTRY": str(DEMO_REGISTRY),
                    "NEWSFLOW_LAKE": str(work / name / "lake"),
                    "NEWSFLOW_STAGING": str(work / name / "staging"),
                    "NEWSFLOW_TASK_RETRIES": "0"}

        floor_env = side_env("floor")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(args.parallelism),
               ",".join(d.isoformat() for d in days)]
        usage = run_child(cmd, env={**bench_env(), **floor_env}, cwd=PROJECT_ROOT,
                          timeout=args.timeout)
        if usage.returncode != 0:
            raise RuntimeError(f"floor failed ({usage.returncode}):\n{usage.stderr[-3000:]}")
        floor = json.loads(usage.stdout.strip().splitlines()[-1])
        failed = [(r["day"], s["task"], s["state"]) for r in floor["runs"] for s in r["steps"]
                  if s["state"] != "success"]
        if failed:
            out(f"floor steps that failed: {failed}")
        af_env = side_env("airflow")
        af = airflow_backfill(days, af_env, work / "airflow", args.parallelism,
                              args.max_active_runs, args.timeout)
        if args.tis_json:
            args.tis_json.write_text(json.dumps({"floor": floor, "airflow": af["runs"]}, indent=1))
        rows = [lake_rows(Path(e["NEWSFLOW_LAKE"])) for e in (floor_env, af_env)]
        report(out, days, args.parallelism, floor, usage.cpu, usage.max_rss, af, *rows)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    out(f"[bench/backfill.py took {time.perf_counter() - t0:.0f} s; load now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores]")
    out.save("Backfill: Airflow vs the same task functions in a loop")


if __name__ == "__main__":
    main()
