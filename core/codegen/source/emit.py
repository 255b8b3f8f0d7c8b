"""What every language's writer shares: walking a Program's items into indented lines.

A language is a Spelling: how it writes a literal, an input, an op over its operands, an
assignment, an `if`/`else` and a comment. python.py, numpy.py and c.py are one Spelling each, plus
the frame of their functions (signature, unpacking x, filling the outputs).
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Sequence

from ...errors import UsageError
from .lower import Assign, Branch, Item, Program, Ref, family_of, variadic

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
TEMP = re.compile(r"(t|c|o|in)[0-9]+\Z")  # temporaries, the batch kernel's columns, fallback names


class Spelling:
    """One language's spelling of straight-line code (override the methods a language differs in)."""

    language = ""
    indent = "    "
    templates: dict[str, str] = {}  # op -> format string over its operands
    binary_min_max: dict[str, str] = {}  # "min"/"max" -> the two-argument form, for min3, max4, ...
    helpers: dict[str, str] = {}  # helper function name -> its source (emitted when used)
    reserved: frozenset[str] = frozenset()

    def __init__(self, variables: Sequence[str]) -> None:
        self.used: set[str] = set()  # helper functions the code calls
        self.inputs: list[str] = []
        for k, name in enumerate(variables):
            self.inputs.append(self.input_name(name, k, set(self.inputs)))

    # --- names ---
    def input_name(self, name: str, k: int, taken: frozenset[str] | set[str] = frozenset()) -> str:
        """The variable's own name where the language allows it (x_ for x, the array's name), else in<k>."""
        plain = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)).strip("_")  # x[1] -> x_1
        for candidate in (name, name + "_", plain, plain + "_"):
            fine = (
                IDENTIFIER.match(candidate) is not None
                and not TEMP.match(candidate)
                and candidate not in self.reserved
                and not candidate.startswith("ad_")
                and candidate not in taken
            )
            if fine:
                return candidate
        return f"in{k}"

    def literal(self, value: float) -> str:
        raise NotImplementedError

    def ref(self, r: Ref) -> str:
        kind, payload = r
        if kind == "t":
            return f"t{payload}"
        if kind == "x":
            return self.inputs[payload]
        return self.literal(payload)

    # --- operations ---
    def template(self, op: str, count: int) -> str:
        found = self.templates.get(op)
        if found is None:
            family = family_of(op)
            if family is None or family not in self.binary_min_max:
                raise UsageError(f"codegen --lang {self.language} cannot write the op {op}")
            found = variadic(op, count, self.binary_min_max[family])
        for helper in self.helpers:
            if helper + "(" in found:
                self.used.add(helper)
        return found

    def expression(self, item: Assign) -> str:
        return self.template(item.op, len(item.args)).format(*(self.ref(a) for a in item.args))

    # --- statements ---
    def comment(self, text: str) -> str:
        raise NotImplementedError

    def assign(self, target: str, expression: str, declare: bool) -> str:
        raise NotImplementedError

    def branch_lines(self, item: Branch, depth: int) -> list[str]:
        raise NotImplementedError

    def lines(self, items: Sequence[Item], depth: int = 1) -> list[str]:
        """The items as indented statements."""
        out: list[str] = []
        pad = self.indent * depth
        for item in items:
            if isinstance(item, Branch):
                out += self.branch_lines(item, depth)
                continue
            line = pad + self.assign(f"t{item.temp}", self.expression(item), True)
            out.append(line + (f"  {self.comment(item.note)}" if item.note else ""))
        return out

    def body(self, program: Program, depth: int = 1) -> list[str]:
        return self.lines(program.body, depth)

    def helper_source(self) -> list[str]:
        """The helper functions the code used, in a fixed order."""
        return [self.helpers[name] for name in self.helpers if name in self.used]


def python_literal(value: float, prefix: str) -> str:
    """A float as Python source: repr round-trips; inf and nan through the module `prefix` (math, np)."""
    if value != value:
        return f"{prefix}.nan"
    if math.isinf(value):
        return f"{prefix}.inf" if value > 0 else f"(-{prefix}.inf)"
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


PYTHON_RESERVED = frozenset(keyword.kwlist) | {
    "x", "math", "np", "value", "grad", "hess", "jac", "float", "abs", "max", "points",
}  # fmt: skip


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def describe(label: str) -> str:
    """The program's label on one line (a multi-line program text is named, not copied)."""
    one = " ".join(label.split())
    return one if len(one) <= 200 else one[:197] + "..."


def variables_text(variables: Sequence[str]) -> str:
    """Which variable each x[k] is (array elements as the language names them, counting from 1)."""
    listed = ", ".join(f"x[{k}] = {v}" for k, v in enumerate(variables))
    arrays = any("[" in v for v in variables)
    return f"Variables: {listed}" + (" (arrays row-major; the language counts from 1)" if arrays else "")


def wrapped(text: str, width: int = 96) -> list[str]:
    """A long comment line as several."""
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


CONVENTIONS = [
    "abs'(0) = 0 (the derivative is sign(x), and sign(0) = 0)",
    "at a tie of max or min the derivative is split evenly between the tied arguments",
]
