"""adcalc's grammars: expression text to an interned DAG."""

from .build import parse_expr

__all__ = ["parse_expr"]
