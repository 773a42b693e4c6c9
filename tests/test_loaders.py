"""Loading: discovery, decoding, skipping, titles (chrome rules are in test_cleaning.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.loaders import Skipped, decode, doc_id_for, load_corpus

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


def test_loads_known_formats_and_skips_hidden_and_unknown(tmp_path):
    write(tmp_path / "a.txt", f"Budget passes\n\n{BODY}")
    write(tmp_path / "sub" / "b.md", f"# Schools plan\n\n{BODY}")
    write(tmp_path / "c.html", f"<p>{BODY}</p>")
    write(tmp_path / "e.docx", b"PK\x03\x04")
    write(tmp_path / ".hidden" / "d.txt", BODY)
    docs, skipped = load_corpus(tmp_path)
    assert sorted(d.source for d in docs) == ["a.txt", "c.html", "sub/b.md"]
    assert next(d for d in docs if d.source == "c.html").text == BODY
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
    (tmp_path / "page.md").write_text("# Page\n\nText.\n")
    with pytest.raises(FileNotFoundError, match="corpus folder is a file, not a folder"):
        load_corpus(tmp_path / "page.md")


def test_a_stray_bad_byte_in_utf8_replaces_only_that_byte(tmp_path, caplog):
    text = "Café “quoted” budget. The council approved it on Monday after a long debate."
    data = text.encode("utf-8").replace(b"budget", b"bud\xffget")
    write(tmp_path / "a.txt", b"Budget passes\n\n" + data)
    with caplog.at_level("WARNING"):
        docs, _ = load_corpus(tmp_path)
    assert "Café “quoted” bud\ufffdget." in docs[0].text  # the rest is still exact UTF-8
    assert "a.txt" in caplog.text and "U+FFFD" in caplog.text


def test_a_stray_undefined_cp1252_byte_does_not_skip_the_file(tmp_path, caplog):
    write(
        tmp_path / "a.txt",
        b"Budget passes\n\nThe council approved the budget\x81 on Monday. It funds schools.",
    )
    with caplog.at_level("WARNING"):
        docs, skipped = load_corpus(tmp_path)
    assert not skipped and "approved the budget" in docs[0].text
    assert "a.txt" in caplog.text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_read(tmp_path, encoding):
    text = f"Budget passes\n\n{BODY}"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    write(tmp_path / "a.md", data)
    docs, skipped = load_corpus(tmp_path)
    assert not skipped and BODY in docs[0].text


SUMMARY = (
    "# Summary\n\n[Introduction](README.md)\n\n# Guides\n\n- [Setting a prefix](guides/prefix.md)\n"
    "- [Banning members](guides/ban.md)\n  - [Ban reasons](guides/ban.md#reasons)\n"
    "1. [Giving roles automatically](guides/autoroles.md)\n"
)


def test_a_table_of_contents_is_skipped_and_loses_any_document_indexed_from_it(tmp_path):
    """mdBook's and GitBook's SUMMARY.md (a docsify sidebar, a wiki's index page): only links to other pages.
    Quoted, it would only repeat the titles of the pages that answer, so it is not indexed; read and found so,
    it does not keep an earlier document the way an unreadable file does."""
    from index.loaders import load_document

    (tmp_path / "SUMMARY.md").write_text(SUMMARY, encoding="utf-8")
    skipped = load_document(tmp_path / "SUMMARY.md", "SUMMARY.md")
    assert isinstance(skipped, Skipped) and not skipped.keep
    assert "table of contents" in skipped.reason
    unreadable = load_document(tmp_path / "missing.md", "missing.md")
    assert isinstance(unreadable, Skipped) and unreadable.keep


@pytest.mark.parametrize(
    "page",
    [
        SUMMARY + "\nEvery guide assumes the bot is already in your server.\n",  # a sentence of its own
        SUMMARY + "\n```sh\nmoth --help\n```\n",  # code
        "# Links\n\n- [Discord](https://discord.com)\n- [Docs](https://docs.example.org)\n- [Blog](https://b.example.org)\n",
        "# See also\n\n- [Prefix](prefix.md)\n- [Ban](ban.md)\n",  # two links: too few to be the site's contents
        "# Pages\n\n- [Prefix](prefix.md): change the command prefix\n- [Ban](ban.md)\n- [Roles](roles.md)\n",
    ],
)
def test_a_page_with_anything_besides_links_to_its_site_is_a_page_to_quote(tmp_path, page):
    from index.loaders import load_document

    (tmp_path / "page.md").write_text(page, encoding="utf-8")
    assert not isinstance(load_document(tmp_path / "page.md", "page.md"), Skipped)
