"""`wan22 bench`: run a benchmark matrix (TOML spec) and write a CSV and an HTML report.

    wan22 bench my_bench.toml --out results/5090                    (the server in the settings)
    wan22 bench my_bench.toml --server http://gpu-box:8188 --out results/5090
    wan22 bench my_bench.toml --comfyui ~/ComfyUI --out results/5090  (starts/restarts ComfyUI)
    wan22 bench --report-only results/5090                             (rebuild CSV + report)

Running the same spec into the same --out folder again resumes: finished runs are skipped.
Exit codes: 0 every run has a result (OOMs included), 1 some runs could not run (no server),
2 bad spec or arguments, 130 interrupted (Ctrl-C cancels the running job; resume later).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any, Callable, TextIO

from wan22_gui.core.bench.stats import format_duration

HELP = "run a benchmark matrix (images × sizes × frames × configs) into a CSV and HTML report"

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?", type=Path, help="the benchmark spec (TOML); see "
                        "resources/bench_example.toml")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", help="use the ComfyUI at this address (it is never "
                       "restarted; configurations needing other launch flags are left out)")
    where.add_argument("--backend", metavar="NAME", help="use this backend of `wan22 "
                       "backends list` (like --server)")
    where.add_argument("--comfyui", type=Path, metavar="PATH", help="start ComfyUI from this "
                       "folder, restarting it between configurations with other launch flags")
    parser.add_argument("--port", type=int, help="port for --comfyui (default 8188 or the next "
                        "free one)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="output folder (results.jsonl, results.csv, report.html, clips)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="run OOM, failed and crashed runs again when resuming")
    parser.add_argument("--plan", action="store_true",
                        help="only list the cells and how many runs are left, run nothing")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild results.csv and report.html from --out, run nothing")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    from wan22_gui.app import App

    if args.report_only:
        return _report_only(args.out, args.spec, sys.stdout)
    if args.spec is None:
        print("wan22 bench: give the spec file (or --report-only).", file=sys.stderr)
        return EXIT_USAGE
    spec = _load(args.spec)
    if args.plan:
        return _print_plan(spec, args.out, args.retry_failed, sys.stdout)
    app = App.build(history=True, telemetry=True)
    try:
        from wan22_gui.core.bench.wiring import open_benchmark

        server_url = args.server
        if args.backend:
            from wan22_gui.cli.backends import backend_url

            server_url = backend_url(app.settings, args.backend)
        setup = open_benchmark(app.bench_services(), spec, args.out, server_url=server_url,
                               comfyui=args.comfyui, port=args.port)
        try:
            runner = setup.runner(retry_failed=args.retry_failed)
            return _run(runner, sys.stdout if not args.quiet else None, sys.stdout, sys.stderr)
        finally:
            setup.close()
    finally:
        app.close()


def _load(path: Path) -> Any:
    from wan22_gui.core.bench.spec import load_spec

    return load_spec(path)  # an InputError is printed by the dispatcher (exit 1)


def _report_only(out_dir: Path, spec_path: Path | None, out: TextIO) -> int:
    from wan22_gui.core.bench.outputs import write_outputs
    from wan22_gui.core.bench.runner import SPEC_COPY
    from wan22_gui.core.bench.spec import load_spec

    spec_file = spec_path or (out_dir / SPEC_COPY)
    spec = load_spec(spec_file, check_files=False) if spec_file.is_file() else None
    csv_path, report_path = write_outputs(out_dir, spec)
    print(f"CSV:    {csv_path}\nReport: {report_path}", file=out)
    return EXIT_OK


def _print_plan(spec: Any, out_dir: Path, retry_failed: bool, out: TextIO) -> int:
    from wan22_gui.core.bench.matrix import expand
    from wan22_gui.core.bench.results import ResultStore

    cells = expand(spec)
    done = ResultStore(out_dir).finished_keys(retry_failed=retry_failed)
    left = 0
    for cell in cells:
        todo = sum(f"{cell.cell_id}:r{i}" not in done for i in range(spec.repeats))
        left += todo
        print(f"{cell.cell_id}  {cell.label}  ({todo} of {spec.repeats} runs left)", file=out)
    print(f"{len(cells)} cells, {left} of {len(cells) * spec.repeats} measured runs left "
          "(+ warm-ups).", file=out)
    return EXIT_OK


def _run(runner: Any, progress_out: TextIO | None, out: TextIO, err: TextIO) -> int:
    printer = RunPrinter(progress_out)
    runner.recorded.connect(printer.on_record)
    runner.progress.connect(printer.on_progress)
    runner.message.connect(printer.on_message)
    summary = run_cancellable(
        runner.run, runner.cancel, err,
        "wan22 bench: cancelling the running job; run the same command to resume.")
    if summary is None:
        return EXIT_INTERRUPTED
    return _summarize(summary, out, err)


def run_cancellable(work: Callable[[], Any], cancel: Callable[[], None], err: TextIO,
                    cancelling: str) -> Any:
    """Run `work` on a thread so that Ctrl-C can `cancel` it; waits for it to wind down and
    returns its result (None when it gave none). Its exception is raised here."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except Exception as exc:  # raised again on the main thread, where the CLI reports it
            box["error"] = exc

    worker = threading.Thread(target=target, name="wan22-cli-work", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        print(f"\n{cancelling}", file=err)
        cancel()
        worker.join(120)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _summarize(summary: Any, out: TextIO, err: TextIO) -> int:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items())) or "none"
    print(f"Runs this session: {counts} ({summary.already_done} of {summary.planned} were "
          f"already done) in {summary.elapsed_s:.0f} s.", file=out)
    if summary.csv_path:
        print(f"CSV:    {summary.csv_path}\nReport: {summary.report_path}", file=out)
    if summary.report_error:
        print(f"wan22 bench: {summary.report_error}", file=err)
    if summary.cancelled:
        return EXIT_INTERRUPTED
    if summary.server_lost or summary.counts.get("not_run") or summary.report_error:
        return EXIT_INCOMPLETE
    return EXIT_OK


class RunPrinter:
    """One line per finished run and per runner message; quiet when `out` is None."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self._eta: float | None = None
        self._done = self._total = 0

    def _line(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def on_progress(self, progress: Any) -> None:
        self._eta, self._done, self._total = progress.eta_s, progress.done, progress.total

    def on_message(self, text: str) -> None:
        self._line(f"-- {text}")

    def on_record(self, record: Any) -> None:
        kind = "warm-up" if record.warmup else f"{self._done:>3}/{self._total}"
        took = f"{record.total_s:7.1f} s" if record.total_s is not None else " " * 9
        eta = f"  ETA {format_duration(self._eta)}" if self._eta and not record.warmup else ""
        label = f"{record.config} · {record.image} · {record.width}×{record.height} · " \
                f"{record.frames} f"
        note = f"  {record.error.splitlines()[0]}" if record.error else ""
        self._line(f"[{kind}] {record.status:<9} {took}  {label}{eta}{note}")

