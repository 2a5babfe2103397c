"""tools/build_book.py without Sphinx: the lesson list it reads, the widgets it replaces, the links it checks."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book)

LESSONS = book.lesson_notebooks()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_gives_the_index_its_title_objectives_and_time(path):
    lesson = book.lesson_summary(path)
    first_line = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"][0]
    assert lesson["title"] == first_line.lstrip("# ").strip()
    assert len(lesson["objectives"]) >= 2 and all(len(o) > 20 for o in lesson["objectives"])
    assert "minutes" in lesson["time"]


@pytest.mark.parametrize("title_cell", [
    # lesson 4's way: a bold line, the list right under it, the labels' colons inside the bold
    "# Lesson 9: Attention\n\n**After this lesson you will be able to**\n- say what a query is;\n"
    "- compute\n  a score.\n\n**You need first:** lesson 4.\n\n**Time:** about 50 minutes, with one exercise.",
    # lesson 3's way ("Objectives." in bold, then a sentence ending in a colon) with lesson 1's colon-less labels
    "# Lesson 9: Attention\n\n**Objectives.** After this lesson you will be able to:\n- say what a query is;\n"
    "- compute\n  a score.\n\n**You need first** lesson 4.\n\n**Time** about 50 minutes, with one exercise.",
])
def test_the_lesson_list_reads_the_ways_the_lessons_write_their_title_cell(tmp_path, title_cell):
    lesson = book.lesson_summary(_write(tmp_path, title_cell))
    assert lesson["title"] == "Lesson 9: Attention"
    assert lesson["objectives"] == ["say what a query is;", "compute a score."]     # continuation lines joined
    assert lesson["needs"] == "lesson 4."
    assert lesson["time"] == "about 50 minutes, with one exercise."


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _write(tmp_path, source):
    path = tmp_path / "07_new.ipynb"
    nbformat.write(_notebook(nbformat.v4.new_markdown_cell(source)), path)
    return path


def test_a_title_cell_without_objectives_or_time_stops_the_book_saying_what_is_missing(tmp_path):
    path = _write(tmp_path, "# Lesson 7: something\n\n**Time:** about 40 minutes.")
    with pytest.raises(book.BookError, match="07_new.ipynb: the title cell needs a list of objectives"):
        book.lesson_summary(path)
    path = _write(tmp_path, "# Lesson 7\n\nYou will be able to\n- do one thing well;\n- do another thing well.")
    with pytest.raises(book.BookError, match=r"needs a '\*\*Time\*\*' paragraph"):
        book.lesson_summary(path)


def _widget(text):
    view = {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}
    return nbformat.v4.new_output("display_data", data={book.WIDGET_VIEW: view, "text/plain": text})


def _figure():
    return nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})


def test_a_live_widget_becomes_a_note_linked_to_the_figure_before_it_and_a_progress_bar_its_text():
    nb = _notebook(
        nbformat.v4.new_markdown_cell("## A section"),
        nbformat.v4.new_code_cell("fig = plot()", outputs=[_figure()]),
        nbformat.v4.new_code_cell("explorer", outputs=[_widget("[A live figure with sliders]")]),
        nbformat.v4.new_code_cell("train()", outputs=[_widget("RNN T=10: 600/600 done")]),
    )
    assert book.static_widgets(nb, "07_new.ipynb") == (1, 1)
    figure_cell, widget_cell, bar_cell = nb.cells[1:]
    assert figure_cell.outputs[0].data["text/html"] == '<span id="static-figure-1"></span>'
    assert "image/png" in figure_cell.outputs[1].data
    note = widget_cell.outputs[0].data["text/html"]
    assert 'href="#static-figure-1"' in note and "JupyterLab" in note and "make lab" in note
    assert bar_cell.outputs == [nbformat.v4.new_output("stream", name="stdout", text="RNN T=10: 600/600 done\n")]
    assert book.WIDGET_VIEW not in json.dumps(nb)


def test_a_live_widget_with_no_figure_in_its_section_stops_the_book():
    nb = _notebook(
        nbformat.v4.new_code_cell("fig = plot()", outputs=[_figure()]),
        nbformat.v4.new_markdown_cell("## A new section"),
        nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nexplorer", outputs=[_widget("[A live figure]")]),
    )
    with pytest.raises(book.BookError, match="07_new.ipynb: the widget of the cell ending 'explorer' has no static"):
        book.static_widgets(nb, "07_new.ipynb")


def test_the_book_leaves_out_nbval_markers_and_nothing_else():
    nb = _notebook(nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nexplorer  # NBVAL_ in a comment stays\nx = 1"))
    book.without_test_markers(nb)
    assert nb.cells[0].source == "explorer  # NBVAL_ in a comment stays\nx = 1"


def test_the_committed_lessons_keep_their_widget_outputs_and_the_copies_lose_them():
    for path in LESSONS:
        before = path.read_bytes()
        nb = nbformat.read(path, as_version=4)
        book.static_widgets(nb, path.name)
        assert book.WIDGET_VIEW not in json.dumps(nb)
        assert path.read_bytes() == before


def test_the_html_check_finds_broken_links_missing_files_and_anything_loaded_from_elsewhere(tmp_path):
    (tmp_path / "a.html").write_text(
        '<p id="here">a</p><a href="b.html#there">ok</a><a href="#here">ok</a><a href="https://example.org">ok</a>'
        '<a href="b.html#nowhere">x</a><a href="c.html">x</a><img src="_images/fig.png"><img src="missing.png">'
        '<script src="https://cdn.example.org/x.js"></script><link rel="stylesheet" href="//cdn.example.org/x.css">'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">b</h1>')
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "fig.png").write_bytes(b"png")
    (tmp_path / "style.css").write_text("@font-face { src: url('https://fonts.example.org/f.woff2'); }")
    problems = book.check_html(tmp_path)
    assert problems == [
        "a.html: <a href='b.html#nowhere'>: no id 'nowhere' in b.html",
        "a.html: <a href='c.html'> points at a missing file",
        "a.html: <img src='missing.png'> points at a missing file",
        "a.html: <script src> loads https://cdn.example.org/x.js from another machine",
        "a.html: <link href> loads //cdn.example.org/x.css from another machine",
        "style.css: url(https://fonts.example.org/f.woff2) loads from another machine",
    ]
