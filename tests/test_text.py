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


def test_docstring_corpus_refuses_modules_that_run_programs() -> None:
    import subprocess
    import sys

    with pytest.raises(ValueError, match="runs a program when imported"):
        docstring_corpus("srlm.__main__")
    with pytest.raises(ValueError, match="runs a program when imported"):
        docstring_corpus("this")
    # importing srlm.__main__ itself no longer runs the CLI (guarded by __name__ == "__main__")
    code = "import srlm.__main__, sys; print('alive')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "alive", out.stderr


def test_docstring_corpus_reports_sys_exit_on_import(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="exits the interpreter"):
        docstring_corpus("exits_on_import")


def test_corpus_and_features_bad_input() -> None:
    with pytest.raises(TypeError, match=r"corpus\[0\] must be a \(name, text\) pair"):
        corpus_sha256([("a", 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="corpus must be a sequence"):
        corpus_sha256("ab")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"corpus\[0\] is not valid Unicode"):
        corpus_sha256([("a", "\udcff")])
    with pytest.raises(ValueError, match=r"texts\[0\] is not valid Unicode"):
        hashed_ngram_features(["\udcffabc"], 8)
    with pytest.raises(ValueError, match="size limit"):
        hashed_ngram_features(["abcd"], 10**9)


def test_normalise_text_pinned() -> None:
    from srlm.text import DEFAULT_ALPHABET, normalise_text

    assert DEFAULT_ALPHABET == "abcdefghijklmnopqrstuvwxyz ."
    assert normalise_text("Hello,  World!\n2nd. LINE") == "hello world nd. line"
    assert normalise_text("a-b", alphabet="ab-") == "a-b"
    import srlm.ngram

    assert srlm.ngram.normalise_text is normalise_text
    with pytest.raises(TypeError, match="text must be a string"):
        normalise_text(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="alphabet must be a string"):
        normalise_text("abc", alphabet=None)  # type: ignore[arg-type]


def test_docstring_corpus_reports_a_failing_import(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "fails_on_import.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="raised RuntimeError when imported"):
        docstring_corpus("fails_on_import")
