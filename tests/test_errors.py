"""Faults are exceptions from one family: every `raise` in elcart_sim raises an ElcartSimError.

The check reads each module's source and resolves what each `raise` names the way Python would
— the module's own classes and functions, its imports (at the top, inside functions or under
TYPE_CHECKING), builtins, attribute chains like ``argparse.ArgumentTypeError`` — and refuses
any class outside the family. What it accepts besides an ElcartSimError subclass raised with a
message:

- a bare ``raise`` and ``raise exc`` of the object an enclosing ``except … as exc`` caught, or
  of an attribute that such an object was stored in (re-raised later, e.g. by another thread);
- ``raise make_error(…)`` when ``make_error`` is annotated to return a family member, and
  ``raise error(…)`` when the parameter ``error`` is annotated ``type[SomeFamilyMember]``;
- KeyboardInterrupt, SystemExit and StopIteration (control flow, not faults), and
  AttributeError inside ``__getattr__`` (Python's attribute protocol requires it).

Anything it cannot resolve is an offence too, so a new pattern fails loudly instead of passing.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import elcart_sim
from elcart_sim.capacity.validation import queue_scenario
from elcart_sim.core import errors
from elcart_sim.core.errors import CapacityError, ConfigurationError, ElcartSimError, IsoMessageError, LedgerError
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.protocol.iso8583.messages import response_to

PACKAGE = Path(elcart_sim.__file__).parent
CONTROL_FLOW = (KeyboardInterrupt, SystemExit, StopIteration)


@dataclass(frozen=True)
class Offence:
    path: str
    line: int
    raised: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: raise {self.raised} — {self.why}"


class _Raises(ast.NodeVisitor):
    """Walks one module, keeping the chain of enclosing nodes, and judges every `raise`."""

    def __init__(self, tree: ast.Module, namespace: dict[str, Any], module: str, path: str):
        self.namespace = namespace
        self.module = module
        self.path = path
        self.imports = self._imports(tree)
        self.stored_errors = self._stored_errors(tree)
        self.stack: list[ast.AST] = []
        self.offences: list[Offence] = []

    # -- what names mean ------------------------------------------------------------------------

    def _imports(self, tree: ast.Module) -> dict[str, tuple[str, str | None]]:
        """name -> (module, attribute or None) for every import anywhere in the module."""
        found: dict[str, tuple[str, str | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        found[top] = (top, None)
            elif isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), self.module) if node.level else node.module
                for alias in node.names:
                    found[alias.asname or alias.name] = (base, alias.name)
        return found

    @staticmethod
    def _stored_errors(tree: ast.Module) -> set[str]:
        """Attributes assigned a caught exception (`self.error = exc` inside `except … as exc`)."""
        stored = set()
        for handler in ast.walk(tree):
            if isinstance(handler, ast.ExceptHandler) and handler.name:
                for node in ast.walk(handler):
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == handler.name:
                        stored.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
        return stored

    def resolve(self, node: ast.expr) -> Any:
        """The object an expression names at module level, or None when it cannot be told."""
        if isinstance(node, ast.Name):
            if node.id in self.namespace:
                return self.namespace[node.id]
            if node.id in self.imports:
                module, attribute = self.imports[node.id]
                try:
                    imported = importlib.import_module(module)
                    if attribute is None:
                        return imported
                    if not hasattr(imported, attribute):  # `from package import submodule`
                        return importlib.import_module(f"{module}.{attribute}")
                    return getattr(imported, attribute)
                except ImportError:
                    return None
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else getattr(base, node.attr, None)
        return None

    def _function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        for node in reversed(self.stack):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def _caught_names(self) -> set[str]:
        return {node.name for node in self.stack if isinstance(node, ast.ExceptHandler) and node.name}

    # -- the check --------------------------------------------------------------------------------

    def generic_visit(self, node: ast.AST) -> None:
        self.stack.append(node)
        super().generic_visit(node)
        self.stack.pop()

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is not None:
            why = self._judge(node.exc)
            if why:
                self.offences.append(Offence(self.path, node.lineno, ast.unparse(node.exc).split("(")[0], why))
        self.generic_visit(node)

    def _judge(self, exc: ast.expr) -> str | None:
        """Why raising ``exc`` breaks the rule, or None when it does not."""
        called = isinstance(exc, ast.Call)
        target = exc.func if isinstance(exc, ast.Call) else exc
        function = self._function()
        if isinstance(target, ast.Name):
            if not called and target.id in self._caught_names():
                return None  # re-raising the object an enclosing handler caught
            if function is not None:
                local = self._judge_local(exc, target.id, function)
                if local is not Ellipsis:
                    return local
        elif isinstance(target, ast.Attribute) and not called and target.attr in self.stored_errors:
            return None  # a caught exception kept in an attribute, re-raised
        raised = self.resolve(target)
        if raised is None:
            return "cannot tell what this raises (not a class, function or caught exception this check can resolve)"
        if isinstance(raised, type):
            return self._judge_class(raised, exc, function)
        if called and callable(raised):
            returned = _return_type(raised)
            if isinstance(returned, type) and issubclass(returned, ElcartSimError):
                return None
            return f"{_name(raised)}() is not annotated to return an ElcartSimError subclass"
        return f"raises {type(raised).__name__} object {ast.unparse(target)}, not an exception class"

    def _judge_class(self, raised: type, exc: ast.expr, function: ast.AST | None) -> str | None:
        if issubclass(raised, ElcartSimError):
            if not isinstance(exc, ast.Call) or not (exc.args or exc.keywords):
                return f"{_name(raised)} raised without a message (say what was wrong and where)"
            return None
        if issubclass(raised, CONTROL_FLOW):
            return None
        if raised is AttributeError and getattr(function, "name", "") == "__getattr__":
            return None
        return f"{_name(raised)} is not an ElcartSimError subclass"

    def _judge_local(self, exc: ast.expr, name: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None | Any:
        """``raise name`` or ``raise name(…)`` where ``name`` is a parameter (it must be annotated
        type[X]) or a local variable (judged by what was assigned to it); Ellipsis when ``name``
        is neither (then it is resolved at module level)."""
        called = isinstance(exc, ast.Call)
        arguments = function.args
        for argument in arguments.posonlyargs + arguments.args + arguments.kwonlyargs:
            if argument.arg != name:
                continue
            annotation = argument.annotation
            if called and isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "type":
                kind = self.resolve(annotation.slice)
                if isinstance(kind, type) and issubclass(kind, ElcartSimError):
                    return None
            return f"parameter {name!r} is not annotated type[<an ElcartSimError subclass>]"
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                assigned = ast.Call(node.value, exc.args, exc.keywords) if isinstance(exc, ast.Call) else node.value
                return self._judge(assigned)
        return Ellipsis


def _name(obj: Any) -> str:
    module = getattr(obj, "__module__", "")
    return getattr(obj, "__qualname__", repr(obj)) if module in ("builtins", "") else f"{module}.{obj.__qualname__}"


def _return_type(function: Any) -> Any:
    try:
        annotation = inspect.get_annotations(function).get("return")
        return eval(annotation, function.__globals__) if isinstance(annotation, str) else annotation
    except (NameError, AttributeError, SyntaxError, TypeError):  # an annotation that cannot be evaluated tells nothing
        return None


def check_source(source: str, namespace: dict[str, Any], module: str, path: str) -> list[Offence]:
    """Every offence in one module's source (``namespace``: the module's globals)."""
    tree = ast.parse(source)
    visitor = _Raises(tree, namespace, module, path)
    visitor.visit(tree)
    return visitor.offences


def _modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_offences() -> list[Offence]:
    found = []
    for path, module in _modules():
        # __main__ modules run when imported: their names are resolved through their imports only.
        namespace = {} if module.endswith("__main__") else vars(importlib.import_module(module))
        relative = str(path.relative_to(PACKAGE.parent))
        found += check_source(path.read_text(encoding="utf-8"), namespace, module, relative)
    return found


# -- the package --------------------------------------------------------------------------------------


# Modules whose owners convert their raises on their own branches (the work is split by file).
# Their offences are listed (as the reason of an expected failure), not failed on; delete an
# entry when its module is converted: an entry with nothing left to convert fails the test.


def _report(title: str, offences: list[Offence]) -> str:
    by_file: dict[str, list[Offence]] = {}
    for offence in offences:
        by_file.setdefault(offence.path, []).append(offence)
    lines = [f"{len(offences)} raise(s) outside the ElcartSimError family{title}, in {len(by_file)} file(s):"]
    for path, found in sorted(by_file.items()):
        lines.append(f"  {path} ({len(found)})")
        lines += [f"    {offence}" for offence in found]
    return "\n".join(lines)


def test_every_raise_in_the_package_is_an_elcart_sim_error() -> None:
    offences = package_offences()
    if offences:
        pytest.fail(_report("", offences), pytrace=False)


def test_the_family_is_documented_and_exported() -> None:
    members = [obj for obj in vars(errors).values() if isinstance(obj, type) and issubclass(obj, ElcartSimError)]
    assert sorted(errors.__all__) == sorted(cls.__name__ for cls in members)
    for cls in members:
        assert cls.__doc__ and cls.__module__ == "elcart_sim.core.errors", cls
        assert cls is ElcartSimError or cls.__name__ in errors.__doc__, f"{cls.__name__} missing from the module's family tree"


def test_members_that_callers_catch_as_builtins_are_those_builtins_too() -> None:
    assert issubclass(ConfigurationError, ValueError) and issubclass(errors.AmountError, ValueError)
    assert issubclass(errors.UnknownAccountError, KeyError) and issubclass(errors.UnknownAccountError, LedgerError)
    assert issubclass(errors.MissingDependencyError, ImportError)


# -- the check itself, on small fixtures -------------------------------------------------------------

_FIXTURE_PRELUDE = """
from elcart_sim.core.errors import ConfigurationError, LinkError, NoCardError

