"""The book (`make book`, build/book/) as a reader meets it: every page opened from disk, offline.

Each page is opened as a file:// URL in headless Chromium, with every request that is not for a local file
recorded and refused. Per page: nothing tried to leave the machine, no local file is missing, the math is
typeset (no raw ``$$`` or ``\\(`` left, no MathJax error box, MathJax's own fonts loaded), every image
loads, and there is navigation, an on-page table of contents and a search box. The index links every
lesson (found by globbing notebooks/, so a new lesson is covered without touching this file); each live
widget is shown as the lesson's static figure with a line pointing to JupyterLab; search finds a lesson.

Uses build/book/ when it is newer than everything it is built from, and builds it otherwise (which needs
the `book` extra: `make book` installs it). `.ci/run` builds it before the tests. A screenshot of each
lesson's page goes to the browser tests' artifacts folder.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import lab_harness as lab
import pytest

_MISSING = lab.missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING))]

REPO = lab.REPO
BOOK = REPO / "build" / "book"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FIXED_PAGES = ["index.html", "search.html", "genindex.html", "docs/instructor-guide.html", "docs/solutions.html"]


def _lesson_pages() -> list[str]:
    return [f"notebooks/{p.stem}.html" for p in lab.lesson_notebooks()]


def _inputs() -> list[Path]:
    files = lab.lesson_notebooks() + sorted((REPO / "docs").glob("*")) + sorted((REPO / "book").rglob("*"))
    files.append(REPO / "tools" / "build_book.py")
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts]


def _live_widgets(notebook: Path) -> int:
    """How many live widgets (not progress bars) the lesson stores: outputs holding a widget view."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    count = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = "".join(data.get("text/plain", ""))
            if WIDGET_VIEW in data and not re.search(r"\d+/\d+ done$", text.strip()):
                count += 1
    return count


@pytest.fixture(scope="session")
def book() -> Path:
    index = BOOK / "index.html"
    newest = max(f.stat().st_mtime for f in _inputs())
    if not index.is_file() or index.stat().st_mtime < newest:
        if importlib.util.find_spec("myst_nb") is None:
            pytest.skip("build/book/ is missing or older than the notebooks, and Sphinx/MyST-NB are not installed: "
                        "run `make book`")
        subprocess.run([sys.executable, str(REPO / "tools" / "build_book.py")], cwd=REPO, check=True)
    return BOOK


class Reader:
    """One offline browser context: file:// requests go through, every other one is refused and recorded."""

    def __init__(self, chromium):
        self.context = chromium.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(30_000)
        self.left_the_machine: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.left_the_machine.append(url)
            route.abort("blockedbyclient")

    def open(self, path: Path):
        page = self.context.new_page()
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
        page.evaluate("""async () => {
            for (const img of document.images) img.loading = 'eager';
            await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
            await document.fonts.ready;
        }""")
        return page

    def close(self):
        self.context.close()


@pytest.fixture
def reader(chromium):
    r = Reader(chromium)
    yield r
    r.close()


READ_PAGE = """() => {
    const article = document.querySelector('article') || document.body;
    const copy = article.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea').forEach(e => e.remove());
    const maths = [...document.querySelectorAll('.math')];
    return {
        text: copy.innerText,
        maths: maths.length,
        untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
        merrors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
        fonts: [...document.fonts].map(f => [f.family, f.status]),
        images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
        nav: [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.getAttribute('href')),
        toc: [...document.querySelectorAll('nav.bd-toc-nav a, #pst-page-toc-nav a')].length,
        search: !!document.querySelector('form[action$="search.html"], .search-button'),
        widgetViews: document.querySelectorAll('script[type="WIDGET_VIEW"]').length,
        links: [...article.querySelectorAll('a')].map(a => a.getAttribute('href')),
        fullText: article.innerText,
        // Each note standing in for a live widget, and the figure its link points at.
        notes: [...document.querySelectorAll('p.rnn-live-note')].map(note => {
            const id = note.querySelector('a').getAttribute('href').slice(1);
            const anchor = document.getElementById(id);
            const figure = anchor && document.evaluate('following::img[1]', anchor, null, 9, null).singleNodeValue;
            return {text: note.innerText, anchor: !!anchor,
                    figureBeforeNote: !!figure
                        && !!(figure.compareDocumentPosition(note) & Node.DOCUMENT_POSITION_FOLLOWING),
                    figureLoaded: !!figure && figure.complete && figure.naturalWidth > 0};
        }),
    };
}""".replace("WIDGET_VIEW", WIDGET_VIEW)


def _problems(reader: Reader, state: dict) -> list[str]:
    problems = [f"tried to leave the machine: {url}" for url in reader.left_the_machine]
    problems += [f"a local file failed to load: {what}" for what in reader.failed]
    problems += [f"script error: {e}" for e in reader.errors]
    for pattern, what in ((r"\$\$", "$$"), (r"\\\(|\\\)", "\\( or \\)"), (r"\\\[|\\\]", "\\[ or \\]"),
                          (r"\\begin\{", "\\begin{"), (r"(?<![\w$])\$[^$\s][^$\n]*\$", "$...$")):
        for hit in re.findall(rf".{{0,30}}(?:{pattern}).{{0,30}}", state["text"])[:3]:
            problems.append(f"raw math {what} left in the text: {hit!r}")
    problems += [f"math not typeset: {m!r}" for m in state["untypeset"]]
    problems += [f"MathJax error box: {m!r}" for m in state["merrors"]]
    if state["maths"]:
        mathjax = [status for family, status in state["fonts"] if family.startswith("MJX")]
        if "loaded" not in mathjax:
            problems.append(f"no MathJax font loaded (MathJax fonts and their states: {mathjax})")
    problems += [f"font failed to load: {family}" for family, status in state["fonts"] if status == "error"]
    problems += [f"image did not load: {img['src']}" for img in state["images"] if not img["ok"]]
    if state["widgetViews"]:
        problems.append(f"{state['widgetViews']} widget view(s) left that no page without a kernel can show")
    return problems


