"""The evaluation sets, listed once: which corpus, which question files, and who may use them for what.

Plain data and the standard library only, so that ``check_gold.py`` (run with a bare ``python3``) reads the same
list as ``public.py`` (the public table), ``fit_blend.py`` (fitting the blend on dev splits) and ``adapt.py``.
A path starting ``@/`` is in this repository; any other is under ``<shared>/eval`` (absent on a fresh clone).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: str  # the folder of documents
    splits: tuple[tuple[str, tuple[str, ...]], ...]  # (split name, question files)
    kind: str = "docs"  # docs | news | squad | scifact
    public: bool = (
        True  # a row of public.py's table (the seeds and the fixture site are checked by make test)
    )
    fitted: bool = False  # the blend is fitted on its dev split (fit_blend.py); never on any other split

    def corpus_dir(self, shared: Path) -> Path:
        return resolve(shared, self.folder)

    def question_files(self, shared: Path, split: str) -> list[Path]:
        return [resolve(shared, f) for name, files in self.splits if name == split for f in files]


def resolve(shared: Path, name: str) -> Path:
    return ROOT / name[2:] if name.startswith("@/") else shared / "eval" / name


def _splits(prefix: str, *names: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((n, (f"@/benchmarks/data/{prefix}_{n}.jsonl",)) for n in names)


CORPORA = (
    Corpus(
        "seeds-own",
        "@/seeds",
        (("dev", ("@/tests/data/seed_eval.jsonl",)),),
        kind="news",
        public=False,
        fitted=True,
    ),
    Corpus(
        "seeds-shared",
        "@/seeds",
        (("dev", ("seed_questions_dev.jsonl",)),),
        kind="news",
        public=False,
        fitted=True,
    ),
    Corpus(
        "docs",
        "@/tests/fixtures/docs",
        (("dev", ("@/tests/data/docs_eval_dev.jsonl",)), ("test", ("@/tests/data/docs_eval_test.jsonl",))),
        public=False,
        fitted=True,
    ),
    Corpus(
        "djs-guide",
        "djs-guide/corpus",
        (
            (
                "dev",
                (
                    "djs-guide/questions_dev.jsonl",
                    "@/benchmarks/data/djs_guide_dev.jsonl",
                    "@/benchmarks/data/djs_guide_dev2.jsonl",
                ),
            ),
            *_splits("djs_guide", "test", "test2"),
        ),
        fitted=True,
    ),
    Corpus(
        "pycord-guide",
        "@/benchmarks/data/pycord-guide/corpus",
        _splits("pycord_guide", "dev", "test"),
        fitted=True,
    ),
    # never fitted on: its dev half was read for reading problems only (benchmarks/data/pydis-site/SOURCE.md)
    Corpus("pydis-site", "@/benchmarks/data/pydis-site/corpus", _splits("pydis_site", "dev", "test")),
    Corpus(
        "squad",
        "squad/corpus",
        (("dev", ("squad/dev.jsonl",)), ("test", ("squad/test.jsonl",))),
        kind="squad",
        fitted=True,
    ),
    Corpus("scifact", "scifact/corpus", (("test", ("scifact/questions.jsonl",)),), kind="scifact"),
)
