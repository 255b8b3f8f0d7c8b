"""The architecture, checked: imports only go down the layers, and no module imports itself back.

Every `import` and `from ... import` in core/, grammar/ and cli/ counts, also those inside
functions (a lazy import still ties the modules together). The layers, top first:

    cli → api → codegen → answers → engine, grammar → kinds → ops → ir → errors

engine and grammar never import each other; a package's modules import each other freely, but
never in a cycle. One documented exception: ops/custom.py evaluates
a custom op's value and rule graphs with the engine's sweeps (a custom op *is* a small program).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"core": "adcalc", "grammar": "adcalc.grammar", "cli": "adcalc.cli"}
# rank: a module may import modules of a lower rank, or of its own package
LAYERS: dict[str, float] = {
    "adcalc.cli": 7,
    "adcalc.api": 6,
    "adcalc": 6,  # the package's __init__ re-exports the API
    "adcalc.__main__": 8,
    "adcalc.codegen": 5.5,  # compiled forms fall back on the answers for what they do not compile
    "adcalc.answers": 5,
    "adcalc.engine": 4,
    "adcalc.grammar": 4,
    "adcalc.kinds": 3.5,  # kinds of value register themselves with the op registry
    "adcalc.ops": 3,
    "adcalc.ir": 2,
    "adcalc.errors": 1,
    "adcalc.text": 1,  # splitting option text: no imports
}
EXCEPTIONS = {("adcalc.ops.custom", "adcalc.engine.forward"), ("adcalc.ops.custom", "adcalc.engine.reverse")}


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The adcalc modules this module imports (resolved, relative imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            bases = [base]
            names = [alias.name for alias in node.names]
        else:
            continue
        for base in bases:
            for candidate in [f"{base}.{n}" for n in names] + [base]:
                if candidate in known:
                    targets.add(candidate)
                    break
    targets.discard(name)
    return targets


def layer(name: str) -> tuple[str, float]:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{name} is in no layer")


GRAPH = {name: imports(name, path, set(modules())) for name, path in modules().items()}


def test_imports_only_go_down() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        here, rank = layer(name)
        for target in targets:
            there, other = layer(target)
            same = there == here or target == "adcalc"
            if (name, target) in EXCEPTIONS or there == "adcalc.errors":
                continue
            if name == "adcalc" or (not same and other < rank):
                continue
            if same and here != "adcalc":
                continue
            wrong.append(f"{name} ({here}) imports {target} ({there})")
    assert not wrong, "\n".join(sorted(wrong))


def test_engine_and_grammar_never_import_each_other() -> None:
    for name, targets in GRAPH.items():
        for target in targets:
            pair = {layer(name)[0], layer(target)[0]}
            assert pair != {"adcalc.engine", "adcalc.grammar"}, f"{name} imports {target}"


def test_no_import_cycle() -> None:
    # Tarjan-free: a depth-first walk that reports the first back edge it meets
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(GRAPH.get(name, ())):
            if target == "adcalc":
                continue  # the package __init__: importing `adcalc` means the public API, on top
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else [name, target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)
