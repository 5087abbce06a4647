"""Time how long each DAG file in ``dags/`` takes to import, against an empty DAG file.

Each import runs in a fresh interpreter (as the DAG processor's parse would), several times; the
median is reported.  The baseline is a minimal ``DAG(...)`` with one task, imported the same way
in the same run, so the difference is what the DAG file itself costs above Airflow's own import.
Goal: at most 0.2 s above the empty DAG.

    .venv/bin/python bench/dag_parse.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROJECT_ROOT, Report, bench_env, median, run_child

GOAL_S = 0.2
EMPTY_DAG = '''"""Empty baseline DAG: one task, nothing imported beyond airflow.sdk."""
import pendulum
from airflow.sdk import DAG, task

with DAG(dag_id="bench_empty", schedule=None,
         start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:

    @task
    def noop() -> None:
        """Do nothing."""

    noop()
'''

# Cold: one fresh interpreter per import; times the whole import, airflow.sdk included.
COLD_CHILD = r"""
import importlib.util, json, sys, time
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("bench_dag_module", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - t0
from airflow.sdk import DAG
heavy = sorted(m for m in ("scrapy", "pandas", "pyarrow", "lxml", "trafilatura", "duckdb")
               if m in sys.modules)
print(json.dumps({"file": sys.argv[1], "import_s": elapsed,
                  "dags": sum(isinstance(v, DAG) for v in vars(module).values()),
                  "heavy": heavy}))
"""

# Warm: import airflow.sdk + pendulum once, then fork a fresh child per import (as Airflow's
# DAG processor does), so each timing is the file's own cost on an interpreter that has
# already loaded Airflow.  Rounds interleave the files so load noise hits all of them alike.
WARM_CHILD = r"""
import importlib.util, json, os, sys, time
import pendulum
from airflow.sdk import DAG, task
repeats, files = int(sys.argv[1]), sys.argv[2:]
for _ in range(repeats):
    for path in files:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            t0 = time.perf_counter()
            spec = importlib.util.spec_from_file_location("bench_dag_module", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            elapsed = time.perf_counter() - t0
            heavy = sorted(m for m in ("scrapy", "pandas", "pyarrow", "lxml", "trafilatura",
                                       "duckdb") if m in sys.modules)
            info = {"file": path, "import_s": elapsed, "heavy": heavy,
                    "dags": sum(isinstance(v, DAG) for v in vars(module).values())}
            os.write(write, json.dumps(info).encode())
            os._exit(0)
        os.close(write)
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        print(b"".join(chunks).decode(), flush=True)
"""


def _summarize(rows: list[dict[str, object]]) -> dict[str, object]:
    times = [float(r["import_s"]) for r in rows]
    return {"import_s": median(times), "min_import_s": min(times), "n": len(times),
            "dags": rows[-1]["dags"], "heavy": rows[-1]["heavy"]}


def _parse(usage_stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in usage_stdout.splitlines() if line.startswith("{")]


def time_warm(paths: list[Path], repeats: int) -> dict[str, dict[str, object]]:
    """Median import time of each file in forked children of one warmed interpreter."""
    usage = run_child([sys.executable, "-c", WARM_CHILD, str(repeats), *map(str, paths)],
                      env=bench_env(), cwd=PROJECT_ROOT)
    rows = _parse(usage.stdout)
    if usage.returncode != 0 or len(rows) != repeats * len(paths):
        raise RuntimeError(f"warm DAG import failed:\n{usage.stderr[-3000:]}")
    return {str(p): _summarize([r for r in rows if r["file"] == str(p)]) for p in paths}


def time_cold(paths: list[Path], repeats: int) -> dict[str, dict[str, object]]:
    """Median whole-import time of each file, one fresh interpreter per import."""
    rows: dict[str, list[dict[str, object]]] = {str(p): [] for p in paths}
    for _ in range(repeats):
        for path in paths:
            usage = run_child([sys.executable, "-c", COLD_CHILD, str(path)], env=bench_env(),
                              cwd=PROJECT_ROOT)
            if usage.returncode != 0:
                raise RuntimeError(f"importing {path} failed:\n{usage.stderr[-3000:]}")
            rows[str(path)] += _parse(usage.stdout)
    return {key: _summarize(value) for key, value in rows.items()}


def _row(name: str, res: dict[str, object], base: dict[str, object] | None) -> str:
    diff = "" if base is None else f"{float(res['import_s']) - float(base['import_s']):+.3f}"
    return (f"{name:<24}{res['import_s']:>10.3f}{res['min_import_s']:>8.3f}{diff:>13}"
            f"  {res['dags']:>4}  {', '.join(res['heavy']) or '-'}")  # type: ignore[arg-type]


def main() -> None:
    """Time every DAG file against the empty DAG and log the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="warm imports per file")
    parser.add_argument("--cold-repeats", type=int, default=1,
                        help="fresh-interpreter imports per file (0 to skip)")
    parser.add_argument("--dags", type=Path, default=PROJECT_ROOT / "dags")
    args = parser.parse_args()
    out = Report()
    header = f"{'file':<24}{'median s':>10}{'min s':>8}{'above empty':>13}  dags  heavy modules"
    files = sorted(args.dags.glob("*.py"))
    with tempfile.TemporaryDirectory(prefix="bench-dag-") as tmp:
        empty = Path(tmp) / "empty_dag.py"
        empty.write_text(EMPTY_DAG, encoding="utf-8")
        paths = [empty, *files]
        time_warm(paths, 1)  # write .pyc files and warm the page cache
        warm = time_warm(paths, args.repeats)
        out(f"DAG file import in a forked child of an interpreter that already imported "
            f"airflow.sdk + pendulum (the file's own cost), median of {args.repeats}")
        out(header)
        base = warm[str(empty)]
        out(_row("(empty DAG)", base, None))
        diffs = []
        for path in files:
            res = warm[str(path)]
            diffs.append(float(res["import_s"]) - float(base["import_s"]))
            out(_row(path.name, res, base))
        if args.cold_repeats:
            cold = time_cold(paths, args.cold_repeats)
            out(f"whole import in a fresh interpreter (airflow.sdk included), "
                f"median of {args.cold_repeats}; noisy on a shared machine")
            out(header)
            out(_row("(empty DAG)", cold[str(empty)], None))
            for path in files:
                out(_row(path.name, cold[str(path)], cold[str(empty)]))
        worst = max(diffs, default=0.0)
        verdict = "MET" if worst <= GOAL_S else "MISSED"
        out(f"worst difference {worst:+.3f} s; goal <= {GOAL_S} s above empty: {verdict}")
    out.save("DAG parse time")


if __name__ == "__main__":
    main()
