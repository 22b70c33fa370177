"""Small fixes to the pages Jupyter Book 1 writes.

* Each inline script is emitted once. ``sphinx-thebe`` and ``sphinx-togglebutton`` add
  their configuration scripts at ``env-before-read-docs``/``builder-inited``, and under
  Jupyter Book both land twice in every page; the second ``const THEBE_JS_URL = ...``
  is a ``SyntaxError`` in the console of every page. Duplicates (same file, same
  attributes, same body) are dropped from the page context, keeping the first.
* The PDF reads like a book: in the LaTeX build (document class ``book``) the front
  matter (the root page and the parts before the numbered part of ``_toc.yml``) is
  ``\\frontmatter``, the numbered part ``\\mainmatter`` (so its chapters are 1, 2, ...
  as in the HTML) and the parts after it ``\\backmatter``.
* The HTML links the PDF when one has been built: if ``<outdir>/../latex/srlm-companion.pdf``
  exists (``make pdf``), it is copied to ``_static/`` and the substitution
  ``{{ pdf_link }}`` becomes a link with its page count; otherwise it says how to build
  it. Either way nothing is a dangling reference, so ``-n -W`` holds without a PDF.
* Known docstring defects of ``srlm`` that break ``-n -W`` on the API page are listed in
  ``KNOWN_DOCSTRING_ISSUES`` (object, message, the fix) and only those warnings are
  dropped; the build reports how many it dropped, and an entry that no longer matches
  is itself a warning, so the list shrinks as the docstrings are fixed.
* ``{exec-times}`` (a directive) tabulates ``book/_static/exec_times/*.json``, which
  ``scripts/execute_notebooks.py`` writes on every execution: per chapter the wall
  time, the UTC date, the interpreter and the platform. A chapter without a record
  (not executed since the executor began recording) says so.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from myst_nb.ext.glue.domain import NbGlueDomain
from myst_nb.ext.glue.roles import PasteMarkdownRole
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

PDF_NAME = "srlm-companion.pdf"
# Unnumbered sections outside the main matter (book.cls only unnumbers \chapter there).
FRONTMATTER = r"\frontmatter\edef\srlmsecnumdepth{\arabic{secnumdepth}}\setcounter{secnumdepth}{-1}"
MAINMATTER = r"\mainmatter\setcounter{secnumdepth}{\srlmsecnumdepth}"
BACKMATTER = r"\backmatter\setcounter{secnumdepth}{-1}"


def _key(asset: Any) -> tuple:
    filename = getattr(asset, "filename", asset) or ""  # None and "" both mean an inline script
    attributes = getattr(asset, "attributes", {}) or {}
    return (str(filename), tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def _dedupe(assets: list[Any]) -> list[Any]:
    seen: set[tuple] = set()
    kept = []
    for asset in assets:
        key = _key(asset)
        if key in seen:
            continue
        seen.add(key)
        kept.append(asset)
    return kept


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    for name in ("script_files", "css_files"):
        if isinstance(context.get(name), list):
            context[name][:] = _dedupe(context[name])  # in place: the builder holds the same list


def _matter_starts(app: Any) -> dict[str, str]:
    """{docname: LaTeX command} for the first document of the numbered part and of the part after it."""
    site_map = getattr(app.env, "external_site_map", None)
    if site_map is None:
        return {}
    subtrees = site_map[site_map.root.docname].subtrees
    starts: dict[str, str] = {}

    def docname(item: Any) -> str:  # _toc.yml may name a notebook with its suffix
        return re.sub(r"\.(ipynb|md|rst)$", "", str(item))

    for i, tree in enumerate(subtrees):
        if tree.numbered and tree.items:
            starts[docname(tree.items[0])] = MAINMATTER
            if i + 1 < len(subtrees) and subtrees[i + 1].items:
                starts[docname(subtrees[i + 1].items[0])] = BACKMATTER
            break
    return starts


def _latex_matter(app: Any, doctree: nodes.document, docname: str) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    starts = _matter_starts(app)
    if not starts:
        return
    for node in list(doctree.findall(addnodes.start_of_file)):
        command = starts.get(node.get("docname"))
        if command:
            node.parent.insert(node.parent.index(node), nodes.raw("", command + "\n", format="latex"))
    first = doctree.next_node(nodes.section)
    if first is not None:
        first.parent.insert(first.parent.index(first), nodes.raw("", FRONTMATTER + "\n", format="latex"))


def _built_pdf(app: Any) -> Path:
    return Path(app.outdir).parent / "latex" / PDF_NAME


def _pdf_pages(pdf: Path) -> int | None:
    log = pdf.with_suffix(".log")
    if log.is_file():
        found = re.findall(r"Output written on .*?\((\d+) pages", log.read_text(errors="replace"))
        if found:
            return int(found[-1])
    return None


def _pdf_substitution(app: Any) -> None:
    config = app.config
    subs = dict(config.myst_substitutions or {})
    if app.builder.format != "html":
        subs["pdf_link"] = "this PDF"
    else:
        pdf = _built_pdf(app)
        if pdf.is_file():
            pages = _pdf_pages(pdf)
            size = f"{pdf.stat().st_size / 1e6:.1f} MB"
            what = f"{pages} pages, {size}" if pages else size
            link = f'<a class="reference download" href="../_static/{PDF_NAME}">the whole book as a PDF</a>'
            subs["pdf_link"] = f"{link} ({what})"
        else:
            subs["pdf_link"] = "a PDF of the whole book (not part of this build; `make pdf` builds it)"
    config.myst_substitutions = subs


def _copy_pdf(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html" and _built_pdf(app).is_file():
        static = Path(app.outdir) / "_static"
        static.mkdir(exist_ok=True)
        shutil.copy2(_built_pdf(app), static / PDF_NAME)


TIMES_DIR = Path(__file__).resolve().parents[1] / "_static" / "exec_times"

# Docutils warnings from srlm docstrings (nitpicky unresolved references of the same kind are
# listed, each with its fix, under nitpick_ignore in _config.yml).
# (where: a substring of the warning's location, what: a substring of its message, the fix).
KNOWN_DOCSTRING_ISSUES: list[tuple[str, str, str]] = [
    ("srlm.policies.TabularPolicy:", "Field list ends without a blank line",
     "numpy style: the paragraph after Parameters is read as parameters; move it above the section or into Notes"),
    ("srlm.policies.LinearSoftmaxPolicy:", "Field list ends without a blank line",
     "same: 'The class is closed under ...' after Parameters belongs in Notes"),
]


class _KnownIssues(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.hits = [0] * len(KNOWN_DOCSTRING_ISSUES)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        location = getattr(record, "location", None)
        if location is not None and hasattr(location, "source"):
            location = f"{location.source}:{location.line}"
        text = f"{location} {record.getMessage()}"
        for i, (where, what, _fix) in enumerate(KNOWN_DOCSTRING_ISSUES):
            if where in text and what in text:
                self.hits[i] += 1
                return False
        return True


_FILTER = _KnownIssues()


def _tuples(app: Any, config: Any) -> None:
    """YAML gives nitpick_ignore as lists; Sphinx looks up (type, target) tuples."""
    config.nitpick_ignore = [tuple(x) for x in config.nitpick_ignore]


def _install_filter(app: Any) -> None:
    for handler in logging.getLogger("sphinx").handlers:
        if _FILTER not in handler.filters:
            handler.filters.insert(0, _FILTER)


def _note_read(app: Any, env: Any, docnames: list[str]) -> None:
    _FILTER.api_read = "book/api" in docnames  # type: ignore[attr-defined]


def _report_known(app: Any, exception: Exception | None) -> None:
    if exception is not None or not getattr(_FILTER, "api_read", False):
        return  # the API page was not read in this build, so no hit says anything
    from sphinx.util import logging as sphinx_logging

    logger = sphinx_logging.getLogger(__name__)
    logger.info("book_assets: %d known srlm docstring warning(s) not reported (KNOWN_DOCSTRING_ISSUES)",
                sum(_FILTER.hits))
    for hits, (where, what, _fix) in zip(_FILTER.hits, KNOWN_DOCSTRING_ISSUES, strict=True):
        if hits == 0:
            logger.warning("KNOWN_DOCSTRING_ISSUES entry no longer matches (fixed? remove it): %s / %s", where, what)


class ExecTimes(SphinxDirective):
    """A table of the chapters of ``_toc.yml`` with their recorded execution times."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        site_map = getattr(self.env, "external_site_map", None)
        notebooks = []
        if site_map is not None:
            for tree in site_map[site_map.root.docname].subtrees:
                notebooks += [re.sub(r"\.ipynb$", "", str(i)) for i in tree.items if str(i).endswith(".ipynb")]
        header = ["chapter", "executed (UTC)", "wall time", "Python", "platform"]
        rows = []
        for docname in notebooks:
            record_file = TIMES_DIR / f"{Path(docname).name}.json"
            self.env.note_dependency(str(record_file))
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname,
                                        refexplicit=False, refwarn=True)
            ref += nodes.inline(docname, docname)
            if record_file.is_file():
                rec = json.loads(record_file.read_text(encoding="utf-8"))
                cells = [rec["executed_utc"], f"{rec['seconds']:.1f} s", rec["python"],
                         f"{rec['platform']}, {rec['cpus']} CPUs"]
            else:
                cells = ["not recorded", "", "", ""]
            rows.append([ref, *cells])
        table = nodes.table(classes=["exec-times"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group.extend(nodes.colspec(colwidth=w) for w in (40, 16, 10, 8, 20))
        head = nodes.thead()
        group += head
        head += self._row(header)
        body = nodes.tbody()
        group += body
        for r in rows:
            body += self._row(r)
        return [table]

    @staticmethod
    def _row(cells: list[Any]) -> nodes.row:
        row = nodes.row()
        for c in cells:
            entry = nodes.entry()
            para = nodes.paragraph()
            para += c if isinstance(c, nodes.Node) else nodes.Text(str(c))
            entry += para
            row += entry
        return row


class UsedIn(SphinxDirective):
    """``{srlm-used-in} srlm.module``: links to the chapters whose code uses a public name of the module.

    A chapter uses a name if its ``.py`` source says ``srlm.<name>`` or imports ``<name>``;
    only chapters in ``_toc.yml`` are linked, so the links always resolve.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        import importlib

        module = importlib.import_module(self.arguments[0])
        names = list(getattr(module, "__all__", []))
        site_map = getattr(self.env, "external_site_map", None)
        chapters = []
        if site_map is not None:
            for tree in site_map[site_map.root.docname].subtrees:
                chapters += [re.sub(r"\.ipynb$", "", str(i)) for i in tree.items if str(i).endswith(".ipynb")]
        alt = "|".join(map(re.escape, names))
        pattern = re.compile(rf"srlm\.(?:{alt})\b|^\s*from srlm[\w.]* import [^\n]*\b(?:{alt})\b", re.M)
        para = nodes.paragraph()
        para += nodes.strong("Used in:", "Used in:")
        used = []
        for docname in chapters:
            source = Path(self.env.srcdir) / (docname + ".py")
            if not source.is_file():
                continue
            self.env.note_dependency(str(source))
            if names and pattern.search(source.read_text(encoding="utf-8")):
                used.append(docname)
        if not used:
            para += nodes.Text(" no chapter calls it directly (helpers of the other modules, or the command line).")
        for k, docname in enumerate(used):
            para += nodes.Text(" " if k == 0 else ", ")
            ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname,
                                        refexplicit=False, refwarn=True)
            ref += nodes.inline(docname, docname)
            para += ref
        if used:
            para += nodes.Text(".")
        return [para]


class _PasteMarkdownMyst(PasteMarkdownRole):
    """``{glue:md}`key``` parsed as MyST (so ``$...$`` is math), not CommonMark.

    myst-nb's role parses a pasted Markdown glue as CommonMark unless the key carries a
    format suffix (``key:myst``), whatever ``nb_render_markdown_format`` says. The chapters
    glue numbers as inline math (``srlm.report.glue_math``), so the book's default is the
    configured format; an explicit suffix still wins.
    """

    default_format = "myst"

    def run(self) -> tuple[list[Any], list[Any]]:
        if ":" not in self.text:
            self.text = f"{self.text}:{self.default_format}"
        return super().run()


def _glue_md_format(app: Any, config: Any) -> None:
    _PasteMarkdownMyst.default_format = config.nb_render_markdown_format
    NbGlueDomain.roles["md"] = _PasteMarkdownMyst()


STATIC = Path(__file__).resolve().parents[1] / "_static"


def _visit_solution_latex(self: Any, node: Any) -> None:
    """A solution in the PDF: a titled block, not a framed admonition.

    Inside Sphinx's framed admonitions a code block shorter than a page is set in an
    unbreakable minipage (sphinx-doc/sphinx#6804, #6807), so a long solution's code ran
    into the page footer. ``srlmsolution`` (defined in the LaTeX preamble in _config.yml)
    is a plain environment whose code blocks break across pages like any other.
    """
    target = self.builder.env.sphinx_exercise_registry[node.attributes["label"]]
    label = f"{target.get('docname')}:{node.attributes['label']}"
    self.body.append(f"\n\\phantomsection \\label{{{label}}}\n\\begin{{srlmsolution}}")


def _depart_solution_latex(self: Any, node: Any) -> None:
    self.body.append("\\end{srlmsolution}\n")


def _latex_solutions(app: Any) -> None:
    from sphinx_exercise.nodes import depart_solution_node, solution_node, visit_solution_node

    app.add_node(solution_node, override=True, html=(visit_solution_node, depart_solution_node),
                 latex=(_visit_solution_latex, _depart_solution_latex))


def _book_css(app: Any, config: Any) -> None:
    """Serve ``book/_static/css`` (the book's own stylesheet) alongside the theme's."""
    config.html_static_path = [*config.html_static_path, str(STATIC / "css")]


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _glue_md_format)
    app.connect("config-inited", _book_css)
    app.connect("builder-inited", _latex_solutions)  # after sphinx-exercise registered its own
    app.add_css_file("srlm-book.css")
    app.add_directive("exec-times", ExecTimes)
    app.connect("config-inited", _tuples)
    app.connect("builder-inited", _install_filter)
    app.connect("env-before-read-docs", _note_read)
    app.connect("build-finished", _report_known)
    app.add_directive("srlm-used-in", UsedIn)
    app.connect("html-page-context", _page_context, priority=999)  # after the extensions that add assets
    app.connect("builder-inited", _pdf_substitution, priority=10)  # before MyST reads its configuration
    app.connect("doctree-resolved", _latex_matter)
    app.connect("build-finished", _copy_pdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
