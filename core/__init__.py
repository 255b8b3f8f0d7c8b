"""adcalc: derivatives by automatic differentiation, from the command line or from Python.

>>> import adcalc
>>> result = adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0})
>>> result.value, result.gradient["x"]
(1.682941969615793, 1.0806046117362795)
"""

from .api import (
    DirectionalDerivative,
    Evaluation,
    Expression,
    Gradient,
    Graph,
    check,
    compile,
    derivative,
    diff,
    evaluate,
    explain,
    gradient,
    gradient_forward,
    gradient_function,
    hessian,
    hessian_function,
    hvp,
    jacobian,
    jvp,
    minimize,
    parse,
    plot_data,
    propagate,
    solve,
    taylor,
    vjp,
)
from .errors import AdcalcError, DomainError, EvaluationError, ParseError, Span
from .ir.nodes import Node, topological_order
from .kinds import graphs as _graphs  # noqa: F401  (makes nodes a kind of value)
from .ops import elementary as _elementary  # noqa: F401  (fills the op registry)
from .ops.registry import OPS, OpDef, register

__version__ = "0.2.0"


def __getattr__(name: str) -> object:
    if name == "Compiled":  # the class adcalc.compile returns (imports the compiler on first use)
        from .codegen.compiled import Compiled

        return Compiled
    raise AttributeError(f"module 'adcalc' has no attribute {name!r}")


__all__ = [
    "OPS",
    "AdcalcError",
    "Compiled",
    "DirectionalDerivative",
    "DomainError",
    "Evaluation",
    "EvaluationError",
    "Expression",
    "Gradient",
    "Graph",
    "Node",
    "OpDef",
    "ParseError",
    "Span",
    "check",
    "compile",
    "derivative",
    "diff",
    "evaluate",
    "explain",
    "gradient",
    "gradient_forward",
    "gradient_function",
    "hessian",
    "hessian_function",
    "hvp",
    "jacobian",
    "jvp",
    "minimize",
    "parse",
    "propagate",
    "plot_data",
    "register",
    "solve",
    "taylor",
    "topological_order",
    "vjp",
]
