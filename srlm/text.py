r"""Small, deterministic text utilities for the chapters that use real text.

A corpus that every reader has offline: the docstrings of an installed package
(sympy is pinned in the project's lock file, so its docstrings are the same on
every machine that ran ``make setup``).  Features are hashed character n-gram
counts with a stable hash (CRC-32, not Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from srlm._validate import check_int

__all__ = ["docstring_corpus", "corpus_sha256", "hashed_ngram_features"]


def docstring_corpus(module_name: str, min_chars: int = 200) -> list[tuple[str, str]]:
    """Sorted ``(name, docstring)`` pairs of the public callables of ``module_name`` with a docstring.

    Only objects whose docstring has at least ``min_chars`` characters are kept; whitespace
    is normalised with :func:`inspect.cleandoc`.  Raises :class:`ValueError` if the module
    cannot be imported or yields no text.
    """
    if not isinstance(module_name, str) or not module_name:
        raise TypeError("module_name must be a non-empty string")
    m = check_int(min_chars, "min_chars", minimum=1)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"module_name {module_name!r} cannot be imported") from exc
    out = []
    for name in sorted(n for n in dir(module) if not n.startswith("_")):
        obj = getattr(module, name, None)
        if not callable(obj):
            continue
        doc = inspect.getdoc(obj)
        if doc and len(doc) >= m:
            out.append((name, inspect.cleandoc(doc)))
    if not out:
        raise ValueError(f"module {module_name!r} has no public callable with a docstring of >= {m} characters")
    return out


def corpus_sha256(corpus: Sequence[tuple[str, str]]) -> str:
    """SHA-256 of the corpus (names and texts joined deterministically), to show which text was used."""
    h = hashlib.sha256()
    for name, text in corpus:
        h.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return h.hexdigest()


def hashed_ngram_features(texts: Sequence[str], dim: int, n: int = 3) -> NDArray[np.float64]:
    r"""Rows of hashed character ``n``-gram counts, each scaled to unit Euclidean norm (:math:`\|\phi\| = 1`).

    Bucket of an n-gram ``g``: ``crc32(g) mod dim``.  Raises :class:`ValueError` for an empty
    list or a text shorter than ``n`` characters.
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence) or len(texts) == 0:
        raise ValueError("texts must be a non-empty sequence of strings")
    d = check_int(dim, "dim", minimum=1)
    k = check_int(n, "n", minimum=1)
    out = np.zeros((len(texts), d))
    for i, text in enumerate(texts):
        if not isinstance(text, str) or len(text) < k:
            raise ValueError(f"texts[{i}] must be a string of at least {k} characters")
        data = text.lower().encode("utf-8")
        buckets = [zlib.crc32(data[j : j + k]) % d for j in range(len(data) - k + 1)]
        np.add.at(out[i], buckets, 1.0)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out
