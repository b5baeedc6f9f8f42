"""The ``omstilling`` command: ``run``, ``validate``, ``synth`` and ``rapport``.

Heavy libraries are imported inside the commands, so ``omstilling --help`` answers at once.
Unusable input ends with one Danish line per problem on stderr and exit code 2, no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


class _DanishHelp(argparse.HelpFormatter):
    """argparse's help with Danish headings (the rest of the text is ours, in Danish)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        # Sub-commands build their program name with prefix "": leave that alone.
        super().add_usage(usage, actions, groups, prefix="brug: " if prefix is None else prefix)


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


#: argparse's own error messages, in Danish.
_ARGPARSE_DANISH = (
    ("the following arguments are required", "disse argumenter mangler"),
    ("unrecognized arguments", "ukendte argumenter"),
    ("invalid choice", "ugyldigt valg"),
    ("choose from", "vælg mellem"),
    ("expected one argument", "forventer én værdi"),
    ("invalid int value", "ugyldigt heltal"),
)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="omstilling",
        description="KL's analyseværktøj til selvevalueringen af digital omstilling.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="KOMMANDO", required=True, parser_class=_Parser, title="kommandoer"
    )

    run = commands.add_parser("run", help="kør hele analysen fra rådata til resultater")
    run.add_argument("--raw", default="data/raw", help="mappe med rådata (standard: data/raw)")
    run.add_argument(
        "--out", default="data/processed", help="mappe til resultater (standard: data/processed)"
    )
    run.add_argument("--indstillinger", metavar="FIL", help="TOML-fil med indstillinger")
    run.add_argument("--stille", action="store_true", help="ingen fremdriftsmeldinger")

    validate = commands.add_parser(
        "validate", help="fortæl hvad hver rådatafil er, og om den kan bruges"
    )
    validate.add_argument(
        "paths", nargs="+", metavar="STI", help="filer, CSV-mapper eller en rådatamappe"
    )

    synth = commands.add_parser("synth", help="lav syntetiske demodata i alle eksportformer")
    synth.add_argument("--out", default="data/raw", help="mappe til de syntetiske rådata")
    synth.add_argument("--seed", type=int, default=20240101, help="startværdi for tilfældighed")
    synth.add_argument("--facit", metavar="MAPPE", help="skriv den plantede sandhed (facit) hertil")
    synth.add_argument(
        "--national",
        type=int,
        metavar="N",
        help="lav i stedet én stor SurveyXact-eksport med N respondenter (til benchmarks)",
    )
    synth.add_argument(
        "--format", choices=["csv", "xlsx"], default="csv", help="format for --national"
    )

    report = commands.add_parser("rapport", help="lav et tilbagemeldingsark til én kommune")
    report.add_argument("--kommune", required=True, help="kommunekode eller navn")
    report.add_argument("--boelge", type=int, help="bølge (standard: den seneste)")
    report.add_argument(
        "--resultater", default="data/processed", help="mappe med resultaterne af run"
    )
    report.add_argument(
        "--out", help="filnavn (standard: <resultater>/rapport_<kode>_<bølge>.xlsx)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "synth":
            return _synth(args)
        if args.command == "rapport":
            return _report(args)
    except KeyboardInterrupt:
        print("afbrudt", file=sys.stderr)
        return 130
    return 1


def _fail(lines: list[str]) -> int:
    for line in lines:
        print(f"fejl: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _run(args) -> int:
    from omstilling_analysis import pipeline
    from omstilling_analysis.load import RawDataError
    from omstilling_analysis.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.indstillinger)
        result = pipeline.run(args.raw, args.out, settings, progress=not args.stille)
    except SettingsError as error:
        return _fail([str(error)])
    except RawDataError as error:
        return _fail([str(error)])
    except pipeline.RawDataErrors as errors:
        lines = [str(e) for e in errors.errors]
        lines.append(f"intet er skrevet til {args.out}")
        return _fail(lines)
    print(f"{result.summary()} Resultater i {args.out}")
    for note in result.notes:
        print(f"bemærk: {note}")
    return 0


def _validate(args) -> int:
    from omstilling_analysis import validate

    lines, usable = validate.describe_paths([Path(p) for p in args.paths])
    for line in lines:
        print(line)
    return 0 if usable else EXIT_BAD_INPUT


def _synth(args) -> int:
    from omstilling_analysis import synth

    out = Path(args.out)
    if args.national:
        if args.format == "csv":
            synth.write_national_csv(out, n_respondents=args.national, seed=args.seed)
        else:
            out.mkdir(parents=True, exist_ok=True)
            synth.write_national_xlsx(
                out / "selvevaluering_2024.xlsx", n_respondents=args.national, seed=args.seed
            )
        print(f"Skrev en national eksport med {args.national} respondenter til {out}")
        return 0
    truth = synth.generate(out, seed=args.seed)
    if args.facit:
        synth.write_truth(truth, Path(args.facit))
    print(f"Skrev syntetiske rådata til {out} ({len(truth.rows)} rækker)")
    return 0


def _report(args) -> int:
    from omstilling_analysis.load import RawDataError
    from omstilling_analysis.report import feedback

    try:
        path = feedback.municipality_workbook_from_results(
            Path(args.resultater), args.kommune, args.boelge, Path(args.out) if args.out else None
        )
    except (RawDataError, ValueError, FileNotFoundError) as error:
        return _fail([str(error)])
    print(f"Skrev {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
