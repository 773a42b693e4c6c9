"""What a question may be: sanitised (no bidirectional controls, lone surrogates or control characters), stripped,
not empty, not too long. A question that cannot be used gets a QuestionError with a message for the asker."""

from __future__ import annotations

from .errors import QuestionError

MAX_QUESTION_CHARS = 500


# Invisible characters that reorder or hide text (Unicode Bidi_Control): never echoed, never searched.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _sanitise(question: str) -> str:
    """Drop lone surrogates (undecodable input: the tokenizer cannot encode them) and bidirectional
    controls; other control characters become spaces."""
    text = question.translate(_BIDI_CONTROLS)
    if any("\ud800" <= c <= "\udfff" or (c < " " or "\x7f" <= c <= "\x9f") for c in text):
        text = "".join(
            "" if "\ud800" <= c <= "\udfff" else " " if c < " " or "\x7f" <= c <= "\x9f" else c for c in text
        )
    return text


def validate_question(question: str) -> str:
    """The question, sanitised and stripped; QuestionError with a clear message when it is unusable."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("Please type a question: it was empty.")
    q = " ".join(_sanitise(question).split())
    if not q:
        raise QuestionError("Please type a question: it was empty.")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"That question is {len(q)} characters long; please keep it under {MAX_QUESTION_CHARS}."
        )
    return q
