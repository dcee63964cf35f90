"""`wan22 <command>`: dispatches to the command modules of this package.

A command module `wan22_gui/cli/<name>.py` defines:
    HELP: str                                   one line for `wan22 --help`
    add_arguments(parser: argparse.ArgumentParser) -> None
    run(args: argparse.Namespace) -> int        the exit code
It must not import Qt. Errors derived from Wan22Error are printed as a message, not a traceback;
any other exception as one line that names the log file, where its traceback was written.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from types import ModuleType

from wan22_gui import __version__
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.logsetup import append_exception
from wan22_gui.core.base.messages import describe_exception
from wan22_gui.core.base.paths import AppPaths
from wan22_gui.core.base.redact import RedactingFormatter

# command name -> module name in this package, in the order `--help` lists them.
COMMANDS = {
    "launch": "launch",
    "generate": "generate",
    "batch": "batch",
    "interpolate": "interpolate",
    "compare-metrics": "compare_metrics",
    "bench": "bench",
    "max-frames": "max_frames",
    "env-snapshot": "env_snapshot",
    "gpus": "gpus",
    "presets": "presets",
    "history": "history",
    "export-script": "export_script",
    "workflow": "workflow",
    "backends": "backends",
}

EXIT_USAGE = 2
EXIT_ERROR = 1


def _load_commands() -> dict[str, ModuleType]:
    modules = {}
    for name, module_name in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(f"wan22_gui.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"wan22_gui.cli.{module_name}":
                raise  # a real missing dependency inside an existing command
    return modules


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(
        prog="wan22", description="Wan 2.2 Studio, headless: launch ComfyUI, generate, benchmark."
    )
    parser.add_argument("--version", action="version", version=f"wan22 {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = _load_commands()
    for name, module in modules.items():
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    handler = logging.StreamHandler(sys.stderr)
    # the console gets the same masking as the log file: no token in a pasted terminal
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("wan22")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return int(modules[args.command].run(args) or 0)
    except Wan22Error as exc:
        print(f"wan22 {args.command}: {exc.user_text()}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"wan22 {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one clear line here, the traceback in the log file
        print(f"wan22 {args.command}: {unexpected_error_line(args.command, exc)}",
              file=sys.stderr)
        return EXIT_ERROR
    finally:
        logger.removeHandler(handler)


def unexpected_error_line(command: str, exc: Exception) -> str:
    """What to print for an exception no command expected; writes its traceback to the log."""
    text = f"unexpected error: {describe_exception(exc)}"
    log_file = AppPaths.default().log_file
    try:
        append_exception(log_file, exc, f"wan22 {command} failed unexpectedly")
    except OSError as write_error:
        return f"{text} (the details could not be written to {log_file}: {write_error})"
    return f"{text} Details: {log_file}"


if __name__ == "__main__":
    sys.exit(main())
