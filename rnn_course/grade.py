"""``rnn-course grade ROOM``: which exercises each learner in a room has done, judged by the grader alone.

ROOM holds one folder per learner, named after the learner, with that learner's notebooks in it (at
any depth, under any file name). Each notebook is matched to its lesson by the exercises it checks.

**The verdict is the grader's.** The grader reads the notebook itself (a size cap before reading, the
JSON nesting and every cell's shape checked) and builds a program from its code cells (IPython magics
become no-ops), in which every ``check("NN.name", EXPR)`` captures EXPR under that name. The program
runs in a worker process (:mod:`rnn_course.grade_worker`) against the learner edition of the package
(:mod:`rnn_course.grade_shim`: the course's own functions are stand-ins that raise, so the program
keeps the learner's definitions and skips the training runs and figures between them; the helpers an
exercise allows are small copies compiled there). The worker sends back each captured answer as plain
data, a function as a handle. In its own process the grader then judges each answer with
:func:`rnn_course.exercises.core.judge`, the checker the lessons use, on a :class:`LearnerFunction`
standing for the learner's function: calling it sends the arguments to the worker and gets the result
back as arrays (``np.save`` format, never pickle), or :class:`~rnn_course.exercises.core.LearnerError`
/ :class:`~rnn_course.exercises.core.BorrowedCall`. Nothing the learner's code writes is read as a result.

**The sandbox** (bubblewrap, ``bwrap``): no network; its own PID, IPC and UTS namespaces, torn down
after the run so nothing outlives it; the system read-only, bound piece by piece (Python and NumPy
only); a small private /tmp and home; none of the room, the other learners, the instructor's files or
the real ``rnn_course`` in its file system; an unprivileged user; limits on memory, CPU time, file size,
open files and processes; a wall-clock limit per notebook and a time budget per learner. Without a
working ``bwrap`` grading refuses, unless ``sandbox=False`` (``--no-sandbox``: only for trusted notebooks).

The outcome is one :class:`Row` per learner and exercise of every lesson the learner handed in, with a
status of ``correct``, ``wrong``, ``not attempted`` or ``error``. The per-notebook work,
:func:`grade_notebook`, and the per-learner work, :func:`grade_learner`, take and return plain data, so
a Dask cluster can run them (``scheduler=``, :func:`rnn_course.cluster.map_on_cluster`).
"""

from __future__ import annotations

import ast
import atexit
import csv
import json
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rnn_course import grade_worker as wire
from rnn_course.exercises import core

STATUSES = ("correct", "wrong", "not attempted", "error")
CSV_COLUMNS = ("learner", "lesson", "exercise", "status", "message")
DEFAULT_TIMEOUT = 300.0
LEARNER_BUDGET_FACTOR = 3          # a learner's notebooks together may run for 3 x --timeout
FILE_LIMIT = 20 * 2**20            # a notebook over 20 MB is not read
CELL_LIMIT = 5000                  # the lessons have under 100 cells
MEMORY_LIMIT = 1 * 2**30           # address space of each process in the sandbox
PROCESS_LIMIT = 4                  # processes of the sandbox's user (the worker and at most 3 more)
FILE_SIZE_LIMIT = 16 * 2**20       # largest file the sandbox may write (in its /tmp, a 16 MB tmpfs)
OPEN_FILES_LIMIT = 64
SANDBOX_UID = 65534                # the user inside the sandbox (nobody)
# As root, each sandbox runs as a user of its own outside too (a uid no account has, from this base):
# the process limit counts per user, so one notebook's fork bomb cannot starve another's run.
_UID_BASE = 2_100_000_000
LESSON_FILE = re.compile(r"^(\d\d)_")
# check("04.lstm_step", ...) in a cell's source; in a file that is not valid JSON the quotes may be escaped.
CHECK_CALL = re.compile(r"""check\(\s*\\?["'](\d\d\.\w+)\\?["']""")
EXERCISE_NAME = re.compile(r"^\d\d\.\w+$")
CAPTURING = ("check", "learner_or_reference")
CELL_TYPES = ("code", "markdown", "raw")
_RANK = {"correct": 3, "wrong": 2, "not attempted": 1, "error": 0}
_INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf "
                 "install bubblewrap`), or pass --no-sandbox, only for notebooks you trust")


class GradeError(Exception):
    """ROOM cannot be graded (missing, not a folder, no learner folders, no sandbox): one line for the instructor."""


class RunStopped(BaseException):
    """The learner's worker stopped answering (time limit, died, broke the protocol). A BaseException,
    so no checker's ``except Exception`` mistakes it for a wrong answer."""


@dataclass
class Row:
    learner: str
    lesson: str        # the lesson's number, "01" .. "07"; "" for a file that could not be matched
    exercise: str      # the exercise's name, "04.lstm_step"; "" for a file that could not be matched
    status: str        # one of STATUSES
    message: str


@dataclass
class Submission:
    """One notebook in a learner's folder, and the lesson its content says it is."""
    learner: str
    path: Path
    lesson: str | None = None
    problem: str | None = None       # why it cannot be run, else None
    cells: list = field(default_factory=list)     # [{"number": n, "source": python}] of its code cells
    checked: list = field(default_factory=list)   # the exercise names its code cells check
    room: Path | None = None

    def label(self, room: Path | None = None) -> str:
        room = room or self.room
        try:
            return self.path.relative_to(room).as_posix()
        except (ValueError, TypeError):
            return self.path.name


@dataclass
class Outcome:
    """What grading one notebook produced: the result of each exercise it checks, and why it stopped
    early (None when it ran to the end)."""
    results: dict = field(default_factory=dict)     # exercise name -> (status, message)
    stopped: str | None = None


