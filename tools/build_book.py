"""Build the course as a static book in ``build/book/``, from the committed notebooks and their stored outputs.

    python tools/build_book.py            # what `make book` runs

Three steps; a problem in any of them fails the build with a message saying what is wrong:

1. **Prepare** ``build/book-src/``: copies of ``notebooks/[0-9][0-9]_*.ipynb`` and ``docs/*.md`` laid out as in
   the repository (so relative links between them keep working), and ``index.md`` written from
   ``book/index.md`` with the lesson list filled in from each notebook's first cell (title, objectives, what
   you need, time). In the copies, a live widget's output (which needs a kernel) becomes a line saying the
   live version runs in JupyterLab, linked to the static figure the lesson stores just before it, and a
   progress bar becomes the text it ended on; nbval's ``# NBVAL_...`` marker lines are left out. The
   committed notebooks are never changed.
2. **Render** with Sphinx and MyST-NB (``book/conf.py``): notebooks are not executed, and any Sphinx
   warning (a broken cross-reference, a missing image) fails the build. Each lesson page's download button
   then gets the notebook exactly as committed.
3. **Check** the HTML: every local ``href`` and ``src`` in every page points at a file that exists (and, for
   ``#fragment`` links, at an id in that page), and nothing a page loads (script, style sheet, image, font,
   frame) comes from another machine. Links the reader may follow out (``<a href="https://...">``) are fine.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

REPO = Path(__file__).resolve().parent.parent
BOOK_CONF = REPO / "book"
BUILD = REPO / "build"
SOURCE = BUILD / "book-src"
OUT = BUILD / "book"
DOCTREES = BUILD / "book-doctrees"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
LESSON_LIST_MARK = "<!-- the lessons, written by tools/build_book.py -->"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_NOTE_CLASS = "rnn-live-note"
FIGURE_ANCHOR = "static-figure-{n}"


class BookError(Exception):
    """Something in the course's files that the book cannot show as it should."""


# ---------------------------------------------------------------------------------------------- 1. prepare

def lesson_notebooks(notebooks: Path = REPO / "notebooks") -> list[Path]:
    """The lessons in reading order: by number, an appendix (a title cell starting "# Appendix") last."""
    return sorted(notebooks.glob(LESSON_GLOB), key=lambda path: (_is_appendix(path), path.name))


