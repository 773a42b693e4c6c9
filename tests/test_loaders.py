"""Loading: discovery, decoding, skipping, titles (chrome rules are in test_cleaning.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.loaders import decode, doc_id_for, load_corpus

BODY = "The council approved the new budget on Monday after a long debate. It funds two new schools."


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_decode_utf8_with_and_without_bom():
    assert decode("café “quoted”".encode()) == "café “quoted”"
    assert decode(b"\xef\xbb\xbf" + "café".encode()) == "café"


def test_decode_falls_back_to_cp1252():
    assert decode("caf\xe9 \x93quoted\x94".encode("latin-1")) == "café “quoted”"


def test_decode_refuses_binary():
    assert decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00") is None


def test_loads_txt_and_md_only_and_skips_hidden(tmp_path):
    write(tmp_path / "a.txt", f"Budget passes\n\n{BODY}")
    write(tmp_path / "sub" / "b.md", f"# Schools plan\n\n{BODY}")
    write(tmp_path / "c.html", f"<p>{BODY}</p>")
    write(tmp_path / ".hidden" / "d.txt", BODY)
    docs, skipped = load_corpus(tmp_path)
    assert sorted(d.source for d in docs) == ["a.txt", "sub/b.md"]
    assert not skipped


def test_skips_binary_empty_and_chrome_only_files_with_a_warning(tmp_path, caplog):
    write(tmp_path / "bin.txt", b"\x00\x01\x02binary")
    write(tmp_path / "empty.txt", "")
    write(tmp_path / "blank.md", "\n\n   \n")
    write(tmp_path / "ok.txt", f"Budget passes\n\n{BODY}")
    with caplog.at_level("WARNING"):
        docs, skipped = load_corpus(tmp_path)
    assert [d.source for d in docs] == ["ok.txt"]
    assert sorted(s.source for s in skipped) == ["bin.txt", "blank.md", "empty.txt"]
    for name in ("bin.txt", "empty.txt", "blank.md"):
        assert name in caplog.text


def test_cp1252_file_is_read(tmp_path):
    write(
        tmp_path / "w.txt",
        "Budget passes\n\nThe mayor said it was \x93a fair deal\x94 for everyone.".encode("latin-1"),
    )
    (doc,), _ = load_corpus(tmp_path)
    assert "“a fair deal”" in doc.text


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_never_follows_a_symlink_out_of_the_corpus(tmp_path):
    outside = write(tmp_path / "outside" / "secret.txt", f"Secret memo\n\n{BODY}")
    corpus = tmp_path / "corpus"
    write(corpus / "in.txt", f"Budget passes\n\n{BODY}")
    (corpus / "link.txt").symlink_to(outside)
    (corpus / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    (corpus / "inner.txt").symlink_to(corpus / "in.txt")  # inside: fine
    docs, _ = load_corpus(corpus)
    assert sorted(d.source for d in docs) == ["in.txt", "inner.txt"]


def test_title_is_the_headline_and_not_the_file_name(tmp_path):
    write(tmp_path / "x1.txt", f"| 3 May 2024, Friday |\n\nCouncil Approves Budget\n\n{BODY}")
    (doc,), _ = load_corpus(tmp_path)
    assert doc.title == "Council Approves Budget"
    assert "Council Approves Budget" not in doc.text


def test_body_first_document_gets_a_short_first_sentence_title(tmp_path):
    long = (
        "The regional council approved a budget that funds two new schools and a library on Monday, "
        "after a debate that lasted well into the night.\nCouncillors said the plan was overdue."
    )
    write(tmp_path / "x2.txt", long)
    (doc,), _ = load_corpus(tmp_path)
    assert doc.title.startswith("The regional council approved")
    assert len(doc.title) < len(long.split("\n")[0])
    assert doc.text.startswith("The regional council approved")  # the sentence stays in the body


def test_ids_and_versions_are_deterministic(tmp_path):
    write(tmp_path / "a.txt", f"Budget passes\n\n{BODY}")
    (d1,), _ = load_corpus(tmp_path)
    (d2,), _ = load_corpus(tmp_path)
    assert d1 == d2 and d1.doc_id == doc_id_for("a.txt")
    write(tmp_path / "a.txt", f"Budget passes\n\n{BODY} A third sentence was added.")
    (d3,), _ = load_corpus(tmp_path)
    assert d3.doc_id == d1.doc_id and d3.version != d1.version


def test_missing_corpus_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")
