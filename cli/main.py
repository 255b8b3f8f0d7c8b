"""The `adcalc` command: the Typer app with every command registered (a thin layer over the API)."""

from . import batch, codegen, derivatives, minimize, plot, point, propagate  # noqa: F401  (each registers its commands)
from .app import add_epilogs, app, run

add_epilogs()

__all__ = ["app", "run"]

if __name__ == "__main__":
    run()
