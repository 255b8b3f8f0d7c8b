"""Other values the op rules run on: numpy arrays, truncated Taylor series, graph nodes."""
