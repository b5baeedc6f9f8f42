"""Support for the notebooks in ``notebooks/``, and the runner behind ``make notebooks``.

The notebooks are thin: every number comes from the package (``pipeline``, ``score``,
``clusters``, ``effects``, ``report``, ``feedback``). This module holds only what a notebook
needs around them:

- :func:`ensure_raw_data` fills an empty raw folder with synthetic demo data (as ``make run``);
- :func:`run_analysis` runs the whole pipeline in memory (nothing is written) with Danish
  progress lines on stdout;
- :func:`choose_wave` turns the ``BOELGE`` parameter into a wave, and :func:`settings_table`
  lists the settings in force by their keys in ``indstillinger.toml``;
- :func:`show` displays a table (Danish decimal comma), a figure (as PNG) or a list of
  sentences;
- a few overviews and figures the package has no other use for: :func:`source_overview`,
  :func:`plot_row_fates`, :func:`plot_respondents_per_municipality`, :func:`plot_reliability`,
  :func:`plot_item_answers`, :func:`workbook_overview` and :func:`read_sheet`.

``python -m omstilling_analysis.notebooks --raw RAW --out OUTDIR`` (``make notebooks``) executes
every notebook with papermill in a fresh kernel of this Python (the project's virtual
environment), with ``RAW`` and ``OUT`` as absolute paths, and writes the executed copies and
HTML versions into ``OUTDIR``. It exits with 1 when a notebook fails.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from omstilling_analysis import pipeline, reference
from omstilling_analysis.plots.style import PALETTE
from omstilling_analysis.settings import Settings
from omstilling_analysis.text import dk_number, short_theme_names

#: The notebooks folder of the project (the package is installed in editable mode).
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: Kernel name and display name of the project's kernel (``make lab`` registers it).
KERNEL_NAME = "omstilling"
KERNEL_DISPLAY_NAME = "Python (omstilling)"
#: Seed of the demo data made by :func:`ensure_raw_data` (``omstilling synth``'s default).
DEMO_SEED = 20240101
#: Rows of a table shown by :func:`show` before it is cut.
MAX_ROWS = 60

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOKS_DIR",
    "NotebookProgress",
    "choose_wave",
    "ensure_raw_data",
    "execute_notebook",
    "has_raw_data",
    "main",
    "notebook_paths",
    "plot_item_answers",
    "plot_reliability",
    "plot_respondents_per_municipality",
    "plot_row_fates",
    "read_sheet",
    "run_analysis",
    "settings_table",
    "show",
    "source_overview",
    "workbook_overview",
]


# =========================================================================== data and runs


def has_raw_data(raw_dir: str | Path) -> bool:
    """Whether ``raw_dir`` holds anything but its README and hidden files (as ``make run``)."""
    folder = Path(raw_dir)
    if not folder.is_dir():
        return False
    return any(p.name != "README.md" and not p.name.startswith(".") for p in folder.iterdir())


def ensure_raw_data(raw_dir: str | Path, seed: int = DEMO_SEED) -> Path:
    """Fill an empty raw folder with synthetic demo data and say so, in Danish.

    A folder with exports is left untouched. Returns the folder as an absolute path.
    """
    folder = Path(raw_dir).resolve()
    if has_raw_data(folder):
        entries = sorted(
            p.name for p in folder.iterdir() if p.name != "README.md" and not p.name.startswith(".")
        )
        print(f"Rådata: {folder} ({len(entries)} filer og mapper)")
        return folder
    from omstilling_analysis import synth

    print(
        f"{folder} indeholder ingen eksporter: laver syntetiske demodata dér "
        f"(synth.generate, seed {seed}), ligesom make run gør."
    )
    truth = synth.generate(folder, seed=seed)
    print(f"Skrev {len(truth.files)} demofiler med {len(truth.rows)} rækker i alt.")
    return folder


class NotebookProgress(pipeline.ProgressLog):
    """The pipeline's Danish progress lines on stdout, without progress bars (a notebook
    without ipywidgets cannot draw them, and they would clutter the saved output)."""

    def say(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:5.1f} s] {message}", flush=True)

    def bar(self, iterable, description: str, total: int | None = None):
        return iterable


def run_analysis(raw_dir: str | Path, settings: Settings | None = None) -> pipeline.RunResult:
    """``pipeline.run(raw_dir, None, settings)``: every table in memory, nothing written.

    Unusable raw files raise :class:`pipeline.RawDataErrors`; their Danish lines are printed
    first, so the notebook shows every problem at once.
    """
    try:
        result = pipeline.run(raw_dir, None, settings or Settings(), progress=NotebookProgress())
    except pipeline.RawDataErrors as errors:
        print("Rådata kan ikke bruges:")
        for error in errors.errors:
            print(f"  {error}")
        raise
    print(result.summary())
    for note in result.notes:
        print(f"Bemærk: {note}")
    return result


def choose_wave(result: pipeline.RunResult, wave: int | str | None = None) -> int:
    """The wave to look at: ``wave``, or the latest wave with scores when it is ``None``."""
    scores = result.tables["kommunescorer.parquet"]
    waves = sorted(int(w) for w in scores["boelge"].unique())
    if not waves:
        raise ValueError("der er ingen kommunescorer i kørslen")
    if wave is None or (isinstance(wave, str) and not wave.strip()):
        chosen = waves[-1]
    else:
        chosen = int(wave)
        if chosen not in waves:
            raise ValueError(
                f"bølge {chosen} findes ikke i data (der er {', '.join(map(str, waves))})"
            )
    print(f"Bølge: {chosen} (data har bølgerne {', '.join(map(str, waves))})")
    return chosen


#: The settings an analyst may change: key in ``indstillinger.toml`` → (attribute, meaning).
SETTINGS_EXPLAINED: dict[str, tuple[str, str]] = {
    "min_andel_besvaret": (
        "min_share_answered",
        "andel af bølgens (og temaets) spørgsmål, der skal være besvaret 1-5",
    ),
    "temavaegte": ("theme_weights", "temaernes vægte i modenhedsindekset"),
    "niveaugraenser": ("level_thresholds", "nedre grænser for modenhedsniveau 2-5"),
    "min_respondenter": (
        "min_respondents_published",
        "mindste antal respondenter bag et offentliggjort tal",
    ),
    "udfald_forskydning": ("outcome_lag", "bølge W kobles til udfaldene i år W + dette"),
    "klynge_k": ("n_clusters", "antal klynger (tom: vælges ud fra data)"),
    "klynge_metode": ("cluster_method", "klyngemetode (tom: vælges ud fra data)"),
    "bootstrap": ("n_bootstrap", "bootstrap-gentagelser (rangintervaller, klyngestabilitet)"),
    "seed": ("seed", "startværdi for alle tilfældige trin"),
}


def settings_table(settings: Settings | None = None) -> pd.DataFrame:
    """The settings in force, one row each: the key of ``indstillinger.toml``, the value and
    what it means."""
    values = (settings or Settings()).to_dict()
    rows = []
    for key, (attribute, meaning) in SETTINGS_EXPLAINED.items():
        value = values[attribute]
        if isinstance(value, dict):
            value = ", ".join(f"{k} {dk_number(v, 1)}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            value = "; ".join(dk_number(v, 1) for v in value)
        elif isinstance(value, float):
            value = dk_number(value, 2)
        shown = "" if value is None else str(value)
        rows.append({"nøgle i indstillinger.toml": key, "værdi": shown, "betydning": meaning})
    return pd.DataFrame(rows)


# =========================================================================== display


def _figure_png(fig: Any, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _close(fig: Any) -> None:
    """Release a figure made with pyplot (the effects module's); other figures are left."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


def _styled(frame: pd.DataFrame, decimals: int):
    """A table as a Dane reads it: decimal comma and a true minus in every decimal number
    (also in mixed columns, where a suppression text stands among numbers), whole numbers
    such as years and codes as they are, missing values blank."""

    def cell(value: Any) -> Any:
        if value is None or value is pd.NA or value is pd.NaT:
            return ""
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else dk_number(float(value), decimals)
        return value

    styler = frame.style.format(cell)
    # An unnamed integer index is only the rows' positions left over from filtering: hide it.
    if frame.index.name is None and pd.api.types.is_integer_dtype(frame.index):
        styler = styler.hide(axis="index")
    return styler


def show(obj: Any, decimals: int = 2, max_rows: int = MAX_ROWS) -> None:
    """Display a table, a figure or sentences in the notebook.

    - a DataFrame / Series: as a table with decimal comma (``decimals`` decimals), cut after
      ``max_rows`` rows (the number of rows left out is said below it);
    - a matplotlib figure: as a PNG image (a pyplot figure is closed afterwards, so it is not
      drawn twice);
    - a list of strings: as a bulleted Markdown list; a string: as Markdown.
    """
    from IPython.display import Image, Markdown, display

    if isinstance(obj, Figure) or hasattr(obj, "savefig"):
        png = _figure_png(obj)
        _close(obj)
        display(Image(data=png, format="png"))
        return
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        shown = obj.head(max_rows)
        display(_styled(shown, decimals))
        if len(obj) > len(shown):
            display(Markdown(f"*… og {len(obj) - len(shown)} rækker mere.*"))
        return
    if isinstance(obj, str):
        display(Markdown(obj))
        return
    if isinstance(obj, Iterable):
        display(Markdown("\n".join(f"- {item}" for item in obj)))
        return
    display(obj)


# =========================================================================== 01: loading


def source_overview(result: pipeline.RunResult) -> pd.DataFrame:
    """One row per raw survey source, from the run's manifest: shape, dialect, wave, rows in,
    counted and left out by reason, questions recognised and cell problems."""
    from omstilling_analysis import clean

    rows = []
    for item in result.manifest["input"]:
        if item.get("form") == "udfaldsfil":
            continue
        left = item.get("raekker_udeladt", {})
        rows.append(
            {
                "kilde": item["kilde"],
                "form": item["form"],
                "dialekt": item["dialekt"],
                "bølge": item["boelge"],
                "rækker ind": item["raekker_ind"],
                "talt": item["raekker_talt"],
                **{reason: int(left.get(reason, 0)) for reason in clean.REASONS},
                "spørgsmål genkendt": item["spoergsmaal_genkendt"],
                "celleproblemer": item["celleproblemer"],
            }
        )
    return pd.DataFrame(rows)


def plot_row_fates(result: pipeline.RunResult) -> Figure:
    """Where every raw row ended, per source: counted or left out by reason (shares, 100 %)."""
    import seaborn as sns

    from omstilling_analysis import clean

    overview = source_overview(result)
    fates = ["talt", *clean.REASONS]
    shares = overview.set_index("kilde")[fates].div(
        overview.set_index("kilde")["rækker ind"], axis=0
    )
    colours = dict(zip(fates, ["#009E73", "#E69F00", "#F0E442", "#56B4E9", "#D55E00"], strict=True))
    fig = Figure(figsize=(9, 0.5 * len(shares) + 1.8), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
    left = np.zeros(len(shares))
    labels = [f"{k} (n = {n})" for k, n in zip(shares.index, overview["rækker ind"], strict=True)]
    for fate in fates:
        values = shares[fate].to_numpy(float)
        ax.barh(labels, values, left=left, color=colours[fate], label=fate)
        left += values
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x * 100:.0f} %")
    ax.set_xlabel("Andel af filens rækker")
    ax.set_title("Hvor endte rækkerne? Talt eller udeladt med én årsag")
    ax.legend(ncols=len(fates), loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    return fig


def plot_respondents_per_municipality(
    result: pipeline.RunResult, wave: int, settings: Settings | None = None
) -> Figure:
    """Histogram of counted respondents per municipality in ``wave``; the dashed line is the
    publication minimum (municipalities left of it are suppressed in every published figure)."""
    import seaborn as sns

    minimum = (settings or Settings()).min_respondents_published
    scores = result.tables["kommunescorer.parquet"]
    counts = scores.loc[scores["boelge"] == wave, "n_respondenter"].astype(int)
    missing = len(reference.municipalities()) - len(counts)
    fig = Figure(figsize=(8, 4), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
        # Bins 1-2, 3-4, …: the first bin is exactly the suppressed municipalities (minimum 3).
        top = max(int(counts.max()) if len(counts) else minimum, minimum) + 2
        sns.histplot(
            x=counts,
            binwidth=2,
            binrange=(minimum - 2.5, top + 0.5),
            color=PALETTE[0],
            ax=ax,
        )
    ax.axvline(minimum - 0.5, color=PALETTE[5], linestyle="--", linewidth=1.5)
    below = int((counts < minimum).sum())
    ax.text(
        minimum,
        ax.get_ylim()[1] * 0.92,
        f" under {minimum}: {below} kommuner (skjules)",
        color=PALETTE[5],
    )
    ax.set_xlabel("Talte besvarelser i kommunen")
    ax.set_ylabel("Antal kommuner")
    title = f"Besvarelser pr. kommune, bølge {wave}"
    if missing:
        title += f" ({missing} kommuner uden besvarelser er ikke med)"
    ax.set_title(title)
    return fig


# =========================================================================== 02: reliability


def plot_reliability(reliability: pd.DataFrame) -> Figure:
    """Cronbach's alpha with its 95 % interval (Feldt) and McDonald's omega per theme and wave.

    The dotted line at 0.7 is the usual lower bound of an acceptable scale.
    """
    import seaborn as sns

    names = short_theme_names()
    themes = reference.theme_codes()
    waves = sorted(int(w) for w in reliability["boelge"].unique())
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    with sns.axes_style("whitegrid"):
        ax = fig.subplots()
    width = 0.7 / max(len(waves), 1)
    for i, wave in enumerate(waves):
        part = reliability[reliability["boelge"] == wave].set_index("tema").reindex(themes)
        x = np.arange(len(themes)) - 0.35 + width * (i + 0.5)
        colour = PALETTE[i % len(PALETTE)]
        alpha = part["alpha"].to_numpy(float)
        error = np.vstack([alpha - part["alpha_ci_lav"], part["alpha_ci_hoej"] - alpha])
        ax.errorbar(x, alpha, yerr=error, fmt="o", color=colour, capsize=3)
        ax.scatter(x + width * 0.3, part["omega"], marker="x", s=25, color=colour)
    handles = [Patch(color=PALETTE[i], label=str(w)) for i, w in enumerate(waves)]
    handles += [
        Line2D([], [], marker="o", color="black", linestyle="", label="α med 95 %-KI"),
        Line2D([], [], marker="x", color="black", linestyle="", label="ω"),
    ]
    ax.legend(handles=handles, ncols=len(handles), fontsize="small", loc="lower right")
    ax.axhline(0.7, color="grey", linestyle=":", linewidth=1)
    ax.set_xticks(np.arange(len(themes)), [names[t] for t in themes], rotation=15, ha="right")
    ax.set_ylim(min(0.5, float(np.nanmin(reliability["alpha_ci_lav"])) - 0.05), 1)
    ax.yaxis.set_major_formatter(lambda y, _pos: dk_number(y, 1))
    ax.set_ylabel("Reliabilitet")
    ax.set_title("Temaernes reliabilitet: Cronbachs α (95 %-KI) og McDonalds ω")
    return fig


def plot_item_answers(item_statistics: pd.DataFrame, wave: int) -> Figure:
    """The answers to every item of ``wave`` as stacked shares of 1-5 (blank and Ved ikke not
    included), reverse-keyed items marked (answers as given, not reversed)."""
    import seaborn as sns

    rows = item_statistics[item_statistics["boelge"] == wave].reset_index(drop=True)
    shares = rows[[f"andel_{v}" for v in range(1, 6)]].to_numpy(float)
    shares = shares / shares.sum(axis=1, keepdims=True)
    labels = [
        f"{item}{' (omvendt)' if reverse else ''}"
        for item, reverse in zip(rows["item"], rows["omvendt"], strict=True)
    ]
    palette = sns.color_palette("RdBu", 5)
    palette[2] = (0.82, 0.82, 0.82)  # "Hverken eller" in grey, visible on white
    fig = Figure(figsize=(9, 0.22 * len(rows) + 1.6), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(rows))
    scale = ["Helt uenig", "Overvejende uenig", "Hverken eller", "Overvejende enig", "Helt enig"]
    for value in range(5):
        ax.barh(labels, shares[:, value], left=left, color=palette[value], label=scale[value])
        left += shares[:, value]
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{x * 100:.0f} %")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("Andel af svarene 1-5")
    ax.set_title(f"Svarfordeling pr. spørgsmål, bølge {wave}")
    ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.06), frameon=False)
    return fig


# =========================================================================== 05: workbooks


def read_sheet(path: str | Path, sheet: str, rows: int | None = None) -> pd.DataFrame:
    """One sheet of a written workbook as the cells show it: columns named by Excel's letters,
    ``række`` the row number as Excel shows it, empty rows and columns dropped, empty cells
    blank (no header row is assumed)."""
    frame = pd.read_excel(path, sheet_name=sheet, header=None, nrows=rows, engine="calamine")
    frame = frame.dropna(how="all").dropna(axis=1, how="all")
    frame.columns = [_column_letter(int(c)) for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), "")
    frame.insert(0, "række", [int(i) + 1 for i in frame.index])
    return frame.reset_index(drop=True)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def workbook_overview(path: str | Path) -> pd.DataFrame:
    """The sheets of a workbook: name, used rows and columns, and the title in A1."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = []
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), (None,))
            rows.append(
                {
                    "ark": sheet.title,
                    "rækker": sheet.max_row,
                    "kolonner": sheet.max_column,
                    "overskrift (A1)": first[0] if first else None,
                }
            )
    finally:
        book.close()
    return pd.DataFrame(rows)


# =========================================================================== the runner


def notebook_paths(folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of ``folder``, in order."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    return [p for p in paths if ".ipynb_checkpoints" not in p.parts]


def _kernel_manager_class():
    """A kernel manager that starts this very Python (the project's virtual environment).

    A registered kernel named ``omstilling`` may point at another checkout's environment (the
    one that last ran ``make lab``); this one always runs ``sys.executable``.
    """
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(
                    # The kernel's own log (not the cells' output) only for errors: ipykernel
                    # warns at every start that local TCP is unencrypted.
                    argv=[
                        sys.executable,
                        "-m",
                        "ipykernel_launcher",
                        "-f",
                        "{connection_file}",
                        "--log-level=ERROR",
                    ],
                    display_name=KERNEL_DISPLAY_NAME,
                    language="python",
                    metadata={"debugger": True},
                )
            return self._kernel_spec

    return ProjectKernelManager


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    parameters: dict[str, Any] | None = None,
    timeout: int = 600,
):
    """Execute ``notebook`` with papermill in a fresh kernel of this Python; write the executed
    copy to ``output`` and return it (a ``NotebookNode``). Raises papermill's
    ``PapermillExecutionError`` when a cell fails (the copy is written all the same)."""
    import papermill

    notebook = Path(notebook)
    return papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters or {},
        kernel_name=KERNEL_NAME,
        language="python",
        cwd=str(notebook.parent),
        progress_bar=False,
        log_output=False,
        start_timeout=120,
        execution_timeout=timeout,
        kernel_manager_class=_kernel_manager_class(),
    )


def write_html(executed: str | Path, target: str | Path) -> Path:
    """The executed notebook as a self-contained HTML page (figures embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(executed), as_version=4)
    body, _resources = HTMLExporter().from_notebook_node(notebook)
    target = Path(target)
    target.write_text(body, encoding="utf-8")
    return target


