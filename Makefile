# Two commands do everything: `make run` and `make test`. Both build .venv first when needed.
PY := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint eval eval-public bench bench-bot venv clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "quotebot needs Python 3.11"'
	$(PY) -m venv $(VENV)
	# The CPU wheel of torch first: letting pip pick torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e ".[test]"
	# Export the packaged model for the fast encoder once, now (cached; see index/export.py).
	$(BIN)/quotebot encoder
	touch $(STAMP)

venv: $(STAMP)

# One process: index (incrementally) and serve with one model load.
run: $(STAMP)
	@if $(BIN)/python -c 'import sys; from bot.config import BotSettings; sys.exit(0 if BotSettings().token() else 1)'; then \
		$(BIN)/quotebot run --index; \
	else \
		echo "DISCORD_TOKEN is not set (environment or .env): starting the terminal session instead, which answers exactly as the bot would."; \
		$(BIN)/quotebot chat --index; \
	fi

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval: $(STAMP)
	$(BIN)/quotebot eval tests/data/seed_eval.jsonl --retriever all --store .quotebot-eval

eval-public: $(STAMP)
	$(BIN)/python benchmarks/public.py

# Generated corpora (benchmarks/scalegen.py) are built once into ~/.cache/quotebot/scale: about 2 min for 5k
# passages, 20 min for 50k, 30 min for 100k on 2 busy cores (mostly Chroma writing). The full run:
# make bench SCALE_SIZES=5000,50000,100000 QUERY_SIZE=100000
SCALE_SIZES ?= 5000,50000
QUERY_SIZE ?= 50000

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/bot_latency.py --compare
	$(BIN)/python benchmarks/bot_latency.py --process
	$(BIN)/python benchmarks/query.py --size $(QUERY_SIZE)
	$(BIN)/python benchmarks/scale.py --sizes $(SCALE_SIZES) --server --exact

clean:
	rm -rf $(VENV) .quotebot .quotebot-eval .pytest_cache .hypothesis
