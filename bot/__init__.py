"""The Discord layer of quotebot: client, cogs, rendering, buttons and the CLI entry points."""