@dataclass
class Report:
    rows: list
    lessons: list                                   # every lesson number with exercises, in order
    problems: list = field(default_factory=list)    # (notebook label, reason) for notebooks that stopped
    ignored: list = field(default_factory=list)     # labels of notebooks that check no exercise
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------
# Finding, reading and matching the notebooks
# ---------------------------------------------------------------------------------------

def lesson_exercises(exercises: Iterable[str] | None = None) -> dict[str, list[str]]:
    """``{"01": ["01.dense_backward", ...], ...}`` from the exercise registry."""
    names = core.all_exercises() if exercises is None else exercises
    lessons: dict[str, list[str]] = {}
    for name in sorted(names):
        lessons.setdefault(name.split(".", 1)[0], []).append(name)
    return lessons


def learner_notebooks(room: Path | str) -> dict[str, list[Path]]:
    """``{learner: [notebook, ...]}`` for every learner folder in ROOM (hidden folders, such as
    JupyterLab's ``.ipynb_checkpoints``, are skipped; symbolic links are listed, not followed: a learner
    folder that is a link is listed as itself, for :func:`read_submission` to refuse)."""
    room = Path(room)
    if not room.exists():
        raise GradeError(f"there is no folder {room}; give the folder that holds one folder per learner.")
    if not room.is_dir():
        raise GradeError(f"{room} is a file; give the folder that holds one folder per learner.")
    learners = {}
    for folder in sorted(p for p in room.iterdir() if not p.name.startswith(".") and p.is_dir()):
        if folder.is_symlink():
            learners[folder.name] = [folder]
            continue
        notebooks = []
        for top, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            notebooks += [Path(top, f) for f in files if f.endswith(".ipynb") and not f.startswith(".")]
        learners[folder.name] = sorted(notebooks)
    if not learners:
        raise GradeError(f"{room} holds no learner folders; put each learner's notebooks in a folder "
                         "named after the learner (see `rnn-course grade --help`).")
    return learners


def checked_exercises(notebook: dict) -> list[str]:
    """The exercise names a notebook's code cells pass to ``check(...)``, in order."""
    names = []
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            names += _checks_in(_source_text(cell.get("source", "")))
    return names


def _source_text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _checks_in(source: str) -> list[str]:
    """Exercise names in ``check("NN.name", ...)`` / ``learner_or_reference("NN.name", ...)`` calls, found
    with ``ast``; a cell that does not parse (or is over 1 MB) falls back on a pattern."""
    if len(source) > 2**20:
        return CHECK_CALL.findall(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return CHECK_CALL.findall(source)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in CAPTURING and isinstance(node.args[0].value, str) and EXERCISE_NAME.match(node.args[0].value):
                names.append(node.args[0].value)
    return names


def _lesson_of(names: Iterable[str], lessons: dict[str, list[str]]) -> str | None:
    """The lesson most of the known exercise names belong to (the lower number on a tie)."""
    votes = Counter(name.split(".", 1)[0] for name in names if name.split(".", 1)[0] in lessons
                    and name in lessons[name.split(".", 1)[0]])
    if not votes:
        return None
    return min(votes, key=lambda lesson: (-votes[lesson], lesson))


_PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")   # cell magics whose body is Python
_MAGIC_LINE = re.compile(r"^(\s*)(%|!|\?)|^(\s*)[\w.]+\?\??\s*$")


def python_source(source: str) -> str:
    """A code cell as plain Python, line for line (so line numbers stay the notebook's): IPython's
    ``%`` and ``!`` lines and ``name?`` help lines become ``pass``; a ``%%time``-like cell magic line is
    dropped and its Python body kept; any other cell magic (``%%bash``, ``%%html``) empties the cell."""
    if not re.search(r"^\s*[%!?]|\?\s*$", source, re.MULTILINE):
        return source
    lines = source.splitlines(True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].lstrip()[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return "\n" * len(lines)
        lines[first] = "\n"
    out = []
    for line in lines:
        found = _MAGIC_LINE.match(line)
        if found:
            indent = found.group(1) if found.group(1) is not None else found.group(3) or ""
            line = f"{indent}pass\n"
        out.append(line)
    return "".join(out)


def read_submission(learner: str, path: Path, lessons: dict[str, list[str]], room: Path | None = None) -> Submission:
    """Read one notebook safely and match it to a lesson by the exercises it checks. Only a file whose
    content says nothing (it is not valid JSON and names no exercise) falls back on its name."""
    path = Path(path)
    room = Path(room) if room is not None else None
    submission = Submission(learner, path, room=room)
    text = None
    try:
        text = _read_text(learner, path, room)
        notebook = _parse_notebook(text)
    except ValueError as err:
        submission.problem = str(err)
    else:
        submission.cells = [{"number": n, "source": python_source(_source_text(cell["source"]))}
                            for n, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), 1)]
        submission.checked = [name for cell in submission.cells for name in _checks_in(cell["source"])]
        submission.lesson = _lesson_of(submission.checked, lessons)
    if submission.problem:
        submission.lesson = _lesson_of(CHECK_CALL.findall(text or ""), lessons)
    if submission.lesson is None:    # the content names no lesson: a lesson's file name still counts
        named = LESSON_FILE.match(path.name)
        if named and named.group(1) in lessons:
            submission.lesson = named.group(1)
    return submission


