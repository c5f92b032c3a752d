"""`make bench`: one module per thing measured, on one harness; results in results.{md,json}."""
