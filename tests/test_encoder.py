"""The fast encoder: every backend against sentence-transformers (torch fp32), the 256-token window, unit vectors
pooled from one forward pass, the vector classes a store accepts, lazy loading, and serving without torch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from index.embedding import EncoderSettings, LazyEmbedder, load_encoder, model_path
from index.encoder import MAX_TOKENS, TokenEncoder
from index.errors import StoreMismatchError
from index.export import export_key
from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.conftest import ROOT, SEEDS, make_settings

TEXTS = [
    "How do I ban a user?",
    "The harbour bridge reopened to traffic on Friday after eight months of repairs to its steel cables.",
    "Use `interaction.reply()` to answer a slash command; a deferred reply can be edited for 15 minutes. "
    * 3,
    " ".join(f"word{i} means something else entirely." for i in range(120)),  # beyond the 256-token window
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """sentence-transformers itself, torch fp32: what the project used before."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
    return model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)


@pytest.fixture(scope="module")
def encoders() -> dict[str, TokenEncoder]:
    return {
        b: load_encoder(EncoderSettings(_env_file=None, encoder=b)) for b in ("torch", "onnx", "openvino")
    }


@pytest.mark.parametrize("backend", ["torch", "onnx", "openvino", "auto"])
def test_every_backend_matches_sentence_transformers(backend, encoders, embedder, reference) -> None:
    enc = embedder if backend == "auto" else encoders[backend]
    vectors = enc.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.9999, (backend, cosines)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(enc.embed_query(TEXTS[0]) @ reference[0]) >= 0.9999


def test_window_is_the_models_256_tokens_not_the_tokenizer_files_128(encoders) -> None:
    from tokenizers import Tokenizer

    enc = encoders["onnx"]
    reference = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    reference.enable_truncation(MAX_TOKENS)
    tokens = enc._tokenize([TEXTS[3]])[0]
    assert len(tokens.ids) > MAX_TOKENS  # the text is longer than the window
    assert tokens.window() == reference.encode(TEXTS[3]).ids
    assert len(tokens.window()) == MAX_TOKENS