def _is_appendix(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return bool(cells) and "".join(cells[0].get("source", "")).lstrip().startswith("# Appendix")


def _paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def _bullets(paragraph: str) -> list[str]:
    """The items of a Markdown list ``- ...`` (continuation lines joined), or [] if none."""
    items: list[str] = []
    for line in paragraph.splitlines():
        if re.match(r"^[-*] ", line):
            items.append(line[2:].strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
    return items


def _after_label(paragraph: str, label: str) -> str:
    """``**Time:** about 75 minutes`` -> ``about 75 minutes`` (the label's colon inside or outside the bold)."""
    text = re.sub(rf"^\*\*{label}[^*]*\*\*[:.]?\s*", "", paragraph, flags=re.I)
    return " ".join(text.split())


def lesson_summary(path: Path) -> dict:
    """Title, objectives, prerequisites and time of a lesson, read from its first (title) cell.

    CONTRIBUTING.md asks every lesson to start with a title cell saying what the learner can do afterwards
    (a list after a line ending "able to"), what they need first (**You need ...**) and how long it takes
    (**Time ...**); this reads exactly that, and says what is missing when it cannot.
    """
    nb = nbformat.read(path, as_version=4)
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not nb.cells[0].source.lstrip().startswith("# "):
        raise BookError(f"{path.name}: the first cell must be a Markdown cell starting with '# <title>'")
    first = nb.cells[0].source
    title = first.lstrip().splitlines()[0][2:].strip()
    paragraphs = _paragraphs(first)
    objectives: list[str] = []
    needs = time_text = ""
    for i, paragraph in enumerate(paragraphs):
        lines = paragraph.splitlines()
        if not objectives and re.search(r"able to\W*$", lines[0], re.I):
            rest = "\n".join(lines[1:]) or (paragraphs[i + 1] if i + 1 < len(paragraphs) else "")
            objectives = _bullets(rest)
        elif paragraph.startswith("**You need"):
            needs = _after_label(paragraph, "You need( first)?")
        elif paragraph.startswith("**Time"):
            time_text = _after_label(paragraph, "Time")
    wanted = {"a list of objectives after a line ending 'able to'": objectives, "a '**Time**' paragraph": time_text}
    missing = [what for what, value in wanted.items() if not value]
    if missing:
        raise BookError(f"{path.name}: the title cell needs {' and '.join(missing)}, for the book's lesson list")
    return {"path": path, "title": title, "objectives": objectives, "needs": needs, "time": time_text}


def lesson_list_markdown(lessons: list[dict]) -> str:
    """The index page's lesson list (one section per lesson) and the hidden table of contents."""
    parts = []
    for lesson in lessons:
        link = f"notebooks/{lesson['path'].name}"
        parts.append(f"### [{lesson['title']}]({link})\n")
        needs = f"  \n**You need:** {lesson['needs']}" if lesson["needs"] else ""
        parts.append(f"**Time:** {lesson['time']}{needs}")
        parts.append("\n**Afterwards you can**\n")
        parts.extend(f"- {objective}" for objective in lesson["objectives"])
        parts.append("")
    toctree = ["```{toctree}", ":hidden:", ":caption: Lessons", ":maxdepth: 2", ""]
    toctree += [f"notebooks/{lesson['path'].stem}" for lesson in lessons]
    toctree += ["```", "", "```{toctree}", ":hidden:", ":caption: For instructors", "",
                "docs/instructor-guide", "docs/solutions", "```", ""]
    return "\n".join(parts + toctree)


def _text(output) -> str:
    value = output.get("data", {}).get("text/plain", "")
    return "".join(value) if isinstance(value, list) else value


def _is_progress_bar(output) -> bool:
    # rnn_course.train's bar leaves "<what>: <n>/<n> done" as its text form; a live figure says it is one.
    return bool(re.search(r"\d+/\d+ done$", _text(output).strip()))


def static_widgets(nb, name: str) -> tuple[int, int]:
    """Replace, in place, every widget output of ``nb`` by what a page without a kernel can show.

    A live widget becomes a short note linked to the static figure stored before it (CONTRIBUTING.md: every
    widget has one just before it); an empty anchor, just before that figure, is the link's target. A
    progress bar becomes a plain-text output of the line it ended on. Returns (live widgets, progress bars).
    """
    live = bars = 0
    last_figure = None          # the latest image output in the current section
    anchors: dict[int, str] = {}  # id(figure output) -> the anchor to put before it
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.search(r"^#{1,6} ", cell.source, re.M):
            last_figure = None
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                outputs.append(output)
                if "image/png" in data or "image/svg+xml" in data:
                    last_figure = output
            elif _is_progress_bar(output):
                bars += 1
                outputs.append(nbformat.v4.new_output("stream", name="stdout", text=_text(output).strip() + "\n"))
            elif last_figure is None:
                last_line = cell.source.strip().splitlines()[-1]
                raise BookError(f"{name}: the widget of the cell ending {last_line!r} has no static figure before it "
                                "in its section; CONTRIBUTING.md asks for one, and the book shows it instead")
            else:
                live += 1
                anchor = anchors.setdefault(id(last_figure), FIGURE_ANCHOR.format(n=live))
                note = (f'<p class="{LIVE_NOTE_CLASS}"><strong>Live in JupyterLab.</strong> When the notebook '
                        f'runs, this cell shows the same figure with sliders to move. Here, on a page without Python, '
                        f'the <a href="#{anchor}">static figure above</a> shows it. Run the lesson with '
                        f'<code>make lab</code> to use the sliders.</p>')
                outputs.append(nbformat.v4.new_output("display_data", data={"text/html": note,
                                                                            "text/plain": _text(output)}))
        cell.outputs = outputs
    for cell in nb.cells:
        if cell.cell_type == "code" and any(id(output) in anchors for output in cell.outputs):
            with_anchors = []
            for output in cell.outputs:
                if id(output) in anchors:
                    html_anchor = f'<span id="{anchors[id(output)]}"></span>'
                    with_anchors.append(nbformat.v4.new_output("display_data", data={"text/html": html_anchor}))
                with_anchors.append(output)
            cell.outputs = with_anchors
    nb.metadata.pop("widgets", None)
    return live, bars


def without_test_markers(nb) -> None:
    """Drop nbval's marker lines (``# NBVAL_IGNORE_OUTPUT``): they tell the tests what to compare, not the reader."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = re.sub(r"^# NBVAL_[A-Z_]+[ \t]*\n?", "", cell.source, flags=re.M)


def prepare(source: Path = SOURCE) -> dict:
    """Write the book's sources into ``source``; returns what it did, for the summary line."""
    if source.exists():
        shutil.rmtree(source)
    (source / "notebooks").mkdir(parents=True)
    lessons = [lesson_summary(path) for path in lesson_notebooks()]
    if not lessons:
        raise BookError(f"no lessons found: nothing matches notebooks/{LESSON_GLOB}")
    widgets = bars = 0
    for lesson in lessons:
        nb = nbformat.read(lesson["path"], as_version=4)
        live, progress = static_widgets(nb, lesson["path"].name)
        without_test_markers(nb)
        widgets, bars = widgets + live, bars + progress
        nbformat.write(nb, source / "notebooks" / lesson["path"].name)
    shutil.copytree(REPO / "docs", source / "docs", ignore=shutil.ignore_patterns(".*"))
    template = (BOOK_CONF / "index.md").read_text(encoding="utf-8")
    if LESSON_LIST_MARK not in template:
        raise BookError(f"book/index.md lost the line {LESSON_LIST_MARK!r} that marks where the lessons go")
    (source / "index.md").write_text(template.replace(LESSON_LIST_MARK, lesson_list_markdown(lessons)),
                                     encoding="utf-8")
    return {"lessons": len(lessons), "widgets": widgets, "progress_bars": bars}


# ---------------------------------------------------------------------------------------------- 2. render

def render(source: Path = SOURCE, out: Path = OUT) -> bool:
    """Run Sphinx; False when it warned (the pages are still written, so the HTML check can run too)."""
    from sphinx.cmd.build import build_main

    if out.exists():
        shutil.rmtree(out)
    # -W: every warning is an error; --keep-going: report them all first; -n: also warn on every broken
    # cross-reference; -E: read everything afresh (the sources were just rewritten).
    args = ["-b", "html", "-W", "--keep-going", "-n", "-E", "-q", "-c", str(BOOK_CONF),
            "-d", str(DOCTREES), str(source), str(out)]
    return build_main(args) == 0


# ---------------------------------------------------------------------------------------------- 3. check

# Attributes whose URL the browser fetches by itself while showing the page (as opposed to links to follow).
LOADED = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"), ("video", "src"),
          ("audio", "src"), ("embed", "src"), ("object", "data"), ("input", "src")}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str, str]] = []     # (tag, attribute, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src", "data", "poster"):
            if attrs.get(key) is not None:
                self.urls.append((tag, key, attrs[key]))
        if attrs.get("srcset"):
            for candidate in attrs["srcset"].split(","):
                self.urls.append((tag, "srcset", candidate.split()[0]))


