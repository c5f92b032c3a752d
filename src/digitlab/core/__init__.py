"""What every stage shares: typed params, one-line errors, atomic writes, seeded layers."""
