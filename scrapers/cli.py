"""The newsflow command: crawl, backfill, reprocess, check the sources, look into the lake.

    newsflow crawl SOURCE [SOURCE ...] --date D [--write]
    newsflow backfill --from D1 --to D2 [--sources a,b]
    newsflow reprocess --from D1 --to D2 [--sources a,b]
    newsflow sources check [--timeout S]
    newsflow lake show [--table T] [--date D] [--source S]

Every subcommand calls the code the DAGs run (scrapers.tasks.plan, scrapers.tasks.crawl,
scrapers.tasks.daily, scrapers.tasks.reprocess, scrapers.check_sources, transforms.lake);
nothing here decides what is crawled, kept or written.  Days are UTC days written YYYY-MM-DD.
Progress bars go to stderr, and only when stderr is a terminal.  Exit status: 0 done, 1 a crawl
or check failed, 2 a usage error (bad date, unknown source or table), 75 another writer holds
the lake.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress

EXIT_USAGE = 2
DAY_HELP = "a UTC day written YYYY-MM-DD"
DEFAULT_COLUMNS = {
    "articles": ["date", "source", "published_at", "title"],
    "quarantine": ["date", "source", "stage", "reason", "url"],
    "run_reports": ["date", "source", "status", "fetched", "written", "quarantined", "errors"],
}


class UsageError(Exception):
    """A request the command cannot run as asked (exit status 2)."""


def day(text: str) -> date:
    """A ``YYYY-MM-DD`` day (argparse type, so a bad one is a usage error)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not {DAY_HELP}, e.g. 2026-11-22")


def source_list(text: str) -> list[str]:
    """Comma-separated source ids (argparse type)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included; a usage error when reversed."""
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def make_progress() -> Progress:
    """A progress display on stderr, switched off when stderr is not a terminal.

    While it is drawn, what is printed to stdout goes above the bar only when stdout is the
    terminal too; stdout sent to a file or a pipe is left alone.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, disable=not console.is_terminal,
                    redirect_stdout=sys.stdout.isatty())


def registry_path(given: Path | None) -> Path:
    """``--registry``, else ``$NEWSFLOW_REGISTRY``, else the real-outlet registry."""
    from scrapers.tasks.plan import resolve_registry

    return resolve_registry(str(given) if given else None)


def check_known(registry: Path, sources: list[str] | None) -> None:
    """A usage error naming the sources the registry does not list."""
    from scrapers.sources import load_registry

    if not sources:
        return
    known = load_registry(registry).ids
    unknown = sorted(set(sources) - set(known))
    if unknown:
        raise UsageError(f"unknown source(s) {', '.join(unknown)}; {registry} has "
                         f"{', '.join(known)}")


# --------------------------------------------------------------------------- crawl, backfill


def plan_days(days: list[date], sources: list[str] | None, registry: Path,
              stamp: str) -> dict[date, tuple[str, list[dict[str, Any]]]]:
    """Each day's run id and crawl jobs, planned before anything runs (bad sources fail here)."""
    from scrapers.tasks.plan import plan_crawls, resolve_window

    plans = {}
    for one in days:
        run_id = f"cli__{one.isoformat()}__{stamp}"
        start, end = resolve_window(None, None, day=one)
        try:
            jobs = plan_crawls(start, end, registry, sources, run_id)
        except ValueError as exc:  # unknown source, empty or invalid registry
            raise UsageError(str(exc)) from exc
        plans[one] = (run_id, [job.to_dict() for job in jobs])
    return plans


def crawl_job(job: dict[str, Any]) -> bool:
    """Run one planned crawl and print its summary; False when it failed."""
    from scrapers.tasks.crawl import CrawlFailed
    from scrapers.tasks.daily import crawl_source, print_crawl_summary

    failure: str | None = None
    with contextlib.redirect_stdout(io.StringIO()):  # its summary and JSON; summary below
        try:
            crawl_source(job)
        except CrawlFailed as exc:
            failure = str(exc)
    print_crawl_summary(job)  # read back from the staged stats file
    if failure:
        print(f"crawl of {job['source']} FAILED: {failure}", flush=True)
    return failure is None


