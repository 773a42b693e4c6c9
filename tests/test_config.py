"""Settings validation: a Chroma server address that cannot be parsed is refused, never guessed (defect 8)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app
from index.config import IndexSettings


@pytest.mark.parametrize(
    "url", ["host:9000", "chroma.local:8000", "localhost", "ftp://host:21", "http://", "http://host:notaport"]
)
def test_chroma_url_without_scheme_or_host_is_refused(url):
    with pytest.raises(ValueError, match="CHROMA_URL"):
        IndexSettings(_env_file=None, chroma_url=url)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://chroma.example.org", "https://chroma.example.org"),
        ("  http://[::1]:9000  ", "http://[::1]:9000"),
    ],
)
def test_valid_chroma_urls_are_kept(url, expected):
    assert IndexSettings(_env_file=None, chroma_url=url).server_url() == expected


def test_cli_reports_a_bad_chroma_url_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMA_URL", "host:9000")
    result = CliRunner().invoke(app, ["index", "--corpus", str(tmp_path), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "CHROMA_URL" in lines[0] and "http://host:9000" in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "value, expected",
    [
        ("https://example.org/docs", "https://example.org/docs/{path}"),
        ("https://example.org/docs/{path}", "https://example.org/docs/{path}"),
        ("https://example.org/docs/{file}", "https://example.org/docs/{file}"),
    ],
)
def test_source_url_templates(value, expected):
    assert IndexSettings(_env_file=None, source_url=value).source_url == expected


def test_a_source_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="QUOTEBOT_SOURCE_URL"):
        IndexSettings(_env_file=None, source_url="docs/{file}")
