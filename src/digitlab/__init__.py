"""digitlab: the "neural networks from zero to one" tutorial as a reproducible DVC pipeline."""
