"""The Colab notebooks: committed clean, and each runs top to bottom in a real Jupyter kernel.

Each notebook is executed with nbclient in its own temporary folder with ``QUICK = True`` injected
after its "parameters" cell (as papermill would), and ``$MGUV_CACHE_DIR`` pointing at a cache shared
by the notebooks of this test session. A cell that raises fails the test. Deselect with
``-m "not notebook"``.
"""

import json

import nbformat
import pytest

from conftest import REPO

NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = ["01_symbolic_quickstart.ipynb", "02_audio_quickstart.ipynb", "03_latent_space.ipynb",
            "04_savedmodel_without_mguv.ipynb"]
CELL_TIMEOUT_S = 600


def read(path):
    return nbformat.read(str(path), as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_colab_ready(path):
    nb = read(path)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert all(not c.outputs and c.execution_count is None for c in cells), "strip the outputs"
    install = cells[0].source
    assert "MGUV_REPO =" in install and 'find_spec("mguv") is None' in install and "git+" in install
    params = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "QUICK = False" in params[0].source
    assert f"notebooks/{path.name}" in nb.cells[0].source  # the "Open in Colab" badge
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="session")
def notebook_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("notebook-cache")


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_in_quick_mode(path, tmp_path, notebook_cache, monkeypatch):
    from nbclient import NotebookClient

    nb = read(path)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell("QUICK = True")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, injected)
    # The kernel inherits this environment: a private parse/render cache, quiet TensorFlow.
    monkeypatch.setenv("MGUV_CACHE_DIR", str(notebook_cache))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and its traceback, if a cell fails
    executed = tmp_path / path.name
    nbformat.write(nb, str(executed))  # kept in pytest's tmp folder for a look after a failure
    errors = [o for c in code_cells(nb) for o in c.outputs if o.output_type == "error"]
    assert not errors, json.dumps(errors)[:2000]
