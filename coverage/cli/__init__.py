"""Command line: ``python -m coverage SUBCOMMAND ...``.

Each subcommand lives in its own module of this package, which defines
``register(subparsers)``: it adds its parser and sets ``func`` (called with the
parsed arguments, returning the process exit code).  Heavy imports happen inside
``func`` so that ``--help`` stays fast.

Every subcommand ends with one of the documented exit codes (:data:`EXIT_CODES`):
the library's own errors (:class:`~coverage.errors.CoverageError`) and file-system
errors become a one-line message and exit 2, a target that cannot be met exit 1,
Ctrl+C exit 130, and anything unexpected exit 3 with a one-line message and the
path of a log file holding the traceback (the traceback never reaches the
terminal).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import importlib.util
import logging
import math
import os
import platform
import sys
import tempfile
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from coverage.errors import CoverageError, InfeasibleError

#: Subcommand modules, in the order data flows.
SUBCOMMANDS = ("validate", "demo", "od", "analyze", "optimize", "map", "report", "export")

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

#: Exit codes of every subcommand, with their meaning (English / 中文).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "done / 完成",
    EXIT_REJECTED: "rows were rejected (validate) or the target cannot be met (optimize; map/report --target) "
    "/ 有行被拒绝，或目标无法达到",
    EXIT_BAD_INPUT: "bad input file or option: the message names the file or option and how to fix it "
    "/ 输入文件或选项有误（提示中写明文件或选项及改法）",
    EXIT_INTERNAL: "internal error: a one-line message and the path of a log file with the details "
    "/ 程序内部错误：给出一行说明和日志文件路径",
    EXIT_INTERRUPTED: "interrupted (Ctrl+C) / 已中断",
}

#: Environment variable naming the folder for crash logs (default ``~/.coverage-planner/logs``).
LOG_DIR_ENV = "COVERAGE_PLANNER_LOG_DIR"

logger = logging.getLogger(__name__)


def exit_codes_epilog() -> str:
    """The "Exit codes" paragraph shown at the end of every ``--help``."""
    lines = ["exit codes / 退出码:"]
    lines += [f"  {code:<3}  {text}" for code, text in EXIT_CODES.items()]
    return "\n".join(lines)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, but paragraphs (lines) of a description or epilog keep their breaks."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for line in text.splitlines():
            body = line.lstrip(" ")
            extra = " " * (len(line) - len(body))
            if not body:
                out.append("")
                continue
            out.append(
                textwrap.fill(body, width, initial_indent=indent + extra,
                              subsequent_indent=indent + extra + ("     " if extra else ""))
            )
        return "\n".join(out)


# ---------------------------------------------------------------- option types


def _number(text: str, kind: Callable[[str], float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number / 不是数字") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number / 不是有限数")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number > 0 (minutes, seconds, thresholds)."""
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text} / 必须大于 0")
    return value


def nonnegative_float(text: str) -> float:
    """argparse type: a number >= 0 (distances)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text} / 不能为负数")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (counts of sites)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number / 不是整数") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text} / 必须至少为 1")
    return value


def share(text: str) -> float:
    """argparse type: a share in (0, 1], e.g. 0.95 (95 % is also read as 0.95)."""
    body = text.strip()
    percent = body.endswith("%")
    value = _number(body.rstrip("%"), float)
    if percent:
        value /= 100
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(
            f"must be a share between 0 and 1, e.g. 0.95 (or 95%), got {text} / 须为 0 到 1 之间的比例"
        )
    return value


def int_range(low: int, high: int) -> Callable[[str], int]:
    """argparse type: a whole number within ``low..high`` (e.g. a PNG resolution in dpi)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number / 不是整数") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be between {low} and {high}, got {text} / 须在 {low} 到 {high} 之间"
            )
        return value

    parse.__name__ = f"int {low}..{high}"
    return parse


