"""The structure of the house (docs/ARCHITECTURE.md), checked on the source tree itself.

Each rule reads the code with :mod:`ast`; none imports the project, so a broken module still gets
its structural verdict. A failure names the file, the line and the rule.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
MAX_SHARED_PAGE_LINES = 250

#: Which project packages each layer may import (its own package always allowed).
#: ``geo._errors`` (the exceptions) and ``geo._lazy`` (lazy re-exports of a package's names) may
#: be imported from anywhere in ``geo``.
LAYERS = {
    "boundaries": set(),
    "geo.stats": set(),
    "geo.data": {"boundaries", "geo.stats"},
    "geo.maps": {"boundaries", "geo.stats"},
    "geo.export": {"boundaries", "geo.stats", "geo.maps", "geo.data"},
    "geo.upload": {"boundaries", "geo.data"},
    "geo.analysis": {"boundaries", "geo.stats", "geo.data"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for root in ("geo", "boundaries"):
        for path in sorted((REPO / root).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _source_files() -> list[Path]:
    return [*MODULES.values(), *sorted((REPO / "pages").glob("*.py")), REPO / "app.py"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every project module imported anywhere in the file (top level or inside functions)."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names
                      if f"{node.module}.{a.name}" in MODULES]
    return [(m, n) for m, n in found if m.split(".")[0] in ("geo", "boundaries")]


def _package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "boundaries":
        return "boundaries"
    return ".".join(parts[:2]) if len(parts) > 1 else "geo"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_modules_are_short_enough_to_read_in_one_sitting():
    long = [f"{_rel(p)} ({n} lines)" for p in _source_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split by job): {long}"


def test_functions_are_at_most_80_lines_docstring_included():
    long = []
    for path in _source_files():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if (n := node.end_lineno - start + 1) > MAX_FUNCTION_LINES:
                    long.append(f"{_rel(path)}:{node.lineno} {node.name} ({n} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_shared_page_helpers_stay_thin():
    n = len((REPO / "pages" / "_shared.py").read_text(encoding="utf-8").splitlines())
    assert n <= MAX_SHARED_PAGE_LINES, f"pages/_shared.py has {n} lines; move library work to geo/"


def test_no_import_cycles_between_modules():
    graph = defaultdict(set)
    for module, path in MODULES.items():
        for target, _ in _imports(path):
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != module:
                graph[module].add(target)
    # a package __init__ re-exports its modules: edges into it are edges to the package only
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_downwards(layer):
    allowed = LAYERS[layer] | {layer, "geo._errors", "geo._lazy"}
    bad = []
    for module, path in MODULES.items():
        if _package_of(module) != layer:
            continue
        for target, line in _imports(path):
            pkg = _package_of(target)
            if pkg == "geo" and target != "geo":
                pkg = target
            if pkg not in allowed and target not in allowed:
                bad.append(f"{_rel(path)}:{line} imports {target}")
    assert not bad, f"{layer} may import only {sorted(allowed)}: {bad}"


def test_statistics_never_read_the_store_or_a_file():
    readers = {"read_parquet", "read_csv", "read_file", "read_text", "read_bytes", "open",
               "to_parquet", "to_csv", "to_file", "write_text", "write_bytes", "load",
               "load_graph", "load_indicators", "store_dir"}
    bad = []
    for module, path in MODULES.items():
        if not module.startswith("geo.stats"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in readers:
                    bad.append(f"{_rel(path)}:{node.lineno} calls {name}()")
    assert not bad, f"geo/stats is pure (the build, geo.analysis and the CLI read): {bad}"


def test_streamlit_only_in_the_app():
    bad = [f"{_rel(p)}:{line}" for p in MODULES.values()
           for node in ast.walk(_tree(p)) if isinstance(node, ast.Import | ast.ImportFrom)
           for line in [node.lineno]
           if any(n.startswith("streamlit") for n in
                  ([a.name for a in node.names] if isinstance(node, ast.Import)
                   else [node.module or ""]))]
    assert not bad, f"Streamlit imported below the app: {bad}"


def test_packages_declare_their_public_names():
    missing = [_rel(p) for m, p in MODULES.items()
               if p.name == "__init__.py" and "__all__" not in p.read_text(encoding="utf-8")]
    assert not missing, f"package __init__ without __all__: {missing}"


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_every_public_name_of_a_package_resolves(package):
    """``__all__`` and the lazy re-exports (geo._lazy) agree: every listed name imports."""
    import importlib

    module = importlib.import_module(package)
    broken = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert not broken, f"{package}.__all__ names that do not resolve: {broken}"


def test_no_import_fallbacks_for_the_projects_own_modules():
    bad = []
    for path in [*MODULES.values(), *sorted((REPO / "pages").glob("*.py"))]:
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.Try):
                continue
            catches = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
            if not catches & {"ImportError", "ModuleNotFoundError"}:
                continue
            own = [m for m, _ in _imports_in(node.body)]
            if own:
                bad.append(f"{_rel(path)}:{node.lineno} guards {own}")
    assert not bad, f"`except ImportError` around project imports: {bad}"


def _imports_in(body: list[ast.stmt]) -> list[tuple[str, int]]:
    out = []
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                    "geo", "boundaries", "pages"):
                out.append((node.module, node.lineno))
            elif isinstance(node, ast.Import):
                out += [(a.name, node.lineno) for a in node.names
                        if a.name.split(".")[0] in ("geo", "boundaries", "pages")]
    return out


def test_every_test_that_reads_the_mirror_is_marked_real():
    """A test that takes the ``store`` or ``mirror`` fixture (or a fixture built on them) needs the
    real data: it carries ``@pytest.mark.real`` (or its module's ``pytestmark`` does)."""
    bad = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        tree = _tree(path)
        module_real = any(
            isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
            and "real" in ast.unparse(n.value) for n in tree.body)
        real_fixtures = {"store", "mirror"}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any(
                    "fixture" in ast.unparse(d) for d in node.decorator_list) and (
                    {a.arg for a in node.args.args} & real_fixtures):
                real_fixtures.add(node.name)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            uses = {a.arg for a in node.args.args} & real_fixtures
            marked = module_real or any("real" in ast.unparse(d) for d in node.decorator_list)
            if uses and not marked:
                bad.append(f"{_rel(path)}:{node.lineno} {node.name} uses {sorted(uses)}")
    assert not bad, f"tests on the mirror without @pytest.mark.real: {bad}"


def test_no_wall_clock_assertions_in_tests():
    """Speed is measured in bench/ as ratios against a same-run baseline, never asserted here."""
    bad = [f"{_rel(p)}:{node.lineno}" for p in sorted((REPO / "tests").glob("test_*.py"))
           for node in ast.walk(_tree(p))
           if isinstance(node, ast.Attribute) and node.attr in ("perf_counter", "process_time")]
    assert not bad, f"timing in tests (move it to bench/): {bad}"