def _read_text(learner: str, path: Path, room: Path | None) -> str:
    folder = (room / learner) if room is not None else path.parent
    if path == folder and path.is_symlink():
        raise ValueError("the learner's folder is a symbolic link, not a folder of its own; copy the "
                         "notebooks into it instead")
    if path.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(Path(os.path.realpath(folder))):
            raise ValueError("the file is a symbolic link to a file outside the learner's folder; it is not graded")
        path = target
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise ValueError(f"could not read the file: {err.strerror or err}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        import stat
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > FILE_LIMIT:
            raise ValueError(f"the file is {info.st_size / 2**20:.0f} MB, over the {FILE_LIMIT // 2**20} MB "
                             "limit for a notebook; clear its outputs and hand it in again")
        data = f.read(FILE_LIMIT + 1)
    if len(data) > FILE_LIMIT:
        raise ValueError(f"the file is over the {FILE_LIMIT // 2**20} MB limit for a notebook")
    if not data.strip():
        raise ValueError("the file is empty")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"the file is not UTF-8 text (byte {err.start}), so not a notebook") from None


def _parse_notebook(text: str) -> dict:
    """The notebook as a dict whose cells are all dicts of a known type with a string source."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"the file is not valid JSON ({err.msg}: line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise ValueError("the file is not a notebook (its JSON is nested too deeply to read)") from None
    if not isinstance(data, dict):
        raise ValueError("the file is not a notebook (it has no list of cells)")
    if not isinstance(data.get("cells"), list):
        if "worksheets" in data:
            raise ValueError("the file is not a notebook of format 4 (it is an old format-3 notebook); open and "
                             "save it in JupyterLab")
        raise ValueError("the file is not a notebook (it has no list of cells)")
    if data.get("nbformat") != 4 or isinstance(data.get("nbformat"), bool):
        raise ValueError(f"the file is not a notebook of format 4 (nbformat {clean(repr(data.get('nbformat')))[:20]}); "
                         "open and save it in JupyterLab")
    if len(data["cells"]) > CELL_LIMIT:
        raise ValueError(f"the file is not a notebook this course wrote (it has {len(data['cells'])} cells; "
                         f"the limit is {CELL_LIMIT})")
    for number, cell in enumerate(data["cells"], 1):
        if not isinstance(cell, dict):
            raise ValueError(f"the file is not a notebook (cell {number} is a {type(cell).__name__}, not a cell)")
        if cell.get("cell_type") not in CELL_TYPES:
            raise ValueError(f"the file is not a notebook (cell {number} has no known cell_type)")
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise ValueError(f"the file is not a notebook (the source of cell {number} is not text)")
        cell["source"] = source
    return data


# ---------------------------------------------------------------------------------------
# The learner edition of the package, the worker, the sandbox
# ---------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_STATE: dict = {}


def _scratch() -> Path:
    """This process's folder for shims and run copies (removed at exit)."""
    with _LOCK:
        if "scratch" not in _STATE:
            folder = Path(tempfile.mkdtemp(prefix="rnn-course-grade-"))
            _STATE["scratch"] = folder
            atexit.register(shutil.rmtree, folder, True)
            worker = folder / "worker.py"
            shutil.copyfile(Path(wire.__file__), worker)
            worker.chmod(0o644)
        return _STATE["scratch"]


def _drop_scratch() -> None:
    """Remove this process's scratch folder (the learner editions; every run copy is already gone)."""
    with _LOCK:
        folder = _STATE.pop("scratch", None)
        for key in [k for k in _STATE if isinstance(k, tuple) and k[0] == "shim"]:
            del _STATE[key]
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _package_dir() -> Path:
    return Path(core.__file__).resolve().parent.parent


def _module_spec() -> dict:
    """Every module of the real package: the names it defines, its constants (as literal text), whether
    it is a package; read from the source with ``ast``, nothing imported."""
    with _LOCK:
        if "spec" in _STATE:
            return _STATE["spec"]
    root = _package_dir()
    modules, trees = {}, {}
    for file in sorted(root.rglob("*.py")):
        parts = file.relative_to(root.parent).with_suffix("").parts
        package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if package else parts)
        try:
            text = file.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        names, constants = set(), {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                segment = ast.get_source_segment(text, node.value) or ""
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                        try:
                            ast.literal_eval(node.value)
                        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                            continue
                        if len(segment) < 20_000:
                            constants[target.id] = segment
        modules[name] = {"names": sorted(names), "constants": constants, "package": package}
        trees[name] = (text, tree)
    for name in list(modules):      # a package lists its submodules as names too
        parent = name.rpartition(".")[0]
        if parent in modules:
            modules[parent]["names"] = sorted(set(modules[parent]["names"]) | {name.rpartition(".")[2]})
    spec = {"modules": modules, "trees": trees}
    with _LOCK:
        _STATE["spec"] = spec
    return spec


def _imports_of(module: str, tree: ast.Module) -> dict[str, list]:
    """``{alias: ["module", full name] | ["function", module, name] | ["import", statement]}`` for a
    module's top-level imports (course modules resolved, others kept as statements to try)."""
    spec = _module_spec()
    package = module if spec["modules"].get(module, {}).get("package") else module.rpartition(".")[0]
    out: dict[str, list] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if not a.name.startswith("rnn_course"):
                    out[(a.asname or a.name).split(".")[0]] = ["import", ast.unparse(ast.Import([a]))]
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            source = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
            for a in node.names:
                alias = a.asname or a.name
                if not source.startswith("rnn_course"):
                    out[alias] = ["import", ast.unparse(ast.ImportFrom(node.module, [a], 0))]
                elif f"{source}.{a.name}" in spec["modules"]:
                    out[alias] = ["module", f"{source}.{a.name}"]
                else:
                    out[alias] = ["function", source, a.name]
    return out


def _allowed_sources(allow: Iterable[str]) -> dict:
    """What the learner edition needs to provide the allowed helpers: ``{"modules": {module: {"sources":
    [text, ...], "aliases": {...}}}, "export": [[module, name], ...]}``. Each allowed function's own source
    text, with what it uses of the course (its module's functions, the course functions it calls) as
    copies in private modules of their own: only the allowed names are put in the public modules."""
    trees = _module_spec()["trees"]
    chosen: dict[str, dict[str, ast.AST]] = {}
    export, todo = [], []
    for full in sorted(set(allow)):
        module, _, name = full.rpartition(".")
        if module in trees:
            export.append([module, name])
            todo.append((module, name))
    imports: dict[str, dict] = {}
    while todo:
        module, name = todo.pop()
        if module not in trees or name in chosen.get(module, {}):
            continue
        text, tree = trees[module]
        found = [n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name == name) or (
            isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets))]
        if not found:
            continue
        chosen.setdefault(module, {})[name] = found[0]
        aliases = imports.setdefault(module, _imports_of(module, tree))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} | {
            t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(found[0]):
            if isinstance(node, ast.Name) and node.id in defined:
                todo.append((module, node.id))
            elif isinstance(node, ast.Name) and aliases.get(node.id, [""])[0] == "function":
                todo.append((aliases[node.id][1], aliases[node.id][2]))
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and aliases.get(node.value.id, [""])[0] == "module"):
                todo.append((aliases[node.value.id][1], node.attr))
    modules = {}
    for module, nodes in chosen.items():
        text, _ = trees[module]
        ordered = sorted(nodes.values(), key=lambda n: n.lineno)
        modules[module] = {"sources": [ast.get_source_segment(text, n) or "" for n in ordered],
                           "aliases": imports.get(module, {})}
    return {"modules": modules, "export": export}


