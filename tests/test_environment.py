"""pyproject.toml and environment.yml declare the same dependencies (the course's, and the test
extra's); the lessons' install carries no test tool; README keeps its promise."""

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


TEST_EXTRA_MARK = "  # the test extra"
TEST_TOOLS = {"pytest", "hypothesis", "ruff", "playwright", "nbval"}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pyproject_dependencies(extra: str | None = None) -> dict:
    """The course's dependencies, or with ``extra`` those of that optional extra (an extra that names
    another of the course's own, ``rnn-course[cluster]``, brings that one's in)."""
    project = pyproject()["project"]
    requirements = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    deps = {}
    for requirement in requirements:
        own = re.fullmatch(r"rnn-course\[(\w+)\]", requirement.strip())
        deps.update(pyproject_dependencies(own.group(1)) if own else {_name(requirement): requirement})
    return deps


#: Packages conda-forge names differently from PyPI: conda's name -> pip's.
CONDA_NAMES = {"pytorch": "torch"}


def conda_dependencies(part: str = "all") -> dict:
    """environment.yml's conda dependencies: ``"course"`` those above the line
    ``# the test extra``, ``"test"`` those below it, ``"all"`` both."""
    deps, in_deps, section = {}, False, "course"
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if line.rstrip() == TEST_EXTRA_MARK:
            section = "test"
        m = re.match(r"^  - (?!pip:)(\S[^#]*)$", line)
        if in_deps and m and part in ("all", section):
            spec = m.group(1).strip()
            deps[CONDA_NAMES.get(_name(spec), _name(spec))] = spec
    return deps


@pytest.mark.parametrize("part, extra", [("course", None), ("test", "test")])
def test_environment_yml_and_pyproject_declare_the_same_dependencies(part, extra):
    pip_deps = pyproject_dependencies(extra)
    conda_deps = conda_dependencies(part)
    conda_deps.pop("python", None)
    conda_deps.pop("pip", None)
    assert set(pip_deps) == set(conda_deps), (
        f"{part}: only in pyproject.toml: {sorted(set(pip_deps) - set(conda_deps))}; "
        f"only in environment.yml: {sorted(set(conda_deps) - set(pip_deps))}"
    )


def test_the_lessons_install_carries_no_test_tool_and_make_test_installs_them():
    assert not TEST_TOOLS & set(pyproject_dependencies()), "a test tool is back among the lessons' dependencies"
    assert TEST_TOOLS <= set(pyproject_dependencies("test"))
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"-m pip install .*-e '?\.\[test\]'?", makefile)
    assert re.search(r"^test:.*install-test", makefile, re.M)
    assert not re.search(r"^lab:.*install-test", makefile, re.M)


def test_the_licence_is_an_spdx_expression_that_setuptools_reads_without_a_warning():
    data = pyproject()
    assert data["project"]["license"] == "MIT"
    (setuptools,) = [r for r in data["build-system"]["requires"] if _name(r) == "setuptools"]
    assert _version(setuptools) == ">=77"        # the first setuptools that takes a licence expression


def _version(requirement: str) -> str:
    """The version part of a requirement, written pip's way (conda's ``=0.11`` is pip's ``==0.11.*``)."""
    spec = re.sub(r"^\[[^\]]*\]", "", requirement.strip()[len(_name(requirement)):].replace(" ", ""))
    if spec.startswith("=") and not spec.startswith("=="):
        spec = f"=={spec[1:]}.*"
    return spec


def test_environment_yml_and_pyproject_ask_for_the_same_versions():
    pip_deps, conda_deps = {**pyproject_dependencies(), **pyproject_dependencies("test")}, conda_dependencies()
    drift = {name: (pip_deps[name], conda_deps[name]) for name in set(pip_deps) & set(conda_deps)
             if _version(pip_deps[name]) != _version(conda_deps[name])}
    assert not drift, f"pyproject.toml and environment.yml ask for different versions: {drift}"


def test_the_version_comparison_sees_a_drift():
    assert _version("numpy>=1.24") == _version("numpy >=1.24")
    assert _version("dask[distributed]>=2024.8") == _version("dask>=2024.8")
    assert _version("nbval==0.11.*") == _version("nbval=0.11")
    assert _version("numpy>=1.24") != _version("numpy>=1.26")


