"""Sphinx configuration of the course book. Build with `make book` (tools/build_book.py), which first writes the
sources this reads into build/book-src/; see that script's docstring for the whole pipeline.

Everything a page needs is in build/book/ itself: the theme's scripts, style sheets and icon font, MathJax
and its fonts (from the sphinx-mathjax-offline package), the figures. Nothing is fetched from elsewhere,
at build time or when a page is read.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

project = "rnn-course"
author = "the rnn-course authors"
html_title = "rnn-course: neural networks, RNNs and LSTMs from scratch"

extensions = ["myst_nb"]
exclude_patterns = []
root_doc = "index"

# The notebooks are shown with the outputs committed with them (nbval checks those are current): never run.
nb_execution_mode = "off"
# No ipywidgets embed script (MyST-NB would load it from a CDN); tools/build_book.py has already replaced every
# widget output by the lesson's static figure and a note, so no page needs it.
nb_ipywidgets_js = {}
nb_merge_streams = True
nb_output_stderr = "show"

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_dmath_double_inline = True
myst_heading_anchors = 3        # so links such as docs/instructor-guide.md#timing resolve

# --- math: MathJax 3 from local files ------------------------------------------------------------------
# sphinx-mathjax-offline ships MathJax 3.2.2 with its fonts. Rather than copying all 24 MB of it, copy the
# one combined component the pages load and what it loads on demand: TeX extensions (autoload), the CHTML
# fonts, the menu's accessibility parts and the speech rule engine they use.
_MATHJAX = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"
_MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "ui", "sre"]
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    # Without 'noundefined' an unknown macro is an error box (mjx-merror), which the browser test looks for,
    # instead of quietly red text.
    "tex": {"packages": {"[-]": ["noundefined"]}},
}


def _copy_mathjax(app, exception):
    if exception is not None:
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in _MATHJAX_PARTS:
        source = _MATHJAX / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


# --- theme -------------------------------------------------------------------------------------------------
# sphinx-book-theme (on pydata-sphinx-theme): the lessons in a left sidebar, the page's sections on the
# right, search in the header. Both themes bundle their scripts and icon font; none of the launch, repository
# or download buttons that would point elsewhere is turned on.
html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "launch_buttons": {},
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
# The header already has a search field on every page; the left sidebar keeps the title and the lessons.
html_sidebars = {"**": ["navbar-logo.html", "sbt-sidebar-nav.html"]}
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_last_updated_fmt = None
html_show_sphinx = False
html_show_copyright = False     # the footer says "By the rnn-course authors"; README has the licence
html_copy_source = True
# Sphinx's search fetches each result page to quote the text around the match; a browser refuses such
# fetches between file:// pages, so a book opened from disk would log a failed request per result. The
# results list the matching pages and sections without the quote.
html_show_search_summary = False


def setup(app):
    app.connect("build-finished", _copy_mathjax)
