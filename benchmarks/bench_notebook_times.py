"""How long each lesson's Restart & Run All takes: every code cell run in order in a fresh kernel.

    python benchmarks/bench_notebook_times.py                       # every lesson in notebooks/
    python benchmarks/bench_notebook_times.py notebooks/05_*.ipynb  # some of them

The kernel starts first and is not timed (JupyterLab starts it when the notebook opens); the figure is
from the first cell to the end of the last, as a learner waits after Run All, and the longest cell is
named. The notebooks are read, never written. The printout is kept in
benchmarks/results/notebook_times.txt, which lessons and the instructor guide cite. The browser test
(tests/browser) measures the same in JupyterLab itself and prints it in its report.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_cells(path: Path, replace: tuple[str, str] | None = None) -> list[tuple[int, str, float, list[str]]]:
    """Every code cell of the notebook at ``path`` run in order in a fresh kernel (started first, not timed):
    ``(index, source, seconds, text outputs)`` per code cell. ``replace = (old, new)`` edits the sources in
    memory first (the file is never written)."""
    nb = nbformat.read(path, as_version=4)
    if replace is not None:
        for cell in nb.cells:
            cell.source = cell.source.replace(*replace)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    ran = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            began = time.perf_counter()
            client.execute_cell(cell, index)
            texts = [o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs]
            ran.append((index, cell.source, time.perf_counter() - began, texts))
    return ran


def run_all(path: Path) -> tuple[float, float, int]:
    """(seconds from the first cell to the end of the last, the longest cell's seconds, its index)."""
    ran = run_cells(path)
    index, _, longest, _ = max(ran, key=lambda cell: cell[2])
    return sum(cell[2] for cell in ran), longest, index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    print(f"Restart & Run All, kernel start not counted ({os.cpu_count()} cores, {platform.machine()}, "
          f"Python {platform.python_version()})")
    for path in paths:
        total, longest, at = run_all(path)
        print(f"{path.name:<36}{total:6.1f} s   longest cell: {at} ({longest:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
