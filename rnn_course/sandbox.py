"""The sandbox ``rnn-course grade`` runs each notebook in, and the learner edition of the package in it.

:class:`Session` is one worker process (:mod:`rnn_course.grade_worker`) for one notebook and one
allow-list, from start to kill: inside bubblewrap (``bwrap``) unless told otherwise, against the learner
edition of ``rnn_course`` (:mod:`rnn_course.grade_shim`, written here from the real package's source:
every name, no course code but the allowed helpers' copies). The grader talks to it over two pipes in
plain data; :class:`LearnerFunction` is the grader's stand-in for a function of the learner's.

The sandbox: no network; its own PID, IPC and UTS namespaces, torn down after the run so nothing
outlives it; the system read-only, bound piece by piece (Python and NumPy only); a small private /tmp
and home; none of the room, the other learners, the instructor's files or the real ``rnn_course`` in its
file system; an unprivileged user (as root, a uid of no account, one per parallel run); limits on
memory, CPU time, file size, open files and processes. docs/instructor-guide.md says what it guarantees
and what it does not.
"""

from __future__ import annotations

import ast
import atexit
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
from collections.abc import Iterable
from pathlib import Path

from rnn_course import grade_worker as wire
from rnn_course.exercises import core

MEMORY_LIMIT = 1 * 2**30           # address space of each process in the sandbox
PROCESS_LIMIT = 4                  # processes of the sandbox's user (the worker and at most 3 more)
FILE_SIZE_LIMIT = 16 * 2**20       # largest file the sandbox may write (in its /tmp, a 16 MB tmpfs)
OPEN_FILES_LIMIT = 64
SANDBOX_UID = 65534                # the user inside the sandbox (nobody)
# As root, each sandbox runs as a user of its own outside too (a uid no account has, from this base):
# the process limit counts per user, so one notebook's fork bomb cannot starve another's run.
_UID_BASE = 2_100_000_000
_INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf "
                 "install bubblewrap`), or pass --no-sandbox, only for notebooks you trust")


class RunStopped(BaseException):
    """The learner's worker stopped answering (time limit, died, broke the protocol). A BaseException,
    so no checker's ``except Exception`` mistakes it for a wrong answer."""


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


def drop_scratch() -> None:
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
        with Session([{"number": 1, "source": "x = 1\n"}], (), 30.0, True) as session:
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

    def __init__(self, session: Session, spec: dict):
        self._session = session
        self._handle = int(spec.get("id", -1)) if type(spec.get("id")) is int else -1
        name = spec.get("name") if type(spec.get("name")) is str else "function"
        self.__name__ = self.__qualname__ = re.sub(r"\W", "_", name)[:60] or "function"
        self.__rnn_course_placeholder__ = spec.get("placeholder") is True

    def __call__(self, *args, **kwargs):
        return self._session.call(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<learner function {self.__name__}>"


class Session:
    """One worker process (in the sandbox unless ``sandbox`` is False), from start to kill."""

    def __init__(self, cells: list, allow: tuple, timeout: float, sandbox: bool):
        self.cells, self.allow, self.timeout, self.sandbox = cells, tuple(allow), float(timeout), sandbox
        self.proc = None
        self.calls = 0
        self.child_pid = None

    def __enter__(self):
        self.slot = _take_slot()
        self.req_w = self.res_r = self.info_r = self.errors = None
        self.dir = Path(tempfile.mkdtemp(prefix="run-", dir=_scratch()))
        child_ends = []
        try:
            self._start(child_ends)
        except BaseException:
            self.close()                  # no worker: give back the slot, the pipes, the run copy
            raise
        finally:
            for fd in child_ends:         # the worker's ends: only the worker holds them now
                os.close(fd)
        self.started = time.monotonic()
        return self

    def _start(self, child_ends: list) -> None:
        self.dir.chmod(0o755)
        program = self.dir / "program.json"
        program.write_text(json.dumps({"cells": self.cells}), encoding="utf-8")
        program.chmod(0o644)
        shim = _shim_dir(self.allow)
        req_r, self.req_w = os.pipe()
        child_ends.append(req_r)
        self.res_r, res_w = os.pipe()
        child_ends.append(res_w)
        self.info_r, info_w = os.pipe()
        child_ends.append(info_w)
        root = os.geteuid() == 0
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
        self.proc = subprocess.Popen(cmd, pass_fds=passed, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.errors, start_new_session=True, env=env, cwd=self.dir)

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
            if fd is not None:
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
            if getattr(self, "uid", None) is not None:    # nothing of that user may be left
                end = time.monotonic() + 5
                while _processes_of(self.uid) and time.monotonic() < end:
                    time.sleep(0.02)
        if self.info_r is not None:
            try:
                os.close(self.info_r)
            except OSError:
                pass
        if self.errors is not None:
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



_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def clean(text) -> str:
    """Text from the sandbox, or any other learner-controlled text, made safe to show: terminal escape
    sequences removed, every other control or formatting character (bidirectional overrides included)
    replaced by a space."""
    text = _ESCAPES.sub("", str(text))
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