def _spans(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for piece in pieces:
        a = text.index(piece, pos)
        out.append((a, a + len(piece)))
        pos = a + len(piece)
    return out


@pytest.fixture(scope="module")
def pooled(embedder) -> TokenEncoder:
    """The default encoder switched to units pooled from the passage's pass, centered."""
    import copy

    enc = copy.copy(embedder.load())
    enc.units = "centered"
    return enc


def test_unit_vectors_come_from_the_passage_pass_for_any_text_and_spans(pooled) -> None:
    embedder = pooled
    header = "Guide › Moderation › Bans\n\n"
    body = "### How do I ban a user?\n\n- Use `guild.members.ban(user)`.\n\n```js\nawait guild.members.ban(id);\n```"
    units = [
        "### How do I ban a user?",
        "- Use `guild.members.ban(user)`.",
        "```js\nawait guild.members.ban(id);\n```",
    ]
    text = header + body
    long_text = TEXTS[3]
    long_units = ["word1 means something else entirely.", "word119 means something else entirely."]
    spans = [_spans(text, units), _spans(long_text, long_units), []]
    passages, unit_vecs = embedder.embed_with_units([text, long_text, "No units here."], spans)
    assert passages.shape == (3, 384) and unit_vecs.shape == (5, 384)
    assert np.allclose(np.linalg.norm(unit_vecs, axis=1), 1.0, atol=1e-5)
    # Passage vectors are the ordinary ones.
    alone = embedder.embed_documents([text, long_text, "No units here."])
    assert ((passages * alone).sum(axis=1)).min() >= 0.9999
    separate = embedder.embed_documents(units + long_units)
    # A unit inside the window is pooled in context: near, but not equal to, its vector alone.
    inside = (unit_vecs[:3] * separate[:3]).sum(axis=1)
    assert inside.min() > 0.4 and inside.max() < 0.999
    # Centering takes part of the passage's direction out of its units, contextual does not.
    import copy

    plain = copy.copy(embedder)
    plain.units = "contextual"
    _, contextual = plain.embed_with_units([text], spans[:1])
    assert (unit_vecs[:3] @ passages[0]).max() < (contextual @ passages[0]).min()
    # A unit the window cuts off is encoded on its own; one inside it is pooled from the pass.
    assert float(unit_vecs[4] @ separate[4]) >= 0.9999
    assert float(unit_vecs[3] @ separate[3]) < 0.999
    # A unit that is the whole text is (nearly) the passage vector.
    p, u = embedder.embed_with_units([TEXTS[1]], [[(0, len(TEXTS[1]))]])
    assert float(p[0] @ u[0]) > 0.98


def test_separate_units_mode_encodes_every_unit_alone(encoders, embedder) -> None:
    enc = encoders["onnx"]
    separate = TokenEncoder(model_path() / "tokenizer.json", enc.runtime, units="separate")
    assert embedder.load().units == "separate"  # the default: what the ranking is fitted on
    spans = [_spans(TEXTS[2], ["Use `interaction.reply()` to answer a slash command;"])]
    _, units = separate.embed_with_units([TEXTS[2]], spans)
    expected = enc.embed_documents(["Use `interaction.reply()` to answer a slash command;"])
    assert float(units[0] @ expected[0]) >= 0.99999


class Int8Side:
    """The query side of an int8 encoder, as far as a store can tell: the same model, another vector class."""

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384
    vectors = "int8"

    def embed_query(self, text):  # pragma: no cover - refused before any question
        raise AssertionError


def test_store_records_the_encoder_refuses_another_vector_class_and_accepts_bf16_or_f32(
    tmp_path, embedder, encoders
) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(corpus, tmp_path / "store")
    index_corpus(settings, embedder=encoders["torch"])  # built in f32 by the reference
    with pytest.raises(StoreMismatchError, match=r"int8 vectors.*--rebuild"):
        Retriever.open(settings, Int8Side())
    with pytest.raises(StoreMismatchError, match="--rebuild"):
        index_corpus(settings, embedder=Int8Side())
    r = Retriever.open(settings, embedder)  # the auto backend (bf16 where the CPU has it) reads it
    try:
        assert r.store.encoder() == "torch/f32"
        answer = r.search("Whom has Biden publicly blamed for failing to fight back against the Taliban?")
        assert answer.answered and "publicly blamed the Afghan Government" in answer.hits[0].quote
    finally:
        r.close()


def test_no_change_reindex_never_loads_the_model(tmp_path, embedder) -> None:
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = make_settings(corpus, tmp_path / "store")
    index_corpus(settings, embedder=embedder)
    lazy = LazyEmbedder(EncoderSettings(_env_file=None))
    report = index_corpus(settings, embedder=lazy)
    assert report.unchanged == 5 and report.embedded == 0
    assert not lazy.loaded
    (corpus / "new.txt").write_text(
        "A new page\n\nThe library opens at nine on weekdays.\n", encoding="utf-8"
    )
    assert index_corpus(settings, embedder=lazy).added == 1 and lazy.loaded


def test_an_unloaded_embedder_loads_again_on_next_use() -> None:
    lazy = LazyEmbedder(EncoderSettings(_env_file=None))
    before = lazy.embed_query("When does the library open?")
    lazy.unload()
    assert not lazy.loaded
    after = lazy.embed_query("When does the library open?")
    assert lazy.loaded
    assert float(after @ before) > 0.9999


def test_export_key_follows_the_weights_and_the_exporter(tmp_path, monkeypatch) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights v1")
    first = export_key(tmp_path)
    assert export_key(tmp_path) == first
    weights.write_bytes(b"weights v2, longer")
    second = export_key(tmp_path)
    assert second != first
    monkeypatch.setattr("index.export.EXPORT_VERSION", "test-bump")
    assert export_key(tmp_path) != second


def test_serving_answers_without_importing_torch(seed_settings, tmp_path) -> None:
    # Its own store: an embedded store belongs to one process (this test session holds the seed store).
    code = (
        "import sys\n"
        "from index.config import IndexSettings\n"
        "from index.ingest import index_corpus\n"
        "from index.retrieve import Retriever\n"
        f"s = IndexSettings(_env_file=None, corpus_dir={str(seed_settings.corpus_dir)!r}, "
        f"store_dir={str(tmp_path / 'store')!r})\n"
        "index_corpus(s)\n"
        "r = Retriever.open(s)\n"
        "a = r.search('Whom has Biden publicly blamed for failing to fight back against the Taliban?')\n"
        "assert a.answered, a\n"
        "print(r.embedder.encoder, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    backend, torch_loaded, st_loaded = done.stdout.split()
    assert backend in ("openvino/bf16", "openvino/f32", "onnx/f32")
    assert (torch_loaded, st_loaded) == ("False", "False")


def test_backend_choice_is_measured_and_falls_back_to_f32_without_bf16(monkeypatch) -> None:
    import index.embedding as embedding
    from index.export import default_cache_dir, ensure_export

    folder = ensure_export(default_cache_dir(), model_path())
    monkeypatch.setattr(embedding, "cpu_has_bf16", lambda: False)
    choice = embedding.measure_choice(folder, folder / "tokenizer.json")
    assert choice["precision"] == "f32" and choice["backend"] in ("openvino", "onnx")
    assert set(choice["seconds"]) == {"openvino/f32", "onnx/f32"}
    assert min(choice["min_cosine_to_f32"].values()) >= 0.9999
