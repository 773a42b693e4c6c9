"""A terminal session that answers exactly as the bot does: same search, same render functions."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot import render
from bot.client import answer_threshold
from bot.errors import user_message
from index.errors import QuotebotError

log = logging.getLogger(__name__)

PROMPT = "ask> "
QUESTION_MAX = 300
QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def markdown_text(markdown: str, *, style: str = "") -> Text:
    """Our rendered markdown subset (block quotes, **bold**, backslash escapes) as rich Text."""
    out = Text(style=style)
    for n, line in enumerate(markdown.split("\n")):
        if n:
            out.append("\n")
        if line.startswith("> "):
            out.append("\u2502 ", style="dim")
            line = line[2:]
        bold = False
        buffer: list[str] = []
        i = 0
        while i < len(line):
            if line[i] == "\\" and i + 1 < len(line):
                buffer.append(line[i + 1])
                i += 2
            elif line.startswith("**", i):
                out.append("".join(buffer), style="bold yellow" if bold else "")
                buffer.clear()
                bold = not bold
                i += 2
            elif line[i] == "@" and line.startswith(render.ZWSP, i + 1):
                buffer.append("@")
                i += 2
            else:
                buffer.append(line[i])
                i += 1
        out.append("".join(buffer), style="bold yellow" if bold else "")
    return out


def print_rendered(console: Console, rendered: render.Rendered) -> None:
    """Print a rendered message as the bot would post it: content, then each embed's parts."""
    if rendered.content:
        console.print(markdown_text(rendered.content))
    for embed in rendered.embeds:
        console.print()
        for kind, part in render.embed_text(embed):
            if kind == "title":
                console.print(markdown_text(part, style="bold"))
            elif kind == "description":
                console.print(markdown_text(part))
            elif kind == "footer":
                console.print(markdown_text(part, style="dim italic"))
            else:
                console.print(markdown_text(part, style="cyan"))
    console.print()


def answer_text(retriever: object, question: str, k: int) -> render.Rendered:
    """The /ask answer for ``question`` (what the bot would post), or the bot's message for bad input."""
    question = question.strip()
    if len(question) > QUESTION_MAX:
        return render.Rendered(content=f"The question is too long: at most {QUESTION_MAX} characters.")
    try:
        answer = retriever.search(question, k)  # type: ignore[attr-defined]
    except QuotebotError as error:
        return render.Rendered(content=user_message(error, command="terminal"))
    return render.render_answer(answer, threshold=answer_threshold(retriever))


def run_terminal(
    retriever: object, *, stdin: TextIO = sys.stdin, console: Console | None = None, k: int = 3
) -> None:
    """Prompt with ``ask> `` until ``quit`` or end of input, printing each answer as the bot renders it."""
    console = console or Console()
    console.print("Ask a question about the corpus ('quit' or Ctrl-D to leave).", style="dim")
    while True:
        console.print(PROMPT, end="", markup=False, highlight=False)
        line = stdin.readline()
        if not line:
            console.print()
            return
        question = line.strip()
        if question.lower() in QUIT_WORDS:
            return
        if not question:
            continue
        try:
            rendered = answer_text(retriever, question, k)
        except Exception as error:  # noqa: BLE001 - the session survives and shows an error id
            rendered = render.Rendered(content=user_message(error, command="terminal"))
        print_rendered(console, rendered)