def _loads_it(tag: str, attribute: str) -> bool:
    return (tag, attribute) in LOADED or attribute in ("srcset", "poster") or tag == "link"


def check_html(out: Path = OUT) -> list[str]:
    """Every problem found in the built pages: broken local links and anything loaded from elsewhere."""
    pages: dict[Path, _Page] = {}
    for path in sorted(out.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = page
    problems = []
    for path, page in pages.items():
        where = path.relative_to(out.resolve())
        for tag, attribute, url in page.urls:
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "data", "javascript") or url.startswith("{{"):
                continue
            if parts.scheme or url.startswith("//"):
                if _loads_it(tag, attribute):
                    problems.append(f"{where}: <{tag} {attribute}> loads {url} from another machine")
                continue
            if not parts.path:
                target = path
            else:
                target = (path.parent / unquote(parts.path)).resolve()
                if not (target.is_file() or (target.is_dir() and (target / "index.html").is_file())):
                    problems.append(f"{where}: <{tag} {attribute}={url!r}> points at a missing file")
                    continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and target in pages and fragment not in pages[target].ids:
                problems.append(f"{where}: <{tag} {attribute}={url!r}>: no id {fragment!r} in {target.name}")
    # Style sheets fetch fonts and images too.
    for sheet in sorted(out.rglob("*.css")):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8", errors="replace")):
            if re.match(r"^(https?:)?//", url):
                problems.append(f"{sheet.relative_to(out)}: url({url}) loads from another machine")
    for sheet in sorted(out.rglob("*.css")):
        for url in re.findall(r"@import\s+['\"]((?:https?:)?//[^'\"]+)", sheet.read_text(errors="replace")):
            problems.append(f"{sheet.relative_to(out)}: @import {url} loads from another machine")
    return [html.unescape(p) for p in problems]


def committed_downloads(out: Path = OUT) -> None:
    """The page's download button offers the lesson as committed, not the book's copy with its widgets replaced."""
    for notebook in lesson_notebooks():
        download = out / "_sources" / "notebooks" / notebook.name
        if download.is_file():
            shutil.copy2(notebook, download)


def size_of(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> int:
    start = time.perf_counter()
    try:
        done = prepare()
        rendered = render()
        if rendered:
            committed_downloads()
        problems = check_html() if OUT.is_dir() else []
        if problems:
            print("\n".join(problems), file=sys.stderr)
        if not rendered or problems:
            raise BookError(("Sphinx warned (above; each warning is an error here). " if not rendered else "")
                            + (f"{len(problems)} problem(s) in the built pages (above). " if problems else "")
                            + f"{SOURCE.relative_to(REPO)}/X is the book's copy of the repository's X")
    except BookError as err:
        print(f"make book: {err}", file=sys.stderr)
        return 1
    pages = len(list(OUT.rglob("*.html")))
    print(f"book: {done['lessons']} lessons, {done['widgets']} live widgets shown as static figures, "
          f"{done['progress_bars']} progress bars as text; {pages} pages, {size_of(OUT) / 2**20:.1f} MiB in "
          f"{OUT.relative_to(REPO)}/, built in {time.perf_counter() - start:.0f} s. Open {OUT / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