# ---------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand (each ``--help`` lists the exit codes)."""
    parser = argparse.ArgumentParser(
        prog="python -m coverage",
        description="民政服务设施覆盖规划 / Civil-affairs service coverage planner",
        epilog=exit_codes_epilog(),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        modname = f"coverage.cli.{name}"
        if importlib.util.find_spec(modname) is None:
            continue
        importlib.import_module(modname).register(sub)
    for command in sub.choices.values():
        command.formatter_class = _HelpFormatter
        if exit_codes_epilog() not in (command.epilog or ""):
            command.epilog = "\n\n".join(part for part in (command.epilog, exit_codes_epilog()) if part)
    return parser


# ---------------------------------------------------------------- errors


def log_dir() -> Path:
    """Folder for crash logs: ``$COVERAGE_PLANNER_LOG_DIR``, else ``~/.coverage-planner/logs``, else a temp folder."""
    candidates = []
    if os.environ.get(LOG_DIR_ENV):
        candidates.append(Path(os.environ[LOG_DIR_ENV]))
    candidates.append(Path.home() / ".coverage-planner" / "logs")
    candidates.append(Path(tempfile.gettempdir()) / "coverage-planner-logs")
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("", encoding="utf-8")
            probe.unlink()
            return folder
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def write_crash_log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """Write the traceback of ``exc`` with the command line and versions to a new log file; its path."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        path = log_dir() / f"crash-{stamp}-{os.getpid()}.log"
        text = (
            f"command: python -m coverage {' '.join(argv)}\n"
            f"time: {_dt.datetime.now().isoformat(timespec='seconds')}\n"
            f"python: {sys.version.split()[0]} on {platform.platform()}\n"
            f"cwd: {os.getcwd()}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        )
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def _say(text: str) -> None:
    """Print one message to stderr, whatever the console's encoding."""
    stream = sys.stderr
    try:
        print(text, file=stream, flush=True)
    except UnicodeEncodeError:
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", errors="replace"))
        stream.flush()
    except OSError:
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _os_error_message(exc: OSError) -> str:
    """``path: reason`` for a file-system error, naming every path involved."""
    reason = exc.strerror or _first_line(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    if paths:
        return f"{' -> '.join(paths)}: {reason} (check the path, the folder's permissions, and that the file is " \
               f"not open in another program / 请检查路径、文件夹权限，以及文件是否已被其他程序打开)"
    return f"{reason} (check the output path and free disk space / 请检查输出路径和磁盘空间)"


class _NoTracebackFormatter(logging.Formatter):
    """Log lines for the terminal: the message only, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _setup_logging(verbose: bool) -> None:
    """Log to stderr without tracebacks, like ``logging.basicConfig`` (nothing changes if logging is set up)."""
    root = logging.getLogger()
    if root.handlers:  # a program or test harness embedding the command line keeps its own logging
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_NoTracebackFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def _quiet_broken_pipe() -> None:
    """Output went into `head` or `more` that stopped reading: say nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _tolerant_console() -> None:
    """A console that cannot show Chinese (a Windows code page) shows '?' instead of stopping the command."""
    for stream, original in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
        if stream is original and stream is not None and hasattr(stream, "reconfigure"):
            with contextlib.suppress(OSError, ValueError):
                stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None, *, parser: argparse.ArgumentParser | None = None) -> int:
    """Run the command line; returns the exit code (see :data:`EXIT_CODES`).

    Parameters
    ----------
    argv
        The arguments (default: ``sys.argv[1:]``).
    parser
        The parser to use (default :func:`build_parser`): a program embedding these
        commands can add its own and keep the same exit codes and crash logs.

    Returns
    -------
    int
        0 done, 1 rows rejected or target infeasible, 2 bad input or options,
        3 internal error (traceback in a log file, see :func:`log_dir`), 130 interrupted.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    _tolerant_console()
    try:
        parser = parser or build_parser()
        args = parser.parse_args(args_list)
        _setup_logging(getattr(args, "verbose", False))
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        _say("interrupted / 已中断")
        return EXIT_INTERRUPTED
    except InfeasibleError as exc:
        _say(f"infeasible: {exc}")
        return EXIT_REJECTED
    except CoverageError as exc:
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_broken_pipe()
        return EXIT_OK
    except OSError as exc:
        _say(f"error: {_os_error_message(exc)}")
        return EXIT_BAD_INPUT
    except Exception as exc:
        path = write_crash_log(exc, args_list)
        where = f"details in {path}" if path else "no log file could be written"
        _say(
            f"internal error: {type(exc).__name__}: {_first_line(exc)} ({where}; please send this file "
            f"to the developers / 程序内部错误，请把日志文件发给开发人员)"
        )
        return EXIT_INTERNAL
