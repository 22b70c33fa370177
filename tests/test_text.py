from __future__ import annotations

import hashlib
import inspect
import json
import zlib

import numpy as np
import pytest

from srlm.text import corpus_sha256, docstring_corpus, hashed_ngram_features


def test_docstring_corpus_matches_a_direct_listing() -> None:
    corpus = docstring_corpus("json", min_chars=50)
    expected = []
    for name in sorted(dir(json)):
        obj = getattr(json, name)
        doc = inspect.getdoc(obj) if not name.startswith("_") and callable(obj) else None
        if doc and len(doc) >= 50:
            expected.append((name, doc))
    assert corpus == expected and len(corpus) >= 2
    assert [n for n, _ in corpus] == sorted(n for n, _ in corpus)


def test_corpus_sha256_pinned() -> None:
    ref = hashlib.sha256(b"a\x00xy\x00b\x00z\x00").hexdigest()
    assert corpus_sha256([("a", "xy"), ("b", "z")]) == ref
    assert corpus_sha256([("a", "x"), ("yb", "z")]) != corpus_sha256([("ax", ""), ("yb", "z")])


def test_hashed_features_pinned_against_direct_counts() -> None:
    texts, dim = ["Abcab", "xyzxyz"], 7
    out = hashed_ngram_features(texts, dim, n=2)
    for row, text in zip(out, texts, strict=True):
        ref = np.zeros(dim)
        low = text.lower()
        for j in range(len(low) - 1):
            ref[zlib.crc32(low[j : j + 2].encode()) % dim] += 1
        np.testing.assert_allclose(row, ref / np.sqrt(np.sum(ref**2)), atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="cannot be imported"):
        docstring_corpus("no_such_module_srlm")
    with pytest.raises(TypeError, match="module_name"):
        docstring_corpus("")
    with pytest.raises(ValueError, match="no public callable"):
        docstring_corpus("json", min_chars=10**9)
    with pytest.raises(ValueError, match="min_chars must be >= 1"):
        docstring_corpus("json", min_chars=0)
    with pytest.raises(ValueError, match="non-empty sequence"):
        hashed_ngram_features("abc", 4)
    with pytest.raises(ValueError, match=r"texts\[1\] must be a string of at least 3"):
        hashed_ngram_features(["abcd", "ab"], 4)
    with pytest.raises(ValueError, match="dim must be >= 1"):
        hashed_ngram_features(["abcd"], 0)
