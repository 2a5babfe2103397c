"""`rnn-course grade` against a room of hostile notebooks: forging, harming, malformed files, signals.

One room, graded once (the module fixture): two honest learners and one learner per attack. Every
attack notebook answers 06.which_gate wrongly ("i") unless it forges, so any `correct` of an attacker
is a forged pass. After the run: no forged pass, no file outside the run copy touched (the room, a
canary tree of "home" files and the CSV's folder hashed before and after), no process left, a CSV with
every learner, and the honest learners graded right.
"""

import csv
import hashlib
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from rnn_course import cli, grade, sandbox

pytestmark = pytest.mark.skipif(bool(grade.sandbox_problem()), reason=f"no sandbox: {grade.sandbox_problem()}")

ROOT = Path(__file__).resolve().parent.parent
SECRET = "CANARY-SECRET-4f1c"
ADA_MARKER = "ADA-PRIVATE-MARKER-77"
WRONG = 'which_gate = "i"\n'
PLACEHOLDER = "def tf1_to_course(kernel, bias, forget_bias=1.0):\n    ...\n"
CHECKS = ('from rnn_course.exercises import check\ncheck("06.which_gate", which_gate)\n'
          'check("06.tf1_to_course", tf1_to_course)\n')


def notebook(*cells: str, nbformat=4) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                       "source": source} for i, source in enumerate(cells)],
            "metadata": {}, "nbformat": nbformat, "nbformat_minor": 5}


def attack(code: str, answer: str = WRONG, tf1: str = PLACEHOLDER) -> dict:
    """A lesson-6 notebook with ``code`` run first, then a wrong which_gate and the placeholder tf1."""
    return notebook("import os, sys, signal, time\nimport numpy as np\n", code, answer, tf1, CHECKS)


