"""The `rnn-course` command: every subcommand run in a temporary folder, edits never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest

from rnn_course import cli
from rnn_course import workspace as ws
from rnn_course.exercises import core

REPO = Path(__file__).resolve().parent.parent
REAL_LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOW = datetime(2026, 11, 23, 19, 5, 12)


def notebook(*code_cells: str) -> str:
    cells = [{"id": "title", "cell_type": "markdown", "metadata": {}, "source": "# A lesson"}]
    cells += [{"id": f"code{n}", "cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": src} for n, src in enumerate(code_cells)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    """A fake course: two lessons, an image they use, and things `start` must not copy."""
    source = tmp_path / "course" / "notebooks"
    (source / "images").mkdir(parents=True)
    (source / "01_neurons.ipynb").write_text(notebook("import numpy as np", "x = np.zeros(3)"))
    (source / "02_recurrence.ipynb").write_text(notebook("%matplotlib inline\nimport math", "y = 1"))
    (source / "images" / "cell.svg").write_text("<svg/>")
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "01_neurons-checkpoint.ipynb").write_text("{}")
    (source / "conftest.py").write_text("# test configuration, not course material\n")
    monkeypatch.setattr(ws, "default_lessons_dir", lambda: source)
    return source


@pytest.fixture
def launches():
    """A stand-in for JupyterLab: records (command, folder) instead of starting a server."""
    calls = []

    def launch(command, cwd):
        calls.append((command, Path(cwd)))
        return 0
    return calls, launch


def no_jupyterlab(command, cwd):
    raise AssertionError(f"a test would have started JupyterLab: {command}")


def run(capsys, *argv, launch=no_jupyterlab):
    status = cli.main(list(argv), launch=launch)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` and its bytes, except the workspace's own bookkeeping of copies."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ws.MANIFEST}


# --------------------------------------------------------------------------------------- start

def test_start_copies_the_lessons_and_opens_jupyterlab_on_lesson_1(lessons, tmp_path, capsys, launches,
                                                                  monkeypatch):
    monkeypatch.setattr(cli, "running_as_root", lambda: False)
    calls, launch = launches
    target = tmp_path / "work"
    status, out, _ = run(capsys, "start", str(target), launch=launch)
    assert status == 0
    assert snapshot(target) == {
        "01_neurons.ipynb": (lessons / "01_neurons.ipynb").read_bytes(),
        "02_recurrence.ipynb": (lessons / "02_recurrence.ipynb").read_bytes(),
        "images/cell.svg": b"<svg/>",
        core.WORKSPACE_MARKER: ws.MARKER_TEXT.encode(),
    }
    assert core.find_workspace(target / "images") == target.resolve()
    assert sorted(json.loads((target / ws.MANIFEST).read_text())) == ["01_neurons.ipynb", "02_recurrence.ipynb",
                                                                       "images/cell.svg"]
    assert calls == [([sys.executable, "-m", "jupyterlab", *cli.COURSE_LAB_OPTIONS, "01_neurons.ipynb"],
                      target.resolve())]
    assert "Copied 3 new file(s)" in out
    assert "--allow-root" not in out


def test_start_as_root_passes_allow_root_and_says_why_in_one_line(lessons, tmp_path, capsys, launches, monkeypatch):
    monkeypatch.setattr(cli, "running_as_root", lambda: True)
    calls, launch = launches
    status, out, _ = run(capsys, "start", str(tmp_path / "work"), "--", "--port", "9000", launch=launch)
    assert status == 0
    assert calls[0][0][-4:] == ["--allow-root", "01_neurons.ipynb", "--port", "9000"]
    assert [line for line in out.splitlines() if "allow-root" in line] == [cli.ROOT_NOTE]
    assert "--allow-root" in cli.ROOT_NOTE and "ordinary user" in cli.ROOT_NOTE
    assert "make" not in cli.ROOT_NOTE        # true for a pip install as for `make lab`
    assert cli.jupyterlab_command(None, as_root=False) == [sys.executable, "-m", "jupyterlab",
                                                           *cli.COURSE_LAB_OPTIONS]


def test_check_says_whether_start_will_pass_allow_root():
    root, user = cli.check_user(as_root=True), cli.check_user(as_root=False)
    assert root.ok and root.what == "running as root" and "--allow-root" in root.detail
    assert user.ok and "without --allow-root" in user.detail
    assert cli.check_user().what == ("running as root" if os.geteuid() == 0 else "running as an ordinary user")


def test_the_course_jupyterlab_neither_fetches_news_nor_checks_for_updates():
    assert "--LabApp.news_url=None" in cli.COURSE_LAB_OPTIONS
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in cli.COURSE_LAB_OPTIONS
    overrides = json.loads((cli.COURSE_JUPYTER_CONFIG / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides == {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                         "checkForUpdates": False}}
    # Only the course's JupyterLab gets that folder, after whatever the learner has set.
    env = cli.lab_environment({"HOME": "/home/ada", "JUPYTER_CONFIG_PATH": "/opt/site"})
    assert env["JUPYTER_CONFIG_PATH"] == os.pathsep.join(["/opt/site", str(cli.COURSE_JUPYTER_CONFIG)])
    assert cli.lab_environment({})["JUPYTER_CONFIG_PATH"] == str(cli.COURSE_JUPYTER_CONFIG)
    assert "JUPYTER_CONFIG_DIR" not in env         # the learner's own ~/.jupyter stays where it is


def test_the_course_jupyterlab_serves_news_off_and_no_update_check(tmp_path):
    """A real JupyterLab started as `start` starts it (no browser): the notification settings
    it serves say never fetch news, never check for updates, so it never asks."""
    import socket
    import time
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = cli.lab_environment(dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter"),
                                   JUPYTER_DATA_DIR=str(tmp_path / "data")))
    command = cli.jupyterlab_command(None) + ["--no-browser", f"--port={port}", "--ServerApp.token=t",
                                              "--ServerApp.ip=127.0.0.1"]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/lab/api"

    def get(path):
        with urllib.request.urlopen(f"{base}/{path}?token=t", timeout=10) as reply:
            return json.loads(reply.read())
    try:
        for _ in range(300):
            try:
                settings = get("settings/@jupyterlab/apputils-extension:notification")
                break
            except OSError:
                assert server.poll() is None, "JupyterLab did not start"
                time.sleep(0.2)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        defaults = {name: spec.get("default") for name, spec in settings["schema"]["properties"].items()}
        assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
        assert get("news") == {"news": []}
        assert get("update")["notification"] is None
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (tmp_path / "jupyter" / "lab" / "user-settings").exists()   # nothing written for the learner


def test_start_passes_options_after_a_double_dash_to_jupyterlab(lessons, tmp_path, capsys, launches):
    calls, launch = launches
    status, _, _ = run(capsys, "start", str(tmp_path / "work"), "--", "--no-browser", "--port", "9000",
                       launch=launch)
    assert status == 0
    assert calls[0][0][-4:] == ["01_neurons.ipynb", "--no-browser", "--port", "9000"]
    status, _, err = run(capsys, "progress", "--", "--port", "9000")
    assert status == 2 and "only `start` takes them" in err


def test_the_launcher_runs_the_command_in_the_workspace_and_returns_its_status(tmp_path):
    probe = "import os, sys; sys.exit(7 if os.getcwd() == sys.argv[1] else 1)"
    assert cli.launch_jupyterlab([sys.executable, "-c", probe, str(tmp_path.resolve())], tmp_path) == 7


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _processes_with(text: str) -> list[int]:
    """The processes whose command line contains ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds JupyterLab's processes through /proc")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_to_start_stops_jupyterlab_its_kernels_and_frees_the_port(tmp_path, signame):
    """The real `rnn-course start`, on a free port in a temporary workspace, with a kernel running;
    a SIGTERM or SIGHUP to it leaves no JupyterLab, no kernel and a free port within seconds."""
    import signal
    import socket
    import time
    env = dict(os.environ, HOME=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               PYTHONPATH=str(REPO))
    log = tmp_path / "start.log"
    kernels = []
    start = None
    try:
        # A free port can be taken by another process between our check and JupyterLab's bind (the
        # suites of CI run side by side, each opening servers): JupyterLab then exits saying so, and the
        # test tries again on another port. Any other early exit fails with what start printed.
        for _attempt in range(3):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            with log.open("wb") as err:
                start = subprocess.Popen([sys.executable, "-m", "rnn_course.cli", "start", str(tmp_path / "work"),
                                          "--", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
                                          "--ServerApp.token=t", "--ServerApp.ip=127.0.0.1"],
                                         env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            kernel = _first_kernel(start, port, log)
            if kernel is not None:
                break
        else:
            pytest.fail(f"JupyterLab found no free port in 3 tries; start printed: {log.read_text()[-800:]}")
        (lab,) = _children(start.pid)
        for _ in range(100):
            kernels = _processes_with(f"kernel-{kernel}.json")
            if kernels:
                break
            time.sleep(0.1)
        assert kernels, "the kernel JupyterLab started is not running"

        stopped = time.monotonic()
        start.send_signal(getattr(signal, signame))
        status = start.wait(timeout=cli.STOP_GRACE + 10)
        took = time.monotonic() - stopped
        assert status == 128 + getattr(signal, signame)
        assert took < 10, f"JupyterLab took {took:.1f} s to stop"
        assert not _alive(lab), "JupyterLab outlived `rnn-course start`"
        for _ in range(50):   # the kernel's own exit may trail the server's by a moment
            if not any(_alive(pid) for pid in kernels):
                break
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in kernels), "a kernel outlived JupyterLab"
        with socket.socket() as s:          # nothing listens on the port, and a new server may take it
            assert s.connect_ex(("127.0.0.1", port)) != 0
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)    # as servers do (the closed
            s.bind(("127.0.0.1", port))                                 # connection lingers in TIME_WAIT)
    finally:   # whatever happened, nothing of this test outlives it (start's group holds JupyterLab)
        if start is not None:
            try:
                os.killpg(start.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            start.wait(timeout=10)
        for pid in kernels:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _first_kernel(start, port: int, log: Path) -> str | None:
    """Ask the JupyterLab that ``start`` runs on ``port`` for a kernel; its id, or None when JupyterLab
    exited because the port was taken. Fails on any other exit, or after 60 s without an answer."""
    import time
    import urllib.request
    for _ in range(300):
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels?token=t", data=b"{}",
                                             method="POST")
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.loads(reply.read())["id"]
        except OSError:
            if start.poll() is not None:
                start.wait()
                printed = log.read_text(errors="replace")
                if "in use" in printed:
                    return None
                pytest.fail(f"rnn-course start ended before JupyterLab answered; it printed: {printed[-800:]}")
            time.sleep(0.2)
    pytest.fail("JupyterLab did not answer within 60 s")


