"""A figure that lives in an ``ipywidgets.Image`` and is redrawn in place, fast.

The figure is built once. Artists that change when a slider moves are registered with
:meth:`LiveFigure.animate`; a callback changes their data (``set_ydata``, ``set_array``,
...) and calls :meth:`LiveFigure.refresh`. The static part of the figure (axes, ticks,
labels) is rendered once and kept as a background; a refresh only pastes it back,
draws the moving artists over it (blitting) and encodes the pixels as PNG for the Image
widget: around 10 ms for a six-panel figure, where a full redraw costs 50 ms or more.
Call ``refresh(full=True)`` after changing axis limits or labels.

No pyplot figure is made, nothing is printed, and the inline backend stays in charge of
the lesson's static figures (which still show on GitHub or a printout).
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


class LiveFigure:
    """A matplotlib :class:`Figure` shown as an Image widget, redrawn by blitting.

    ``LiveFigure(figsize=(8, 5), nrows=2, ncols=3)`` makes the subplots (``.axes``);
    without ``nrows``/``ncols`` add axes to ``.figure`` yourself.
    """

    def __init__(self, figsize=(7, 3.5), dpi: int = 80, **subplots_kw):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(**subplots_kw) if subplots_kw else None
        self.widget = widgets.Image(format="png")
        self.renders = 0
        self._animated: list = []
        self._background = None

    def animate(self, *artists):
        """Register artists that change between refreshes; returns the first, for chaining."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        return artists[0] if artists else None

    def png(self, full: bool = False) -> bytes:
        """The figure as it is now, as PNG bytes."""
        if full or self._background is None:
            self.canvas.draw()                       # animated artists are left out here
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self._animated:
            if artist.get_visible():
                artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def refresh(self, full: bool = False) -> None:
        """Render into the widget (``full=True`` after changing limits, ticks or labels)."""
        self.widget.value = self.png(full)
        self.renders += 1

    def _repr_png_(self):
        """Shown as a static picture when displayed directly (e.g. in a printed lesson)."""
        return self.png(full=True)


class HoldRedraws:
    """Mixin for explorers: ``with self._hold(): ...`` sets many sliders, then redraws once.

    The explorer's slider callback skips its redraw while ``self._holding`` is true, and
    the explorer defines ``update()``, which draws the current state.
    """

    _holding = False

    @contextmanager
    def _hold(self):
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        self.update()


OFFLINE_TEXT = "[A live figure with sliders: run the notebook to use it. The static figure above shows the same.]"


class ShowsOffline:
    """Mixin for explorers that keep their ipywidgets layout in ``self.widget``: the explorer
    displays as that widget, and a saved notebook keeps :data:`OFFLINE_TEXT` (or the explorer's own
    ``offline_text``, where no static figure beside it shows the same) as its text form,
    which is what GitHub or a printout shows where no kernel runs (instead of a long
    ``VBox(children=...)`` repr)."""

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = getattr(self, "offline_text", OFFLINE_TEXT)
        return data