def write_day(jobs: list[dict[str, Any]], run_id: str) -> None:
    """Merge a day's staged crawls into the lake (the DAG's write task) and print its lines."""
    from scrapers.tasks.daily import describe_write, write_staged

    with contextlib.redirect_stdout(io.StringIO()):  # its lines and JSON; printed below
        summary = write_staged(jobs, run_id)
    print(describe_write(jobs, summary), flush=True)


def run_days(days: list[date], sources: list[str] | None, registry: Path, write: bool) -> int:
    """Crawl every planned job of ``days`` (and write each day when ``write``); 1 if any failed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    plans = plan_days(days, sources, registry, stamp)
    failed = 0
    with make_progress() as bar:
        task = bar.add_task("crawl", total=sum(len(jobs) for _, jobs in plans.values()))
        for one, (run_id, jobs) in plans.items():
            for job in jobs:
                bar.update(task, description=f"{one} {job['source']}")
                failed += not crawl_job(job)
                bar.advance(task)
            if write:
                bar.update(task, description=f"{one} write")
                write_day(jobs, run_id)
    return 1 if failed else 0


def cmd_crawl(args: argparse.Namespace) -> int:
    """``newsflow crawl``."""
    return run_days([args.date], args.sources, registry_path(args.registry), args.write)


def cmd_backfill(args: argparse.Namespace) -> int:
    """``newsflow backfill``."""
    days = days_between(args.first, args.last)
    return run_days(days, args.sources or None, registry_path(args.registry), write=True)


# --------------------------------------------------------------------------- reprocess


def describe_reprocess(summary: dict[str, Any]) -> str:
    """The reprocess summary as a few readable lines."""
    counts = summary.get("reprocess", {})
    totals = summary.get("totals", {})
    lines = [f"reprocess of run days {summary['start']}..{summary['end']} "
             f"(run id {summary['run_id']}): {counts.get('selected', 0)} archived pages "
             f"selected, {counts.get('staged', 0)} staged"]
    lines.append("  lake          " + ", ".join(f"{totals.get(k, 0)} {k}" for k in
                                               ("inserted", "updated", "unchanged",
                                                "quarantined")))
    skipped = {k: v for k, v in counts.items()
               if v and k not in {"selected", "staged", "responses"}}
    if skipped:
        lines.append("  not staged    " + ", ".join(f"{v} {k}" for k, v in skipped.items()))
    return "\n".join(lines)


def cmd_reprocess(args: argparse.Namespace) -> int:
    """``newsflow reprocess``."""
    from scrapers.tasks.reprocess import make_run_id, reprocess_from_shell

    days_between(args.first, args.last)
    registry = registry_path(args.registry)
    check_known(registry, args.sources or None)
    run_id = args.run_id or make_run_id()
    with make_progress() as bar:
        task = bar.add_task(f"reprocess {args.first}..{args.last}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        code, summary = reprocess_from_shell(
            "newsflow reprocess", args.first, args.last, args.sources or None, run_id=run_id,
            registry=registry, wait=args.wait, owner=f"newsflow reprocess run {run_id}",
            progress=advance)
    if summary is None:
        return code
    print(json.dumps(summary, indent=1, default=str) if args.json
          else describe_reprocess(summary))
    return 0


# --------------------------------------------------------------------------- sources, lake


def cmd_sources_check(args: argparse.Namespace) -> int:
    """``newsflow sources check``: ``python -m scrapers.check_sources`` with the same options."""
    from scrapers import check_sources

    argv = ["--timeout", str(args.timeout), "--workers", str(args.workers)]
    if args.registry:
        argv += ["--registry", str(args.registry)]
    if args.deadline is not None:
        argv += ["--deadline", str(args.deadline)]
    return check_sources.main(argv)


def cmd_lake_show(args: argparse.Namespace) -> int:
    """``newsflow lake show``: rows per partition of every table, or one table's rows."""
    from transforms.schema import TABLES

    specs = {spec.name: spec for spec in TABLES}
    if args.table:
        return show_rows(specs[args.table], args)
    for spec in TABLES:
        show_partitions(spec, args)
    return 0


