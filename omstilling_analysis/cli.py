"""The ``omstilling`` command: ``kør``, ``valider``, ``rapport`` and ``demodata``.

Danish subcommands a person can guess, with the English names kept as aliases (``run``,
``validate``, ``synth``). Every subcommand's help says what it does; a wrong option shows that
subcommand's usage; error lines name a path as the user typed it.

Exit codes: 0 done; 2 a problem the user can fix (:class:`~omstilling_analysis.errors.UserError`
and unusable raw files: one Danish line per problem on stderr, before anything is written);
1 an internal error (a bug: one Danish line saying so and where the details were written, see
:func:`~omstilling_analysis.errors.write_crash_log`); 130 interrupted (Ctrl-C).

Heavy libraries are imported inside the commands, so ``omstilling --help`` answers at once.
A new subcommand is one function that adds its arguments, one that runs it, and one entry in
:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from omstilling_analysis.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL_ERROR,
    UserError,
    write_crash_log,
)

__all__ = ["COMMANDS", "Command", "build_parser", "main"]

EXIT_INTERRUPTED = 130
#: `kontroller`: the re-run did not give the same bytes in every output.
EXIT_MISMATCH = 3


class _DanishHelp(argparse.HelpFormatter):
    """argparse's help with Danish headings (the rest of the text is ours, in Danish)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        # Sub-commands build their program name with prefix "": leave that alone.
        super().add_usage(usage, actions, groups, prefix="brug: " if prefix is None else prefix)


#: argparse's own error messages, in Danish.
_ARGPARSE_DANISH = (
    ("the following arguments are required", "disse argumenter mangler"),
    ("unrecognized arguments", "ukendte argumenter"),
    ("invalid choice", "ugyldigt valg"),
    ("choose from", "vælg mellem"),
    ("expected one argument", "forventer én værdi"),
    ("invalid int value", "ugyldigt heltal"),
    ("not allowed with argument", "kan ikke bruges sammen med"),
    ("ambiguous option", "tvetydigt tilvalg"),
    ("could match", "kan betyde"),
    ("one of the arguments", "et af argumenterne"),
    ("is required", "skal angives"),
)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DanishHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumenter"
        self._optionals.title = "tilvalg"
        self.add_argument("-h", "--help", action="help", help="vis denne hjælp og afslut")

    def error(self, message: str):
        for english, danish in _ARGPARSE_DANISH:
            message = message.replace(english, danish)
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"fejl: {message}\n")


