"""The notebooks in ``notebooks/``: committed clean, parameterised, paired, thin, and they run.

The slow tests execute every notebook the way ``make notebooks`` does (``tools/run_notebooks.py``:
papermill, a fresh kernel of this Python per notebook) on synthetic demo data in a temporary raw
folder, and check that no cell failed, that every notebook after ``00`` shows a figure, and that
no personal data from the raw exports reached an output. One test runs plain
``jupyter nbconvert --execute`` on a notebook naming the notebooks' kernel, as a user would.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from omstilling_analysis import demo, notebooks, settings


def _load_runner():
    """tools/run_notebooks.py, imported by path (tools/ is no package)."""
    path = Path(__file__).resolve().parent.parent / "tools" / "run_notebooks.py"
    spec = importlib.util.spec_from_file_location("run_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
NOTEBOOKS = runner.notebook_paths()
EXPECTED = [
    "00_kom_godt_i_gang",
    "01_indlaesning_og_rensning",
    "02_temascorer_og_reliabilitet",
    "03_klynger",
    "04_effekter",
    "05_eksport_til_videncenter",
    "06_kommune_interaktiv",
]
#: What a notebook may import: the package, and pandas / pathlib for presenting its tables.
ALLOWED_IMPORTS = {"omstilling_analysis", "pandas", "pathlib"}
#: The interactive notebook also needs the widgets, their display and one callback function.
INTERACTIVE = "06"
INTERACTIVE_IMPORTS = {"ipywidgets", "IPython"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem[:2] for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def _code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _assignments(source: str) -> dict[str, object]:
    values = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign), f"kun tildelinger i parametercellen: {source}"
        for target in node.targets:
            values[target.id] = ast.literal_eval(node.value)
    return values


# =========================================================================== committed files


def test_the_numbered_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_without_outputs_or_execution_counts(path):
    notebook = _read(path)
    for cell in _code_cells(notebook):
        assert cell.get("outputs") == [], f"{path.name}: celle med output"
        assert cell.get("execution_count") is None, f"{path.name}: celle med kørselsnummer"
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_code_cell_is_the_parameters_cell(path):
    cells = _code_cells(_read(path))
    tagged = [i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", [])]
    assert tagged == [0], f"{path.name}: præcis den første kodecelle skal være mærket parameters"
    values = _assignments(cells[0].source)
    assert values["RAW"] == "../data/raw"
    if not path.stem.startswith(INTERACTIVE):  # 06 writes nothing
        assert values["OUT"] == "../data/processed"
    assert values["BOELGE"] is None
    if path.stem.startswith("03"):
        assert values["K"] is None and values["METODE"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_paired_percent_script_matches_the_notebook(path):
    script = path.with_suffix(".py")
    assert script.exists(), f"{script.name} mangler (jupytext --sync notebooks/*.ipynb)"
    paired = jupytext.read(script)
    notebook = _read(path)

    def cells(nb):
        return [(c.cell_type, c.source.strip(), c.metadata.get("tags", [])) for c in nb.cells]

    assert cells(paired) == cells(notebook), f"{path.name} og {script.name} er ikke i takt"
    assert notebook.metadata["kernelspec"]["name"] == runner.KERNEL_NAME == "python3"
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebooks_are_thin(path):
    """Only the package (and pandas/pathlib to present tables); no functions or classes.

    The interactive notebook may import the widgets and define the one function they call."""
    interactive = path.stem.startswith(INTERACTIVE)
    allowed = ALLOWED_IMPORTS | (INTERACTIVE_IMPORTS if interactive else set())
    functions = 0
    for cell in _code_cells(_read(path)):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module] if isinstance(node, ast.ImportFrom) else []
                names += [] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    assert name.split(".")[0] in allowed, f"{path.name}: import {name}"
            assert not isinstance(node, ast.ClassDef), f"{path.name}: klasser hører hjemme i pakken"
            functions += isinstance(node, ast.FunctionDef)
    assert functions <= (1 if interactive else 0), f"{path.name}: funktioner hører hjemme i pakken"


def test_the_markdown_is_danish():
    text = " ".join(
        cell.source
        for path in NOTEBOOKS
        for cell in _read(path).cells
        if cell.cell_type == "markdown"
    )
    assert all(letter in text for letter in "æøå")


# =========================================================================== helpers


def test_ensure_raw_data_uses_the_demo_folder_only_without_exports(tmp_path, monkeypatch, capsys):
    made = []

    def fake_generate(out_dir, seed=0):
        made.append(Path(out_dir))
        demo.write_demo_marker(out_dir)
        (Path(out_dir) / "selvevaluering_2024.xlsx").write_bytes(b"x")
        return type("Truth", (), {"files": ["selvevaluering_2024.xlsx"], "rows": [1, 2]})()

    monkeypatch.setattr(demo, "generate", fake_generate)
    (tmp_path / "README.md").write_text("læs mig")
    (tmp_path / ".gitkeep").write_text("")
    assert not notebooks.has_raw_data(tmp_path)
    target = tmp_path.resolve() / "demo"
    assert notebooks.ensure_raw_data(tmp_path) == target
    assert made == [target]
    assert "syntetiske demodata" in capsys.readouterr().out
    assert notebooks.ensure_raw_data(tmp_path) == target, "demo-mappen genbruges"
    assert len(made) == 1
    assert "Slet mappen" in capsys.readouterr().out
    assert not notebooks.has_raw_data(tmp_path), "en demo-mappe er ingen eksport"
    # Real exports next to the demo: the raw folder itself, the demo left alone.
    (tmp_path / "selvevaluering_2022.xlsx").write_bytes(b"x")
    assert notebooks.has_raw_data(tmp_path)
    assert notebooks.ensure_raw_data(tmp_path) == tmp_path.resolve()
    assert notebooks.ensure_raw_data(target) == target
    assert len(made) == 1


def test_the_figures_moved_out_of_the_notebook_helpers():
    from omstilling_analysis.plots import data_quality, reliability

    assert not [name for name in notebooks.__all__ if name.startswith("plot_")]
    assert not hasattr(notebooks, "main") and not hasattr(notebooks, "execute_notebook")
    assert callable(data_quality.plot_row_fates) and callable(reliability.plot_reliability)


@pytest.mark.slow
def test_plain_nbconvert_finds_the_notebooks_kernel(tmp_path):
    """``jupyter nbconvert --execute`` of this environment, nothing registered in a home."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)")]
    notebook.metadata["kernelspec"] = dict(_read(NOTEBOOKS[0]).metadata["kernelspec"])
    path = tmp_path / "kerne.ipynb"
    nbformat.write(notebook, str(path))
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    completed = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    executed = json.loads((tmp_path / "kerne.nbconvert.ipynb").read_text(encoding="utf-8"))
    printed = "".join(executed["cells"][0]["outputs"][0]["text"]).strip()
    assert printed == sys.prefix
    assert not any(home.rglob("kernel.json")), "intet må skrives i brugerens hjemmemappe"