def test_a_server_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path):
    """The launcher itself, sent a SIGTERM while it runs a stand-in server that ignores SIGTERM: the
    server is killed after the grace period, the status says which signal, the handler is put back."""
    import signal
    import threading
    import time
    before = signal.getsignal(signal.SIGTERM)
    pid_file = tmp_path / "pid"
    stubborn = ("import os, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)")
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    try:
        status = cli.launch_jupyterlab([sys.executable, "-c", stubborn, str(pid_file)], tmp_path, grace=1.0)
    finally:
        timer.cancel()
    assert status == 128 + signal.SIGTERM
    assert time.monotonic() - started < 15
    assert not _alive(int(pid_file.read_text()))
    assert signal.getsignal(signal.SIGTERM) is before


def test_start_defaults_to_rnn_course_work_in_the_current_folder(lessons, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "start", "--no-lab")
    assert status == 0
    assert (tmp_path / "rnn-course-work" / "01_neurons.ipynb").is_file()
    assert "-m jupyterlab " in out and " 01_neurons.ipynb" in out
    assert f"JUPYTER_CONFIG_PATH={cli.COURSE_JUPYTER_CONFIG}" in out


def test_start_inside_a_workspace_updates_it_rather_than_nesting_a_new_one(started, monkeypatch, capsys):
    monkeypatch.chdir(started / "images")
    status, out, _ = run(capsys, "start", "--no-lab")
    assert status == 0 and f"Workspace: {started.resolve()}" in out
    assert not (started / "images" / "rnn-course-work").exists()


