"""Open the built book in headless Chromium and check what a reader would see.

Usage: python scripts/browser_check.py [_build/html] [--pages REL ...] [--widths 1400,390]
                                      [--shots DIR] [--no-shots] [--jobs N]

Serves the HTML on 127.0.0.1 (an ephemeral port, this process only) and drives
Debian's headless Chromium over the DevTools protocol (``--remote-debugging-pipe``,
standard library only). Every chapter and book page is loaded at each viewport
width (1400 px desktop, 390 px phone), and after MathJax has typeset the page the
DOM is checked for these failure classes (each problem line starts with its class):

``raw-tex``          TeX left as text outside math and code (``\\log``, ``$``, ``\\[``, ...)
``wide-math``        a display formula wider than its container (cut off or scrolled)
``console``          a console error, an uncaught exception or a failed resource load
``missing-figure``   an ``<img>`` that did not load
``xref``             a broken cross-reference: Sphinx's ``??``, an unresolved ``{ref}``
                     (a ``.xref`` that is not a link), a role left as text, or an
                     internal link whose page or ``#anchor`` does not exist (Python-domain
                     references are left to Sphinx ``-n``: builtins and numpy stay unlinked offline)
``table``            table rows with differing cell counts, in the page or in the
                     Markdown source (a ``|`` inside ``$...$`` splits a row)
``math``             MathJax did not typeset every formula, or reported a TeX error
``chapter``          a chapter that states results shows no theorem box, PNG figure or
                     glued number
``math-breaks``      a display MathJax broke into lines although the column had room (it
                     measured too small a width: the theme's flex row; book/_static/css)
``wide-code``        a code or output block that scrolls horizontally at desktop width
                     (chapters keep code and printed lines within 88 columns)
``wide-table``       a table wider than the text column at desktop width
``pynum``            a number in Python notation (``2.3e+03``, ``1e-07``) in the prose
                     (outside code): glue it as math (``srlm.report.glue_math``)
``glue``             a Python repr in the text (``<IPython.core.display.Markdown object>``):
                     a glued object pasted where only its plain text can go
``header``           more than one visible search box

It also reports (``info``, not failures) inline formulas that run past the right edge
of their paragraph, and code blocks and tables that scroll at phone width. Screenshots of every page at
every width go to ``<html>/../screenshots/``. Exits 1 if any page has a problem.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]
WIDTHS = (1400, 390)
DESKTOP_MIN = 1000   # widths at which code blocks and tables must fit the column
HEIGHT = {1400: 1000, 390: 844}
LOAD_TIMEOUT_S = 60.0
MAX_SHOT_HEIGHT = 16000
FAILURE_CLASSES = (
    "raw-tex", "wide-math", "math-breaks", "wide-code", "wide-table", "pynum", "glue", "console",
    "missing-figure", "xref", "table", "math", "chapter", "header",
)

# Runs in the page after load. Returns a JSON-able dict; the Python side turns it into problems.
PAGE_JS = r"""
async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (const img of document.images) { img.loading = 'eager'; }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  await Promise.race([
    Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); }))),
    sleep(10000)]);
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  await sleep(150);
  const out = {raw_tex: [], wide_math: [], wide_inline: [], broken_img: [], unresolved: [], qq: [], roles: [],
               tables: [], links: [], code_wide: 0, code_total: 0, pynum: [], reprs: [], searches: 0,
               mjx: document.querySelectorAll('mjx-container').length,
               merror: document.querySelectorAll('mjx-merror').length,
               proof: document.querySelectorAll('[class*="proof"]').length,
               png: 0, glue: document.querySelectorAll('.pasted-text, .pasted-inline').length,
               doc_width: document.documentElement.scrollWidth, view_width: window.innerWidth};
  const SKIP = 'script,style,code,pre,kbd,samp,textarea,noscript,mjx-container,mjx-assistive-mml,' +
               '.highlight,.MathJax,.tex2jax_ignore_math,.headerlink,.sig';  // .sig: an API signature is code
  const root = document.querySelector('.bd-article') || document.body;
  const TEX = /\\[A-Za-z]+|\\[{}\[\]()|,;!]|\$|[\^_]\{/;
  const ROLE = /\{(?:ref|prf:ref|eq|numref|doc|cite(?::[a-z]+)?|glue(?::[a-z]+)?|term|math)\}`?/;
  const PYNUM = /\b\d+(?:\.\d+)?e[+-]?\d+\b/g;
  const REPR = /<[A-Za-z_][\w.]* object(?: at 0x[0-9a-fA-F]+)?>/;
  const snip = (s, i) => s.slice(Math.max(0, i - 40), i + 60).replace(/\s+/g, ' ').trim();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(SKIP)) continue;
    if (el.closest('[hidden], dialog:not([open])')) continue;
    const s = n.nodeValue;
    let m = TEX.exec(s);
    if (m) out.raw_tex.push(snip(s, m.index));
    if (s.includes('??')) out.qq.push(snip(s, s.indexOf('??')));
    m = ROLE.exec(s);
    if (m) out.roles.push(snip(s, m.index));
    if (root.contains(n)) { for (const k of s.matchAll(PYNUM)) out.pynum.push(snip(s, k.index)); }
    m = REPR.exec(s);
    if (m) out.reprs.push(snip(s, m.index));
  }
  const texOf = el => {
    try {
      const items = MathJax.startup.document.getMathItemsWithin(el);
      if (items.length) return items[0].math;
    } catch (e) {}
    return el.textContent;
  };
  for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
    const m = c.querySelector('mjx-math') || c;
    const box = c.parentElement;
    const cs = getComputedStyle(box);
    const avail = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const w = m.getBoundingClientRect().width;
    if (w > avail + 1) {
      const src = texOf(c).replace(/\s+/g, ' ').trim();
      out.wide_math.push({width: Math.round(w), avail: Math.round(avail), tex: src.slice(0, 100)});
    }
  }
  // A display MathJax broke into lines although the column has room: it measured too small a width
  // (e.g. a flex row shrinking its test element), so the formula is cut at nearly every operator.
  out.overbroken = [];
  try {
    for (const item of MathJax.startup.document.math) {
      const c = item.typesetRoot;
      if (!item.display || !c || !c.querySelector('mjx-linebox')) continue;
      const box = c.parentElement;
      const cs = getComputedStyle(box);
      let avail = box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      const eqno = box.querySelector(':scope > .eqno');
      if (eqno && eqno.getBoundingClientRect().top < c.getBoundingClientRect().top + 2 &&
          eqno.getBoundingClientRect().bottom > c.getBoundingClientRect().top) {
        avail -= eqno.getBoundingClientRect().width + 16;  // the number sits beside the formula
      }
      const used = item.metrics && item.metrics.containerWidth;
      if (typeof used === 'number' && used < 0.8 * avail) {
        out.overbroken.push({used: Math.round(used), avail: Math.round(avail),
                             tex: String(item.math).replace(/\s+/g, ' ').trim().slice(0, 100)});
      }
    }
  } catch (e) {}
  // Inline formulas do not wrap either: one that runs past the right edge of its block is cut off.
  for (const c of root.querySelectorAll('mjx-container:not([display="true"])')) {
    const box = c.parentElement.closest('p, li, dd, dt, td, th, figcaption, div');
    if (!box) continue;
    const cs = getComputedStyle(box);
    const right = box.getBoundingClientRect().right - parseFloat(cs.paddingRight);
    const r = c.getBoundingClientRect();
    if (r.width > 0 && r.right > right + 1) {
      const src = texOf(c).replace(/\s+/g, ' ').trim();
      out.wide_inline.push({width: Math.round(r.width), avail: Math.round(right - r.left),
                            tex: src.slice(0, 100)});
    }
  }
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) out.broken_img.push(img.getAttribute('src') || '(no src)');
    else if (/\.png(\?|$)/.test(img.currentSrc || img.src)) out.png += 1;
  }
  // Python-domain references to builtins/numpy are unlinked on purpose (no intersphinx offline);
  // Sphinx -n checks the rest. Book references ({ref}, {doc}, {prf:ref}, MyST links) must link.
  for (const x of document.querySelectorAll('.xref:not(.py)')) {
    if (!x.closest('a')) out.unresolved.push(x.textContent.trim().slice(0, 80));
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const u = new URL(a.getAttribute('href'), location.href);
    if (u.origin === location.origin) out.links.push(u.pathname + (u.hash || ''));
  }
  for (const t of root.querySelectorAll('table')) {
    const counts = Array.from(t.rows).map(r => Array.from(r.cells).reduce((k, c) => k + (c.colSpan || 1), 0));
    if (new Set(counts).size > 1) {
      const i = counts.findIndex(k => k !== counts[0]);
      out.tables.push({counts: counts, row: t.rows[i].textContent.replace(/\s+/g, ' ').trim().slice(0, 100)});
    }
  }
  out.wide_tables = [];
  for (const t of root.querySelectorAll('table')) {
    const box = t.closest('.pst-scrollable-table-container') || t.parentElement;
    const w = t.getBoundingClientRect().width;
    if (w > box.clientWidth + 1) out.wide_tables.push(`${Math.round(w)} px in ${box.clientWidth} px: ` +
      (t.rows[0] ? t.rows[0].textContent.replace(/\s+/g, ' ').trim().slice(0, 60) : ''));
  }
  out.code_lines = [];
  for (const p of root.querySelectorAll('pre')) {
    out.code_total += 1;
    if (p.scrollWidth > p.clientWidth + 1) {
      out.code_wide += 1;
      const longest = p.textContent.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
      out.code_lines.push(`${p.scrollWidth} px in ${p.clientWidth} px, longest line ${longest.length} ` +
                          `characters: ${longest.trim().slice(0, 60)}`);
    }
  }
  const visible = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  out.searches = Array.from(document.querySelectorAll('.search-button-field, form.bd-search, #searchbox input'))
                      .filter(visible).length;
  out.height = Math.min(document.documentElement.scrollHeight, %MAXH%);
  return out;
}
""".replace("%MAXH%", str(MAX_SHOT_HEIGHT))


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class CDP:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, exe: str, profile: str) -> None:
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def wire() -> None:  # in the child before exec: the pipe ends become fds 3 and 4, others close
            r, w = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.closerange(5, 1 << 16)

        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,  # noqa: PLW1509 (called before any thread is started)
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = LOAD_TIMEOUT_S) -> dict:
        self._next += 1
        msg: dict = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str, timeout: float = LOAD_TIMEOUT_S) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 (closing anyway)
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        os.close(self._w)


def _console_problems(events: list[dict], session: str) -> list[str]:
    found = []
    for ev in events:
        if ev.get("sessionId") != session:
            continue
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            found.append(f"uncaught {text.splitlines()[0] if text else 'exception'}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            found.append(f"console.{p['type']}: {args[:200]}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            found.append(f"{e.get('text', '')[:200]} {e.get('url', '')}".strip())
    return found


@dataclass
class Site:
    root: Path
    ids: dict[str, set[str]] = field(default_factory=dict)

    def anchors(self, rel: str) -> set[str] | None:
        if rel not in self.ids:
            path = self.root / rel
            if not path.is_file():
                return None
            html = path.read_text(encoding="utf-8", errors="replace") if path.suffix == ".html" else ""
            self.ids[rel] = set(re.findall(r'\bid="([^"]+)"', html))
        return self.ids[rel]

    def check_link(self, link: str) -> str | None:
        parsed = urlparse(link)
        rel = unquote(parsed.path).lstrip("/") or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        ids = self.anchors(rel)
        if ids is None:
            return f"link to a missing page {link}"
        frag = unquote(parsed.fragment)
        if frag and rel.endswith(".html") and frag not in ids:
            return f"link to a missing anchor {link}"
        return None


_CODE_SPAN = re.compile(r"(`+).*?\1")