def test_settings_table_names_every_setting_by_its_toml_key():
    chosen = settings.Settings(min_respondents_published=5, seed=42)
    table = notebooks.settings_table(chosen).set_index("nøgle i indstillinger.toml")
    assert set(table.index) == {entry.key for entry in settings.SETTING_KEYS}
    assert table.at["min_respondenter", "værdi"] == "5" and table.at["seed", "værdi"] == "42"
    assert table.at["min_andel_besvaret", "værdi"] == "0,50"  # Danish decimal comma


# =========================================================================== execution


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[int, Path]:
    """``make notebooks`` on demo data: every notebook in a fresh kernel, copies and HTML."""
    raw = tmp_path_factory.mktemp("raw")
    demo.generate(raw)
    out = tmp_path_factory.mktemp("notebooks")
    code = runner.main(["--raw", str(raw), "--out", str(out)])
    return code, out


@pytest.mark.slow
def test_make_notebooks_runs_every_notebook(executed):
    code, out = executed
    assert code == 0
    for path in NOTEBOOKS:
        assert (out / path.name).exists()
        assert (out / f"{path.stem}.html").stat().st_size > 10_000
    written = {p.name for p in out.glob("*.xlsx")}
    assert {"opsummering_2024.xlsx", "rapport_751_2024.xlsx"} <= written
    assert all(re.fullmatch(r"(opsummering|rapport_751)_20\d\d\.xlsx", name) for name in written)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_ran_top_to_bottom(executed, path):
    _code, out = executed
    notebook = _read(out / path.name)
    cells = _code_cells(notebook)
    injected = [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "RAW = " in injected[0].source
    outputs = [output for cell in cells for output in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: {errors[0].ename}: {errors[0].evalue}" if errors else ""
    assert all(cell.execution_count is not None for cell in cells), "ikke alle celler kørte"
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    if not path.stem.startswith(("00", INTERACTIVE)):  # 06 draws inside its widgets
        assert images, f"{path.name} viser ingen figur"
    text = nbformat.writes(notebook)
    assert not EMAIL.search(text), f"{path.name}: en e-mailadresse i output"
    assert "jens hansen" not in text.lower()


@pytest.mark.slow
def test_a_failing_notebook_gives_a_nonzero_exit(tmp_path, capsys):
    folder = tmp_path / "nb"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('RAW = "x"\nOUT = "y"')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell('raise RuntimeError("bevidst fejl")')]
    notebook.metadata["kernelspec"] = {
        "name": runner.KERNEL_NAME,
        "display_name": runner.KERNEL_DISPLAY_NAME,
        "language": "python",
    }
    nbformat.write(notebook, str(folder / "99_fejl.ipynb"))
    code = runner.main(
        ["--raw", str(tmp_path), "--out", str(tmp_path / "ud"), "--notebooks", str(folder)]
    )
    assert code == 1
    streams = capsys.readouterr()
    assert "FEJL" in streams.out and "RuntimeError: bevidst fejl" in streams.out
    assert "99_fejl" in streams.err
    assert (tmp_path / "ud" / "99_fejl.html").exists()
