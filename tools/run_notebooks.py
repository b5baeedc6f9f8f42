"""Run every notebook on the current data: executed copies and HTML (``make notebooks``).

``python tools/run_notebooks.py --raw RAW --out OUTDIR`` executes every numbered notebook of
``notebooks/`` with papermill in a fresh kernel of this Python (the project's virtual
environment), with ``RAW`` and ``OUT`` as absolute paths, and writes the executed copies and
HTML versions into ``OUTDIR``. It exits with 1 when a notebook fails, 2 on bad input.

The notebooks name ipykernel's own kernel ``python3``: every environment with ipykernel has it
(pip and conda install its spec into the environment), and Jupyter starts it with the Python
that runs Jupyter, so ``.venv/bin/jupyter nbconvert --execute``, papermill and VS Code find it in
a fresh clone without anything registered in the user's home. This runner goes one step
further and always starts ``sys.executable``, whatever kernels are registered elsewhere.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omstilling_analysis.text import dk_number

#: The project's notebooks folder (this file is tools/run_notebooks.py).
NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: The kernel the notebooks name (their kernelspec metadata) and its display name.
KERNEL_NAME = "python3"
KERNEL_DISPLAY_NAME = "Python 3 (ipykernel)"

__all__ = [
    "KERNEL_DISPLAY_NAME",
    "KERNEL_NAME",
    "NOTEBOOKS_DIR",
    "execute_notebook",
    "main",
    "notebook_paths",
    "write_html",
]


def notebook_paths(folder: str | Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``) of ``folder``, in order."""
    paths = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    return [p for p in paths if ".ipynb_checkpoints" not in p.parts]


def _kernel_manager_class():
    """A kernel manager that starts this very Python (the project's virtual environment).

    A kernel registered elsewhere under the same name may point at another environment; this
    one always runs ``sys.executable``.
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
        prog="python tools/run_notebooks.py",
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
        help="hvor notebooks skriver resultater og tilbagemeldingsark (parametrene OUT og "
        "TILBAGEMELDINGER; standard: samme som --out)",
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
    # Every path a notebook writes to points into the chosen folders, never into data/.
    parameters = {"RAW": str(raw), "OUT": str(results), "TILBAGEMELDINGER": str(results)}
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
            execute_notebook(path, executed, parameters)
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
