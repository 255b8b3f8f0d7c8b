"""`python -m adcalc` runs the command-line tool."""

from adcalc.cli.main import run

run()