def test_nbval_is_pinned_to_the_current_release_in_both():
    assert pyproject_dependencies("test")["nbval"].replace(" ", "") == "nbval==0.11.*"
    assert conda_dependencies()["nbval"].replace(" ", "") == "nbval=0.11"


def pyproject_book_extra() -> dict:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {_name(r): r for r in data["project"]["optional-dependencies"]["book"]}


def environment_pip_section() -> dict:
    """The requirements under environment.yml's ``- pip:`` entry, less the course itself (``-e .``)."""
    text = (ROOT / "environment.yml").read_text()
    section = text.split("\n  - pip:\n", 1)[1]
    specs = re.findall(r"^      - (?!-e )(\S[^#\n]*)$", section, re.M)
    return {_name(spec): spec.strip() for spec in specs}


def test_environment_yml_installs_the_book_extra_as_pyproject_declares_it():
    # The `book` extra (`make book`) comes from PyPI in both: environment.yml's pip section lists it.
    book, pip_section = pyproject_book_extra(), environment_pip_section()
    assert set(book) == set(pip_section), (
        f"only in pyproject.toml's book extra: {sorted(set(book) - set(pip_section))}; "
        f"only in environment.yml's pip section: {sorted(set(pip_section) - set(book))}"
    )
    drift = {name: (book[name], pip_section[name]) for name in book
             if _version(book[name]) != _version(pip_section[name])}
    assert not drift, f"the book extra and environment.yml ask for different versions: {drift}"


def test_environment_yml_installs_the_course_itself():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^  - pip:\n      - -e \.$", text, re.M)


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^    (\S.*)$", setup, re.M) + re.findall(r"```(?:sh|bash)?\n(.*?)\n```", setup, re.S)
    assert commands == ["make lab", "make test"] or sorted(commands) == ["make lab", "make test"], commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_the_cluster_extra_is_dask_distributed_and_the_test_extra_brings_it():
    assert set(pyproject_dependencies("cluster")) == {"dask"}
    assert "distributed" in pyproject_dependencies("cluster")["dask"]
    assert "rnn-course[cluster]" in pyproject()["project"]["optional-dependencies"]["test"]
    assert "dask" in conda_dependencies("test")          # conda-forge's dask carries distributed


# ---------------------------------------------------------------------------------------
# The oldest versions: `make test-oldest` installs .ci/oldest-constraints.txt
# ---------------------------------------------------------------------------------------

OLDEST = ROOT / ".ci" / "oldest-constraints.txt"


def oldest_constraints() -> dict:
    pins = {}
    for line in OLDEST.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def _release(version: str) -> tuple:
    """``"1.24"`` and ``"1.24.0"`` (and ``"0.11.*"``'s first release, ``"0.11.0"``) as one tuple."""
    parts = [int(p) for p in version.replace(".*", "").split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_the_oldest_run_pins_every_dependency_at_the_floor_pyproject_declares():
    declared = {**pyproject_dependencies(), **pyproject_dependencies("test")}
    pins = oldest_constraints()
    missing = sorted(set(declared) - set(pins))
    assert not missing, f"{OLDEST.name} pins no version of {missing}"
    for name, requirement in declared.items():
        spec = _version(requirement)
        operator = re.match(r"[<>=!~]+", spec).group()
        assert operator in (">=", "=="), f"{requirement}: the oldest run reads only >= and == floors"
        assert _release(pins[name]) == _release(spec[len(operator):]), (
            f"pyproject.toml asks for {requirement} but {OLDEST.name} pins {name}=={pins[name]}")


def test_the_makefile_runs_the_oldest_versions_and_ci_runs_make_test_only():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"-c \.ci/oldest-constraints\.txt", makefile)
    test_recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "test-oldest" in test_recipe and "-rs" in test_recipe
    assert re.search(r"^test:.*\$\(BOOK_INDEX\)", makefile, re.M), "make test does not build a stale book"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert ci[-1] == "make test"
    assert not any(re.match(r"\s*make (?!test$)", line) for line in ci), "CI runs more than `make test`"
