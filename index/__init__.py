"""Ingestion and retrieval for quotebot. Never imports discord."""
