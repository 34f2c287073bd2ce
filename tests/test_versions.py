"""The dependency floors in setup.cfg hold: the code's newest APIs are covered, and this venv meets them.

``API_FLOORS`` lists the calls whose library version matters, with the release that introduced them
(read from the libraries' own git tags: ``double_checkpoint`` first appears in
keras/src/callbacks/backup_and_restore.py at v3.7.0, ``write_out(..., verbose=...)`` in
keras/src/export/export_lib.py at v3.6.0; librosa's setup.cfg makes ``soxr`` a dependency at
0.10.0, a test extra at 0.9.2). A call dropped from the code fails the test, so the table stays true.
"""

import configparser
import importlib.metadata
import inspect
import re

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import REPO

# (distribution, release that introduced it, regular expression found in mguv's code, what it is)
API_FLOORS = [
    ("keras", "3.7", r"BackupAndRestore\([^)]*double_checkpoint=", "BackupAndRestore(double_checkpoint=...)"),
    ("keras", "3.6", r"\.write_out\([^)]*verbose=", "ExportArchive.write_out(..., verbose=...)"),
    ("librosa", "0.10", r"res_type=\"soxr_hq\"", "librosa.resample(res_type='soxr_hq') with soxr installed"),
]


def declared():
    """{distribution name (lower case): Requirement} from setup.cfg's install_requires."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    lines = [line.strip() for line in config["options"]["install_requires"].splitlines()]
    requirements = [Requirement(line) for line in lines if line and not line.startswith("#")]
    return {r.name.lower().replace("_", "-"): r for r in requirements}


def floor(requirement):
    """The lowest version a requirement admits (its >= bound), or None without one."""
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==", "~=")]
    return max(bounds, default=None)


def mguv_source():
    return "\n".join(p.read_text() for p in sorted((REPO / "mguv").rglob("*.py")))


@pytest.mark.parametrize("dist,version,pattern,what", API_FLOORS, ids=[a[3] for a in API_FLOORS])
def test_declared_floor_covers_each_api_the_code_uses(dist, version, pattern, what):
    assert re.search(pattern, mguv_source()), f"mguv no longer uses {what}: drop it from API_FLOORS"
    requirement = declared()[dist]
    assert floor(requirement) is not None and floor(requirement) >= Version(version), (
        f"setup.cfg declares {requirement}, but mguv uses {what}, new in {dist} {version}")


def test_keras_floor_is_the_newest_keras_api():
    newest = max(Version(v) for d, v, _, _ in API_FLOORS if d == "keras")
    assert newest == Version("3.7")
    assert floor(declared()["keras"]) == newest  # no higher than needed either


def test_installed_versions_satisfy_the_declared_floors():
    unmet = []
    for name, requirement in declared().items():
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{requirement} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{requirement} (installed {installed})")
    assert not unmet, unmet


def test_the_keras_apis_exist_in_the_installed_keras():
    import keras

    assert "double_checkpoint" in inspect.signature(keras.callbacks.BackupAndRestore).parameters
    assert "verbose" in inspect.signature(keras.export.ExportArchive.write_out).parameters