def _failure_line(error: Exception) -> str:
    name = getattr(error, "ename", type(error).__name__)
    value = str(getattr(error, "evalue", error)).strip().splitlines()
    count = getattr(error, "exec_count", None)
    where = f"celle {count}: " if count is not None else ""
    return f"{where}{name}: {value[0] if value else ''}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m omstilling_analysis.notebooks",
        description="Kør alle notebooks på de aktuelle data: kørte kopier og HTML.",
    )
    parser.add_argument("--raw", default="data/raw", help="mappe med rådata (standard: data/raw)")
    parser.add_argument(
        "--out",
        default="data/processed/notebooks",
        help="mappe til de kørte notebooks og HTML (standard: data/processed/notebooks)",
    )
    parser.add_argument(
        "--resultater",
        help="notebooks' OUT-parameter: hvor 05 skriver Excel-filerne (standard: samme som --out)",
    )
    parser.add_argument(
        "--notebooks", default=str(NOTEBOOKS_DIR), help="mappe med notebooks (standard: notebooks/)"
    )
    parser.add_argument(
        "--kun", nargs="+", metavar="NN", help="kør kun disse notebooks (fx --kun 00 03)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Execute every notebook into ``--out``; 0 when all ran, 1 when one failed, 2 on bad input."""
    args = _parser().parse_args(argv)
    raw = Path(args.raw).resolve()
    out = Path(args.out).resolve()
    results = Path(args.resultater).resolve() if args.resultater else out
    paths = notebook_paths(args.notebooks)
    if args.kun:
        paths = [p for p in paths if p.name[:2] in set(args.kun)]
    if not paths:
        print(f"fejl: ingen notebooks fundet i {args.notebooks}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    print(f"Kører {len(paths)} notebooks på {raw}; kopier og HTML skrives til {out}", flush=True)
    started = time.perf_counter()
    failed: list[str] = []
    for number, path in enumerate(paths, start=1):
        clock = time.perf_counter()
        print(f"[{number}/{len(paths)}] {path.stem} …", end=" ", flush=True)
        executed = out / path.name
        try:
            execute_notebook(path, executed, {"RAW": str(raw), "OUT": str(results)})
            status = f"færdig ({dk_number(time.perf_counter() - clock, 1)} s)"
        except Exception as error:  # a failed notebook must not stop the others
            failed.append(path.stem)
            status = f"FEJL i {_failure_line(error)}"
        if executed.exists():
            try:
                write_html(executed, executed.with_suffix(".html"))
            except Exception as error:  # the copy is there even when HTML fails
                status += f" (HTML kunne ikke laves: {error})"
        print(status, flush=True)
    total = dk_number(time.perf_counter() - started, 1)
    if failed:
        print(
            f"{len(failed)} af {len(paths)} notebooks fejlede: {', '.join(failed)} "
            f"(se de kørte kopier i {out}). Samlet tid {total} s.",
            file=sys.stderr,
        )
        return 1
    print(f"Alle {len(paths)} notebooks kørte uden fejl på {total} s. Se {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