def _shim_dir(allow: tuple) -> Path:
    """The learner edition of the package for one allow-list: ``<dir>/rnn_course/__init__.py`` + spec."""
    key = ("shim", allow)
    with _LOCK:
        if key in _STATE:
            return _STATE[key]
    spec = _module_spec()
    folder = Path(tempfile.mkdtemp(prefix="shim-", dir=_scratch()))
    package = folder / "rnn_course"
    package.mkdir()
    from rnn_course import __version__
    (package / "spec.json").write_text(json.dumps({
        "modules": spec["modules"], "allowed": _allowed_sources(allow), "version": __version__}))
    shutil.copyfile(Path(__file__).with_name("grade_shim.py"), package / "__init__.py")
    for path in (folder, package):
        path.chmod(0o755)
    for path in package.iterdir():
        path.chmod(0o644)
    with _LOCK:
        _STATE[key] = folder
    return folder


def _numpy_dirs() -> list[Path]:
    import numpy
    here = Path(numpy.__file__).resolve().parent
    return [p for p in (here, here.parent / "numpy.libs") if p.is_dir()]


def _python() -> Path:
    return Path(os.path.realpath(sys.executable))


def _bwrap_command(run_dir: Path, shim: Path, config: dict, root: bool) -> list[str]:
    """The bubblewrap command for one worker: the system read-only piece by piece, the learner edition,
    the worker and the one run copy; nothing of the room, of home or of the real package."""
    cmd = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session", "--unshare-ipc",
           "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    binds: list[tuple[str, str]] = [("/usr", "/usr")]
    for top in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            binds.append((top, top))
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        if os.path.exists(path):
            binds.append((path, path))
    prefix = os.path.realpath(sys.base_prefix)
    if not prefix.startswith("/usr/"):
        binds.append((prefix, prefix))
    python = str(_python())
    if not any(python.startswith(src + "/") for src, _ in binds):
        binds.append((os.path.dirname(python), os.path.dirname(python)))
    for directory in _numpy_dirs():
        binds.append((str(directory), f"/grade/site/{directory.name}"))
    binds += [(str(shim), "/grade/shim"), (str(_scratch() / "worker.py"), "/grade/worker.py"),
              (str(run_dir), "/grade/run")]
    dests = [dest for _, dest in binds]
    parents = sorted({str(p) for dest in dests for p in Path(dest).parents if str(p) != "/"
                      and not any(str(p) == d or str(p).startswith(d + "/") for d in dests)})
    for parent in parents:        # bubblewrap would make them 0700: the sandbox's user could not pass
        cmd += ["--perms", "0755", "--dir", parent]
    for src, dest in binds:
        cmd += ["--ro-bind", src, dest]
    package = str(_package_dir())
    for src, dest in binds:                       # the real package must not be in the sandbox's files
        if package == src or package.startswith(src.rstrip("/") + "/"):
            cmd += ["--tmpfs", dest + package[len(src):], "--remount-ro", dest + package[len(src):]]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", str(FILE_SIZE_LIMIT), "--tmpfs", "/tmp",
            "--remount-ro", "/", "--chdir", "/tmp", "--clearenv", "--setenv", "HOME", "/tmp",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        cmd += ["--setenv", var, "1"]
    if root:   # no user namespace: the worker drops from root to its own uid, keeping no capability
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    return cmd + [python, "-I", "-S", "/grade/worker.py", json.dumps(config)]


_SLOTS: list[int] = []
_SLOT_LOCK = threading.Lock()


def _take_slot() -> int:
    with _SLOT_LOCK:
        used = set(_SLOTS)
        slot = next(i for i in range(len(used) + 1) if i not in used)
        _SLOTS.append(slot)
        return slot


def _give_slot(slot: int) -> None:
    with _SLOT_LOCK:
        _SLOTS.remove(slot)


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def sandbox_problem() -> str | None:
    """None if the sandbox works here, else the one line that says why not. Whether ``bwrap`` is there
    is looked up every time; the probe run of a worker in it, once per process and ``bwrap``."""
    program = shutil.which("bwrap")
    if program is None:
        return f"the sandbox program bubblewrap (`bwrap`) is not installed: {_INSTALL_HINT}."
    with _LOCK:
        if ("probe", program) in _STATE:
            return _STATE["probe", program]
    try:
        with _Session([{"number": 1, "source": "x = 1\n"}], (), 30.0, True) as session:
            session.ready()
        problem = None
    except (RunStopped, OSError) as err:
        problem = f"the sandbox (bubblewrap) does not work on this machine ({err}): {_INSTALL_HINT}."
    with _LOCK:
        _STATE["probe", program] = problem
    return problem


