"""Derivatives as source code people keep: standalone Python, NumPy and C (`adcalc codegen`).

lower.py turns graphs into straight-line code once; python.py, numpy.py and c.py spell it, so a
new language is one small module. outputs.py says what the function computes (value, gradient,
Hessian or Jacobian, in one layout for every language).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import UsageError
from ...ir.graph import Graph
from .outputs import Derivatives, derivatives

LANGUAGES = ("python", "numpy", "c")


@dataclass(frozen=True)
class Generated:
    """The files of one generated function and how to call it."""

    language: str
    files: dict[str, str]  # file name -> text (C: the .c, then the .h)
    derivatives: Derivatives
    name: str

    @property
    def function(self) -> str:
        return f"{self.name}_{self.derivatives.kind}"

    @property
    def signature(self) -> str:
        """How the generated function is called."""
        if self.language == "c":
            from .c import signature

            return signature(self.name, self.derivatives)
        results = {"grad": "value, grad", "hessian": "value, grad, hess", "jacobian": "value, jac"}
        return f"{self.function}(x) -> ({results[self.derivatives.kind]})"


def generate(
    graph: Graph, language: str, kind: str = "grad", name: str = "f", header: str | None = None
) -> Generated:
    """The source of a standalone function computing the value and the `kind` derivative of graph
    (C: `header` is the file name the .c includes, name.h by default)."""
    if language not in LANGUAGES:
        raise UsageError(f"codegen: unknown language {language} (one of {', '.join(LANGUAGES)})")
    if not name.isidentifier() or not name.isascii() or name.startswith("_"):
        raise UsageError(f"codegen: --name {name} is not a plain identifier (letters, digits, _)")
    found = derivatives(graph, kind)
    label = graph.label
    if language == "c":
        from .c import c_sources

        files = c_sources(label, found, name, header)
    elif language == "numpy":
        from .numpy import numpy_source

        files = {f"{name}.py": numpy_source(label, found, name)}
    else:
        from .python import python_source

        files = {f"{name}.py": python_source(label, found, name)}
    return Generated(language, files, found, name)
