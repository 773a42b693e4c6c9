"""The evaluation sets kept in this repository stay usable: their files exist, and every gold text is still a
verbatim span of its page (benchmarks/check_gold.py), so that editing a fixture page or a question file cannot
silently turn an evaluation question into one nobody can answer."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import check_gold  # noqa: E402
import evalsets  # noqa: E402


def test_every_in_repository_file_of_the_evaluation_sets_exists(tmp_path):
    names = [c.folder for c in evalsets.CORPORA] + [
        f for c in evalsets.CORPORA for _, files in c.splits for f in files
    ]
    local = [n for n in names if n.startswith("@/")]
    assert local, "the list names no file of this repository"
    missing = [n for n in local if not evalsets.resolve(tmp_path, n).exists()]
    assert missing == []


def test_question_sets_kept_here_pass_the_gold_check_without_the_shared_folder(tmp_path, capsys):
    assert check_gold.main(["--shared", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "skip: no djs-guide corpus" in out  # the shared guide is absent on a fresh clone
    for name in ("docs_eval_dev.jsonl", "pycord_guide_test.jsonl", "pydis_site_dev.jsonl"):
        assert name in out
    assert out.rstrip().endswith("OK")


def test_a_gold_text_no_longer_on_its_page_fails_the_check(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.md").write_text(
        "# FAQ\n\n## How do I ban a user?\n\nUse the ban command.\n", encoding="utf-8"
    )
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "t-1", "question": "how do i ban someone", "kind": "faq", '
        '"gold": [{"doc": "faq.md", "text": "Use the kick command."}]}\n',
        encoding="utf-8",
    )
    assert check_gold.main(["--shared", str(tmp_path), "--pair", f"{questions}:{corpus}"]) == 1
    assert "not inside any single block of the document: 'Use the kick command.'" in capsys.readouterr().out
    questions.write_text(questions.read_text(encoding="utf-8").replace("kick", "ban"), encoding="utf-8")
    assert check_gold.main(["--shared", str(tmp_path), "--pair", f"{questions}:{corpus}"]) == 0


def test_only_dev_splits_of_fitted_corpora_are_fitted_on_and_the_third_site_never():
    fitted = {c.name for c in evalsets.CORPORA if c.fitted}
    assert "pydis-site" not in fitted and "scifact" not in fitted
    for c in evalsets.CORPORA:
        if c.fitted:
            assert "dev" in dict(c.splits), c.name
