"""adcalc's language: text (a formula or a program, one grammar) to an interned DAG."""

from .program import parse_program

__all__ = ["parse_program"]
