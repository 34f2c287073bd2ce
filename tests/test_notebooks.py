"""The Colab notebooks: committed clean, installable, and each runs top to bottom in a real Jupyter kernel.

Each notebook is executed with nbclient in its own temporary folder with ``QUICK = True`` injected
after its "parameters" cell (as papermill would), and ``$MGUV_CACHE_DIR`` pointing at a cache shared
by the notebooks of this test session. A cell that raises fails the test. Deselect with
``-m "not notebook"``. The install cell (the same in every notebook) is also run in a fresh
virtualenv, from a wheel built from this checkout.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

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


def tagged(nb, tag):
    return [i for i, c in enumerate(nb.cells) if tag in c.metadata.get("tags", [])]


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_colab_ready(path):
    nb = read(path)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert all(not c.outputs and c.execution_count is None for c in cells), "strip the outputs"
    # Parameters first, so papermill's values reach the Drive mount and the install that follow.
    [params], [install] = tagged(nb, "parameters"), tagged(nb, "install")
    assert nb.cells[params] is cells[0] and params < install
    assert "QUICK = False" in nb.cells[params].source and "MGUV_SOURCE = None" in nb.cells[params].source
    mount = next(i for i, c in enumerate(nb.cells) if "drive.mount" in c.source)
    assert params < mount < install and "MGUV_SOURCE" in nb.cells[mount].source  # a wheel on Drive
    assert nb.cells[install].source == install_cell_source()  # one install cell, tested below
    assert f"notebooks/{path.name}" in nb.cells[0].source and "MGUV_SOURCE" in nb.cells[0].source
    assert "ORG/" not in json.dumps(nb)  # no placeholder repository
    assert nb.metadata["kernelspec"]["name"] == "python3"


def install_cell_source():
    nb = read(NOTEBOOKS[0])
    [install] = tagged(nb, "install")
    return nb.cells[install].source


def run_install_cell(python, source, cwd, **pip_env):
    """Runs the install cell with ``MGUV_SOURCE = source`` in ``python``, then imports mguv.

    An error shows as Jupyter would show it: an exception's ``_render_traceback_`` lines, else its
    repr. ``pip_env``: PIP_* settings for the pip the cell runs. Returns the CompletedProcess.
    """
    script = "\n".join([
        "import sys",
        f"MGUV_SOURCE = {source!r}",
        "try:",
        f"    exec(compile({install_cell_source()!r}, 'install-cell', 'exec'))",
        "except Exception as err:",
        "    render = getattr(err, '_render_traceback_', lambda: [repr(err)])",
        "    print(*render(), sep='\\n')",
        "    sys.exit(1)",
        "import importlib.metadata, mguv",
        "print('imported', mguv.__file__)",
        "print('requires', *importlib.metadata.requires('mguv'))",
    ])
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("PIP_")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", **pip_env)
    return subprocess.run([str(python), "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_install_cell_does_nothing_where_mguv_is_importable(tmp_path):
    result = run_install_cell(sys.executable, None, tmp_path, PIP_NO_INDEX="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Installing" not in result.stdout and "imported" in result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel of this checkout, built offline from a copy (setuptools builds in the source tree)."""
    missing = [m for m in ("setuptools", "wheel") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"cannot build a wheel offline: {', '.join(missing)} not installed here")
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "mguv", src / "mguv", ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(root / "dist"), str(src)],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr[-3000:]
    [path] = (root / "dist").glob("mguv-*.whl")
    return path


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtualenv with pip and nothing else (no mguv, no TensorFlow)."""
    root = tmp_path_factory.mktemp("venv")
    made = subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], capture_output=True, text=True,
                          timeout=120)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtualenv with pip here: {made.stderr.strip().splitlines()[-1:]}")
    return root / "venv" / "bin" / "python"


def test_install_cell_installs_from_a_wheel_in_a_fresh_virtualenv(wheel, fresh_venv, tmp_path):
    """The install cell run as a Colab user would, in a venv without mguv, offline.

    Without a source and with no index (``PIP_NO_INDEX``) it stops with one line that names
    MGUV_SOURCE. With ``MGUV_SOURCE`` = the wheel it installs mguv, which then imports (in the same
    process, as in a notebook kernel) from the venv, with the wheel's declared requirements. pip
    runs with ``PIP_NO_DEPS``: the dependencies (TensorFlow, Keras, ...) are gigabytes, and offline
    there is no index to get them from; importing mguv needs none of them, and which dependencies the
    wheel declares is checked on its metadata instead. A rerun then installs nothing.
    """
    none = run_install_cell(fresh_venv, None, tmp_path, PIP_NO_INDEX="1")
    assert none.returncode == 1, none.stdout + none.stderr
    lines = none.stdout.splitlines()
    assert lines[0] == "Installing mguv from the package index ..." and len(lines) == 2, none.stdout
    assert lines[1].startswith("InstallFailed: mguv is not on the package index") and "MGUV_SOURCE" in lines[1]

    missing = run_install_cell(fresh_venv, str(tmp_path / "nowhere.whl"), tmp_path, PIP_NO_INDEX="1")
    assert missing.returncode == 1 and "nowhere.whl': no such file or folder" in missing.stdout, missing.stdout

    installed = run_install_cell(fresh_venv, str(wheel), tmp_path, PIP_NO_INDEX="1", PIP_NO_DEPS="1")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"Installing mguv from {wheel} ..." in installed.stdout
    venv = fresh_venv.parent.parent
    assert f"imported {venv}" in installed.stdout and "site-packages" in installed.stdout
    assert "keras>=3.7" in installed.stdout  # the wheel's own Requires-Dist

    again = run_install_cell(fresh_venv, str(wheel), tmp_path, PIP_NO_INDEX="1")
    assert again.returncode == 0 and "Installing" not in again.stdout, again.stdout + again.stderr


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
