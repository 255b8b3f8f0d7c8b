"""adcalc: derivatives by automatic differentiation, from the command line or from Python.

    >>> import adcalc
    >>> result = adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0})
    >>> result.value, result.gradient["x"]
    (1.682941969615793, 1.0806046117362795)
"""

from . import elementary as _elementary  # noqa: F401  (fills the op registry)
from . import graph as _graph  # noqa: F401  (makes nodes a kind of value)
from .api import Evaluation, Expression, Gradient, evaluate, gradient, parse
from .errors import AdcalcError, DomainError, EvaluationError, ParseError, Span
from .nodes import Node, topological_order
from .ops import OPS, OpDef, register

__version__ = "0.1.0"

# Derivative APIs beyond the gradient load on first use, so `import adcalc` stays quick.
_LAZY = {
    "derivative": "derivatives",
    "gradient_forward": "derivatives",
    "gradient_function": "derivatives",
    "hessian": "derivatives",
    "hessian_function": "derivatives",
    "hvp": "derivatives",
    "jacobian": "derivatives",
    "jvp": "derivatives",
    "diff": "symbolic",
    "taylor": "series",
    "explain": "trace",
    "check": "methods",
    "compile": "compiled",  # adcalc.compile, as issue 5 names it
    "Compiled": "compiled",
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
