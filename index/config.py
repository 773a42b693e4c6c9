"""Settings for ingestion and retrieval, from the environment or `.env`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def check_server_url(url: str, name: str = "CHROMA_URL") -> str:
    """``url`` without a trailing slash when it names an http(s) server with a host (and a numeric port, if
    any); ValueError with a clear message otherwise. Nothing is guessed: ``host:9000`` is not a URL."""
    value = url.strip().rstrip("/")
    example = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError for a port that is not a number
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{name} “{url.strip()}” is not a server address quotebot can use: write it in full with its "
            f"scheme, e.g. {example}"
        )
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{name} “{url.strip()}” has an invalid port")
    return value


def quotebot_env() -> SettingsConfigDict:
    """Where quotebot's settings come from: ``QUOTEBOT_*`` variables, then ``.env``; empty values count as unset."""
    return SettingsConfigDict(
        env_prefix="QUOTEBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )


TABLES_FILE = "tables.npz"  # the retrieval tables saved beside an embedded store (see snapshot.py)


class IndexSettings(BaseSettings):
    model_config = quotebot_env()

    corpus_dir: Path = Field(Path("seeds"), description="Folder of .txt/.md documents to index.")
    store_dir: Path = Field(Path(".quotebot"), description="Folder of the embedded Chroma store.")
    chroma_url: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_URL", "QUOTEBOT_CHROMA_URL"),
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); switches to chromadb.HttpClient.",
    )
    chroma_host: str | None = Field(
        None,
        validation_alias=AliasChoices("CHROMA_HOST", "QUOTEBOT_CHROMA_HOST"),
        description="Chroma server host (alternative to CHROMA_URL).",
    )
    chroma_port: int = Field(
        8000,
        validation_alias=AliasChoices("CHROMA_PORT", "QUOTEBOT_CHROMA_PORT"),
        description="Chroma server port, used with CHROMA_HOST.",
    )
    collection: str = Field("quotebot", description="Prefix of the Chroma collection names.")
    top_k: int = Field(3, ge=1, le=10, description="Quotes returned by default.")
    min_score: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Override of the calibrated confidence threshold (0-1); empty = calibrated default.",
    )
    store_timeout: float = Field(
        15.0, gt=0, description="Seconds a Chroma server call may take before it counts as unreachable."
    )
    memory_search_passages: int = Field(
        20_000,
        ge=0,
        description="Up to this many passages, nearest neighbours are found by an exact scan of the tables in "
        "memory (float32 vectors); above, by Chroma's index, and the tables keep float16 vectors.",
    )
    rerank: int = Field(
        3,
        ge=0,
        le=10,
        description="Re-score the first N candidates of each question by late interaction (the question's and "
        "each passage's token embeddings, MaxSim): better first quotes, about 13 ms more per candidate on 2 "
        "cores. Skipped for a question asked while others are being answered (a burst keeps its latency); "
        "0 = off.",
    )
    refresh_seconds: float = Field(
        2.0, ge=0.0, description="How often a retriever checks the store for changes by other processes."
    )

    source_url: str | None = Field(
        None,
        description="Where the pages live, e.g. https://example.org/docs/{path} ({path}: source path without "
        "its extension; {file}: with it); quotes then link to their page and heading.",
    )

    @field_validator("source_url")
    @classmethod
    def _check_source_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value.replace("{path}", "x").replace("{file}", "x"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"QUOTEBOT_SOURCE_URL must be an http(s) address, got {value!r}")
        return value if "{path}" in value or "{file}" in value else value.rstrip("/") + "/{path}"

    @model_validator(mode="after")
    def _check_server(self) -> IndexSettings:
        if self.chroma_url and self.chroma_url.strip():
            check_server_url(self.chroma_url)
        elif self.chroma_host:
            check_server_url(
                f"http://{self.chroma_host.strip()}:{self.chroma_port}", "CHROMA_HOST/CHROMA_PORT"
            )
        return self

    def server_url(self) -> str | None:
        if self.chroma_url and self.chroma_url.strip():
            return check_server_url(self.chroma_url)
        if self.chroma_host:
            return check_server_url(f"http://{self.chroma_host.strip()}:{self.chroma_port}")
        return None
