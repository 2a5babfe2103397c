"""The learner edition of ``rnn_course``, which ``rnn-course grade`` puts in its sandbox in place of the package.

This file is copied out of the package as ``rnn_course/__init__.py`` beside a ``spec.json`` the grader
writes, and is all of ``rnn_course`` a graded notebook can import. Every module of the real package
exists here by name, and every name the real module defines answers; but a function of the course
is only a stand-in that raises :class:`CourseFunctionUnavailable` when called (the worker reports it
as the course function the learner's code tried to call), and constants are plain copies of their
values. The exceptions: ``rnn_course.exercises.check`` captures the answer for the grader,
``learner_or_reference`` goes on with the learner's function, and the helpers an exercise allows are
small functions compiled here from the allowed function's source text, in this module's globals (never
the real package's function objects, which would lead back to the package).
"""

import ast
import importlib.abc
import importlib.machinery
import json
import os
import sys
import types

_SPEC = json.load(open(os.path.join(os.path.dirname(__file__), "spec.json"), encoding="utf-8"))
_borrowed = []                              # course functions called during the current call


def _capture(name, value):                  # replaced by the worker
    return None


class CourseFunctionUnavailable(Exception):
    """A function of the course's own package was called while grading."""

    def __init__(self, qualname):
        super().__init__(f"{qualname} is the course's own code, which is not available while grading")
        self.qualname = qualname


class _Stub:
    """A name of the course's package: calling it, or using it as a value, raises."""

    def __init__(self, qualname):
        object.__setattr__(self, "_qualname", qualname)

    def __call__(self, *args, **kwargs):
        _borrowed.append(self._qualname)
        raise CourseFunctionUnavailable(self._qualname)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stub(f"{self._qualname}.{name}")

    def __repr__(self):
        return f"<course function {self._qualname}>"

    def _refuse(self, *args, **kwargs):
        raise CourseFunctionUnavailable(self._qualname)

    __getitem__ = __iter__ = __len__ = __bool__ = __add__ = __radd__ = __sub__ = __rsub__ = _refuse
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __contains__ = __array__ = __float__ = __int__ = __index__ = _refuse


class _CheckResult:
    """What ``check`` returns while grading: the verdict is the grader's, given later."""
    status, message, passed = "captured", "graded by rnn-course grade", False

    def __repr__(self):
        return ""


def check(name, answer):
    _capture(name, answer)
    return _CheckResult()


def learner_or_reference(name, answer, reference=None, reference_label=None):
    _capture(name, answer)
    return answer, f"your {getattr(answer, '__name__', 'function')} (while grading)."


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if f"{self.__name__}.{name}" in _SPEC["modules"]:       # a submodule: import it
            return importlib.import_module(f"{self.__name__}.{name}")
        spec = _SPEC["modules"].get(self.__name__, {})
        if name in spec.get("names", ()):
            return _Stub(f"{self.__name__}.{name}")
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def _fill(module):
    spec = _SPEC["modules"].get(module.__name__, {})
    for name, text in spec.get("constants", {}).items():
        try:
            setattr(module, name, ast.literal_eval(text))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            pass
    if module.__name__ == "rnn_course.exercises":
        module.check, module.learner_or_reference = check, learner_or_reference
    if module.__name__ == "rnn_course.exercises.core":
        module.check, module.learner_or_reference, module.judge = check, learner_or_reference, check
    for owner, name in _SPEC["allowed"].get("export", ()):
        if owner == module.__name__ and hasattr(_private(owner), name):
            setattr(module, name, getattr(_private(owner), name))


_PRIVATE = {}


def _private(name):
    """The private copy of a course module that holds the allowed helpers and what they use (built
    once, on first need): never the public module the learner imports."""
    if not _PRIVATE:
        import numpy
        modules = _SPEC["allowed"].get("modules", {})
        for owner in modules:
            private = types.ModuleType(f"{owner} (learner edition, allowed helpers)")
            private.__dict__["np"] = numpy
            for key, text in _SPEC["modules"].get(owner, {}).get("constants", {}).items():
                try:
                    private.__dict__[key] = ast.literal_eval(text)
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    pass
            _PRIVATE[owner] = private
        for owner, info in modules.items():
            space = _PRIVATE[owner].__dict__
            for alias, (kind, *what) in info["aliases"].items():
                if kind == "module":
                    space[alias] = _PRIVATE.get(what[0]) or _Stub(what[0])
                elif kind == "import":
                    try:
                        exec(what[0], space)
                    except Exception:  # noqa: BLE001 - a library the sandbox does not have
                        pass
            for source in info["sources"]:
                try:
                    exec(compile("from __future__ import annotations\n" + source,
                                 f"<rnn_course learner edition: {owner}>", "exec"), space)
                except Exception:  # noqa: BLE001
                    pass
        for owner, info in modules.items():
            space = _PRIVATE[owner].__dict__
            for alias, (kind, *what) in info["aliases"].items():
                if kind == "function":
                    found = getattr(_PRIVATE.get(what[0]), what[1], None)
                    space[alias] = found if found is not None else _Stub(f"{what[0]}.{what[1]}")
    return _PRIVATE.get(name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in _SPEC["modules"] and fullname != __name__:
            package = _SPEC["modules"][fullname].get("package", False)
            return importlib.machinery.ModuleSpec(fullname, self, is_package=package)
        return None

    def create_module(self, spec):
        module = _Module(spec.name)
        if spec.submodule_search_locations is not None:
            module.__path__ = []
        return module

    def exec_module(self, module):
        _fill(module)


sys.meta_path.insert(0, _Finder())
__path__ = []
__version__ = _SPEC.get("version", "")
sys.modules[__name__].__class__ = _Module
_fill(sys.modules[__name__])