def table_cells(line: str) -> int:
    """Cells a Markdown (GFM) table row splits into: ``|`` outside code spans, not escaped."""
    body = _CODE_SPAN.sub("x", line.strip())
    body = body.replace("\\|", "x")
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return body.count("|") + 1


def source_table_problems(text: str) -> list[str]:
    """Rows of Markdown pipe tables in ``text`` whose cell count differs from the header's."""
    problems = []
    lines = text.splitlines()
    delim = re.compile(r"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")
    in_fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence or i == 0 or not delim.match(line) or "|" not in line:
            continue
        head = table_cells(lines[i - 1])
        j = i + 1
        while j < len(lines) and lines[j].strip().startswith("|"):
            k = table_cells(lines[j])
            if k != head:
                problems.append(f"source row has {k} cells, header {head}: {lines[j].strip()[:100]}")
            j += 1
    return problems


def source_text(root: Path, rel: str) -> str:
    """The Markdown of a page from ``_sources/`` (markdown cells only, for notebooks)."""
    stem = rel.removesuffix(".html")
    for suffix in (".md", ".ipynb"):
        path = root / "_sources" / (stem + suffix)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if suffix == ".md":
                return text
            try:
                nb = json.loads(text)
            except json.JSONDecodeError:
                return ""
            return "\n\n".join(
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb.get("cells", []) if c.get("cell_type") == "markdown"
            )
    return ""