@pytest.fixture(scope="module")
def read_book(book, chromium, artifacts_dir) -> dict:
    """Every page opened once, each in a fresh offline context: name -> (what the page shows, its problems)."""
    results = {}
    for name in FIXED_PAGES + _lesson_pages():
        if not (book / name).is_file():
            continue
        reader = Reader(chromium)
        try:
            page = reader.open(book / name)
            state = page.evaluate(READ_PAGE)
            if name.startswith("notebooks/"):
                page.screenshot(path=str(artifacts_dir / f"book-{Path(name).stem}.png"))
            results[name] = (state, _problems(reader, state))
        finally:
            reader.close()
    return results


@pytest.mark.parametrize("name", FIXED_PAGES + _lesson_pages())
def test_a_page_reads_offline(read_book, name):
    assert name in read_book, f"{name} is not in the built book"
    state, problems = read_book[name]
    if name != "search.html":
        assert state["search"], f"{name}: no search box"
    assert len(state["nav"]) >= len(_lesson_pages()), f"{name}: the navigation does not list every lesson"
    if name.startswith("notebooks/"):
        assert state["toc"] >= 2, f"{name}: no on-page table of contents"
        assert state["maths"] > 0 and state["images"], f"{name}: a lesson page with no math or no figure"
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_book_has_no_page_this_test_does_not_open(book):
    built = sorted(str(p.relative_to(book)) for p in book.rglob("*.html") if "_static" not in p.parts)
    assert built == sorted(FIXED_PAGES + _lesson_pages())


def test_the_index_links_every_lesson_with_its_objectives_and_time(read_book):
    state, _ = read_book["index.html"]
    links = state["links"]
    text = state["fullText"].replace("\u2019", "'")      # the book sets ' as a typographic apostrophe
    for notebook in lab.lesson_notebooks():
        assert f"notebooks/{notebook.stem}.html" in links, f"the index does not link {notebook.name}"
        title = json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]["source"][0].lstrip("# ").strip()
        assert title in text, f"the index does not show the title of {notebook.name}"
    assert text.count("Time:") == text.count("Afterwards you can") == len(lab.lesson_notebooks())
    assert "make lab" in text and "make test" in text
    for target in ("docs/instructor-guide.html", "docs/instructor-guide.html#solutions-and-progress"):
        assert target in links, f"the index does not link {target}"


@pytest.mark.parametrize("notebook", lab.lesson_notebooks(), ids=lambda p: p.stem)
def test_every_live_widget_shows_its_static_figure_and_points_to_jupyterlab(read_book, notebook):
    state, _ = read_book[f"notebooks/{notebook.stem}.html"]
    assert len(state["notes"]) == _live_widgets(notebook)
    for note in state["notes"]:
        assert "JupyterLab" in note["text"] and "make lab" in note["text"], note
        assert note["anchor"] and note["figureBeforeNote"] and note["figureLoaded"], note


@pytest.mark.parametrize("notebook", lab.lesson_notebooks(), ids=lambda p: p.stem)
def test_the_download_button_gives_the_lesson_as_committed(book, notebook):
    html = (book / "notebooks" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]+\.ipynb)"', html))
    assert hrefs == {f"../_sources/notebooks/{notebook.name}"}
    assert (book / "_sources" / "notebooks" / notebook.name).read_bytes() == notebook.read_bytes()


def test_search_finds_the_lessons_offline(book, reader):
    page = reader.open(book / "search.html")
    page.goto((book / "search.html").as_uri() + "?q=forget+gate")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for()
    hrefs = results.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert any("04_lstm_gates" in href for href in hrefs), hrefs
    assert not reader.left_the_machine and not reader.failed


def test_the_reader_sees_what_a_broken_page_would_show(book, reader, tmp_path):
    # The checks above can fail: a page with raw math, a TeX error, a missing image and a request outside.
    mathjax = (book / "_static" / "mathjax" / "tex-chtml.js").as_uri()
    broken = tmp_path / "broken.html"
    broken.write_text(f"""<!DOCTYPE html><html><head>
        <script>window.MathJax = {{tex: {{packages: {{'[-]': ['noundefined']}}}},
            options: {{processHtmlClass: 'math', ignoreHtmlClass: 'document'}}}};</script>
        <script defer src="{mathjax}"></script></head>
        <body><article><div class="document"><p>left raw: $$x^2$$ and \\(y\\)</p>
        <p><span class="math">\\(\\frac{{1}}{{\\nosuchmacro}}\\)</span> <span class="math">\\(h_t\\)</span></p>
        <img src="missing.png"><img src="https://example.org/figure.png"></div></article></body></html>""",
                      encoding="utf-8")
    page = reader.open(broken)
    problems = "\n".join(_problems(reader, page.evaluate(READ_PAGE)))
    for expected in ("tried to leave the machine: https://example.org/figure.png", "a local file failed to load",
                     "raw math $$ left", "raw math \\( or \\) left", "MathJax error box", "image did not load"):
        assert expected in problems, f"{expected!r} not reported; reported:\n{problems}"
    assert "no MathJax font loaded" not in problems        # h_t was typeset, with MathJax's own fonts
