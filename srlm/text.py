r"""Small, deterministic text utilities for the chapters that use real text.

A corpus that every reader has offline: the docstrings of an installed package
(sympy is pinned in the project's lock file, so its docstrings are the same on
every machine that ran ``make setup``).  Text is normalised to a small alphabet
(:func:`normalise_text`) for the character n-gram model.  Features are hashed
character n-gram counts with a stable hash (CRC-32, not Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from srlm._validate import check_int, check_size

__all__ = ["DEFAULT_ALPHABET", "normalise_text", "docstring_corpus", "corpus_sha256", "hashed_ngram_features"]

#: The alphabet of the chapters' character model: lower-case letters, space and full stop.
DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz ."

#: Modules that run a program when imported (``python -m`` entry points, easter eggs): refused.
_SIDE_EFFECT_MODULES = frozenset({"this", "antigravity", "idlelib.idle", "turtledemo"})


def normalise_text(text: str, alphabet: str = DEFAULT_ALPHABET) -> str:
    """Lower-case ``text``, map characters outside ``alphabet`` to a space, collapse runs of spaces."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if not isinstance(alphabet, str):
        raise TypeError(f"alphabet must be a string, got {type(alphabet).__name__}")
    allowed = set(alphabet)
    out = "".join(ch if ch in allowed else " " for ch in text.lower())
    return " ".join(out.split())


def docstring_corpus(module_name: str, min_chars: int = 200) -> list[tuple[str, str]]:
    """Sorted ``(name, docstring)`` pairs of the public callables of ``module_name`` with a docstring.

    Only objects whose docstring has at least ``min_chars`` characters are kept; whitespace
    is normalised with :func:`inspect.cleandoc`.  Raises :class:`ValueError` if the module
    cannot be imported or yields no text, and for a module that runs a program when imported
    (``__main__`` modules and a few known ones such as ``this``): importing a module executes it,
    so only import modules you trust.  An import that calls :func:`sys.exit` is reported as
    :class:`ValueError` rather than ending the interpreter.
    """
    if not isinstance(module_name, str) or not module_name:
        raise TypeError("module_name must be a non-empty string")
    m = check_int(min_chars, "min_chars", minimum=1)
    if module_name.split(".")[-1] == "__main__" or module_name in _SIDE_EFFECT_MODULES:
        raise ValueError(f"module_name {module_name!r} runs a program when imported; give a library module")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"module_name {module_name!r} cannot be imported") from exc
    except SystemExit:
        sys.modules.pop(module_name, None)
        raise ValueError(f"module_name {module_name!r} exits the interpreter when imported") from None
    except Exception as exc:  # a module whose import fails in its own code
        raise ValueError(f"module_name {module_name!r} raised {type(exc).__name__} when imported") from exc
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
    if isinstance(corpus, str) or not isinstance(corpus, Sequence):
        raise TypeError(f"corpus must be a sequence of (name, text) pairs, got {type(corpus).__name__}")
    h = hashlib.sha256()
    for i, pair in enumerate(corpus):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(v, str) for v in pair)):
            raise TypeError(f"corpus[{i}] must be a (name, text) pair of strings")
        name, text = pair
        try:
            h.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
        except UnicodeEncodeError:
            raise ValueError(f"corpus[{i}] is not valid Unicode text (lone surrogate)") from None
    return h.hexdigest()


def hashed_ngram_features(texts: Sequence[str], dim: int, n: int = 3) -> NDArray[np.float64]:
    r"""Rows of hashed character ``n``-gram counts, each scaled to unit Euclidean norm (:math:`\|\phi\| = 1`).

    Bucket of an n-gram ``g``: ``crc32(g) mod dim``.  Raises :class:`ValueError` for an empty
    list, a text shorter than ``n`` characters, or beyond the size limits (``len(texts) x dim`` at most
    :data:`srlm._validate.MAX_ELEMENTS`, :math:`10^7` characters in all).
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence) or len(texts) == 0:
        raise ValueError("texts must be a non-empty sequence of strings")
    d = check_int(dim, "dim", minimum=1)
    k = check_int(n, "n", minimum=1)
    check_size(len(texts) * d, "len(texts) x dim")
    check_size(sum(len(t) for t in texts if isinstance(t, str)), "the total length of texts", 10**7)
    out = np.zeros((len(texts), d))
    for i, text in enumerate(texts):
        if not isinstance(text, str) or len(text) < k:
            raise ValueError(f"texts[{i}] must be a string of at least {k} characters")
        try:
            data = text.lower().encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"texts[{i}] is not valid Unicode text (lone surrogate)") from None
        buckets = [zlib.crc32(data[j : j + k]) % d for j in range(len(data) - k + 1)]
        np.add.at(out[i], buckets, 1.0)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out
