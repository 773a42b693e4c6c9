"""Settings for ingestion and retrieval, from the environment or `.env`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IndexSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUOTEBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
    )

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
    refresh_seconds: float = Field(
        2.0, ge=0.0, description="How often a retriever checks the store for changes by other processes."
    )

    source_url: str | None = Field(
        None,
        description="Where the pages live, e.g. https://example.org/docs/{path} ({path}: source path without "
        "its extension); quotes then link to their page and heading.",
    )

    @field_validator("source_url")
    @classmethod
    def _check_source_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value.replace("{path}", "x"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"QUOTEBOT_SOURCE_URL must be an http(s) address, got {value!r}")
        return value if "{path}" in value else value.rstrip("/") + "/{path}"

    def server_url(self) -> str | None:
        if self.chroma_url:
            return self.chroma_url.rstrip("/")
        if self.chroma_host:
            return f"http://{self.chroma_host}:{self.chroma_port}"
        return None
