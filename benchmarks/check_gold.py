"""Check evaluation question files against the documents their gold spans point into.

    python benchmarks/check_gold.py                  # the repository's docs sets (+ the guide's, when ../shared exists)
    python benchmarks/check_gold.py --shared /path/to/shared
    python benchmarks/check_gold.py --pair questions.jsonl:corpus_dir   # any other set

For every question: a known ``kind``, an empty gold exactly for ``unanswerable``/``chitchat``, ids and
question texts unique within a corpus. For every gold span: its document exists; the text has no Markdown
or HTML syntax (no backtick, ``*``, ``[``, ``]``, ``<``, ``>``, ``#``; ``*`` and ``#`` are tolerated in a
gold that is one whole line of code); it is 4-15 words unless it is one whole code line; and after
case-folding and white-space collapsing (the rule of ``index.evaluate.fold``) it lies inside ONE block of
the source: one paragraph, list item, heading, table cell or code line, never in front matter, comments,
container fences or attribute lines. HTML documents are checked against their visible text, and a span
that only occurs in page chrome (navigation, cookie banner, share buttons, related links, sidebars,
footers) is an error.

Stdlib only, so it runs with a bare ``python3``. Exits 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from evalsets import CORPORA, resolve  # noqa: E402  (beside this script)

ROOT = Path(__file__).resolve().parents[1]

KINDS = {
    "faq",
    "faq-code",
    "how-to-code",
    "error",
    "concept",
    "fact",
    "rule",
    "table",
    "unanswerable",
    "chitchat",
}
EMPTY_KINDS = {"unanswerable", "chitchat"}
FORBIDDEN = set("`*[]<>#")
CODE_TOLERATED = set("*#")
MIN_WORDS, MAX_WORDS = 4, 15

_QUOTES = str.maketrans(
    {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032"} | {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033"}
)


def fold(text: str) -> str:
    """Same folding as index.evaluate.fold (kept here so the script needs no installed package)."""
    return " ".join(text.translate(_QUOTES).casefold().split())


@dataclass(frozen=True)
class Unit:
    text: str  # folded
    code: bool  # one line of a code block
    chrome: bool = False  # HTML page furniture


# --------------------------------------------------------------------------------------------- Markdown

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(\s+|$)")
_LIST = re.compile(r"^\s*(?:[-+*]|\d{1,9}[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_IAL = re.compile(r"^\s*\{:.*\}\s*$")  # kramdown attribute list
_CONTAINER = re.compile(r"^\s*:{3,}")  # VuePress container fence
_MDX_LINE = re.compile(r"^\s*(?:import\s.+\sfrom\s|export\s)")
_JSX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I)


def _strip_front_matter(lines: list[str]) -> list[str]:
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return [""] * (i + 1) + lines[i + 1 :]
    return lines


def markdown_units(source: str) -> list[Unit]:
    """Blocks of a Markdown/MDX page, line based: good enough to tell 'inside one block' apart."""
    source = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    source = _JSX_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    lines = _strip_front_matter(source.splitlines())
    units: list[Unit] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            units.append(Unit(fold(" ".join(para)), code=False))
            para.clear()

    fence: tuple[str, int] | None = None
    prev_blank = True
    in_list = False
    for raw in lines:
        if fence is not None:
            m = _FENCE.match(raw)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] and not m.group(2).strip():
                fence = None
            else:
                units.append(Unit(fold(raw), code=True))
            continue
        m = _FENCE.match(raw)
        if m:
            flush()
            fence = (m.group(1)[0], len(m.group(1)))
            prev_blank = False
            continue
        if not raw.strip():
            flush()
            prev_blank = True
            continue
        if (raw.startswith("    ") or raw.startswith("\t")) and prev_blank and not in_list:
            flush()  # indented code block line
            units.append(Unit(fold(raw), code=True))
            continue
        prev_blank = False
        if _IAL.match(raw) or _CONTAINER.match(raw) or _MDX_LINE.match(raw) or _TABLE_SEP.match(raw):
            flush()
            continue
        line = _QUOTE.sub("", raw)
        if _HEADING.match(line):
            flush()
            in_list = False
            units.append(Unit(fold(line.lstrip().lstrip("#")), code=False))
            continue
        if line.strip().startswith("|"):
            flush()
            for cell in line.strip().strip("|").split("|"):
                units.append(Unit(fold(cell), code=False))
            continue
        if _LIST.match(line):
            flush()
            in_list = True
            para.append(_LIST.sub("", line, count=1))
            continue
        if not raw.startswith((" ", "\t")) and not para:
            in_list = False
        para.append(line.strip())
    flush()
    return units


# ------------------------------------------------------------------------------------------------- HTML

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul", "br", "button", "select", "option",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "head", "template", "noscript", "svg"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_CHROME_TAGS = {"nav", "aside"}
_CHROME_WORDS = (
    "cookie",
    "consent",
    "share",
    "newsletter",
    "related",
    "breadcrumb",
    "sidebar",
    "toc",
    "banner",
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, chrome)
        self.skip = 0
        self.buf: list[str] = []
        self.units: list[Unit] = []

    def _chrome(self) -> bool:
        return any(chrome for _, chrome in self.stack)

    def _flush(self) -> None:
        text = "".join(self.buf)
        self.buf.clear()
        if not text.strip():
            return
        if any(tag == "pre" for tag, _ in self.stack):
            for line in text.split("\n"):
                if line.strip():
                    self.units.append(Unit(fold(line), code=True, chrome=self._chrome()))
        else:
            self.units.append(Unit(fold(text), code=False, chrome=self._chrome()))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID:
            return
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id", "role")).lower()
        in_content = any(t in ("article", "blockquote") for t, _ in self.stack)
        chrome = (
            tag in _CHROME_TAGS
            or (tag in ("header", "footer") and not in_content)
            or any(word in marks for word in _CHROME_WORDS)
        )
        self.stack.append((tag, chrome))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.buf.append(data)


def html_units(source: str) -> list[Unit]:
    parser = _Visible()
    parser.feed(source)
    parser.close()
    parser._flush()
    return parser.units


def document_units(path: Path) -> list[Unit]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm"):
        return html_units(text)
    return markdown_units(text)


# ------------------------------------------------------------------------------------------------ checks


@dataclass
class Report:
    errors: list[str]
    warnings: list[str]


def check_gold_text(text: str, units: list[Unit]) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    folded = fold(text)
    if not folded:
        return ["empty gold text (use an empty gold list for 'no answer')"], warnings
    code_line = any(u.code and u.text == folded for u in units)
    bad = {c for c in text if c in FORBIDDEN}
    if code_line:
        if bad - CODE_TOLERATED:
            errors.append(
                f"forbidden characters {''.join(sorted(bad - CODE_TOLERATED))!r} in code gold {text!r}"
            )
        elif bad:
            warnings.append(f"code gold {text!r} contains {''.join(sorted(bad))!r}")
    else:
        if bad:
            errors.append(f"forbidden characters {''.join(sorted(bad))!r} in {text!r}")
        if "\\" in text or _ENTITY.search(text):
            errors.append(
                f"Markdown escape or HTML entity in {text!r}: gold is matched against the readable text"
            )
        words = len(text.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            errors.append(f"{words} words (want {MIN_WORDS}-{MAX_WORDS}, or one whole code line): {text!r}")
    inside = [u for u in units if folded in u.text]
    if not inside:
        errors.append(f"not inside any single block of the document: {text!r}")
    elif all(u.chrome for u in inside):
        errors.append(f"only found in page chrome (navigation, footer, ...): {text!r}")
    return errors, warnings


def load_questions(path: Path) -> list[dict]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                questions.append(json.loads(line) | {"_line": number})
            except json.JSONDecodeError as exc:
                questions.append({"_line": number, "_error": str(exc)})
    return questions


def check_files(files: list[Path], corpus: Path, forbid_questions: set[str], report: Report) -> None:
    """Check the question files of ONE corpus (ids and texts must be unique across them)."""
    cache: dict[str, list[Unit]] = {}
    ids: dict[str, str] = {}
    texts: dict[str, str] = {}
    headings: set[str] = set()
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".md", ".markdown", ".mdx"):
            for line in path.read_text(encoding="utf-8").splitlines():
                if _HEADING.match(line):
                    headings.add(fold(line.lstrip().lstrip("#")).rstrip("?.!"))
    for qfile in files:
        questions = load_questions(qfile)
        kinds: Counter[str] = Counter()
        empty = 0
        for q in questions:
            where = f"{qfile.name}:{q['_line']}"
            if "_error" in q:
                report.errors.append(f"{where}: invalid JSON: {q['_error']}")
                continue
            missing = {"id", "question", "kind", "gold"} - q.keys()
            if missing:
                report.errors.append(f"{where}: missing {sorted(missing)}")
                continue
            qid, text, kind, gold = q["id"], q["question"], q["kind"], q["gold"]
            where = f"{qfile.name}:{q['_line']} ({qid})"
            kinds[kind] += 1
            if qid in ids:
                report.errors.append(f"{where}: duplicate id, first in {ids[qid]}")
            ids[qid] = where
            key = fold(text)
            if key in texts:
                report.errors.append(f"{where}: duplicate question, first in {texts[key]}")
            texts[key] = where
            if key in forbid_questions:
                report.errors.append(f"{where}: copies a question of the shared dev set")
            if key.rstrip("?.! ") in headings:
                report.warnings.append(f"{where}: question is a heading word for word: {text!r}")
            if kind not in KINDS:
                report.errors.append(f"{where}: unknown kind {kind!r}")
            if not isinstance(gold, list):
                report.errors.append(f"{where}: gold must be a list")
                continue
            if (not gold) != (kind in EMPTY_KINDS):
                report.errors.append(f"{where}: kind {kind!r} with {'no' if not gold else len(gold)} gold")
            empty += not gold
            for g in gold:
                doc = corpus / g.get("doc", "")
                if not g.get("doc") or not doc.is_file():
                    report.errors.append(f"{where}: no such document {g.get('doc')!r} in {corpus}")
                    continue
                if g["doc"] not in cache:
                    cache[g["doc"]] = document_units(doc)
                errors, warnings = check_gold_text(g.get("text", ""), cache[g["doc"]])
                report.errors += [f"{where}: {g['doc']}: {e}" for e in errors]
                report.warnings += [f"{where}: {g['doc']}: {w}" for w in warnings]
        summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(
            f"{qfile.relative_to(ROOT) if qfile.is_relative_to(ROOT) else qfile}: {len(questions)} questions, "
            f"{empty} without answer; {summary}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding eval/")
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="QUESTIONS:CORPUS",
        help="check another question file against a corpus folder (repeatable)",
    )
    args = parser.parse_args(argv)
    report = Report([], [])

    sets: list[tuple[list[Path], Path, set[str]]] = []
    for corpus in CORPORA:  # the documentation sets; the question files kept in this repository
        if corpus.kind != "docs":
            continue
        files = [f for _, names in corpus.splits for f in names]
        folder = corpus.corpus_dir(args.shared)
        if not folder.is_dir():
            print(f"skip: no {corpus.name} corpus under {folder} (its question files are not checked)")
            continue
        shared = [resolve(args.shared, f) for f in files if not f.startswith("@/")]
        # a question of ours must not repeat one of the shared files beside it
        taken = {fold(q.get("question", "")) for f in shared if f.is_file() for q in load_questions(f)}
        sets.append(([resolve(args.shared, f) for f in files if f.startswith("@/")], folder, taken))
    for pair in args.pair:
        questions, _, corpus = pair.rpartition(":")
        sets.append(([Path(questions)], Path(corpus), set()))

    for files, corpus, taken in sets:
        for f in files:
            if not f.is_file():
                report.errors.append(f"missing question file {f}")
        check_files([f for f in files if f.is_file()], corpus, taken, report)

    for w in report.warnings:
        print(f"warning: {w}")
    for e in report.errors:
        print(f"ERROR: {e}")
    print("OK" if not report.errors else f"{len(report.errors)} error(s)")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
