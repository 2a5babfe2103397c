"""Committed notebooks are clean: fresh outputs, numbered in order, nothing machine-specific."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_lessons_exist_in_order():
    names = [p.name for p in NOTEBOOKS]
    assert names, "no notebooks found"
    assert names[0].startswith("01_")
    numbers = [int(n[:2]) for n in names]
    assert numbers == list(range(1, len(names) + 1)), names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_in_order_and_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts are not 1..n: {counts}"
    assert any(c["outputs"] for c in code), "no stored outputs: nbval would compare nothing"
    text = path.read_text()
    assert not re.search(r'/(work|root|home|tmp|Users)/', text), "an absolute path leaked into the notebook"
    assert "Traceback" not in text and '"output_type": "error"' not in text
    assert "widgets" not in nb["metadata"], "stored widget state: execute with tools/execute_notebooks.py"
    for cell in nb["cells"]:
        assert "execution" not in cell.get("metadata", {}), "timing metadata: use tools/execute_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_objectives_and_ends_with_a_summary(path):
    nb = json.loads(path.read_text())
    first = "".join(nb["cells"][0]["source"]).lower()
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert "you will" in first or "objectives" in first or "able to" in first
    assert "minute" in first or "time" in first
    tail = " ".join("".join(c["source"]).lower() for c in nb["cells"][-3:] if c["cell_type"] == "markdown")
    assert "summary" in tail or "what you learned" in tail or "recap" in tail


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_lesson_that_draws_switches_on_inline_figures_in_its_first_code_cell(path):
    """Without `%matplotlib inline` up front, matplotlib 3.7 (the oldest the course supports) shows a
    kernel's first figure one cell late, under the next cell's output."""
    nb = json.loads(path.read_text())
    draws = any("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert not draws or "".join(first["source"]).startswith("%matplotlib inline\n")
