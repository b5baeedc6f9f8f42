"""Support for the notebooks in ``notebooks/``.

The notebooks are thin: every number comes from the package (``pipeline``, ``score``,
``clusters``, ``effects``, ``report``, ``feedback``, ``plots``). This module holds only what a
notebook needs around them:

- :func:`ensure_raw_data` finds the raw folder to use, and fills an empty one with synthetic
  demo data in its ``demo/`` subfolder (as ``make run``);
- :func:`run_analysis` runs the whole pipeline in memory (nothing is written) with Danish
  progress lines on stdout;
- :func:`choose_wave` turns the ``BOELGE`` parameter into a wave, and :func:`settings_table`
  lists the settings in force by their keys in ``indstillinger.toml``;
- :func:`show` displays a table (Danish decimal comma), a figure (as PNG) or a list of
  sentences;
- overviews the package has no other use for: :func:`source_overview`,
  :func:`workbook_overview` and :func:`read_sheet`.

The notebooks' own figures are in :mod:`omstilling_analysis.plots.data_quality` and
:mod:`omstilling_analysis.plots.reliability`; the runner behind ``make notebooks`` is
``tools/run_notebooks.py``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from omstilling_analysis import pipeline
from omstilling_analysis.settings import SETTING_KEYS, Settings
from omstilling_analysis.text import dk_number

#: The notebooks folder of the project (the package is installed in editable mode).
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: Seed of the demo data made by :func:`ensure_raw_data` (``omstilling demodata``'s default).
DEMO_SEED = 20240101
#: Rows of a table shown by :func:`show` before it is cut.
MAX_ROWS = 60

__all__ = [
    "NOTEBOOKS_DIR",
    "NotebookProgress",
    "choose_wave",
    "ensure_raw_data",
    "has_raw_data",
    "read_sheet",
    "run_analysis",
    "settings_table",
    "show",
    "source_overview",
    "workbook_overview",
]


# =========================================================================== data and runs


def _entries(folder: Path) -> list[str]:
    """Names in ``folder`` that are exports: not README.md, hidden files or a demo folder."""
    from omstilling_analysis import demo

    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name != "README.md" and not p.name.startswith(".") and not demo.is_demo_folder(p)
    )


def has_raw_data(raw_dir: str | Path) -> bool:
    """Whether ``raw_dir`` holds exports: anything but its README, hidden files and a subfolder
    marked as demo data (``DEMODATA.md``), as ``make run`` decides."""
    folder = Path(raw_dir)
    return folder.is_dir() and bool(_entries(folder))


def ensure_raw_data(raw_dir: str | Path, seed: int = DEMO_SEED) -> Path:
    """The raw folder to analyse, as an absolute path, as ``make run`` chooses it.

    ``raw_dir`` itself when it holds exports (or is a demo folder); else its ``demo/``
    subfolder, filled with synthetic demo data when it has none yet. Says which, in Danish.
    """
    from omstilling_analysis import demo

    folder = Path(raw_dir).resolve()
    if demo.is_demo_folder(folder) or has_raw_data(folder):
        label = "DEMODATA" if demo.is_demo_folder(folder) else "Rådata"
        print(f"{label}: {folder} ({len(_entries(folder))} filer og mapper)")
        return folder
    target = folder / demo.DEMO_FOLDER
    if demo.is_demo_folder(target):
        print(
            f"{folder} indeholder ingen eksporter: bruger DEMODATA i {target}. Slet mappen "
            f"{target}, før I lægger rigtige eksporter i {folder}."
        )
        return target
    print(
        f"{folder} indeholder ingen eksporter: laver syntetiske demodata i {target} "
        f"(demo.generate, seed {seed}), ligesom make run gør."
    )
    truth = demo.generate(target, seed=seed)
    print(f"Skrev {len(truth.files)} demofiler med {len(truth.rows)} rækker i alt.")
    return target


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


def settings_table(settings: Settings | None = None) -> pd.DataFrame:
    """The settings in force, one row each: the key of ``indstillinger.toml``, the value and
    what it means."""
    values = (settings or Settings()).to_dict()
    rows = []
    for entry in SETTING_KEYS:
        key, meaning = entry.key, entry.explanation
        value = values[entry.attribute]
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
