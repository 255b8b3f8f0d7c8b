"""`python -m adcalc` runs the command-line tool."""

from adcalc.cli.fast import main

main()