def make_error(what: str) -> LinkError:
    return LinkError(what)

def make_anything(what: str):
    return ValueError(what)
"""


def _check(body: str) -> list[str]:
    source = _FIXTURE_PRELUDE + textwrap.dedent(body)
    namespace: dict[str, Any] = {"__name__": "fixture"}
    exec(compile(source, "fixture.py", "exec"), namespace)  # noqa: S102 - the fixture only defines functions and a class
    return [offence.why for offence in check_source(source, namespace, "fixture", "fixture.py")]


def test_a_bare_value_error_is_an_offence() -> None:
    found = _check(
        """
        def f(x):
            if x < 0:
                raise ValueError(f"x must be >= 0, got {x}")
        """
    )
    assert found == ["ValueError is not an ElcartSimError subclass"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("def f():\n    raise TypeError\n", "TypeError is not an ElcartSimError subclass"),
        ("import argparse\ndef f():\n    raise argparse.ArgumentTypeError('bad')\n", "argparse.ArgumentTypeError is not an ElcartSimError subclass"),
        ("class Local(Exception):\n    pass\ndef f():\n    raise Local('x')\n", "fixture.Local is not an ElcartSimError subclass"),
        ("def f():\n    raise ConfigurationError\n", "elcart_sim.core.errors.ConfigurationError raised without a message (say what was wrong and where)"),
        ("def f():\n    raise make_anything('x')\n", "fixture.make_anything() is not annotated to return an ElcartSimError subclass"),
        ("def f(error):\n    raise error('x')\n", "parameter 'error' is not annotated type[<an ElcartSimError subclass>]"),
        ("def f():\n    error = KeyError('x')\n    raise error\n", "KeyError is not an ElcartSimError subclass"),
        ("def f():\n    error = TypeError\n    raise error('x')\n", "TypeError is not an ElcartSimError subclass"),
        ("def f(thing):\n    raise thing.problem\n", "cannot tell what this raises (not a class, function or caught exception this check can resolve)"),
        ("def f():\n    raise AttributeError('x')\n", "AttributeError is not an ElcartSimError subclass"),
    ],
)
def test_other_offences(body: str, why: str) -> None:
    assert _check(body) == [why]


def test_what_the_rule_allows() -> None:
    found = _check(
        """
        def family(x):
            if x:
                raise ConfigurationError(f"x must be 0, got {x}") from None

        def reraise():
            try:
                family(1)
            except ConfigurationError as exc:
                if exc.args:
                    raise exc
                raise

        class Keeper:
            def run(self):
                try:
                    family(1)
                except BaseException as exc:
                    self.error = exc

            def join(self):
                raise self.error

        def made():
            raise make_error("the link failed")

        def typed(error: type[LinkError] = NoCardError):
            raise error("no card within 5 s")

        def chosen(late):
            error = NoCardError
            problem = ConfigurationError("late must be a bool")
            if late is None:
                raise problem
            raise error("the card came late")

        def stop():
            raise SystemExit(1)

        def __getattr__(name):
            raise AttributeError(f"module 'fixture' has no attribute {name!r}")
        """
    )
    assert found == []


# -- the messages of the raises converted here name what and where ----------------------------------


@pytest.mark.parametrize(
    ("call", "kind", "message"),
    [
        (
            lambda: ServerPool("switch", 0),
            ConfigurationError,
            "switch: capacity must be a whole number > 0, got 0",
        ),
        (
            lambda: queue_scenario(2, 0.0),
            CapacityError,
            "queue_scenario: arrival_rate_per_s and mean_service_s must be > 0, got 0.0 and 1.0",
        ),
        (
            lambda: response_to({"t": "0100"}, "00"),
            IsoMessageError,
            "ISO 8583 0110: an approved response (DE39 00) needs an authorisation id (DE38)",
        ),
    ],
)
def test_converted_raises_say_what_and_where(call: Any, kind: type, message: str) -> None:
    with pytest.raises(kind) as info:
        call()
    assert str(info.value) == message