def read_lake(spec: Any, args: argparse.Namespace, columns: list[str] | None) -> Any:
    """The wanted partitions and columns of one table (``transforms.lake.read_table``)."""
    from transforms.lake import read_table

    try:
        return read_table(spec, None, args.date or None, args.source or None, columns)
    except ValueError as exc:  # an unknown column or a malformed source id
        raise UsageError(str(exc)) from exc


def show_partitions(spec: Any, args: argparse.Namespace) -> None:
    """One line per table, then its rows per (date, source) partition."""
    frame = read_lake(spec, args, ["date", "source"])
    if frame.empty:
        print(f"{spec.name}: no rows")
        return
    counts = frame.groupby(["date", "source"]).size()
    days = sorted(str(d) for d in frame["date"].unique())
    print(f"{spec.name}: {len(frame)} rows in {len(counts)} partitions, "
          f"days {days[0]}..{days[-1]}")
    for (one, source), rows in counts.items():
        print(f"  {one}  {source:<24} {rows:>7}")


def show_rows(spec: Any, args: argparse.Namespace) -> int:
    """Up to ``--limit`` rows of one table, newest day first, as a text table."""
    columns = args.columns or DEFAULT_COLUMNS.get(spec.name)
    frame = read_lake(spec, args, columns)
    if frame.empty:
        print(f"{spec.name}: no rows")
        return 0
    if columns:
        frame = frame[list(dict.fromkeys(columns))]  # in the order asked for
    order = [c for c in ("date", "source") if c in frame]
    if order:
        frame = frame.sort_values(order, ascending=[c != "date" for c in order], kind="stable")
    shown = frame.head(args.limit)
    print(shown.to_string(index=False, max_colwidth=args.width))
    if len(frame) > len(shown):
        print(f"... {len(frame) - len(shown)} more rows (--limit)")
    return 0


# --------------------------------------------------------------------------- the parser


CRAWL_HELP = """Crawl SOURCE(s) for one UTC day, as news_daily's crawl tasks do: each a scrapy
subprocess writing staged JSONL and WARCs; prints each crawl's summary. With --write the staged
items are merged into the lake as the write task does.

  newsflow crawl dawn --date 2026-11-22 --write"""

BACKFILL_HELP = """For each UTC day from D1 to D2: crawl every source (or --sources), then merge
the day into the lake, as one news_daily run would (without its gate and run report).

  newsflow backfill --from 2026-11-18 --to 2026-11-24 --sources dawn,jang"""

REPROCESS_HELP = """Re-extract the archived raw pages (WARCs) of run days D1..D2 with today's
extractor and merge them into the lake, as the news_reprocess DAG does. No network request is
made. Exit status 75 when another writer holds the lake (see --wait).

  newsflow reprocess --from 2026-11-18 --to 2026-11-24"""

CHECK_HELP = """Fetch every outlet's robots.txt, feeds and sitemaps and say per outlet what
answered (scrapers.check_sources). Exit status 0 when every outlet is reachable, 1 when any is
not, 2 when the registry is invalid."""

SHOW_HELP = """Without --table: each table's rows per (date, source) partition. With --table:
its rows, newest day first.

  newsflow lake show --date 2026-11-20
  newsflow lake show --table articles --source dawn --columns url,title"""


