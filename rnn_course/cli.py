"""The ``rnn-course`` command: a workspace that keeps the learner's edits, and a doctor.

    rnn-course start [DIR]          copy the lessons into DIR (default ./rnn-course-work), open JupyterLab
                                    (JupyterLab options after `--`: rnn-course start -- --port 9000)
    rnn-course reset LESSON         a fresh copy of one lesson; yours is kept beside it, timestamped
    rnn-course progress             which exercises pass, lesson by lesson
    rnn-course check                is this machine ready? PASS/FAIL per item, non-zero exit on a FAIL
    rnn-course solutions [LESSON]   every reference solution (--markdown: the page docs/solutions.md)
    rnn-course grade ROOM           for instructors: which exercises each learner in ROOM has done
                                    (--csv FILE: one row per learner and exercise; --timeout SECONDS)

Nothing here ever overwrites a file in the workspace. Mistakes in the input (an unknown
lesson, a workspace path that is a file, a folder without write permission) print one
clear message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rnn_course import __version__
from rnn_course import workspace as ws
from rnn_course.exercises.core import find_workspace
from rnn_course.grade import DEFAULT_TIMEOUT as DEFAULT_GRADE_TIMEOUT
from rnn_course.grade import GradeError

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 1
DEFAULT_GRADE_JOBS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

Launcher = Callable[[list, Path], int]


# The course's JupyterLab neither fetches the Jupyter news feed nor checks for a newer JupyterLab
# (no requests leave the machine), and so never asks the learner about news: set on its command
# line (the server side) and, as defaults of the notification settings, through a Jupyter config
# folder the course ships (the page side). The learner's own ~/.jupyter is never written to.
COURSE_LAB_OPTIONS = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
COURSE_JUPYTER_CONFIG = Path(__file__).resolve().parent / "data" / "jupyter-config"
ROOT_NOTE = ("Running as root (a container or a VM, for example): JupyterLab refuses to start as root "
             "unless told, so the course passes it --allow-root; to avoid it, run `make lab` as an ordinary user.")


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_environment(environ: dict | None = None) -> dict:
    """The environment ``start`` runs JupyterLab in: the caller's, plus the course's Jupyter config
    folder at the end of JUPYTER_CONFIG_PATH (its settings are defaults; the learner's own win)."""
    env = dict(os.environ if environ is None else environ)
    paths = [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([*paths, str(COURSE_JUPYTER_CONFIG)])
    return env


def launch_jupyterlab(command: list, cwd: Path) -> int:
    """Run JupyterLab in ``cwd`` until the learner stops it, and return its exit status."""
    server = subprocess.Popen(command, cwd=cwd, env=lab_environment())
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:  # Ctrl+C reaches JupyterLab too; it asks to confirm, then stops
            continue


def jupyterlab_command(first_lesson: str | None, *, as_root: bool | None = None) -> list:
    """The command ``start`` runs in the workspace: JupyterLab of this Python, on lesson 1, without
    news or update checks, and with ``--allow-root`` when run as root."""
    as_root = running_as_root() if as_root is None else as_root
    return [sys.executable, "-m", "jupyterlab", *COURSE_LAB_OPTIONS, *(["--allow-root"] if as_root else []),
            *([first_lesson] if first_lesson else [])]


# ---------------------------------------------------------------------------------------
# start, reset, progress, solutions
# ---------------------------------------------------------------------------------------

def cmd_start(args, launch: Launcher) -> int:
    # Without DIR, inside a workspace means that workspace, not a new one nested in it.
    report = ws.start_workspace(args.dir or find_workspace() or ws.DEFAULT_WORKSPACE)
    print(f"Workspace: {report.workspace}")
    if report.added:
        print(f"Copied {len(report.added)} new file(s): {', '.join(report.added)}")
    if not (report.added or report.kept or report.outdated):
        print("Every lesson is already there and up to date.")
    if report.kept:
        print(f"Left alone, because your copy differs from the course's: {', '.join(report.kept)}")
    if report.outdated:
        print(f"Left alone, though you have not changed them: the course has a newer version of "
              f"{', '.join(report.outdated)}")
    left = report.kept + report.outdated
    lessons = [name for name in left if ws.LESSON_PATTERN.match(name)]
    if lessons:
        print("  Your copies are safe. For the course's version of a lesson, keeping yours beside it: "
              + ", ".join(f"`rnn-course reset {ws.lesson_number(name)}`" for name in lessons))
    if len(lessons) < len(left):
        print("  For the course's version of another file, move yours away and run `rnn-course start` again.")
    if args.no_lab:
        command = shlex.join(jupyterlab_command(report.first_lesson))
        config = shlex.quote(lab_environment()["JUPYTER_CONFIG_PATH"])
        print(f"To open it: cd {shlex.quote(str(report.workspace))} && JUPYTER_CONFIG_PATH={config} {command}")
        return 0
    command = jupyterlab_command(report.first_lesson) + args.lab_options
    if "--allow-root" in command:
        print(ROOT_NOTE)
    print(f"Opening JupyterLab in {report.workspace} (stop it with Ctrl+C) ...", flush=True)
    return launch(command, report.workspace)


def cmd_reset(args) -> int:
    result = ws.reset_lesson(ws.open_workspace(args.workspace), args.lesson)
    if result.already_fresh:
        print(f"{result.lesson.name} is already the course's version; nothing to do.")
    elif result.backup is None:
        print(f"Copied a fresh {result.lesson.name} into {result.lesson.parent}.")
    else:
        print(f"Kept your copy as {result.backup.name}.")
        print(f"{result.lesson.name} is now a fresh copy of the lesson.")
        print("If the lesson is open in JupyterLab, close its tab without saving, or use"
              " File > Reload Notebook from Disk, so the old version is not saved over the new one.")
    return 0


def cmd_progress(args) -> int:
    print(ws.progress_report(args.workspace, args.lesson))
    return 0


def cmd_solutions(args) -> int:
    print(ws.solutions_listing(args.lesson, markdown=args.markdown), end="")
    return 0


# ---------------------------------------------------------------------------------------
# check: the workshop doctor
# ---------------------------------------------------------------------------------------

@dataclass
class Finding:
    ok: bool
    what: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.what}" + (f": {self.detail}" if self.detail else "")


WIDGET_EXTENSIONS = {
    "@jupyter-widgets/jupyterlab-manager": ("ipywidgets render in JupyterLab", "jupyterlab_widgets"),
}

HEADLESS_MATPLOTLIB = """
import io, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
buffer = io.BytesIO()
fig.savefig(buffer, format="png")
assert buffer.getvalue().startswith(b"\\x89PNG"), "savefig did not write a PNG"
print(matplotlib.__version__)
"""

RUN_IMPORTS = """
import json, sys, traceback
failures = {}
for lesson, statements in json.load(sys.stdin).items():
    namespace = {}
    for statement in statements:
        try:
            exec(statement, namespace)
        except BaseException as err:
            failures.setdefault(lesson, []).append(
                f"{statement}: {type(err).__name__}: {err}")
print(json.dumps(failures))
"""


def requirements(pyproject: Path | None = None) -> tuple[str | None, list[str]]:
    """The course's Python requirement and dependency list: from the pyproject.toml beside the
    package in a source checkout (what `make install` installs, so a stale environment shows),
    else from the installed package's metadata."""
    pyproject = pyproject or Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        import tomllib
        project = tomllib.loads(pyproject.read_text())["project"]
        if project.get("name") == "rnn-course":
            return project.get("requires-python"), list(project.get("dependencies", []))
    except (ImportError, OSError, KeyError, ValueError):  # Python 3.10 has no tomllib; or no checkout
        pass
    try:
        meta = metadata.metadata("rnn-course")
        return meta.get("Requires-Python"), list(metadata.requires("rnn-course") or [])
    except metadata.PackageNotFoundError:
        return None, []


def check_python(python_version: str | None = None, requires: str | None = None) -> Finding:
    from packaging.specifiers import SpecifierSet
    version = python_version or platform.python_version()
    if requires is None:
        requires = requirements()[0] or ">=3.10"
    ok = SpecifierSet(requires).contains(version)
    return Finding(ok, f"Python {version}", f"the course needs {requires}" + ("" if ok else "; install a newer Python"))


def check_user(as_root: bool | None = None) -> Finding:
    """Whether ``start`` will need ``--allow-root`` (it passes it; this only says so)."""
    if running_as_root() if as_root is None else as_root:
        return Finding(True, "running as root", "`rnn-course start` passes --allow-root to JupyterLab; "
                                                "run as an ordinary user to avoid it")
    return Finding(True, "running as an ordinary user", "JupyterLab starts without --allow-root")


def check_packages(dependencies: Sequence[str] | None = None) -> list[Finding]:
    """One finding per dependency: installed, at a version the course accepts."""
    from packaging.requirements import Requirement
    findings = []
    for line in requirements()[1] if dependencies is None else dependencies:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            findings.append(Finding(False, f"{req.name} is not installed",
                                    f"needs {req.specifier or 'any version'}; run `make install`"))
            continue
        ok = not req.specifier or req.specifier.contains(version, prereleases=True)
        findings.append(Finding(ok, f"{req.name} {version}", f"needs {req.specifier or 'any version'}"
                                + ("" if ok else f"; run `pip install \"{line}\"`")))
    return findings


def check_labextension(name: str, purpose: str, package: str, data_paths: Sequence[Path] | None = None,
                       config_paths: Sequence[Path] | None = None) -> Finding:
    """The JupyterLab extension ``name`` is installed (a prebuilt extension folder in one of the
    Jupyter data folders) and not disabled in any page_config.json."""
    if data_paths is None or config_paths is None:
        from jupyter_core.paths import jupyter_config_path, jupyter_path
        data_paths = [Path(p) for p in jupyter_path()] if data_paths is None else data_paths
        config_paths = [Path(p) for p in jupyter_config_path()] if config_paths is None else config_paths
    found = [Path(p) / "labextensions" / name / "package.json" for p in data_paths]
    found = [p for p in found if p.is_file()]
    if not found:
        return Finding(False, purpose, f"the JupyterLab extension {name} is not installed; "
                                       f"run `pip install --force-reinstall {package}` in this environment")
    try:
        version = json.loads(found[0].read_text()).get("version", "?")
    except (OSError, ValueError):
        version = "?"
    page_configs = [Path(p) / "labconfig" / "page_config.json" for p in config_paths]
    page_configs += [Path(p) / "lab" / "settings" / "page_config.json" for p in data_paths]
    for page_config in page_configs:
        try:
            disabled = json.loads(page_config.read_text()).get("disabledExtensions", {})
        except (OSError, ValueError, AttributeError):
            continue
        if (disabled.get(name) if isinstance(disabled, dict) else name in disabled):
            return Finding(False, purpose, f"the JupyterLab extension {name} is disabled in {page_config}; "
                                           f"run `jupyter labextension enable {name}`")
    return Finding(True, purpose, f"extension {name} {version} installed and enabled")


def check_kernel(argv: Sequence[str] | None = None, where: str = "") -> Finding:
    """JupyterLab's default ``python3`` kernel runs this Python (where the course is installed),
    not one left over from another installation."""
    what = "the notebooks' Python kernel is this environment's"
    if argv is None:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
        try:
            spec = KernelSpecManager().get_kernel_spec("python3")
        except NoSuchKernel:
            return Finding(False, what, "no python3 kernel is installed; "
                                        "run `python -m ipykernel install --sys-prefix`")
        argv, where = spec.argv, spec.resource_dir
    program = argv[0] if argv else ""
    major, minor = sys.version_info[:2]
    if program in ("python", f"python{major}", f"python{major}.{minor}"):  # Jupyter runs its own Python
        return Finding(True, what, sys.executable)
    try:
        same = Path(program).resolve() == Path(sys.executable).resolve()
    except OSError:
        same = False
    if same:
        return Finding(True, what, sys.executable)
    return Finding(False, what, f"the python3 kernel in {where or 'the kernel list'} runs {program}, so the lessons "
                                f"would not find rnn_course; remove that kernel (`jupyter kernelspec remove python3`)"
                                " or install this one over it (`python -m ipykernel install --user`)")


def check_matplotlib_headless(python: str = sys.executable) -> Finding:
    """matplotlib draws a PNG in a fresh Python with no display."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "Agg"
    try:
        done = subprocess.run([python, "-c", HEADLESS_MATPLOTLIB], capture_output=True, text=True,
                              env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return Finding(False, "matplotlib draws without a display", str(err))
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Finding(False, "matplotlib draws without a display", last)
    return Finding(True, "matplotlib draws without a display", f"matplotlib {done.stdout.strip()}, Agg backend")


def lesson_imports(notebook: Path) -> list[str]:
    """The top-level ``import``/``from ... import`` statements of a lesson's code cells."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    statements = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        # IPython magics and shell escapes are not Python; blank them out before parsing.
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            statements += [line for line in lines if line.startswith(("import ", "from ")) and "(" not in line]
            continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return statements


def check_lessons_import(source: Path | str | None = None, python: str = sys.executable) -> list[Finding]:
    """Every lesson's import lines run in a fresh Python: one finding per lesson."""
    try:
        lessons = ws.find_lessons(ws.lessons_dir(source))
    except ws.WorkspaceError as err:
        return [Finding(False, "the lessons are found", str(err))]
    imports, unreadable = {}, []
    for lesson in lessons:
        try:
            imports[lesson.name] = lesson_imports(lesson)
        except (OSError, ValueError, AttributeError) as err:
            unreadable.append(Finding(False, f"lesson {lesson.name} imports", f"not a readable notebook: {err}"))
    if not imports:
        return unreadable
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        done = subprocess.run([python, "-c", RUN_IMPORTS], input=json.dumps(imports), capture_output=True,
                              text=True, env=env, cwd=lessons[0].parent, timeout=600)
        failures = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as err:
        return [Finding(False, "the lessons' imports run", f"could not run them: {err}")]
    return unreadable + [
        Finding(name not in failures, f"lesson {name} imports",
                "; ".join(failures[name]) if name in failures else f"{len(imports[name])} import line(s) run")
        for name in imports]


def check_exercises() -> Finding:
    """The exercise registry loads (every ``rnn_course/exercises/lessonNN.py`` imports)."""
    from rnn_course.exercises import core
    try:
        exercises = core.all_exercises()
    except Exception as err:  # a broken lesson module: report it, do not crash the doctor
        return Finding(False, "the exercise checks load", f"{type(err).__name__}: {err}")
    return Finding(True, "the exercise checks load", f"{len(exercises)} exercises")


def doctor(source: Path | str | None = None, *, data_paths=None, config_paths=None,
           python: str = sys.executable) -> list[Finding]:
    """Everything ``rnn-course check`` looks at, as findings."""
    findings = [check_python(), check_user(), *check_packages()]
    for name, (purpose, package) in WIDGET_EXTENSIONS.items():
        findings.append(check_labextension(name, purpose, package, data_paths, config_paths))
    findings.append(check_kernel())
    findings.append(check_matplotlib_headless(python))
    findings.append(check_exercises())
    findings += check_lessons_import(source, python)
    return findings


def cmd_grade(args) -> int:
    from tqdm import tqdm

    from rnn_course import grade
    grade.learner_notebooks(args.room)          # a wrong ROOM, or an unwritable CSV: say so before any run
    if args.csv:
        target = Path(args.csv)
        if target.is_dir() or not os.access(target.parent if str(target.parent) else ".", os.W_OK):
            raise grade.GradeError(f"cannot write the CSV file {target}: "
                                   + ("it is a folder." if target.is_dir() else "its folder is missing or read-only."))
    try:
        report = grade.grade_room(args.room, args.timeout, args.jobs, progress=lambda total: tqdm(
            total=total, desc="Running notebooks", unit="notebook", file=sys.stderr),
            scheduler=args.scheduler, sandbox=not args.no_sandbox)
    except KeyboardInterrupt:
        print("\nrnn-course grade: stopped; nothing was written.", file=sys.stderr)
        return 130
    if args.csv:
        grade.save_csv(report.rows, args.csv)
    print(grade.summary(report))
    if args.csv:
        print(f"\nOne row per learner and exercise: {args.csv}")
    return 0


def cmd_check(args, findings_of: Callable[[], list[Finding]] = doctor) -> int:
    print(f"rnn-course {__version__} check: is this machine ready for the course?", flush=True)
    print(f"(Python {sys.executable}; lessons in {ws.default_lessons_dir()})\n", flush=True)
    findings = findings_of()
    for finding in findings:
        print(finding)
    failed = [f for f in findings if not f.ok]
    print()
    if failed:
        print(f"{len(failed)} of {len(findings)} checks FAIL; each FAIL line above says how to fix it.")
        return EXIT_CHECK_FAILED
    print(f"All {len(findings)} checks pass.")
    return 0


# ---------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="rnn-course", description="Neural networks, RNNs and LSTMs from scratch: your course workspace.",
        epilog="Your files are never overwritten: `start` only adds what is missing, `reset` keeps your copy.")
    top.add_argument("--version", action="version", version=f"rnn-course {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    start = sub.add_parser("start", help="copy the lessons into a workspace and open JupyterLab there",
                           epilog="Options for JupyterLab go after `--`, e.g. rnn-course start -- --no-browser")
    start.add_argument("dir", nargs="?", help=f"the workspace folder (default: the workspace you are in, "
                                              f"else ./{ws.DEFAULT_WORKSPACE})")
    start.add_argument("--no-lab", action="store_true", help="only copy the lessons; do not open JupyterLab")

    reset = sub.add_parser("reset", help="a fresh copy of one lesson (yours is kept beside it, timestamped)")
    reset.add_argument("lesson", help="a lesson number (4), prefix (04) or file name (04_lstm_gates.ipynb)")
    reset.add_argument("-w", "--workspace", help="the workspace (default: the one you are in, or ./rnn-course-work)")

    progress = sub.add_parser("progress", help="which exercises in the workspace pass their checks")
    progress.add_argument("lesson", nargs="?", help="only this lesson")
    progress.add_argument("-w", "--workspace", help="the workspace (default: the one you are in, or "
                                                    "./rnn-course-work)")

    sub.add_parser("check", help="is this machine ready for a workshop? (versions, widgets, matplotlib, lessons)")

    solutions = sub.add_parser("solutions", help="print every exercise's reference solution")
    solutions.add_argument("lesson", nargs="?", help="only this lesson")
    solutions.add_argument("--markdown", action="store_true", help="as the Markdown page docs/solutions.md")

    grade = sub.add_parser(
        "grade", help="for instructors: which exercises each learner in a room has done",
        description="Which exercises has each learner done? ROOM holds one folder per learner, named after "
                    "the learner (ROOM/ada, ROOM/grace, ...), with that learner's notebooks in it, at any depth "
                    "and under any name: a notebook counts for the lesson whose exercises it checks. The grader "
                    "reads each notebook itself and runs its code cells in a sandbox (bubblewrap: no network, "
                    "the system read-only, none of the room, the other learners or your files visible, limits "
                    "on time and memory), against a learner edition of the course's package, in which the "
                    "course's own functions are not available; then it calls the function each check(...) names "
                    "with inputs of its own and judges the results itself, with the checks the lessons use. "
                    "Nothing the notebook writes or prints counts, and the learners' files are only read. The "
                    "terminal shows learners by lessons with the number of correct exercises.",
        epilog="Statuses in the CSV: `correct`; `wrong` (the message says what the check found); `not attempted` "
               "(the placeholder is still there, or the notebook never runs that check); `error` (the file is "
               "not valid JSON or not a notebook, over 20 MB, a link out of the learner's folder, or the "
               "notebook ran past --timeout, or its check cell raised: the message gives the reason). Every "
               "exercise of a lesson the learner handed in gets a row. The sandbox needs bubblewrap "
               "(`apt-get install bubblewrap`); without it grade refuses, unless --no-sandbox. "
               "docs/instructor-guide.md says how to collect the notebooks and what the sandbox guarantees.")
    grade.add_argument("room", metavar="ROOM", help="the folder with one folder of notebooks per learner")
    grade.add_argument("--csv", metavar="FILE", help="also write one row per learner and exercise to FILE: "
                                                    "learner, lesson, exercise, status, message")
    grade.add_argument("--timeout", metavar="SECONDS", type=float, default=DEFAULT_GRADE_TIMEOUT,
                       help=f"the time limit for running one notebook's code, and again for checking its "
                            f"answers (default {DEFAULT_GRADE_TIMEOUT:g}); a notebook still running then counts "
                            "as `error` from the cell it was in; one learner's notebooks together get "
                            "3 times this")
    grade.add_argument("--jobs", metavar="N", type=int, default=DEFAULT_GRADE_JOBS,
                       help=f"run N notebooks at a time (default: the number of cores, {DEFAULT_GRADE_JOBS} "
                            "on this machine)")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run the notebooks without the sandbox, with your own rights: only for notebooks "
                            "you trust (a notebook could then read, change or delete your files)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the notebooks on an existing Dask cluster (e.g. tcp://10.0.0.5:8786); needs "
                            "pip install rnn-course[cluster] here and on every worker")
    return top


