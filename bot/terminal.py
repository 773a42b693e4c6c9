"""A terminal session that answers exactly as the bot does: same search, same render functions."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot import render
from bot.client import answer_threshold
from bot.errors import user_message
from bot.quotes import FENCE
from index.errors import QuotebotError

log = logging.getLogger(__name__)

PROMPT = "ask> "
QUESTION_MAX = 300
QUIT_WORDS = frozenset({"quit", "exit", ":q"})


def markdown_text(markdown: str, *, style: str = "") -> Text:
    """Our rendered markdown subset as rich Text: block quotes, fenced code (with its language), inline code,
    **bold**, *italics*, ~~strike~~, backslash escapes, masked links; zero-width spaces are dropped."""
    out = Text(style=style)
    fence: str | None = None  # the language while inside a fenced block
    for n, line in enumerate(markdown.split("\n")):
        if n:
            out.append("\n")
        if fence is not None:
            if line == FENCE:
                out.append("\u2514\u2500", style="dim")
                fence = None
            else:
                out.append("\u2502 ", style="dim")
                out.append(line.replace(render.ZWSP, ""), style="green")
            continue
        if line.startswith(FENCE):
            fence = line[len(FENCE) :]
            out.append(f"\u250c\u2500 {fence or 'code'}", style="dim")
            continue
        if line.startswith("> "):
            out.append("\u2502 ", style="dim")
            line = line[2:]
        _inline(out, line)
    return out


_LINK = re.compile(r"\[([^\]\n]*)\]\(<([^>\s]*)>\)")


def _inline(out: Text, line: str) -> None:
    """One line of inline markdown appended to ``out``."""
    state = {"b": False, "i": False, "s": False}
    buffer: list[str] = []

    def current() -> str:
        return " ".join(
            name for flag, name in (("b", "bold yellow"), ("i", "italic"), ("s", "strike")) if state[flag]
        )

    def flush() -> None:
        if buffer:
            out.append("".join(buffer), style=current())
            buffer.clear()

    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            buffer.append(line[i + 1])
            i += 2
        elif char == render.ZWSP:
            i += 1
        elif char == "`":
            run = len(line) - i - len(line[i:].lstrip("`"))
            close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(line, i + run)
            if close is None:
                buffer.append(line[i : i + run])
                i += run
                continue
            flush()
            code = line[i + run : close.start()]
            if code.startswith(" ") and code.endswith(" ") and code.strip(" "):
                code = code[1:-1]
            out.append(code.replace(render.ZWSP, ""), style=("cyan " + current()).strip())
            i = close.end()
        elif char == "*":
            run = min(3, len(line) - i - len(line[i:].lstrip("*")))
            flush()
            if run != 2:
                state["i"] = not state["i"]
            if run >= 2:
                state["b"] = not state["b"]
            i += run
        elif line.startswith("~~", i):
            flush()
            state["s"] = not state["s"]
            i += 2
        elif char == "[" and (link := _LINK.match(line, i)):
            flush()
            out.append(link.group(1), style="underline")
            out.append(f" ({link.group(2)})", style="dim")
            i = link.end()
        else:
            buffer.append(char)
            i += 1
    flush()


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
            elif kind == "link":
                console.print(Text(part, style="dim underline"), soft_wrap=True)
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
