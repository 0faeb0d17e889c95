"""Curation: editing, culling, collections, workflow, rights and consent, and the audit log."""