def tree_hash(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def leftover_processes() -> list[str]:
    """Processes of the sandboxes' users, bubblewrap, or the worker, still alive."""
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if uid >= sandbox._UID_BASE or "bwrap" in cmdline or "grade/worker.py" in cmdline:
            left.append(f"{entry} uid={uid} {cmdline[:80]}")
    return left


class Listener:
    """A TCP server on loopback that counts the connections it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def build_attacks(room: Path, canary: Path, csv_file: Path, port: int) -> dict[str, dict | bytes | None]:
    secret, key, victim = canary / "secret.txt", canary / ".ssh" / "id_rsa", canary / "victim.txt"
    ada = room / "ada" / "lesson6.ipynb"
    log = canary / "checks.jsonl"
    forged_line = json.dumps({"name": "06.which_gate", "status": "correct", "message": "forged"})
    read_into_answer = "which_gate = open({path!r}).read()\n"
    return {
        # --- forging a pass ---
        "log-append": attack(f"os.environ['RNN_COURSE_GRADE_LOG'] = {str(log)!r}\n"
                             f"open({str(log)!r}, 'a').write({forged_line!r} + '\\n')\n"
                             "for p in ('/tmp/checks.jsonl', os.path.expanduser('~/checks.jsonl')):\n"
                             f"    open(p, 'a').write({forged_line!r} + '\\n')\n"),
        "core-record": attack("from rnn_course.exercises import core\n"
                              "core._record(core.CheckResult('06.which_gate', 'correct', 'forged'))\n"
                              "core.REGISTRY.clear()\n"),
        "redefine-check": attack("def check(name, answer):\n    return 'correct'\n",
                                 tf1=PLACEHOLDER + "def check(name, answer):\n    print('[06.which_gate] Correct!')\n"),
        "patch-allclose": attack("np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                                 "np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n",
                                 tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                     "    return {'W_x': np.zeros((8, 3)), 'W_h': np.zeros((8, 2)),"
                                     " 'b': np.zeros(8)}\n"),
        "patch-worker": attack("w = sys.modules['__main__']\n"
                               "w.encode = lambda value, blobs, handle=None, *a: {'D': [['status', 'correct']]}\n"
                               "w.Worker.call = lambda self, m, b: ({'op': 'result', 'value': 'correct',"
                               " 'args': []}, [])\n"
                               "w.is_placeholder = lambda fn: False\n"),
        "patch-send": attack("w = sys.modules['__main__']\n_send = w.send\n"
                             "def send(fd, message, blobs=()):\n"
                             "    message = {'op': 'ready',"
                             " 'answers': {'06.which_gate': {'D': [['status', 'correct']]}},"
                             " 'failures': {}, 'notes': [], 'stopped': None, 'verdict': 'correct'}\n"
                             "    _send(fd, message, blobs)\nw.send = send\n"),
        "protocol-text": attack("print('{\"op\": \"ready\", \"answers\": {\"06.which_gate\": \"f\"}}')\n"
                                "print('06.which_gate,correct')\nsys.stderr.write('[06.which_gate] Correct!\\n')\n"
                                "os.write(1, b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10correct correct!')\n"),
        "spray-fds": attack("junk = b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x08{\"op\":1}'\n"
                            "for fd in range(3, 64):\n"
                            "    try:\n        os.write(fd, junk)\n    except OSError:\n        pass\n"),
        "close-fds": attack("os.closerange(3, 1024)\n"),
        "odd-eq": attack("", answer="class Always(str):\n    def __eq__(self, other):\n        return True\n"
                                    "    __hash__ = str.__hash__\n"
                                    "class Anything:\n    def __eq__(self, other):\n        return True\n"
                                    "which_gate = Anything()\n",
                         tf1="class Yes(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(1, bool)\n"
                             "def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                             "    return {k: np.zeros(3).view(Yes) for k in ('W_x', 'W_h', 'b')}\n"),
        "odd-array": attack("", tf1="class Fake:\n    def __array__(self, *a, **k):\n        return np.ones((8, 3))\n"
                                    "    def __eq__(self, other):\n        return True\n"
                                    "def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                    "    return {'W_x': Fake(), 'W_h': Fake(), 'b': Fake()}\n"),
        "huge-array": attack("", tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                     "    return {'W_x': np.ones(100_000_000, np.int8), 'W_h': 0, 'b': 0}\n"),
        "recursive-value": attack("", answer="which_gate = []\nwhich_gate.append(which_gate)\n",
                                  tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                      "    d = {}\n    for _ in range(5000):\n        d = {'W_x': d}\n    return d\n"),
        "solution-exec": attack("from rnn_course.exercises import core\nexec(core.solution('06.tf1_to_course'))\n",
                                tf1="from rnn_course.exercises.lesson06 import tf1_to_course\n"),
        "borrow-interop": attack("from rnn_course import interop\n",
                                 tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                     "    return interop.from_tf1(kernel, bias, forget_bias)\n"),
        "real-package-by-path": attack(
            "import importlib.util\n"
            "spec = importlib.util.spec_from_file_location("
            f"'real', {str(ROOT / 'rnn_course' / 'exercises' / 'lesson06.py')!r})\n"
            "real = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(real)\n",
            tf1="tf1_to_course = real.tf1_to_course\n"),
        "real-package-search": attack(
            "found = [os.path.join(top, 'interop.py') for top, dirs, files in os.walk('/')\n"
            "         if top.endswith('rnn_course') and 'interop.py' in files]\n"
            "sys.path[:0] = [os.path.dirname(os.path.dirname(found[0]))]\n"
            "for name in [m for m in sys.modules if m.startswith('rnn_course')]:\n    del sys.modules[name]\n",
            tf1="from rnn_course.exercises.lesson06 import tf1_to_course\n"),
        "fake-rnn-course": attack("import types\nfake = types.ModuleType('rnn_course.exercises')\n"
                                  "fake.check = lambda name, answer: 'correct'\n"
                                  "sys.modules['rnn_course.exercises'] = fake\n"),
        "placeholder-lie": attack("", tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                          "    return {'W_x': kernel, 'W_h': kernel, 'b': bias}\n"
                                          "tf1_to_course.__rnn_course_placeholder__ = False\n"
                                          "tf1_to_course.__name__ = '\\x1b[2J=cmd|calc'\n"),
        # --- harming: reading, writing, persistence, network, processes, resources, signals ---
        "read-secret": attack(read_into_answer.format(path=str(secret))),
        "read-ssh-key": attack(read_into_answer.format(path=str(key))
                               + "which_gate = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"),
        "read-classmate": attack(read_into_answer.format(path=str(ada))),
        "read-into-error": attack("", tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                          f"    raise ValueError(open({str(secret)!r}).read())\n"),
        "list-room": attack(f"which_gate = repr(os.listdir({str(room)!r}))\n"),
        "write-outside": attack(f"open({str(canary / 'planted.txt')!r}, 'w').write('x')\n"
                                f"open({str(victim)!r}, 'w').write('overwritten')\n"
                                f"open({str(room / 'ada' / 'planted.ipynb')!r}, 'w').write('{{}}')\n"),
        "delete-outside": attack(f"os.remove({str(victim)!r})\nimport shutil\n"
                                 f"shutil.rmtree({str(room / 'ada')!r})\nshutil.rmtree('/usr', ignore_errors=True)\n"),
        "ipython-startup": attack("for home in (os.path.expanduser('~'), '/root', os.environ.get('HOME', '')):\n"
                                  "    d = os.path.join(home, '.ipython/profile_default/startup')\n"
                                  "    try:\n        os.makedirs(d, exist_ok=True)\n"
                                  "        open(os.path.join(d, '00-evil.py'), 'w').write('print(1)')\n"
                                  "    except OSError:\n        pass\n"),
        "network": attack("import socket\n"
                          "for host in ('127.0.0.1', 'localhost', 'pypi.org'):\n"
                          "    try:\n"
                          f"        socket.create_connection((host, {port}), timeout=1).sendall(b'x')\n"
                          "    except OSError:\n        pass\n"
                          "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                          f"u.sendto(b'x', ('127.0.0.1', {port}))\n"),
        "fork-child": attack("if os.fork() == 0:\n    time.sleep(120)\n    os._exit(0)\n"),
        "daemon": attack("if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                         "        time.sleep(1.5)\n"
                         f"        open({str(csv_file)!r}, 'w').write('learner,lesson,exercise,status,message\\n"
                         "mallory,06,06.which_gate,correct,forged\\n')\n"
                         "        time.sleep(60)\n    os._exit(0)\n"),
        "subprocess": attack("import subprocess\nsubprocess.Popen(['sleep', '300'], start_new_session=True)\n"
                             "subprocess.Popen(['/bin/sh', '-c', 'sleep 300 &'])\n"),
        "memory-hog": attack("hog = []\ntry:\n    while True:\n        hog.append(bytearray(2**28))\n"
                             "except MemoryError:\n    pass\n"),
        "memory-hog-children": attack("for _ in range(8):\n    if os.fork() == 0:\n"
                                      "        x = bytearray(2**30 - 2**20)\n        time.sleep(60)\n"),
        "fork-bomb": attack("while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"),
        "infinite-loop": attack("while True:\n    pass\n"),
        "ignore-alarm": attack("signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\n"
                               "signal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass\n"),
        "slow-function": attack("", tf1="def tf1_to_course(kernel, bias, forget_bias=1.0):\n"
                                        "    while True:\n        pass\n"),
        "kill-parent": attack("os.kill(os.getppid(), signal.SIGKILL)\n"),
        "stop-parent": attack("os.kill(os.getppid(), signal.SIGSTOP)\n"),
        "killpg": attack("os.killpg(0, signal.SIGKILL)\n"),
        "kill-all": attack("os.kill(-1, signal.SIGKILL)\n"),
        "stop-group": attack("os.killpg(os.getpgrp(), signal.SIGSTOP)\n"),
        "kill-scan": attack("for pid in range(1, 5000):\n    try:\n        os.kill(pid, signal.SIGTERM)\n"
                            "    except OSError:\n        pass\n"),
        "exit-hard": attack("os._exit(0)\n"),
        "exit-soft": attack("sys.exit(3)\nraise KeyboardInterrupt\n"),
        "fill-disk": attack("for where in ('/tmp/big', os.path.expanduser('~/big'), 'big', '/grade/run/big'):\n"
                            "    try:\n        with open(where, 'wb') as f:\n"
                            "            for _ in range(100):\n                f.write(b'x' * 2**20)\n"
                            "    except OSError:\n        pass\n"),
        "many-files": attack("for i in range(20000):\n    try:\n        open(f'/tmp/f{i}', 'w').close()\n"
                             "    except OSError:\n        break\n"),
        "escape-answer": attack("", answer='which_gate = "\\x1b[31m=HYPERLINK(\\"http://x\\")\\r\\n@cmd\\x07"\n'),
        # --- malformed files ---
        "cells-are-numbers": json.dumps({"cells": [1, 2, 3], "metadata": {}, "nbformat": 4}).encode(),
        "deep-json": b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b', "nbformat": 4}',
        "not-utf8": 'check("06.which_gate", x) caf\u00e9'.encode("latin-1"),
        "empty": b"",
        "too-large": None,      # 50 MB, written below
        "nbformat-3": json.dumps({"worksheets": [{"cells": []}], "metadata": {}, "nbformat": 3}).encode(),
        "nbformat-string": json.dumps(dict(attack(""), nbformat="4")).encode(),
        "source-not-text": json.dumps(notebook({"evil": 1})).encode(),
        "cell-without-type": json.dumps({"cells": [{"source": "x"}], "metadata": {}, "nbformat": 4}).encode(),
        "json-list": b"[1, 2, 3]",
        "many-cells": json.dumps(notebook(*["x = 1\n"] * 6000)).encode(),
        "huge-cell": json.dumps(notebook("x = 1\n" * 2_000_000 + CHECKS)).encode(),
        "deep-expression": attack("x = " + "(" * 100_000 + ")" * 100_000 + "\n" + "y = " + "-" * 500_000 + "1\n"),
        "syntax-error": attack("def broken(:\n", answer=WRONG + "check(\"06.which_gate\", which_gate\n"),
    }


LEARNER_NAMES = {"=HYPERLINK(\"x\",\"y\")": "formula-folder", "\x1b[31mred\x1b[0m\x07": "escape-folder",
                 "+sum": "plus-folder"}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    room, canary, out = base / "room", base / "canary", base / "out"
    for folder in (room, canary / ".ssh", out):
        folder.mkdir(parents=True)
    (canary / "secret.txt").write_text(SECRET)
    (canary / ".ssh" / "id_rsa").write_text(f"-----BEGIN KEY----- {SECRET}")
    (canary / "victim.txt").write_text("keep me")
    csv_file = out / "grades.csv"
    listener = Listener()

    def put(learner: str, content) -> None:
        path = room / learner / "lesson6.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())

    put("ada", attack(f"# {ADA_MARKER}\n", answer='which_gate = "f"\n',
                      tf1=core_solution()))
    put("grace", attack(""))
    attacks = build_attacks(room, canary, csv_file, listener.port)
    for name, content in attacks.items():
        if content is not None:
            put(f"x-{name}", content)
    with open(_mk(room / "x-too-large") / "big.ipynb", "wb") as f:
        f.write(b'{"cells": [], "nbformat": 4, "metadata": {"pad": "' + b" " * (50 * 2**20) + b'"}}')
    os.symlink(room / "ada" / "lesson6.ipynb", _mk(room / "x-symlink-classmate") / "lesson6.ipynb")
    os.symlink(room / "ada", room / "x-symlink-folder")
    os.mkfifo(_mk(room / "x-fifo") / "lesson6.ipynb")
    for name in LEARNER_NAMES:
        put(name, attack(""))
    before = {"room": tree_hash(room), "canary": tree_hash(canary)}
    ipython_startup = Path.home() / ".ipython" / "profile_default" / "startup"
    startup_before = sorted(os.listdir(ipython_startup)) if ipython_startup.is_dir() else None
    started = time.monotonic()
    status = cli.main(["grade", str(room), "--csv", str(csv_file), "--jobs", "2", "--timeout", "4"])
    seconds = time.monotonic() - started
    csv_bytes = csv_file.read_bytes()
    time.sleep(2.5)                           # the daemon would have rewritten the CSV by now
    listener.close()
    return {"status": status, "csv": csv_file, "csv_bytes": csv_bytes, "rows": read_csv(csv_file), "room": room,
            "canary": canary, "before": before, "listener": listener, "seconds": seconds, "attacks": attacks,
            "out": out, "startup": (ipython_startup, startup_before)}


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def core_solution() -> str:
    from rnn_course.exercises import core
    return core.solution("06.tf1_to_course") + "\n"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def by_learner(rows) -> dict[str, dict[str, tuple[str, str]]]:
    out: dict = {}
    for r in rows:
        out.setdefault(r["learner"], {})[r["exercise"]] = (r["status"], r["message"])
    return out


def test_the_room_has_forty_attacks_at_least(graded):
    assert len([k for k in graded["attacks"]]) + 6 >= 55
    assert graded["status"] == 0


def test_no_attack_forges_a_pass(graded):
    forged = [(r["learner"], r["exercise"], r["message"]) for r in graded["rows"]
              if r["learner"].startswith("x-") and r["status"] == "correct"]
    assert forged == []


def test_the_honest_learners_are_graded_right(graded):
    rows = by_learner(graded["rows"])
    assert rows["ada"]["06.which_gate"][0] == "correct"
    assert rows["ada"]["06.tf1_to_course"][0] == "correct"
    assert rows["grace"]["06.which_gate"][0] == "wrong"
    assert rows["grace"]["06.tf1_to_course"][0] == "not attempted"
    for name in LEARNER_NAMES:           # odd folder names are still learners, graded like grace
        shown = grade.spreadsheet_safe(name)
        assert rows[shown]["06.which_gate"][0] == "wrong", name


def test_every_learner_has_rows_and_the_csv_outlives_the_daemon(graded):
    learners = {r["learner"] for r in graded["rows"]}
    expected = {f"x-{name}" for name in graded["attacks"]} | {"ada", "grace", "x-symlink-classmate",
                                                               "x-symlink-folder", "x-fifo"}
    assert expected <= learners
    assert graded["csv"].read_bytes() == graded["csv_bytes"]          # nothing rewrote it after grading
    assert b"mallory" not in graded["csv_bytes"]
    assert [p.name for p in graded["out"].iterdir()] == ["grades.csv"]  # no temporary file left beside it


def test_no_file_outside_the_run_copy_is_touched(graded):
    assert tree_hash(graded["room"]) == graded["before"]["room"]
    assert tree_hash(graded["canary"]) == graded["before"]["canary"]
    startup, before = graded["startup"]
    assert (sorted(os.listdir(startup)) if startup.is_dir() else None) == before
    assert not Path("/tmp/checks.jsonl").exists() or "forged" not in Path("/tmp/checks.jsonl").read_text()


def test_no_secret_reaches_the_csv(graded):
    text = graded["csv_bytes"].decode()
    assert SECRET not in text
    assert ADA_MARKER not in text
    assert "lesson6.ipynb" not in " ".join(r["message"] for r in graded["rows"] if r["learner"] == "x-list-room")


def test_no_network_connection_left_the_sandbox(graded):
    assert graded["listener"].connections == 0


def test_no_process_outlives_its_run(graded):
    assert leftover_processes() == []


def test_attacks_that_stop_their_own_run_are_errors_of_that_learner_only(graded):
    rows = by_learner(graded["rows"])
    for name in ("infinite-loop", "ignore-alarm", "killpg", "exit-hard"):
        assert rows[f"x-{name}"]["06.which_gate"][0] == "error", name
    assert "time limit of 4 s" in rows["x-infinite-loop"]["06.which_gate"][1]
    assert rows["x-slow-function"]["06.tf1_to_course"][0] == "error"
    assert "time limit" in rows["x-slow-function"]["06.tf1_to_course"][1]
    for name in ("kill-parent", "stop-parent", "stop-group", "kill-all", "kill-scan", "exit-soft", "fork-bomb",
                 "memory-hog", "memory-hog-children", "fork-child", "daemon", "network", "fill-disk", "many-files"):
        assert rows[f"x-{name}"]["06.which_gate"][0] in ("wrong", "error"), name
    assert rows["x-memory-hog"]["06.which_gate"][0] == "wrong"       # the hog hit its limit; the rest ran


def test_borrowed_course_code_is_named_not_passed(graded):
    rows = by_learner(graded["rows"])
    status, message = rows["x-borrow-interop"]["06.tf1_to_course"]
    assert status == "wrong" and "rnn_course.interop.from_tf1" in message
    status, message = rows["x-solution-exec"]["06.tf1_to_course"]
    assert status == "wrong" and "rnn_course.exercises.lesson06.tf1_to_course" in message
    for name in ("real-package-by-path", "real-package-search"):
        assert rows[f"x-{name}"]["06.tf1_to_course"][0] in ("wrong", "error", "not attempted"), name


def test_malformed_files_are_one_error_each_with_the_reason(graded):
    rows = by_learner(graded["rows"])

    def reason(learner):
        found = rows[learner]
        assert {status for status, _ in found.values()} == {"error"}, (learner, found)
        return " ".join(message for _, message in found.values())
    assert "not a notebook" in reason("x-cells-are-numbers")
    assert "nested too deeply" in reason("x-deep-json")
    assert "not UTF-8" in reason("x-not-utf8")
    assert "empty" in reason("x-empty")
    assert "over the 20 MB limit" in reason("x-too-large")
    assert "format 4" in reason("x-nbformat-3") and "format 4" in reason("x-nbformat-string")
    assert "not text" in reason("x-source-not-text")
    assert "cell_type" in reason("x-cell-without-type")
    assert "not a notebook" in reason("x-json-list")
    assert "the limit is 5000" in reason("x-many-cells")
    assert "outside the learner's folder" in reason("x-symlink-classmate")
    assert "symbolic link" in reason("x-symlink-folder")
    assert "regular file" in reason("x-fifo")
    assert rows["x-syntax-error"]["06.which_gate"][0] == "error"   # its check cell is not Python


def test_learner_text_is_cleaned_in_the_csv_and_the_table(graded):
    text = graded["csv_bytes"].decode().replace("\r\n", "\n")
    assert not any(ch in text for ch in "\x1b\x07\r\x00")
    cells = [value for r in graded["rows"] for value in r.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(" in text and "'+sum" in text
    rows = [grade.Row(*r.values()) for r in graded["rows"]]
    shown = grade.summary(grade.Report(rows=rows, lessons=["06"]))
    assert "\x1b" not in shown and "\x07" not in shown


def test_the_room_is_graded_in_reasonable_time(graded):
    assert graded["seconds"] < 120