def _states_results(repo: Path, rel: str) -> bool:
    source = repo / rel.replace(".html", ".py")
    directive = re.compile(r"```\{prf:(theorem|lemma|proposition|corollary|definition)\}")
    return source.is_file() and bool(directive.search(source.read_text(encoding="utf-8")))


def check_page(cdp: CDP, base: str, rel: str, site: Site, width: int, shots: Path | None,
               repo: Path) -> tuple[list[str], list[str]]:
    """Load one page at one width; return (problems, info)."""
    target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    problems: list[str] = []
    info: list[str] = []
    tag = f"{rel} @{width}px"
    try:
        for domain in ("Page", "Runtime", "Log"):
            cdp.call(f"{domain}.enable", session=session)
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": HEIGHT.get(width, 1000), "deviceScaleFactor": 1,
                  "mobile": width < 800}, session=session)
        cdp.call("Page.navigate", {"url": f"{base}/{rel}"}, session=session)
        cdp.wait_event("Page.loadEventFired", session)
        res = cdp.call("Runtime.evaluate", {"expression": f"({PAGE_JS})()", "awaitPromise": True,
                                            "returnByValue": True}, session=session)
        if "exceptionDetails" in res:
            return [f"console: {tag}: the page check script failed: {res['exceptionDetails'].get('text')}"], []
        r = res["result"]["value"]
        for s in r["raw_tex"]:
            problems.append(f"raw-tex: {tag}: {s!r}")
        for m in r["wide_math"]:
            problems.append(f"wide-math: {tag}: {m['width']} px in {m['avail']} px: {m['tex']!r}")
        for m in r["overbroken"]:
            problems.append(f"math-breaks: {tag}: broken into lines for {m['used']} px although "
                            f"{m['avail']} px are free: {m['tex']!r}")
        for s in _console_problems(cdp.events, session):
            problems.append(f"console: {tag}: {s}")
        for src in r["broken_img"]:
            problems.append(f"missing-figure: {tag}: {src}")
        for s in r["qq"]:
            problems.append(f"xref: {tag}: '??' in the text: {s!r}")
        for s in r["unresolved"]:
            problems.append(f"xref: {tag}: unresolved reference {s!r}")
        for s in r["roles"]:
            problems.append(f"xref: {tag}: role left as text: {s!r}")
        for link in sorted(set(r["links"])):
            bad = site.check_link(link)
            if bad:
                problems.append(f"xref: {tag}: {bad}")
        for t in r["tables"]:
            problems.append(f"table: {tag}: rows with {sorted(set(t['counts']))} cells: {t['row']!r}")
        n_math_static = len(re.findall(r'class="[^"]*\bmath\b', (site.root / rel).read_text(encoding="utf-8")))
        if n_math_static and r["mjx"] < n_math_static:
            problems.append(f"math: {tag}: {n_math_static} math elements but only {r['mjx']} typeset by MathJax")
        if r["merror"]:
            problems.append(f"math: {tag}: MathJax reported {r['merror']} TeX error(s) (mjx-merror)")
        if r["searches"] > 1:
            problems.append(f"header: {tag}: {r['searches']} visible search boxes")
        if rel.startswith("notebooks/"):
            if _states_results(repo, rel) and not r["proof"]:
                problems.append(f"chapter: {tag}: the chapter states results but shows no theorem box")
            if not r["png"]:
                problems.append(f"chapter: {tag}: no PNG figure found")
            if not r["glue"]:
                problems.append(f"chapter: {tag}: no glued number found")
        # At desktop width code and tables must fit the column; on a phone they scroll (info).
        if width >= DESKTOP_MIN:
            for c in r["code_lines"]:
                problems.append(f"wide-code: {tag}: a code/output block scrolls: {c!r}")
            for t in r["wide_tables"]:
                problems.append(f"wide-table: {tag}: table wider than the column: {t!r}")
        else:
            if r["code_wide"]:
                info.append(f"info: {tag}: {r['code_wide']} of {r['code_total']} code/output blocks scroll")
            for t in r["wide_tables"]:
                info.append(f"info: {tag}: table wider than the column (scrolls): {t}")
        for m in r["wide_inline"]:
            info.append(f"info: {tag}: inline formula past the edge, {m['width']} px in {m['avail']} px: {m['tex']!r}")
        if r["doc_width"] > r["view_width"] + 1:
            info.append(f"info: {tag}: the page is {r['doc_width']} px wide in a {r['view_width']} px viewport")
        for s in r["pynum"]:
            problems.append(f"pynum: {tag}: number in Python notation in the prose: {s!r}")
        for s in r["reprs"]:
            problems.append(f"glue: {tag}: a Python object's repr instead of its value: {s!r}")
        if shots is not None:
            height = max(int(r["height"]), 200)
            cdp.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
                     session=session)
            shot = cdp.call("Page.captureScreenshot", {"format": "png"}, session=session, timeout=120)
            name = rel.replace("/", "__").removesuffix(".html") + f"@{width}.png"
            (shots / name).write_bytes(base64.b64decode(shot["data"]))
    finally:
        cdp.events = [ev for ev in cdp.events if ev.get("sessionId") != session]
        cdp.call("Target.closeTarget", {"targetId": target})
    return problems, info


