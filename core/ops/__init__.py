"""What each op means: the registry (one OpDef per op, with its derivative rules), scalar and
matrix ops with their shape rules, the value tables per kind, and user-defined ops."""
