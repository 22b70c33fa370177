"""Open the built book in headless Chromium and check what a reader would see.

Usage: python scripts/browser_check.py [_build/html]

Serves the HTML on 127.0.0.1 (an ephemeral port, this process only), loads every
chapter and book page in Debian's headless Chromium, and asserts on the DOM after
scripts ran: MathJax typeset every formula (``mjx-container`` elements, no
``mjx-merror``, no raw ``$$`` or ``\\[`` left in the text), chapters that state results
show theorem boxes, every chapter shows PNG figures and glued numbers. It saves a screenshot of
each page to ``_build/screenshots/``. Exits non-zero on the first failed page
after checking all of them.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
BUDGET_MS = 20000


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("browser_check: no Chromium found (Debian: apt-get install chromium)")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def chromium(exe: str, profile: str, *args: str) -> str:
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={BUDGET_MS}", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    return out.stdout


def visible_text(dom: str) -> str:
    dom = re.sub(r"<script\b.*?</script>", " ", dom, flags=re.S)
    dom = re.sub(r"<style\b.*?</style>", " ", dom, flags=re.S)
    dom = re.sub(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", " ", dom, flags=re.S)
    return re.sub(r"<[^>]+>", " ", dom)


def check_page(exe: str, url: str, rel: str, static_html: str, shots: Path, profile: str) -> list[str]:
    problems = []
    dom = chromium(exe, profile, "--dump-dom", url)
    if not dom:
        return [f"{rel}: Chromium returned no DOM"]
    n_math_static = len(re.findall(r'class="[^"]*\bmath\b', static_html))
    n_typeset = dom.count("<mjx-container")
    if n_math_static and n_typeset < n_math_static:
        problems.append(f"{rel}: {n_math_static} math elements but only {n_typeset} typeset by MathJax")
    if "<mjx-merror" in dom:
        problems.append(f"{rel}: MathJax reported a TeX error (mjx-merror)")
    text = visible_text(dom)
    for raw in ("$$", "\\[", "\\begin{"):
        if raw in text:
            problems.append(f"{rel}: raw TeX {raw!r} left in the page text")
    if rel.startswith("notebooks/"):
        source = Path(__file__).resolve().parents[1] / rel.replace(".html", ".py")
        directive = re.compile(r"```\{prf:(theorem|lemma|proposition|corollary|definition)\}")
        states_results = source.is_file() and bool(directive.search(source.read_text(encoding="utf-8")))
        if states_results and 'class="proof' not in dom:
            problems.append(f"{rel}: the chapter states results but no theorem box (sphinx-proof) is shown")
        if not re.search(r'<img[^>]+src="[^"]+\.png"', dom):
            problems.append(f"{rel}: no PNG figure found")
        if "pasted-text" not in dom:
            problems.append(f"{rel}: no glued number found")
    shot = shots / (rel.replace("/", "__").removesuffix(".html") + ".png")
    chromium(exe, profile, f"--screenshot={shot}", "--window-size=1280,2400", url)
    if not shot.is_file() or shot.stat().st_size < 10_000:
        problems.append(f"{rel}: screenshot missing or blank")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "_build/html").resolve()
    if not (root / "index.html").is_file():
        sys.exit(f"browser_check: no built book at {root} (run `make book`)")
    exe = find_chromium()
    pages = sorted(str(p.relative_to(root)) for p in root.glob("notebooks/*.html"))
    pages += sorted(str(p.relative_to(root)) for p in root.glob("book/*.html"))
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    server, port = serve(root)
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as profile:
            for rel in pages:
                static_html = (root / rel).read_text(encoding="utf-8")
                found = check_page(exe, f"http://127.0.0.1:{port}/{rel}", rel, static_html, shots, profile)
                print(f"{'FAIL' if found else 'ok  '} {rel}")
                problems += found
    finally:
        server.shutdown()
    for p in problems:
        print("  -", p)
    print(
        f"{len(pages) - len({p.split(':')[0] for p in problems})} passed, "
        f"{len({p.split(':')[0] for p in problems})} failed; screenshots in {shots}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