def add_command(group: Any, name: str, run: Any, summary: str, description: str,
                parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    """A subcommand ``name`` (its last word) of ``group`` that runs ``run(args)``."""
    command = group.add_parser(name.split()[-1], parents=list(parents), help=summary,
                               description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    command.set_defaults(run=run, name=name)
    return command


def shared_options() -> tuple[argparse.ArgumentParser, ...]:
    """The ``--lake`` and ``--registry`` options, and the ``--from/--to/--sources`` day range."""
    lake = argparse.ArgumentParser(add_help=False)
    lake.add_argument("--lake", metavar="PATH_OR_URI",
                      help="the lake (sets NEWSFLOW_LAKE; default $NEWSFLOW_LAKE or data/lake)")
    registry = argparse.ArgumentParser(add_help=False)
    registry.add_argument("--registry", type=Path, metavar="YAML",
                          help="source registry (default $NEWSFLOW_REGISTRY or "
                               "scrapers/sources.yaml)")
    span = argparse.ArgumentParser(add_help=False)
    span.add_argument("--from", dest="first", type=day, required=True, metavar="D1",
                      help=f"first day, {DAY_HELP}")
    span.add_argument("--to", dest="last", type=day, required=True, metavar="D2",
                      help=f"last day (included), {DAY_HELP}")
    span.add_argument("--sources", type=source_list, default=[], metavar="A,B",
                      help="comma-separated source ids (default: every source)")
    return lake, registry, span


def build_parser() -> argparse.ArgumentParser:
    """The ``newsflow`` argument parser with its subcommands."""
    from scrapers.check_sources import DEFAULT_TIMEOUT, DEFAULT_WORKERS
    from scrapers.tasks.reprocess import seconds
    from transforms.schema import TABLES

    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    lake_option, registry, span = shared_options()

    crawl = add_command(commands, "crawl", cmd_crawl, "crawl sources for one UTC day into "
                        "staging (and the lake with --write)", CRAWL_HELP, [lake_option, registry])
    crawl.add_argument("sources", nargs="+", metavar="SOURCE", help="source id(s) of the registry")
    crawl.add_argument("--date", type=day, required=True, help=f"the day to crawl, {DAY_HELP}")
    crawl.add_argument("--write", action="store_true", help="merge the crawl into the lake")

    add_command(commands, "backfill", cmd_backfill, "crawl and write every day from D1 to D2",
                BACKFILL_HELP, [lake_option, registry, span])

    reprocess = add_command(commands, "reprocess", cmd_reprocess, "re-extract archived pages "
                            "of run days D1..D2 into the lake, offline", REPROCESS_HELP,
                            [lake_option, registry, span])
    reprocess.add_argument("--run-id", help="run id written to the rows (default reprocess__<now>)")
    reprocess.add_argument("--wait", type=seconds, default=0.0, metavar="SECONDS",
                           help="wait up to SECONDS for another writer's lease "
                                "(default 0: refuse at once)")
    reprocess.add_argument("--json", action="store_true", help="print the full JSON summary")

    sources = commands.add_parser("sources", help="registry tools", description="Registry tools.")
    check = add_command(sources.add_subparsers(metavar="COMMAND", required=True),
                        "sources check", cmd_sources_check, "check that every outlet's "
                        "robots.txt, feeds and sitemaps answer", CHECK_HELP, [registry])
    check.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help=f"seconds per request (default {DEFAULT_TIMEOUT:g})")
    check.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                       help=f"outlets checked at once (default {DEFAULT_WORKERS})")
    check.add_argument("--deadline", type=float, default=None,
                       help="seconds for the whole run (default 2 x timeout + 5)")

    lake = commands.add_parser("lake", help="look into the lake", description="Lake tools.")
    show = add_command(lake.add_subparsers(metavar="COMMAND", required=True), "lake show",
                       cmd_lake_show, "rows per partition of every table, or one table's rows",
                       SHOW_HELP, [lake_option])
    show.add_argument("--table", choices=[spec.name for spec in TABLES],
                      help="show this table's rows")
    show.add_argument("--date", type=day, action="append", metavar="D",
                      help=f"only this day ({DAY_HELP}); may be repeated")
    show.add_argument("--source", action="append", metavar="SOURCE",
                      help="only this source; may be repeated")
    show.add_argument("--columns", type=source_list, metavar="A,B",
                      help="columns to show with --table (default: a few per table)")
    show.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
    show.add_argument("--width", type=int, default=60, help="widest column shown (default 60)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsflow`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "lake", None):
        os.environ["NEWSFLOW_LAKE"] = args.lake  # crawl subprocesses inherit it
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"newsflow {args.name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
