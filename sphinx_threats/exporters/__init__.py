"""Export the model to another tool's format (pure: no Sphinx, no docutils)."""
