"""The package's import structure, read from the source with `ast` (nothing is imported).

* No import circle between the modules of `vehicle_enforce/`: the graph of module-level imports
  (imports under `if TYPE_CHECKING:` excluded, since they never run) has no cycle.
* No import hidden inside a function, where it would dodge a circle or an import-order problem: each
  function-local import is in `LAZY_IMPORTS` with the reason it is lazy (an entry point, or a heavy
  optional library loaded only by the path that needs it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import vehicle_enforce

PACKAGE = Path(vehicle_enforce.__file__).parent
ROOT = PACKAGE.parent

#: (module, outermost function, imported top-level package) -> why that import is local; "*" matches any.
LAZY_IMPORTS: dict[tuple[str, str, str], str] = {
    # Entry points: importing any `vehicle_enforce.<module>` runs this package's `__init__`, so the
    # composition root imports the domains when the app is built, not when the package is imported.
    ("vehicle_enforce", "create_app", "vehicle_enforce"): "the app factory imports every domain when it builds the app",
    ("vehicle_enforce", "_register_blueprints", "vehicle_enforce"): "the app factory's blueprint list",
    ("vehicle_enforce", "_init_domains", "vehicle_enforce"): "the app factory's list of domain init_apps",
    ("vehicle_enforce.cli", "_serve", "*"): "gunicorn and the WSGI app: only `serve` loads them (the app per worker)",
    # Heavy optional libraries, loaded by the one path that needs them (start-up time and memory of
    # every process, the web workers and the CLI, would otherwise pay for them).
    ("vehicle_enforce.core.tasks", "_embedded_queue", "huey"): "the embedded queue: only without a broker",
    ("vehicle_enforce.core.tasks", "celery_init_app", "celery"): "only with a broker (VE_BROKER_URL)",
    # Not heavy, but it decides at import whether it writes to PROMETHEUS_MULTIPROC_DIR: imported only once
    # the app is built, after `vehicle-enforce serve` set the directory (tests/core/test_processes.py).
    ("vehicle_enforce.core.metrics", "*", "prometheus_client"): "multiprocess mode is chosen at import",
    ("vehicle_enforce.vehicles.plate_reading", "*", "*"): "OpenCV, numpy, Pillow and the plate model: for a photo",
    ("vehicle_enforce.platereading_cli", "*", "plates"): "OpenCV and the plate model: for `vehicle-enforce plates`",
    ("vehicle_enforce.core.imports", "_open_xlsx", "openpyxl"): "only for an .xlsx upload",
    ("vehicle_enforce.phaseout.reports", "*", "matplotlib"): "only when a report chart is drawn",
    ("vehicle_enforce.summary.render", "_bar_svg", "matplotlib"): "only when the monthly PDF's charts are drawn",
    ("vehicle_enforce.core.pdf", "html_to_pdf", "weasyprint"): "Pango and the PDF writer: only to print a PDF",
    ("vehicle_enforce.phaseout.progress", "cumulative_by_township", "pandas"): "only for the progress table",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package's modules that `node` names when executed in `module`.

    `from a.b import c` names the module `a.b.c` when there is one, else `a.b`. The parent packages an
    import also runs are not edges: their `__init__` modules import nothing of the package at the top,
    except `vehicle_enforce/__init__.py`, which imports only `config`.
    """
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    return {name for name in names if name in MODULES and name != module}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: its body, and `if`/`try` blocks in it."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _type_checking(node):
            yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level(block)


def _local(body: list[ast.stmt]) -> Iterator[tuple[str, ast.Import | ast.ImportFrom]]:
    """Imports inside functions (and methods), with the outermost function's name."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield node.name, inner
        elif isinstance(node, ast.ClassDef):
            yield from _local(node.body)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            blocks = [node.body, getattr(node, "orelse", [])]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in blocks:
                yield from _local(block)


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {t for node in _module_level(tree.body) for t in _targets(module, node)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as a path a -> ... -> a, for each strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, for the failure message."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return sorted(group)  # pragma: no cover  (a strongly connected group always has one)


def local_imports() -> Iterator[tuple[str, str, int, str]]:
    """(module, outermost function, line, import text) of every function-local import."""
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function, node in _local(tree.body):
            yield module, function, node.lineno, ast.unparse(node)


def _under_type_checking(path: Path) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:` inside functions (never run: not lazy)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            lines |= {n.lineno for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)}
    return lines


def test_the_graph_sees_every_module_and_real_edges() -> None:
    graph = import_graph()
    assert "vehicle_enforce.cases.services" in graph
    assert "vehicle_enforce.core.audit" in graph["vehicle_enforce.auth.services"]
    assert "vehicle_enforce.core.tasks" in graph["vehicle_enforce.core.jobs_cli"]


def test_cycles_are_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_no_import_circles() -> None:
    found = cycles(import_graph())
    assert not found, "import circles in vehicle_enforce/:\n" + "\n".join(" -> ".join(c) for c in found)


def test_function_local_imports_are_listed_with_a_reason() -> None:
    unlisted = []
    used = set()
    for module, function, line, text in local_imports():
        if line in _under_type_checking(MODULES[module]):
            continue
        package = text.split()[1].split(".")[0]
        candidates = [(module, f, p) for f in (function, "*") for p in (package, "*")]
        key = next((k for k in candidates if k in LAZY_IMPORTS), None)
        if key is None:
            unlisted.append(f"{MODULES[module].relative_to(ROOT)}:{line} in {function}(): {text}")
        else:
            used.add(key)
    assert not unlisted, (
        "function-local imports: move them to the top of the module (or, for a heavy optional library "
        "or an entry point, list them in LAZY_IMPORTS with the reason):\n" + "\n".join(unlisted)
    )
    stale = sorted(set(LAZY_IMPORTS) - used)
    assert not stale, f"LAZY_IMPORTS entries with no local import left: {stale}"


def test_blacklist_never_imports_cases() -> None:
    """Cases may import the blacklist; the blacklist tells cases what happened through signals.

    The reads that answer from entries and cases together (the police hotlist) live in `enforcement`,
    above both, so no blacklist module imports cases, not even for a join.
    """
    wrong = []
    for module, path in MODULES.items():
        if not module.startswith("vehicle_enforce.blacklist"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        for target in sorted({t for n in nodes for t in _targets(module, n)}):
            if target.startswith("vehicle_enforce.cases"):
                wrong.append(f"{module} imports {target}")
            if target == "vehicle_enforce.labels":  # the pages' table imports every domain's labels
                wrong.append(f"{module} imports {target} (use the domain's own labels)")
    assert not wrong, "the blacklist must not import cases (send a signal instead):\n" + "\n".join(wrong)


def test_enforcement_sits_above_blacklist_and_cases() -> None:
    """`enforcement` reads both domains; neither imports it back (the dependency stays one-way)."""
    graph = import_graph()
    assert "vehicle_enforce.cases.models" in graph["vehicle_enforce.enforcement.hotlist"]
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module.startswith(("vehicle_enforce.blacklist", "vehicle_enforce.cases"))
        for target in sorted(targets)
        if target.startswith("vehicle_enforce.enforcement")
    ]
    assert not wrong, "blacklist and cases must not import enforcement:\n" + "\n".join(wrong)