def test_start_again_keeps_edits_adds_new_lessons_and_says_what_it_left_alone(lessons, tmp_path, capsys, launches):
    calls, launch = launches
    target = tmp_path / "work"
    run(capsys, "start", str(target), "--no-lab")
    edited = target / "01_neurons.ipynb"
    edited.write_text(notebook("import numpy as np", "x = np.ones(3)  # my answer"))
    (target / "images" / "cell.svg").write_text("<svg>mine</svg>")
    (target / "02_recurrence.ipynb").unlink()
    (target / "my_notes.txt").write_text("notes")
    (lessons / "03_new_lesson.ipynb").write_text(notebook("import os"))
    (lessons / "01_neurons.ipynb").write_text(notebook("import numpy as np", "x = np.zeros(4)  # course update"))
    before = snapshot(target)

    status, out, _ = run(capsys, "start", str(target), launch=launch)

    assert status == 0
    after = snapshot(target)
    assert {k: after[k] for k in before} == before            # nothing that was there changed
    assert set(after) - set(before) == {"02_recurrence.ipynb", "03_new_lesson.ipynb"}
    assert "Left alone, because your copy differs from the course's: 01_neurons.ipynb, images/cell.svg" in out
    assert "`rnn-course reset 01`" in out and "move yours away" in out
    assert "newer version" not in out
    assert "Copied 2 new file(s): 02_recurrence.ipynb, 03_new_lesson.ipynb" in out
    assert len(calls) == 1


