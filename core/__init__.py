"""adcalc: derivatives by automatic differentiation, from the command line or from Python.

    >>> import adcalc
    >>> result = adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0})
    >>> result.value, result.gradient["x"]
    (1.682941969615793, 1.0806046117362795)
"""

from .api import Evaluation, Expression, Gradient, evaluate, gradient, parse
from .errors import AdcalcError, DomainError, EvaluationError, ParseError, Span
from .ir.nodes import Node, topological_order
from .kinds import graphs as _graph  # noqa: F401  (makes nodes a kind of value)
from .ops import elementary as _elementary  # noqa: F401  (fills the op registry)
from .ops.registry import OPS, OpDef, register

__version__ = "0.1.0"

# Derivative APIs beyond the gradient load on first use, so `import adcalc` stays quick.
_LAZY = {
    "derivative": "answers.derivatives",
    "gradient_forward": "answers.derivatives",
    "gradient_function": "answers.derivatives",
    "hessian": "answers.derivatives",
    "hessian_function": "answers.derivatives",
    "hvp": "answers.derivatives",
    "jacobian": "answers.derivatives",
    "jvp": "answers.derivatives",
    "diff": "answers.diff",
    "taylor": "kinds.series",
    "explain": "answers.explain",
    "check": "answers.check",
    "compile": "codegen.compiled",  # adcalc.compile, as issue 5 names it
    "Compiled": "codegen.compiled",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'adcalc' has no attribute {name!r}")

__all__ = [
    "OPS",
    "AdcalcError",
    "Compiled",
    "DomainError",
    "Evaluation",
    "EvaluationError",
    "Expression",
    "Gradient",
    "Node",
    "OpDef",
    "ParseError",
    "Span",
    "compile",
    "evaluate",
    "gradient",
    "parse",
    "register",
    "topological_order",
]