def default_pages(root: Path) -> list[str]:
    pages = sorted(str(p.relative_to(root)) for p in root.glob("notebooks/*.html"))
    pages += sorted(str(p.relative_to(root)) for p in root.glob("book/*.html"))
    return pages


def check_site(root: Path, pages: list[str] | None = None, widths: tuple[int, ...] = WIDTHS,
               shots: Path | None = None, exe: str | None = None,
               repo: Path | None = None, jobs: int = 2) -> tuple[dict[str, list[str]], list[str]]:
    """Check ``pages`` (relative to ``root``) at every width; return ({page: problems}, info lines).

    ``jobs`` Chromium instances share the (page, width) loads; the report does not depend on it.
    """
    exe = exe or find_chromium()
    if exe is None:
        raise FileNotFoundError("no Chromium found (Debian: apt-get install chromium)")
    repo = repo or Path(__file__).resolve().parents[1]
    pages = pages if pages is not None else default_pages(root)
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    site = Site(root)
    results: dict[str, list[str]] = {rel: [] for rel in pages}
    info: list[str] = []
    for rel in pages:
        for p in source_table_problems(source_text(root, rel)):
            results[rel].append(f"table: {rel}: {p}")
    tasks = [(rel, width) for rel in pages for width in widths]
    jobs = max(1, min(jobs, len(tasks)))
    done: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    with tempfile.TemporaryDirectory() as profiles:
        # All browsers start before any thread does (subprocess's preexec_fn and threads).
        cdps = [CDP(exe, str(Path(profiles) / f"p{j}")) for j in range(jobs)]
        handler = functools.partial(_QuietHandler, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        errors: list[BaseException] = []

        def work(j: int) -> None:
            try:
                for rel, width in tasks[j::jobs]:
                    done[(rel, width)] = check_page(cdps[j], base, rel, site, width, shots, repo)
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(j,)) for j in range(jobs)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            server.shutdown()
            server.server_close()
            for cdp in cdps:
                cdp.close()
        if errors:
            raise errors[0]
    for rel, width in tasks:  # the report in page order, whatever the threads' order
        found, notes = done[(rel, width)]
        results[rel] += found
        info += notes
    return results, info


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="_build/html")
    ap.add_argument("--pages", nargs="*", help="pages relative to the root (default: chapters and book pages)")
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    ap.add_argument("--shots", help="screenshot directory (default: <root>/../screenshots)")
    ap.add_argument("--no-shots", action="store_true")
    ap.add_argument("--quiet-info", action="store_true", help="do not print the info lines")
    ap.add_argument("--jobs", type=int, default=2, help="Chromium instances in parallel (default 2)")
    args = ap.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "index.html").is_file():
        sys.exit(f"browser_check: no built book at {root} (run `make book`)")
    if find_chromium() is None:
        sys.exit("browser_check: no Chromium found (run scripts/ensure_chromium.sh)")
    shots = None if args.no_shots else Path(args.shots) if args.shots else root.parent / "screenshots"
    widths = tuple(int(w) for w in args.widths.split(","))
    results, info = check_site(root, args.pages, widths, shots, jobs=args.jobs)
    for rel, found in results.items():
        print(f"{'FAIL' if found else 'ok  '} {rel}")
        for p in found:
            print("  -", p)
    if not args.quiet_info:
        for line in info:
            print("  ", line)
    failed = [rel for rel, found in results.items() if found]
    by_class: dict[str, int] = {}
    for found in results.values():
        for p in found:
            by_class[p.split(":")[0]] = by_class.get(p.split(":")[0], 0) + 1
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed at widths {widths}"
          + (f"; problems by class: {by_class}" if by_class else "")
          + (f"; screenshots in {shots}" if shots else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
