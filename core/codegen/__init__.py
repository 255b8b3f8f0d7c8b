"""Compiled forms of a graph: straight-line Python, numpy block kernels, batch plans, adcalc.compile."""