class LearnerObject:
    """Something the learner's code returned that is not plain data (only its type's name came back)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"


def _opaque(name: str):
    name = re.sub(r"\W", "_", name)[:40] or "object"
    return type(name if name[0].isalpha() else f"_{name}", (LearnerObject,), {})()


class LearnerFunction:
    """The grader's stand-in for a function of the learner's that lives in the worker: calling it sends
    the arguments and returns the learner's result as plain data (arrays, numbers, tuples, dicts)."""

    __rnn_course_placeholder__ = False

    def __init__(self, session: _Session, spec: dict):
        self._session = session
        self._handle = int(spec.get("id", -1)) if type(spec.get("id")) is int else -1
        name = spec.get("name") if type(spec.get("name")) is str else "function"
        self.__name__ = self.__qualname__ = re.sub(r"\W", "_", name)[:60] or "function"
        self.__rnn_course_placeholder__ = spec.get("placeholder") is True

    def __call__(self, *args, **kwargs):
        return self._session.call(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<learner function {self.__name__}>"


class _Session:
    """One worker process (in the sandbox unless ``sandbox`` is False), from start to kill."""

    def __init__(self, cells: list, allow: tuple, timeout: float, sandbox: bool):
        self.cells, self.allow, self.timeout, self.sandbox = cells, tuple(allow), float(timeout), sandbox
        self.proc = None
        self.calls = 0
        self.child_pid = None

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="run-", dir=_scratch()))
        self.dir.chmod(0o755)
        program = self.dir / "program.json"
        program.write_text(json.dumps({"cells": self.cells}), encoding="utf-8")
        program.chmod(0o644)
        shim = _shim_dir(self.allow)
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        info_r, info_w = os.pipe()
        root = os.geteuid() == 0
        self.slot = _take_slot()
        limits = {"RLIMIT_AS": MEMORY_LIMIT, "RLIMIT_CPU": math.ceil(2 * self.timeout) + 5,
                  "RLIMIT_FSIZE": FILE_SIZE_LIMIT, "RLIMIT_NOFILE": OPEN_FILES_LIMIT, "RLIMIT_CORE": 0}
        config = {"in": req_r, "out": res_w, "statement_seconds": self.timeout, "limits": limits}
        self.uid = None
        if self.sandbox:
            config.update(program="/grade/run/program.json", path=["/grade/shim", "/grade/site"])
            if root:
                self.uid = _UID_BASE + (os.getpid() % 100_000) * 64 + self.slot % 64
                config["uid"] = self.uid
                limits["RLIMIT_NPROC"] = PROCESS_LIMIT
            else:
                limits["RLIMIT_NPROC"] = _processes_of(os.getuid()) + 16 * PROCESS_LIMIT
            cmd = _bwrap_command(self.dir, shim, config, root)
            cmd[1:1] = ["--info-fd", str(info_w)]
            passed = (req_r, res_w, info_w)
        else:
            config.update(program=str(program), path=[str(shim), *map(str, {p.parent for p in _numpy_dirs()})])
            cmd = [str(_python()), "-I", "-S", str(_scratch() / "worker.py"), json.dumps(config)]
            passed = (req_r, res_w)
        self.errors = open(self.dir / "stderr.txt", "w+b")
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "HOME": str(self.dir)}
        self.info_r = info_r
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=passed, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self.errors, start_new_session=True, env=env, cwd=self.dir)
        except BaseException:
            self.close()                  # no process: give back the slot, the pipes, the run copy
            raise
        finally:
            for fd in (req_r, res_w, info_w):
                os.close(fd)
        self.started = time.monotonic()
        return self

    def _read(self, fd: int, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise TimeoutError()
                chunk = os.read(fd, min(n - got, 2**20))
                if not chunk:
                    raise EOFError()
                chunks.append(chunk)
                got += len(chunk)
        return b"".join(chunks)

    def _write(self, data: bytes, deadline: float) -> None:
        """Send ``data`` to the worker, never waiting past ``deadline`` (a worker that stops reading)."""
        view = memoryview(data)
        os.set_blocking(self.req_w, False)
        with selectors.DefaultSelector() as sel:
            sel.register(self.req_w, selectors.EVENT_WRITE)
            while view:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise RunStopped("timeout")
                try:
                    view = view[os.write(self.req_w, view):]
                except BlockingIOError:
                    continue
                except OSError:
                    raise RunStopped("died") from None

    def _receive(self, deadline: float):
        import struct
        try:
            (size,) = struct.unpack(">Q", self._read(self.res_r, 8, deadline))
            if size > wire.MESSAGE_LIMIT:
                raise wire.ProtocolError("a message over the size limit")
            return wire.unpack(self._read(self.res_r, size, deadline))
        except TimeoutError:
            raise RunStopped("timeout") from None
        except EOFError:
            raise RunStopped("died") from None
        except wire.ProtocolError as err:
            raise RunStopped(f"protocol: {err}") from None

    def ready(self) -> dict:
        """The worker's first message: ``{"answers": {name: value}, "failures": {...}, "notes": [...],
        "stopped": None | "code cell N"}``, the answers decoded (functions as LearnerFunction)."""
        message, blobs = self._receive(self.started + self.timeout + 3)
        if message.get("op") != "ready" or type(message.get("answers")) is not dict:
            raise RunStopped("protocol: no list of answers")
        answers = {}
        for name, tree in message["answers"].items():
            try:
                answers[name] = self._decode(tree, blobs)
            except (wire.ProtocolError, ValueError, TypeError, OSError, RecursionError, MemoryError):
                continue
        failures = message.get("failures") if type(message.get("failures")) is dict else {}
        notes = message.get("notes") if type(message.get("notes")) is list else []
        stopped = message.get("stopped")
        self.check_deadline = time.monotonic() + self.timeout
        return {"answers": answers, "failures": {k: str(v)[:300] for k, v in failures.items()},
                "notes": [str(n)[:300] for n in notes[:50]], "stopped": stopped if type(stopped) is int else None}

    def _decode(self, tree, blobs):
        return wire.decode(tree, blobs, function=lambda spec: LearnerFunction(self, spec), opaque=_opaque)

    def call(self, handle: int, args: tuple, kwargs: dict):
        import numpy as np
        blobs = []
        try:
            message = {"op": "call", "id": self.calls, "fn": handle, "args": wire.encode(list(args), blobs),
                       "kwargs": wire.encode(dict(kwargs), blobs)}
            data = wire.pack(message, blobs)
        except wire.ProtocolError as err:
            raise TypeError(f"the grader cannot send these arguments ({err})") from None
        self._write(data, self.check_deadline)
        reply, blobs = self._receive(self.check_deadline)
        if reply.get("id") != self.calls:
            raise RunStopped("protocol: an answer to another call")
        self.calls += 1
        op = reply.get("op")
        if op == "result":
            try:
                value = self._decode(reply.get("value"), blobs)
                after = self._decode(reply.get("args"), blobs)
            except (wire.ProtocolError, ValueError, TypeError, OSError, RecursionError, MemoryError) as err:
                raise core.LearnerError("ValueError", f"the result could not be read back ({err})") from None
            if isinstance(after, list) and len(after) == len(args):
                for before, now in zip(args, after):
                    _write_back(before, now, np)
            return value
        if op == "notimplemented":
            raise NotImplementedError()
        if op == "borrowed" and type(reply.get("name")) is str:
            raise core.BorrowedCall(clean(reply["name"])[:120])
        if op == "raised":
            return_text = [clean(str(reply.get(k, "")))[:300] for k in ("type", "text", "where")]
            raise core.LearnerError(re.sub(r"\W", "", return_text[0])[:60] or "Exception", *return_text[1:])
        raise RunStopped("protocol: an unknown answer")

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        for fd in (self.req_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc is not None:
            child = self._child_pid()
            if child:
                try:
                    os.kill(child, signal.SIGKILL)        # the sandbox's init: its whole PID namespace goes
                except OSError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if self.uid is not None:                     # nothing of that user may be left
                end = time.monotonic() + 5
                while _processes_of(self.uid) and time.monotonic() < end:
                    time.sleep(0.02)
        try:
            os.close(self.info_r)
        except OSError:
            pass
        self.errors.close()
        _give_slot(self.slot)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _child_pid(self):
        if self.child_pid is None:
            try:
                os.set_blocking(self.info_r, False)
                data = os.read(self.info_r, 4096)
                self.child_pid = int(json.loads(data.decode()).get("child-pid", 0)) or 0
            except (OSError, ValueError, AttributeError, UnicodeDecodeError):
                self.child_pid = 0
        return self.child_pid

    def error_text(self) -> str:
        try:
            self.errors.seek(0)
            return clean(self.errors.read(400).decode("utf-8", "replace")).strip()
        except (OSError, ValueError):
            return ""


def _write_back(before, now, np, depth: int = 0) -> None:
    """Make the grader's argument look as the learner's function left its copy (so a function that
    changes its input in place is told so, as in the notebook)."""
    if depth > 8:
        return
    if isinstance(before, np.ndarray) and isinstance(now, np.ndarray):
        if before.shape == now.shape and before.flags.writeable:
            np.copyto(before, now, casting="unsafe")
    elif isinstance(before, dict) and isinstance(now, dict):
        for key in [k for k in before if k not in now]:
            del before[key]
        for key, value in now.items():
            if key in before and isinstance(before[key], np.ndarray | dict | list):
                _write_back(before[key], value, np, depth + 1)
            else:
                before[key] = value
    elif isinstance(before, list) and isinstance(now, list):
        if len(before) != len(now):
            before[:] = now
        else:
            for i, value in enumerate(now):
                if isinstance(before[i], np.ndarray | dict | list):
                    _write_back(before[i], value, np, depth + 1)
                else:
                    before[i] = value
    elif isinstance(before, tuple) and isinstance(now, tuple) and len(before) == len(now):
        for old, value in zip(before, now):
            _write_back(old, value, np, depth + 1)


# ---------------------------------------------------------------------------------------
# Grading one notebook, one learner
# ---------------------------------------------------------------------------------------

def _seconds(value: float) -> str:
    return f"{value:g} s"


def _groups(names: Iterable[str]) -> list[tuple[tuple, list[str]]]:
    """The exercises by the helpers they allow: one worker per group, so an exercise that forbids a
    helper never has it in its process."""
    groups: dict[tuple, list[str]] = {}
    for name in names:
        allow = tuple(sorted(getattr(core.get(name), "allow", ()) or ()))
        groups.setdefault(allow, []).append(name)
    return sorted(groups.items())


def grade_notebook(job: dict) -> dict:
    """Grade one notebook: ``job`` = ``{"cells": [{"number", "source"}], "checked": [names],
    "timeout": seconds, "sandbox": bool}`` (plain data, so a cluster can ship it). Returns
    ``{"results": {name: [status, message]}, "stopped": reason or None, "seconds": s}``."""
    started = time.monotonic()
    timeout, results, stopped = float(job["timeout"]), {}, None
    names = [n for n in dict.fromkeys(job["checked"]) if n in core.all_exercises()]
    if job.get("sandbox", True) and sandbox_problem():     # on a cluster's worker, say, without bubblewrap
        return {"results": {}, "stopped": f"not run on this machine: {sandbox_problem()}", "seconds": 0.0}
    try:
        for allow, group in _groups(names):
            session = _Session(job["cells"], allow, timeout, bool(job.get("sandbox", True)))
            with session:
                try:
                    ready = session.ready()
                except RunStopped as err:
                    reason = _stop_reason(err, session, timeout)
                    stopped = stopped or reason
                    continue
                if ready["stopped"]:
                    stopped = stopped or (f"the notebook ran past its time limit of {_seconds(timeout)} "
                                          f"(in code cell {ready['stopped']})")
                for name in group:
                    results[name] = _judge(name, ready, session, timeout, stopped)
                    if results[name] is None:
                        del results[name]
    except Exception as err:  # noqa: BLE001 - a fault of the grader's must not cost the room its CSV
        stopped = stopped or f"the grader could not run this notebook ({type(err).__name__}: {err})"
    return {"results": {k: list(v) for k, v in results.items()}, "stopped": stopped,
            "seconds": time.monotonic() - started}


def _stop_reason(err: RunStopped, session: _Session, timeout: float) -> str:
    why = str(err)
    if why == "timeout":
        return f"the notebook ran past its time limit of {_seconds(timeout)}"
    if why == "died":
        detail = session.error_text() if session.calls == 0 and time.monotonic() - session.started < 1 else ""
        return ("the notebook's process ended early (out of memory, or its code stopped it)"
                + (f": {detail}" if detail and "bwrap" in detail else ""))
    return f"the notebook's process broke the grader's protocol ({why.partition(': ')[2] or why})"


def _judge(name: str, ready: dict, session: _Session, timeout: float, stopped: str | None):
    if name in ready["answers"]:
        try:
            result = core.judge(name, ready["answers"][name])
        except RunStopped as err:
            why = str(err)
            if why == "timeout":
                return ("error", f"your function ran past the time limit of {_seconds(timeout)} while being checked")
            return ("error", _stop_reason(err, session, timeout) + " while being checked")
        except Exception as err:  # noqa: BLE001
            return ("error", f"the grader could not check this answer ({type(err).__name__}: {err})")
        return (result.status, result.message)
    if name in ready["failures"]:
        return ("error", ready["failures"][name])
    if stopped:
        return None                                   # "never checked: <why it stopped>", from rows_for
    note = next(iter(ready["notes"]), "")
    return ("error", "the notebook never reached this check" + (f" ({note})" if note else ""))


def grade_learner(job: dict) -> list[dict]:
    """Grade one learner's notebooks one after the other within the learner's time budget: ``job`` =
    ``{"notebooks": [notebook job, ...], "budget": seconds}``; returns one result per notebook."""
    spent, out = 0.0, []
    for notebook in job["notebooks"]:
        left = float(job["budget"]) - spent
        if left <= 0:
            out.append({"results": {}, "stopped": f"not run: this learner's time budget of "
                        f"{_seconds(float(job['budget']))} was used up by their other notebooks", "seconds": 0.0})
            continue
        result = grade_notebook(dict(notebook, timeout=min(float(notebook["timeout"]), left)))
        spent += result["seconds"]
        out.append(result)
    return out


# ---------------------------------------------------------------------------------------
# A room
# ---------------------------------------------------------------------------------------

def rows_for(learner: str, lesson: str, exercises: list[str], runs: list[tuple[str, Outcome]]) -> list[Row]:
    """One row per exercise of ``lesson`` for a learner who handed in the notebooks ``runs``
    (label, outcome); with several notebooks of one lesson (a backup beside the real one), each
    exercise takes its best result, and its message names the notebook."""
    rows = []
    for name in exercises:
        candidates = []
        for label, outcome in runs:
            if name in outcome.results:
                status, message = outcome.results[name]
            elif outcome.stopped:
                status, message = "error", f"never checked: {outcome.stopped}"
            else:
                status, message = "not attempted", "the notebook has no check cell for this exercise"
            if len(runs) > 1:
                message = f"{message} [{label}]"
            candidates.append((status, message))
        status, message = max(candidates, key=lambda c: _RANK[c[0]])
        rows.append(Row(learner, lesson, name, status, message))
    return rows


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def grade_room(room: Path | str, timeout: float = DEFAULT_TIMEOUT, jobs: int | None = None,
               progress: Callable[[int], object] | None = None, scheduler: str | None = None,
               sandbox: bool = True) -> Report:
    """Grade every learner's notebooks in ``room``; ``progress(total)`` makes a progress bar
    (anything with ``update(n)`` and ``close()``); ``jobs`` notebooks at a time (default: the number
    of cores); ``scheduler``: the address of a Dask scheduler to run the notebooks on instead;
    ``sandbox=False`` runs them without bubblewrap (only for notebooks you trust)."""
    if not timeout > 0:
        raise GradeError(f"--timeout must be a positive number of seconds, got {timeout}.")
    jobs = _cores() if jobs is None else jobs
    if jobs < 1:
        raise GradeError(f"--jobs must be 1 or more, got {jobs}.")
    started = time.monotonic()
    room = Path(room)
    lessons = lesson_exercises()
    found = learner_notebooks(room)
    if sandbox and scheduler is None:
        problem = sandbox_problem()
        if problem:
            raise GradeError(problem)
    submissions = [read_submission(learner, path, lessons, room) for learner, paths in found.items() for path in paths]
    report = Report(rows=[], lessons=list(lessons))
    # A notebook that checks nothing of its lesson needs no run: all its exercises are not attempted.
    to_run = [s for s in submissions if s.problem is None and s.lesson is not None
              and any(n in lessons[s.lesson] for n in s.checked)]
    by_learner: dict[str, list[Submission]] = {}
    for s in to_run:
        by_learner.setdefault(s.learner, []).append(s)
    learner_jobs = [{"learner": learner, "budget": LEARNER_BUDGET_FACTOR * timeout,
                     "notebooks": [{"label": s.label(room), "cells": s.cells, "timeout": timeout, "sandbox": sandbox,
                                    "checked": [n for n in s.checked if n in lessons[s.lesson]]} for s in subs]}
                    for learner, subs in by_learner.items()]
    bar = progress(len(to_run)) if progress else None
    outcomes: dict[int, Outcome] = {}
    try:
        results = _run_learners(learner_jobs, jobs, scheduler, bar)
    finally:
        if bar is not None:
            bar.close()
        _drop_scratch()
    for learner, result in zip(by_learner, results):
        for s, r in zip(by_learner[learner], result):
            outcomes[id(s)] = Outcome({k: tuple(v) for k, v in r["results"].items()}, r["stopped"])

    by_lesson: dict[tuple[str, str], list[tuple[str, Outcome]]] = {}
    for submission in submissions:
        label = submission.label(room)
        if submission.problem is None and submission.lesson is None:
            report.ignored.append(label)
            continue
        outcome = Outcome(stopped=submission.problem) if submission.problem else outcomes.get(id(submission), Outcome())
        if outcome.stopped:
            report.problems.append((label, outcome.stopped))
        if submission.lesson is None:   # unreadable, and nothing in it names a lesson: one row says so
            report.rows.append(Row(submission.learner, "", "", "error", f"{label}: {outcome.stopped}"))
        else:
            by_lesson.setdefault((submission.learner, submission.lesson), []).append((label, outcome))
    for (learner, lesson), runs in sorted(by_lesson.items()):
        report.rows += rows_for(learner, lesson, lessons[lesson], runs)
    report.rows.sort(key=lambda r: (r.learner, r.lesson, r.exercise))
    report.seconds = time.monotonic() - started
    return report


def _run_learners(learner_jobs: list[dict], jobs: int, scheduler: str | None, bar) -> list[list[dict]]:
    if scheduler is not None:
        try:
            from rnn_course.cluster import map_on_cluster
        except ImportError:
            raise GradeError("--scheduler needs Dask: pip install rnn-course[cluster]") from None
        results = map_on_cluster(grade_learner, learner_jobs, scheduler)
        if bar is not None:
            bar.update(sum(len(j["notebooks"]) for j in learner_jobs))
        return results

    def one(job: dict) -> list[dict]:
        out = []
        for notebook in job["notebooks"]:
            out += grade_learner(dict(job, notebooks=[notebook], budget=job["budget"] - sum(r["seconds"] for r in out)))
            if bar is not None:
                with _LOCK:
                    bar.update(1)
        return out

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, learner_jobs))


