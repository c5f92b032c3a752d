"""What users run, on top of mlp: predict, the page's server, the CLI, revisions, the report."""