class _SubcommandParser(_Parser):
    """A subcommand's parser: an unknown option is its own error, shown with its own usage.

    (argparse hands unknown options of a subcommand back to the top level, which would show
    the top-level usage.)
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


@dataclass(frozen=True)
class Command:
    """One subcommand: its Danish name, English aliases, what it does, arguments, handler."""

    name: str
    aliases: tuple[str, ...]
    summary: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"fejl: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


# =========================================================================== kør


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw", default="data/raw", help="mappe med rådata (standard: data/raw)")
    parser.add_argument(
        "--out",
        default="data/processed",
        help="mappe til resultaterne; erstattes som helhed (standard: data/processed)",
    )
    parser.add_argument(
        "--indstillinger",
        metavar="FIL",
        help="TOML-fil med indstillinger (se indstillinger.eksempel.toml)",
    )
    parser.add_argument("--stille", action="store_true", help="ingen fremdriftsmeldinger")
    parser.add_argument(
        "--uden-cache",
        action="store_true",
        help="læs, rens og analysér alt på ny i stedet for at tage uændrede kilder og bølger "
        "fra cachen (data/interim ved siden af data/raw); cachen skrives på ny",
    )


def _run(args: argparse.Namespace) -> int:
    from omstilling_analysis import pipeline
    from omstilling_analysis.settings import load_settings

    # Settings first, then the folders and the key (pipeline.run): all before any raw data.
    settings = load_settings(args.indstillinger)
    try:
        result = pipeline.run(
            args.raw,
            args.out,
            settings,
            progress=not args.stille,
            cache="refresh" if args.uden_cache else "use",
        )
    except pipeline.RawDataErrors as errors:
        return _fail([*(str(e) for e in errors.errors), f"intet er skrevet til {args.out}"])
    print(f"{result.summary()} Resultater i {args.out}")
    for note in result.notes:
        print(f"bemærk: {note}")
    return 0


# =========================================================================== valider


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="STI", help="filer, CSV-mapper eller en rådatamappe"
    )


def _validate(args: argparse.Namespace) -> int:
    from omstilling_analysis import validate

    missing = [path for path in args.paths if not Path(path).exists()]
    present = [Path(path) for path in args.paths if Path(path).exists()]
    usable = not missing
    if present:
        lines, usable_present = validate.describe_paths(present)
        for line in lines:
            print(line)
        usable = usable and usable_present
    for path in missing:
        print(f"fejl: {path}: findes ikke", file=sys.stderr)
    return 0 if usable else EXIT_BAD_INPUT


# =========================================================================== rapport


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--kommune", help="kommunekode eller navn: ét tilbagemeldingsark")
    which.add_argument(
        "--alle",
        action="store_true",
        help="et tilbagemeldingsark til hver kommune med offentliggjorte tal",
    )
    parser.add_argument("--boelge", type=int, help="bølge (standard: den seneste)")
    parser.add_argument(
        "--resultater",
        default="data/processed",
        help="mappe med resultaterne af 'omstilling kør' (standard: data/processed)",
    )
    parser.add_argument(
        "--out",
        help="med --kommune: filnavn (standard: <resultater>/rapport_<kode>_<bølge>.xlsx); "
        "med --alle: mappe (standard: data/tilbagemeldinger_<bølge> ved siden af resultaterne)",
    )


def _report(args: argparse.Namespace) -> int:
    from omstilling_analysis.report import feedback

    if args.alle:
        return _report_all(args)
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.is_dir():
        return _fail([f"{args.out}: mappen {out.parent} findes ikke"])
    path = feedback.municipality_workbook_from_results(
        args.resultater, args.kommune, args.boelge, out
    )
    print(f"Skrev {path}")
    return 0


def _report_all(args: argparse.Namespace) -> int:
    from omstilling_analysis.report import feedback

    wave = feedback.results_wave(args.resultater, args.boelge)
    out = Path(args.out) if args.out else Path(args.resultater).parent / f"tilbagemeldinger_{wave}"
    if out.exists() and not out.is_dir():
        return _fail([f"{out}: findes og er ikke en mappe"])

    def progress(i: int, total: int, name: str) -> None:
        print(f"\r[{i:>2}/{total}] {name:<22}", end="", file=sys.stderr, flush=True)

    batch = feedback.workbooks_for_all(args.resultater, wave, out, progress)
    print(file=sys.stderr)
    print(f"Skrev {len(batch.written)} tilbagemeldingsark for bølge {batch.wave} til {out}")
    if batch.skipped:
        print(f"{len(batch.skipped)} kommuner fik intet ark:")
        for code, name, reason in batch.skipped:
            print(f"  {code} {name}: {reason}")
    return 0


# =========================================================================== demodata


def _synth_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        default="data/raw/demo",
        help="mappe til de syntetiske rådata (standard: data/raw/demo)",
    )
    parser.add_argument("--seed", type=int, default=20240101, help="startværdi for tilfældighed")
    parser.add_argument(
        "--facit", metavar="MAPPE", help="skriv den plantede sandhed (facit) hertil"
    )
    parser.add_argument(
        "--national",
        type=int,
        metavar="N",
        help="lav i stedet én stor SurveyXact-eksport med N respondenter (til benchmarks)",
    )
    parser.add_argument(
        "--format", choices=["csv", "xlsx"], default="csv", help="format for --national"
    )


def _synth(args: argparse.Namespace) -> int:
    from omstilling_analysis import demo

    out = Path(args.out)
    for typed in (args.out, args.facit):
        if typed is not None and Path(typed).exists() and not Path(typed).is_dir():
            return _fail([f"{typed}: er en fil, ikke en mappe"])
    if args.national:
        if args.format == "csv":
            demo.write_national_csv(out, n_respondents=args.national, seed=args.seed)
        else:
            out.mkdir(parents=True, exist_ok=True)
            demo.write_national_xlsx(
                out / "selvevaluering_2024.xlsx", n_respondents=args.national, seed=args.seed
            )
        print(f"Skrev en national eksport med {args.national} respondenter til {args.out}")
        return 0
    truth = demo.generate(out, seed=args.seed)
    if args.facit:
        demo.write_truth(truth, Path(args.facit))
    print(f"Skrev syntetiske rådata til {args.out} ({len(truth.rows)} rækker)")
    return 0


# =========================================================================== kontroller


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifest", metavar="MANIFEST", help="manifest.json fra en kørsel (eller dens mappe)"
    )
    parser.add_argument("--stille", action="store_true", help="ingen fremdriftsmeldinger")


def _verify(args: argparse.Namespace) -> int:
    from omstilling_analysis.verify import verify_run

    check = verify_run(args.manifest, progress=not args.stille)
    words = {"ens": "ens", "forskellig": "FORSKELLIG", "mangler": "MANGLER", "ny": "NY"}
    for name, outcome in check.outcome.items():
        print(f"{words[outcome]:<10} {name}")
    same = sum(v == "ens" for v in check.outcome.values())
    print(f"{same} af {len(check.outcome)} uddata er de samme bytes som i kørslen.")
    return 0 if check.all_match else EXIT_MISMATCH


# =========================================================================== the command

#: The subcommands, in the order of ``omstilling --help``.
COMMANDS: tuple[Command, ...] = (
    Command(
        "kør",
        ("run",),
        "kør hele analysen fra rådata til resultater (erstatter resultatmappen som helhed)",
        _run_arguments,
        _run,
    ),
    Command(
        "valider",
        ("validate",),
        "fortæl hvad hver rådatafil er, og om den kan bruges (skriver intet)",
        _validate_arguments,
        _validate,
    ),
    Command(
        "rapport",
        (),
        "lav et tilbagemeldingsark til én kommune ud fra resultaterne af 'omstilling kør'",
        _report_arguments,
        _report,
    ),
    Command(
        "kontroller",
        ("verify",),
        "kør en kørsel igen fra dens manifest og kontrollér, at hver uddatafil er den samme",
        _verify_arguments,
        _verify,
    ),
    Command(
        "demodata",
        ("synth",),
        "lav syntetiske demodata i alle eksportformer",
        _synth_arguments,
        _synth,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    """The ``omstilling`` parser with one subparser per entry of :data:`COMMANDS`."""
    from omstilling_analysis import __version__

    parser = _Parser(
        prog="omstilling",
        description="KL's analyseværktøj til selvevalueringen af digital omstilling.",
        epilog="Skriv 'omstilling KOMMANDO --help' for at se en kommandos tilvalg.",
    )
    parser.add_argument(
        "--version", action="version", version=f"omstilling {__version__}", help="vis versionen"
    )
    commands = parser.add_subparsers(
        dest="command",
        metavar="KOMMANDO",
        required=True,
        parser_class=_SubcommandParser,
        title="kommandoer",
    )
    for command in COMMANDS:
        sub = commands.add_parser(
            command.name,
            aliases=list(command.aliases),
            help=command.summary,
            description=command.summary[0].upper() + command.summary[1:] + ".",
        )
        command.add_arguments(sub)
        sub.set_defaults(handler=command.handler)
    return parser


def _internal_error(error: BaseException, command: str) -> int:
    log = write_crash_log(error, command)
    print(
        f"fejl: intern fejl i omstilling ({type(error).__name__}): det er en programfejl, ikke "
        f"en fejl i jeres data; detaljerne (uden data) er skrevet til {log}; send filen til "
        "udviklerne",
        file=sys.stderr,
    )
    return EXIT_INTERNAL_ERROR


def _raw_data_error(error: BaseException) -> bool:
    """An unusable raw file (``load.RawDataError``), also before it is a :class:`UserError`."""
    load = sys.modules.get("omstilling_analysis.load")
    return load is not None and isinstance(error, load.RawDataError)


def main(argv: list[str] | None = None) -> int:
    """Run ``omstilling`` with ``argv`` (default: the command line); returns the exit code."""
    # --help and --version end here with SystemExit(0), a usage error with SystemExit(2).
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("afbrudt", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserError as error:
        return _fail([str(error)])
    except Exception as error:
        if _raw_data_error(error):
            return _fail([str(error)])
        return _internal_error(error, args.command)


#: glibc's ``mallopt`` parameters (malloc.h) and what :func:`_keep_freed_memory` sets them to.
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_MALLOC_SETTINGS = {
    # Arrays up to 32 MiB (a column of 4 million rows) from the heap, not a mapping of their own.
    _M_MMAP_THRESHOLD: 32 << 20,
    # Freed heap memory kept for the next arrays, not given back to the system after each one
    # (up to 2 GiB free at the heap's top: the largest value mallopt's int takes).
    _M_TRIM_THRESHOLD: 2**31 - 1,
    _M_TOP_PAD: 256 << 20,
}


def _keep_freed_memory() -> None:
    """Let the process reuse the memory it frees instead of returning it to the system.

    A run makes and drops hundreds of column-sized arrays. By default glibc maps each large
    one afresh and unmaps it when freed, so every new array costs a page fault per 4 KiB page
    (measured on a 2-core virtual machine: 0.2-0.6 s per 400 MB touched, several seconds of a
    national run). Kept, the memory is reused at no cost; the peak grows by a few percent.
    Only where the C library is glibc (``mallopt``); elsewhere nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    for parameter, value in _MALLOC_SETTINGS.items():
        mallopt(ctypes.c_int(parameter), ctypes.c_int(value))


def console() -> None:
    """The ``omstilling`` command: :func:`main`, then the exit without the interpreter's
    clean-up of every object, which after a national run (a gigabyte of tables) takes a second
    and does nothing a user needs: the outputs are written and closed, the streams are flushed
    here and the exit handlers run."""
    _keep_freed_memory()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    console()
