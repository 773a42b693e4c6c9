"""Errors with a message fit to show a user as it is."""


class QuotebotError(Exception):
    """Base class: str(error) is a clear, user-facing message."""


class QuestionError(QuotebotError, ValueError):
    """The question is empty, too long or otherwise unusable."""


class EmptyIndexError(QuotebotError):
    """Nothing is indexed yet."""


class UnknownSourceError(QuotebotError):
    """A source filter names no indexed document."""


class StoreMismatchError(QuotebotError):
    """The store was built with another embedding model or dimension."""


class StoreLockedError(QuotebotError):
    """Another process is writing to the embedded store."""


class StoreUnavailableError(QuotebotError):
    """The Chroma server cannot be reached."""


class EmptyCorpusError(QuotebotError):
    """The corpus folder has no readable document while the index has some: nothing is removed."""


class StoreInUseError(QuotebotError):
    """Another process owns the embedded store (Chroma's embedded store serves one process at a time)."""


class StoreOpenError(QuotebotError):
    """The embedded store cannot be opened (a folder that cannot be created, a damaged database)."""


class ModelLoadError(QuotebotError):
    """The embedding model cannot be loaded (a damaged or missing install)."""
