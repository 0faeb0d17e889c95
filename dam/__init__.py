"""Acervo's core: settings, catalog models and services, the job queue and the `dam` command."""

__version__ = "0.1.0"
