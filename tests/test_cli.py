"""The `quotebot` CLI, in process (the model is loaded once) and once as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import ROOT, SEEDS

runner = CliRunner()


@pytest.fixture(scope="module")
def cli_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEEDS, root / "corpus")
    return ["--corpus", str(root / "corpus"), "--store", str(root / "store")]


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_ask_on_an_empty_store_indexes_first_then_answers_json(cli_dirs, embedder):
    result = run("ask", "Who hosted the talks in Moscow?", "--json", *cli_dirs)
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(obj) == {"question", "answered", "small_talk", "hits"}
    assert obj["answered"] is True
    hit = obj["hits"][0]
    assert set(hit) >= {"quote", "title", "source", "location", "score", "focus"}
    assert "hosted by Russia" in hit["quote"] and hit["source"].startswith("004_")
    a, b = hit["focus"]
    assert "hosted by Russia" in hit["quote"][a:b]
    scores = [h["score"] for h in obj["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_index_twice_reports_unchanged(cli_dirs):
    run("index", *cli_dirs)
    result = run("index", *cli_dirs)
    assert result.exit_code == 0
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in result.stdout


def test_ask_stdin_prints_one_object_per_question(cli_dirs):
    result = run(
        "ask",
        "-",
        "--json",
        *cli_dirs,
        input="How many troops are American?\n\nWhat is the capital of Peru?\nthanks!\n",
    )
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [x["question"] for x in lines] == [
        "How many troops are American?",
        "What is the capital of Peru?",
        "thanks!",
    ]
    assert lines[0]["answered"] and not lines[1]["answered"] and not lines[2]["answered"]
    assert [x["small_talk"] for x in lines] == [False, False, True] and lines[2]["hits"] == []


def test_ask_readable_output_and_bad_question(cli_dirs):
    result = run("ask", "How many troops are American?", *cli_dirs)
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert "2,500 of whom" in flat.replace("\xa0", " ") and "paragraph" in flat
    bad = run("ask", "   ", *cli_dirs)
    assert bad.exit_code == 1 and "empty" in bad.output
    assert "Traceback" not in bad.output


def test_sources_json(cli_dirs):
    result = run("sources", "--json", *cli_dirs)
    rows = json.loads(result.stdout)
    assert len(rows) == 5 and all(r["passages"] > 0 and r["title"] for r in rows)


def test_eval_prints_metrics_for_each_retriever(cli_dirs, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps(
            {
                "id": "a",
                "question": "Who hosted the talks in Moscow?",
                "kind": "fact",
                "gold": [{"doc": "004_0843e32199b2883a.txt", "text": "hosted by Russia"}],
            }
        )
        + "\n"
        + json.dumps({"id": "b", "question": "How do I bake bread?", "kind": "ood", "gold": []})
        + "\n",
        encoding="utf-8",
    )
    result = run("eval", str(qfile), "--retriever", "all", "--json", *cli_dirs)
    rows = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [r["retriever"] for r in rows] == ["hybrid", "dense", "bm25"]
    hybrid = rows[0]
    flat = json.dumps(hybrid)
    assert "hit@1" in flat and "abstain" in flat


def test_run_without_token_is_one_line_and_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUOTEBOT_"))}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "quotebot"), "run", "--store", str(tmp_path / "s")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "DISCORD_TOKEN" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def _env_names(model) -> list[str]:
    """The environment variable of every field of a settings class (its first alias, else prefix + name)."""
    prefix = model.model_config.get("env_prefix", "")
    names = []
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.append(str(choices[0]))
        elif isinstance(alias, str):
            names.append(alias)
        else:
            names.append((prefix + name).upper())
    return names


def test_readme_documents_every_setting():
    from bot.config import BotSettings
    from index.config import IndexSettings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    names = _env_names(IndexSettings) + _env_names(BotSettings)
    assert {"QUOTEBOT_CORPUS_DIR", "CHROMA_URL", "DISCORD_TOKEN", "QUOTEBOT_SOURCE_URL"} <= set(names)
    for name in names:
        assert f"`{name}`" in readme, name
        assert name in example, name


def test_a_fresh_process_exits_cleanly_and_prints_unwrapped_lines(cli_dirs, tmp_path):
    """Small talk is answered before the model has loaded in the background: the process must still exit 0
    (a model build cut off by the interpreter's exit aborts it). Piped output is never wrapped at 80 columns."""
    run("index", *cli_dirs)
    exe = str(Path(sys.executable).parent / "quotebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "QUOTEBOT_"))}
    for _ in range(2):
        proc = subprocess.run(
            [exe, "ask", "thanks!", *cli_dirs],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-500:]
        assert proc.stdout.strip() and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [exe, "index", *cli_dirs], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0
    line = proc.stdout.strip()
    assert "\n" not in line and len(line) > 0, proc.stdout


def test_index_saves_the_retrieval_tables_so_a_first_start_reads_one_file(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "corpus")
    dirs = ["--corpus", str(tmp_path / "corpus"), "--store", str(tmp_path / "store")]
    result = run("index", *dirs)
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 1
    assert (tmp_path / "store" / "tables.npz").is_file()
    assert (
        run("ask", "Who did Biden talk to first?", "--json", *dirs).exit_code == 0
    )  # the store is free again