def main(argv: Sequence[str] | None = None, *, launch: Launcher = launch_jupyterlab) -> int:
    """Run the command line; returns the exit status. ``launch`` runs JupyterLab (tests replace it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lab_options = []
    if "--" in argv:   # `rnn-course start [DIR] -- --port 9000`: the rest is for JupyterLab
        cut = argv.index("--")
        argv, lab_options = argv[:cut], argv[cut + 1:]
    top = parser()
    try:
        args = top.parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse has already explained
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
    args.lab_options = lab_options
    if lab_options and args.command != "start":
        top.print_usage(sys.stderr)
        print(f"rnn-course {args.command}: options after `--` are for JupyterLab; only `start` takes them.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.command is None:
        top.print_help()
        return EXIT_BAD_INPUT
    try:
        if args.command == "start":
            return cmd_start(args, launch)
        if args.command == "reset":
            return cmd_reset(args)
        if args.command == "progress":
            return cmd_progress(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "grade":
            return cmd_grade(args)
        return cmd_solutions(args)
    except (ws.WorkspaceError, GradeError) as err:
        print(f"rnn-course {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the output went into `head` or a closed pager: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (as the Python docs advise)
        return EXIT_CHECK_FAILED
    except OSError as err:  # the file system said no: one line, not a traceback
        print(f"rnn-course {args.command}: {err.strerror or err}"
              + (f": {err.filename}" if err.filename else ""), file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
