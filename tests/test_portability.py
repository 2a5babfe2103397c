"""The lessons print the same text on every machine: each one re-run under other BLAS kernels.

Processors and linear-algebra libraries round the last digit of a matrix product differently
(with or without fused multiply-add, in another summation order), and a long training run
amplifies those differences. A notebook whose stored outputs came from one machine then fails
nbval on the next. NumPy's bundled OpenBLAS picks its kernels by processor, and
``OPENBLAS_CORETYPE`` makes it use another processor's: so this test runs nbval over every
lesson under two kernels other than this machine's own, standing in for other computers.

Skipped (with the reason) where NumPy does not use an OpenBLAS that honours OPENBLAS_CORETYPE,
as on macOS with Apple's Accelerate.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# OpenBLAS core type -> the processor features its kernels use. Sandybridge (AVX, no FMA) rounds
# most differently from today's FMA kernels, so it comes first.
KERNELS = {
    "Sandybridge": {"avx"},
    "SkylakeX": {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"},
    "Haswell": {"avx2", "fma"},
    "Nehalem": {"sse4_2"},
}

PROBE = ("import numpy, threadpoolctl; "
         "print(next((i.get('architecture') for i in threadpoolctl.threadpool_info() "
         "if i.get('internal_api') == 'openblas'), ''))")


def blas_architecture(env: dict | None = None) -> str:
    """The kernel set NumPy's OpenBLAS runs with in a fresh Python ('' when it is not OpenBLAS)."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120)
    return done.stdout.strip()


def cpu_flags() -> set:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def other_kernels(own: str, flags: set, count: int = 2) -> list:
    """Up to ``count`` kernel sets other than ``own`` that this processor can run."""
    return [name for name, needs in KERNELS.items() if name.lower() != own.lower() and needs <= flags][:count]


def test_other_kernels_never_pick_the_machines_own_or_one_it_cannot_run():
    avx2_machine = {"sse4_2", "avx", "avx2", "fma"}
    assert other_kernels("Haswell", avx2_machine) == ["Sandybridge", "Nehalem"]
    assert other_kernels("SkylakeX", avx2_machine | KERNELS["SkylakeX"]) == ["Sandybridge", "Haswell"]
    assert other_kernels("Haswell", set()) == []


@pytest.fixture(scope="module")
def runs():
    """nbval over every lesson under each other kernel, all started at once (one core each)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip(f"the BLAS-kernel check runs on x86-64 only, not {platform.machine()}")
    own = blas_architecture()
    if not own:
        pytest.skip("NumPy does not use OpenBLAS here, so OPENBLAS_CORETYPE cannot switch its kernels")
    kernels = other_kernels(own, cpu_flags())
    if not kernels:
        pytest.skip(f"this processor runs no OpenBLAS kernel set besides its own ({own})")
    started = {}
    for kernel in kernels:
        env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
        active = blas_architecture(env)
        if active.lower() != kernel.lower():
            pytest.skip(f"OPENBLAS_CORETYPE={kernel} was ignored (OpenBLAS runs {active!r}): "
                        "it needs an OpenBLAS built with DYNAMIC_ARCH, as NumPy's wheels are")
        command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
                   str(ROOT / "tests" / "nbval_sanitize.cfg"), "-q", "-p", "no:cacheprovider", "notebooks"]
        started[kernel] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True)
    results = {}
    for kernel, process in started.items():
        output, _ = process.communicate(timeout=900)
        results[kernel] = (process.returncode, output)
    return own, results


@pytest.mark.parametrize("which", [0, 1])
def test_every_lesson_prints_the_same_under_another_blas_kernel(runs, which):
    own, results = runs
    if which >= len(results):
        pytest.skip(f"this processor runs only {len(results)} kernel set(s) besides its own ({own})")
    kernel, (returncode, output) = list(results.items())[which]
    summary = output.strip().splitlines()[-1] if output.strip() else "no output"
    assert returncode == 0, (
        f"with OpenBLAS's {kernel} kernels instead of this machine's {own}, nbval fails ({summary}): a "
        f"stored output depends on floating-point rounding. Print what does not (a rounded figure, a "
        f"verdict against a threshold) and let the plot show the exact value.\n\n{output[-6000:]}")
