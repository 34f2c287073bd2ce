"""What a user sees on bad input: one ``error:`` line on stderr, exit status 2, no traceback."""

import subprocess
import sys

import pytest

from conftest import REPO


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def assert_one_line_error(result, needle):
    lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and needle in lines[0], result.stderr


@pytest.mark.parametrize("args, needle", [
    (["--data", "/no/such/folder"], "no such file or folder"),
    (["--config", "no_such_config"], "unknown config"),
    (["--mode", "video"], "invalid choice"),
    (["--mode", "audio", "--config", "lstm_vae"], "is a symbolic config"),
    (["--model", "hier_vae", "--config", "lstm_vae"], "is a lstm_vae config but --model is hier_vae"),
    (["--model", "gan"], "invalid choice"),
    (["--set", "beta=high"], "expected a float"),
    (["--epochs"], "expected one argument"),
])
def test_train_cli_bad_input(args, needle):
    assert_one_line_error(run("train.py", *args), needle)


def test_train_cli_empty_folder(tmp_path):
    assert_one_line_error(run("train.py", "--data", str(tmp_path)), "no MIDI files")


def test_generate_cli_missing_run(tmp_path):
    assert_one_line_error(run("-m", "mguv.generate", str(tmp_path / "nope")), "no such run")
    assert_one_line_error(run("-m", "mguv.generate", str(tmp_path)), "no SavedModel")


def test_list_configs():
    result = run("train.py", "--list-configs")
    assert result.returncode == 0 and "lstm_vae-demo" in result.stdout