# ---------------------------------------------------------------------------------------
# Output: cleaned text, the CSV, the table
# ---------------------------------------------------------------------------------------

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def clean(text) -> str:
    """Learner-controlled text made safe to show: terminal escape sequences removed, every other control
    or formatting character (bidirectional overrides included) replaced by a space."""
    text = _ESCAPES.sub("", str(text))
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def spreadsheet_safe(text) -> str:
    """:func:`clean`, and a leading quote before = + - @ so a spreadsheet shows the cell as text."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(rows: Iterable[Row], out) -> None:
    """The rows as CSV with the header ``learner,lesson,exercise,status,message``."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) for v in (row.learner, row.lesson, row.exercise, row.status, row.message)])


def save_csv(rows: Iterable[Row], path: Path | str) -> None:
    """Write the CSV to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            write_csv(rows, out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table(report: Report) -> str:
    """Learners by lessons: correct exercises out of the lesson's, ``-`` where nothing was handed
    in, ``!`` where an exercise of that lesson got ``error``."""
    cells: dict[tuple[str, str], list[Row]] = {}
    learners = []
    for row in report.rows:
        if row.learner not in learners:
            learners.append(row.learner)
        if row.lesson:
            cells.setdefault((row.learner, row.lesson), []).append(row)
    shown = {learner: clean(learner)[:40] for learner in learners}
    width = max([len("learner"), *map(len, shown.values())])
    lines = ["  ".join([f"{'learner':<{width}}", *(f"{lesson:>5} " for lesson in report.lessons)]).rstrip()]
    for learner in learners:
        entries = []
        for lesson in report.lessons:
            rows = cells.get((learner, lesson))
            if not rows:
                entries.append(f"{'-':>5} ")
                continue
            correct = sum(r.status == "correct" for r in rows)
            flag = "!" if any(r.status == "error" for r in rows) else " "
            entries.append(f"{f'{correct}/{len(rows)}':>5}{flag}")
        lines.append("  ".join([f"{shown[learner]:<{width}}", *entries]).rstrip())
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The table, what it means, and every notebook that stopped or was left out."""
    graded = len({(r.learner, r.lesson) for r in report.rows if r.lesson})
    out = [f"Correct exercises out of each lesson's, per learner ({graded} lesson notebook(s) graded "
           f"in {report.seconds:.0f} s; - nothing handed in, ! an exercise got `error`: see the CSV):", "",
           table(report)]
    if report.problems:
        out += ["", "Notebooks that stopped (the checks after the stop count as `error`):"]
        out += [f"  {clean(label)}: {clean(reason)}" for label, reason in report.problems]
    if report.ignored:
        out += ["", "Not graded, because they check no exercise: " + ", ".join(map(clean, report.ignored))]
    return "\n".join(out)