def test_start_tells_an_old_unedited_copy_from_an_edited_one_and_keeps_both(lessons, started, capsys):
    (started / "02_recurrence.ipynb").write_text("my edits")
    old_lesson_1 = (started / "01_neurons.ipynb").read_bytes()
    for name in ("01_neurons.ipynb", "02_recurrence.ipynb"):
        (lessons / name).write_text(notebook("import os  # the course fixed something"))
    status, out, _ = run(capsys, "start", str(started), "--no-lab")
    assert status == 0
    assert "your copy differs from the course's: 02_recurrence.ipynb" in out
    assert "you have not changed them: the course has a newer version of 01_neurons.ipynb" in out
    assert "`rnn-course reset 02`, `rnn-course reset 01`" in out
    assert (started / "01_neurons.ipynb").read_bytes() == old_lesson_1
    assert (started / "02_recurrence.ipynb").read_text() == "my edits"
    ws.reset_lesson(started, "01", now=NOW)            # after a reset the copy is the course's again
    status, out, _ = run(capsys, "start", str(started), "--no-lab")
    assert "newer version" not in out and "your copy differs from the course's: 02_recurrence.ipynb" in out


def test_start_is_silent_about_identical_files(lessons, tmp_path, capsys):
    target = tmp_path / "work"
    run(capsys, "start", str(target), "--no-lab")
    status, out, _ = run(capsys, "start", str(target), "--no-lab")
    assert status == 0
    assert "Left alone" not in out and "Copied" not in out
    assert "already there and up to date" in out


def test_start_rejects_a_workspace_path_that_is_a_file(lessons, tmp_path, capsys, launches):
    calls, launch = launches
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    status, _, err = run(capsys, "start", str(target), launch=launch)
    assert status == 2
    assert "is a file, not a folder" in err
    assert target.read_text() == "my notes"
    assert calls == []


