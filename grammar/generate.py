"""Build the parser tables of adcalc.lark with lark, once, at development time.

    python -m adcalc.grammar.generate           # rewrites grammar/adcalc_tables.json
    python -m adcalc.grammar.generate --check   # exit 1 if the shipped table is not up to date

lark reads the grammar and computes its LALR(1) table; adcalc ships that table as JSON and runs it
with the small driver in lalr.py, so a run never imports lark (30 ms of every start-up) nor
rebuilds its parser objects from lark's cache (another 6 ms). tests/grammar/test_tables.py
checks that the shipped table is what this module makes from the shipped grammar.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
GRAMMAR, TABLES = HERE / "adcalc.lark", HERE / "adcalc_tables.json"


def tables(grammar: str) -> dict[str, Any]:
    """The lexer's terminals in lark's order, the rules and the LALR states, as plain data."""
    from lark import Lark
    from lark.parsers.lalr_analysis import Shift

    parser = Lark(grammar, parser="lalr", lexer="basic")
    parser.lex("x")  # the basic lexer sorts its terminals when first used
    lexer = parser.parser.lexer
    table = parser.parser.parser._parse_table
    rules = parser.rules
    index = {rule: i for i, rule in enumerate(rules)}
    # lark numbers states in the order of sets of objects, which differs from run to run: number
    # them again breadth first from the start state, symbols in sorted order, so the file is stable
    start = table.start_states["start"]
    number, queue = {start: 0}, [start]
    for state in queue:
        for symbol in sorted(table.states[state]):
            action, argument = table.states[state][symbol]
            if action is Shift and argument not in number:
                number[argument] = len(number)
                queue.append(argument)
    states = []
    for state in queue:
        actions = {}
        for symbol, (action, argument) in sorted(table.states[state].items()):
            actions[symbol] = number[argument] if action is Shift else -1 - index[argument]
        states.append(actions)
    return {
        "terminals": [[t.name, t.pattern.to_regexp()] for t in lexer.terminals],
        "ignore": sorted(lexer.ignore_types),
        "rules": [_rule(rule) for rule in rules],
        "states": states,
        "start": 0,
        "end": number[table.end_states["start"]],
    }


def _rule(rule: Any) -> list[Any]:
    # what to do with each child: 0 drop (an anonymous token), 1 keep, 2 splice (an inlined _rule)
    children = [0 if s.is_term and s.filter_out else 2 if not s.is_term and s.name.startswith("_") else 1
                for s in rule.expansion]  # fmt: skip
    origin = rule.origin.name
    callback = None if origin.startswith("_") else (rule.alias or origin)
    expand = bool(rule.options.expand1 and not rule.alias)  # a `?rule` alternative of one child vanishes
    if expand and children.count(1) != 1:
        raise ValueError(f"{rule}: a `?rule` alternative without an alias must keep exactly one child")
    return [origin, len(rule.expansion), children, callback, expand]


def text(grammar: str) -> str:
    """The JSON file's contents (one state per line, so a change to the grammar reads as a diff)."""
    data = tables(grammar)
    states = ",\n".join(json.dumps(s, ensure_ascii=False, sort_keys=True) for s in data.pop("states"))
    head = json.dumps(data, ensure_ascii=False)[:-1]
    return f'{head}, "states": [\n{states}\n]}}\n'


def main() -> None:
    new = text(GRAMMAR.read_text(encoding="utf-8"))
    if "--check" in sys.argv:
        current = TABLES.read_text(encoding="utf-8")
        sys.exit(0 if current == new else f"{TABLES.name} is out of date: python -m adcalc.grammar.generate")
    TABLES.write_text(new, encoding="utf-8")
    print(f"wrote {TABLES}")


if __name__ == "__main__":
    main()
