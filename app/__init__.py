"""LlamaLog: a music catalog admin with a provenance log."""

__version__ = "0.1.0"