def test_start_rejects_a_workspace_inside_a_file(lessons, tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("my notes")
    status, _, err = run(capsys, "start", str(blocker / "work"), "--no-lab")
    assert status == 2
    assert "is a file, not a folder" in err
    assert blocker.read_text() == "my notes"


def test_start_rejects_a_folder_without_write_permission(lessons, tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "keep.txt").write_text("mine")
    locked.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere; let the permission check see what a learner's would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != locked and real_access(path, mode))
    try:
        status, _, err = run(capsys, "start", str(locked / "work"), "--no-lab")
        assert status == 2
        assert "permission denied" in err
        assert sorted(p.name for p in locked.iterdir()) == ["keep.txt"]
        assert (locked / "keep.txt").read_text() == "mine"
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize("error, message", [(OSError(28, "No space left on device"), "No space left on device"),
                                            (PermissionError(13, "Permission denied"), "permission denied")])
def test_a_failed_write_leaves_no_partial_file_and_says_why(lessons, tmp_path, monkeypatch, error, message):
    target = tmp_path / "work"
    target.mkdir()
    (target / "01_neurons.ipynb").write_text("my edits")

    class FullDisk:
        def __init__(self, path, mode):
            self.path = path
            Path(path).write_bytes(b"")   # the file exists now, as after a real open("xb")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise error

    monkeypatch.setattr(ws, "open", FullDisk, raising=False)
    with pytest.raises(ws.WorkspaceError, match=message):
        ws.start_workspace(target)
    assert sorted(p.name for p in target.iterdir()) == ["01_neurons.ipynb"]
    assert (target / "01_neurons.ipynb").read_text() == "my edits"


def test_start_refuses_the_courses_own_lessons_folder(lessons, capsys):
    before = snapshot(lessons)
    for target in (lessons, lessons / "work"):
        status, _, err = run(capsys, "start", str(target), "--no-lab")
        assert status == 2 and "inside the course's own lessons folder" in err
    assert snapshot(lessons) == before


def test_start_says_clearly_when_the_lessons_cannot_be_found(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ws, "default_lessons_dir", lambda: tmp_path / "nowhere")
    status, _, err = run(capsys, "start", str(tmp_path / "work"), "--no-lab")
    assert status == 2
    assert "cannot find the course's lessons" in err
    assert not (tmp_path / "work").exists()


# --------------------------------------------------------------------------------------- reset

@pytest.fixture
def started(lessons, tmp_path, capsys):
    target = tmp_path / "work"
    assert cli.main(["start", str(target), "--no-lab"]) == 0
    capsys.readouterr()
    return target


@pytest.mark.parametrize("spec", ["2", "02", "02_rec", "02_recurrence", "02_recurrence.ipynb",
                                  "notebooks/02_recurrence.ipynb"])
def test_reset_accepts_a_number_a_prefix_or_a_file_name(lessons, spec):
    assert ws.resolve_lesson(spec) == lessons / "02_recurrence.ipynb"


def test_reset_keeps_the_learners_copy_beside_a_fresh_one(lessons, started, capsys):
    lesson = started / "02_recurrence.ipynb"
    lesson.write_text("my work")
    status, out, _ = run(capsys, "reset", "2", "--workspace", str(started))
    assert status == 0
    backups = sorted(started.glob("02_recurrence.*.ipynb"))
    assert len(backups) == 1
    assert backups[0].read_text() == "my work"
    assert lesson.read_bytes() == (lessons / "02_recurrence.ipynb").read_bytes()
    assert backups[0].name in out


def test_reset_names_backups_by_time_and_never_overwrites_one(lessons, started):
    lesson = started / "02_recurrence.ipynb"
    lesson.write_text("first try")
    first = ws.reset_lesson(started, "02", now=NOW)
    assert first.backup.name == "02_recurrence.2026-11-23T19-05-12.ipynb"
    lesson.write_text("second try")
    second = ws.reset_lesson(started, "02", now=NOW)
    assert second.backup.name == "02_recurrence.2026-11-23T19-05-12-2.ipynb"
    assert first.backup.read_text() == "first try"
    assert second.backup.read_text() == "second try"
    # backups are not lessons: they are not copied again, not offered for reset
    assert [p.name for p in ws.find_lessons(started)] == ["01_neurons.ipynb", "02_recurrence.ipynb"]


def test_reset_of_an_unedited_lesson_changes_nothing(started, capsys):
    before = snapshot(started)
    status, out, _ = run(capsys, "reset", "01", "-w", str(started))
    assert status == 0
    assert "already the course's version" in out
    assert snapshot(started) == before


def test_reset_restores_a_deleted_lesson(lessons, started, capsys):
    (started / "01_neurons.ipynb").unlink()
    status, _, _ = run(capsys, "reset", "1", "-w", str(started))
    assert status == 0
    assert (started / "01_neurons.ipynb").read_bytes() == (lessons / "01_neurons.ipynb").read_bytes()
    assert not list(started.glob("01_neurons.*.ipynb"))


def test_reset_finds_the_workspace_from_the_current_folder(started, monkeypatch, capsys):
    (started / "01_neurons.ipynb").write_text("mine")
    monkeypatch.chdir(started / "images")
    status, _, _ = run(capsys, "reset", "01_neurons.ipynb")
    assert status == 0
    assert [p.read_text() for p in started.glob("01_neurons.*.ipynb")] == ["mine"]


@pytest.mark.parametrize("spec", ["9", "07", "lstm", "99_nothing.ipynb", ""])
def test_reset_rejects_an_unknown_lesson_and_changes_nothing(started, capsys, spec):
    (started / "01_neurons.ipynb").write_text("mine")
    before = snapshot(started)
    status, _, err = run(capsys, "reset", spec, "-w", str(started))
    assert status == 2
    assert "there is no lesson" in err and "01_neurons, 02_recurrence" in err
    assert snapshot(started) == before


def test_reset_in_a_workspace_it_cannot_write_to_changes_nothing(started, monkeypatch, capsys):
    (started / "01_neurons.ipynb").write_text("mine")
    before = snapshot(started)

    def read_only(path, mode="r", *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(ws, "open", read_only, raising=False)
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: read_only(self))
    status, _, err = run(capsys, "reset", "1", "-w", str(started))
    assert status == 2 and "permission denied" in err
    assert snapshot(started) == before


def test_reset_rejects_an_ambiguous_lesson(lessons, started, capsys):
    (lessons / "02_recurrence_part2.ipynb").write_text(notebook())
    status, _, err = run(capsys, "reset", "2", "-w", str(started))
    assert status == 2
    assert "could mean 02_recurrence, 02_recurrence_part2" in err


def test_reset_outside_a_workspace_says_how_to_make_one(lessons, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "01_neurons.ipynb").write_text("not a workspace")
    status, _, err = run(capsys, "reset", "1", "-w", str(plain))
    assert status == 2
    assert "not an rnn-course workspace" in err and "rnn-course start" in err
    assert (plain / "01_neurons.ipynb").read_text() == "not a workspace"
    status, _, err = run(capsys, "reset", "1")
    assert status == 2
    assert "no rnn-course workspace here" in err


@pytest.mark.parametrize("command", [["reset", "1"], ["progress"]])
def test_a_workspace_option_that_is_a_file_is_a_clear_error(lessons, tmp_path, capsys, command):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    status, _, err = run(capsys, *command, "-w", str(notes))
    assert status == 2 and "is not a folder" in err
    assert notes.read_text() == "mine"


# --------------------------------------------------------------------------------------- progress

def fake_exercise(monkeypatch):
    def reference(x):
        return 2 * x

    def checker(answer):
        got = core.attempt(answer, 3)
        if got != 6:
            raise core.Mistake(f"double 3 is 6, not {got}.")
        return "doubled."
    monkeypatch.setitem(core.REGISTRY, "99.double", core.Exercise("99.double", "Double a number", checker, reference))


def test_progress_lists_which_exercises_pass_in_the_workspace(started, monkeypatch, capsys):
    fake_exercise(monkeypatch)
    monkeypatch.chdir(started)            # where the lesson's kernel runs
    assert not core.check("99.double", lambda x: x + 1).passed
    status, out, _ = run(capsys, "progress")
    assert status == 0
    assert "[ ] 99.double" in out and "(not yet)" in out
    assert core.check("99.double", lambda x: x * 2).passed
    status, out, _ = run(capsys, "progress", "-w", str(started))
    assert "[x] 99.double" in out and "(pass)" in out
    total = len(core.all_exercises())
    assert f"1 of {total} exercises pass" in out
    for name in core.all_exercises():
        assert name in out
    recorded = json.loads((started / core.PROGRESS_FILE).read_text())["exercises"]["99.double"]
    assert [entry["best"]["status"] for entry in recorded.values()] == ["correct"]


def test_progress_says_how_many_hints_were_taken_and_whether_the_solution_was_seen(started, monkeypatch, capsys):
    from rnn_course.exercises import help as learner_help

    monkeypatch.chdir(started)
    learner_help.hint("02.rnn_backward")
    learner_help.hint("02.rnn_backward")
    learner_help.show_solution("04.lstm_forward")
    capsys.readouterr()
    status, out, _ = run(capsys, "progress", "-w", str(started))
    assert status == 0
    total = len(learner_help.hints_for("02.rnn_backward"))
    backward = next(line for line in out.splitlines() if "02.rnn_backward" in line)
    forward = next(line for line in out.splitlines() if "04.lstm_forward " in line)
    assert backward.endswith(f"(not checked yet; 2 of {total} hints)"), backward
    assert forward.endswith("; solution seen)"), forward
    untouched = next(line for line in out.splitlines() if "01.dense_forward" in line)
    assert "hint" not in untouched and "solution" not in untouched, untouched


def test_a_lesson_run_in_the_workspace_records_progress(lessons, started, capsys):
    """As in JupyterLab: the kernel runs in the notebook's folder, and check() records there."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    lesson = started / "01_neurons.ipynb"
    lesson.write_text(notebook("from rnn_course.exercises import check",
                               "def stable_sigmoid(z):\n    raise NotImplementedError",
                               'check("01.stable_sigmoid", stable_sigmoid)'))
    nb = nbformat.read(lesson, as_version=4)
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(started)}}).execute()
    assert "Not attempted yet" in nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert core.read_progress(started) == {"01.stable_sigmoid": "not attempted"}
    status, out, _ = run(capsys, "progress", "1", "-w", str(started))
    assert status == 0 and "(not attempted)" in out


def test_check_outside_a_workspace_records_nothing(tmp_path, monkeypatch):
    fake_exercise(monkeypatch)
    monkeypatch.chdir(tmp_path)
    core.check("99.double", lambda x: x * 2)
    assert list(tmp_path.iterdir()) == []


def test_progress_survives_a_damaged_progress_file(started, monkeypatch, capsys):
    fake_exercise(monkeypatch)
    (started / core.PROGRESS_FILE).write_text("{half a fi")
    status, out, _ = run(capsys, "progress", "-w", str(started))
    assert status == 0 and "0 of" in out
    monkeypatch.chdir(started)
    core.check("99.double", lambda x: x * 2)
    assert core.read_progress(started) == {"99.double": "correct"}


def test_progress_outside_a_workspace_is_a_clear_error(lessons, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "progress")
    assert status == 2 and "no rnn-course workspace" in err


# --------------------------------------------------------------------------------------- solutions

def test_solutions_prints_every_reference_solution(capsys, monkeypatch):
    fake_exercise(monkeypatch)
    status, out, _ = run(capsys, "solutions")
    assert status == 0
    for name in core.all_exercises():
        assert name in out
        assert core.solution(name) in out
    assert "return 2 * x" in out


def test_solutions_of_one_lesson_and_of_an_unknown_one(lessons, capsys, monkeypatch):
    fake_exercise(monkeypatch)
    monkeypatch.setitem(core.REGISTRY, "01.fake", core.Exercise("01.fake", "Fake", None, None, "x = 1"))
    status, out, _ = run(capsys, "solutions", "1")
    assert status == 0
    assert "01.fake" in out and "99.double" not in out and "x = 1" in out
    status, _, err = run(capsys, "solutions", "42")
    assert status == 2 and "there is no lesson" in err
    monkeypatch.setitem(core.REGISTRY, "07.unwritten", core.Exercise("07.unwritten", "Later", None, None, "y = 2"))
    status, out, _ = run(capsys, "solutions", "7")          # exercises of a lesson whose notebook is not there yet
    assert status == 0 and "07.unwritten" in out and "01.fake" not in out


def test_docs_solutions_md_is_what_the_command_generates():
    committed = REPO / "docs" / "solutions.md"
    assert committed.is_file(), "generate it: rnn-course solutions --markdown > docs/solutions.md"
    assert committed.read_text() == ws.solutions_listing(markdown=True), (
        "docs/solutions.md is stale; regenerate it: rnn-course solutions --markdown > docs/solutions.md")


# --------------------------------------------------------------------------------------- check (doctor)

def test_check_reports_pass_and_fail_lines_and_exits_non_zero_on_a_fail(capsys):
    good = [cli.Finding(True, "numpy 2.0", "needs >=1.24")]
    bad = good + [cli.Finding(False, "ipywidgets render in JupyterLab", "not installed")]
    assert cli.cmd_check(None, lambda: good) == 0
    assert "PASS  numpy 2.0: needs >=1.24" in capsys.readouterr().out
    assert cli.cmd_check(None, lambda: bad) == 1
    out = capsys.readouterr().out
    assert "FAIL  ipywidgets render in JupyterLab: not installed" in out and "1 of 2 checks FAIL" in out


def test_check_python_and_package_versions():
    assert cli.check_python("3.11.7", ">=3.10").ok
    assert not cli.check_python("3.9.1", ">=3.10").ok
    findings = cli.check_packages(["numpy>=1.0", "numpy>=999", "surely-not-a-package-rnn-course-test>=1"])
    assert [f.ok for f in findings] == [True, False, False]
    assert "not installed" in findings[2].what


def test_check_reads_the_requirements_from_the_checkout_else_from_the_installed_package(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert cli.requirements() == (project["requires-python"], project["dependencies"])
    installed = cli.requirements(tmp_path / "no-such-pyproject.toml")
    assert installed[0] == metadata.metadata("rnn-course")["Requires-Python"]
    assert installed[1] == metadata.requires("rnn-course") and "numpy>=1.24" in installed[1]


def test_check_finds_the_widget_extension_only_when_installed_and_enabled(tmp_path):
    data, config = tmp_path / "share", tmp_path / "etc"
    name = "@jupyter-widgets/jupyterlab-manager"
    missing = cli.check_labextension(name, "widgets", "jupyterlab_widgets", [data], [config])
    assert not missing.ok and "not installed" in missing.detail
    (data / "labextensions" / name).mkdir(parents=True)
    (data / "labextensions" / name / "package.json").write_text('{"version": "5.0.0"}')
    found = cli.check_labextension(name, "widgets", "jupyterlab_widgets", [data], [config])
    assert found.ok and "5.0.0" in found.detail
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {name: True}}))
    disabled = cli.check_labextension(name, "widgets", "jupyterlab_widgets", [data], [config])
    assert not disabled.ok and "disabled" in disabled.detail


def test_check_in_this_environment_finds_the_widget_extensions():
    for name, (purpose, package) in cli.WIDGET_EXTENSIONS.items():
        assert cli.check_labextension(name, purpose, package).ok, name


def test_check_kernel_is_this_python():
    assert cli.check_kernel().ok
    assert cli.check_kernel(["python", "-m", "ipykernel_launcher"]).ok
    assert cli.check_kernel([sys.executable, "-m", "ipykernel_launcher"]).ok
    stale = cli.check_kernel(["/opt/old-conda/bin/python", "-m", "ipykernel_launcher"], "/home/me/kernels/python3")
    assert not stale.ok and "/opt/old-conda/bin/python" in stale.detail and "/home/me/kernels/python3" in stale.detail


def test_check_matplotlib_headless(tmp_path):
    assert cli.check_matplotlib_headless().ok
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'ImportError: no matplotlib' >&2\nexit 1\n")
    broken.chmod(0o755)
    finding = cli.check_matplotlib_headless(str(broken))
    assert not finding.ok and "no matplotlib" in finding.detail


def test_lesson_imports_are_read_from_code_cells_skipping_magics(tmp_path):
    lesson = tmp_path / "01_x.ipynb"
    lesson.write_text(notebook("%matplotlib widget\nimport numpy as np\nfrom math import (\n    pi,\n    tau)",
                               "def f():\n    import json\n    return json", "!ls\nx = 1"))
    assert cli.lesson_imports(lesson) == ["import numpy as np", "from math import pi, tau"]


def test_check_reports_a_lesson_whose_imports_fail(lessons):
    (lessons / "02_recurrence.ipynb").write_text(notebook("from rnn_course.no_such_module import thing"))
    findings = cli.check_lessons_import(lessons)
    assert [(f.ok, f.what) for f in findings] == [(True, "lesson 01_neurons.ipynb imports"),
                                                  (False, "lesson 02_recurrence.ipynb imports")]
    assert "ModuleNotFoundError" in findings[1].detail and "no_such_module" in findings[1].detail


def test_check_reports_a_notebook_it_cannot_read(lessons):
    (lessons / "02_recurrence.ipynb").write_text('{"cells": [')
    findings = cli.check_lessons_import(lessons)
    assert [(f.ok, f.what) for f in findings] == [(False, "lesson 02_recurrence.ipynb imports"),
                                                  (True, "lesson 01_neurons.ipynb imports")]
    assert "not a readable notebook" in findings[0].detail


def test_check_command_end_to_end_with_a_broken_lesson(lessons, capsys, monkeypatch):
    (lessons / "02_recurrence.ipynb").write_text(notebook("import surely_not_a_module_rnn_course"))
    monkeypatch.setattr(cli, "check_matplotlib_headless", lambda python=None: cli.Finding(True, "matplotlib"))
    status, out, _ = run(capsys, "check")
    assert status == 1
    assert "FAIL  lesson 02_recurrence.ipynb imports" in out
    assert "PASS  lesson 01_neurons.ipynb imports" in out
    assert "PASS  Python" in out and "PASS  numpy" in out


# --------------------------------------------------------------------------------------- the command itself

def test_the_console_script_is_installed():
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts.get("rnn-course") == "rnn_course.cli:main"


def test_make_lab_opens_the_course_through_rnn_course_start():
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/rnn-course start" in recipe


def test_no_command_prints_help_and_fails(capsys):
    status, out, _ = run(capsys)
    assert status == 2 and "start" in out and "reset" in out and "check" in out


def test_version(capsys):
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == f"rnn-course {cli.__version__}"


def test_usage_mistakes_return_status_2_with_the_usage(capsys):
    status, _, err = run(capsys, "reset")
    assert status == 2 and "usage: rnn-course reset" in err and "lesson" in err
    status, _, err = run(capsys, "frobnicate")
    assert status == 2 and "invalid choice" in err


def test_bad_input_in_a_real_process_prints_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rnn_course.cli", "reset", "42", "-w", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("rnn-course reset: ") and "Traceback" not in done.stderr


# --------------------------------------------------------------------------------------- the real lessons

@pytest.mark.skipif(not REAL_LESSONS, reason="no lesson notebooks yet")
def test_start_copies_every_real_lesson(tmp_path, capsys):
    report = ws.start_workspace(tmp_path / "work")
    assert report.first_lesson == REAL_LESSONS[0].name
    for lesson in REAL_LESSONS:
        assert (tmp_path / "work" / lesson.name).read_bytes() == lesson.read_bytes()
        assert ws.resolve_lesson(str(int(lesson.name[:2]))) == lesson


@pytest.mark.skipif(not REAL_LESSONS, reason="no lesson notebooks yet")
def test_every_real_lesson_imports():
    failures = [str(f) for f in cli.check_lessons_import() if not f.ok]
    assert not failures
