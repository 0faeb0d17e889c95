"""Publishing: exports of approved assets (gallery, press kits, social formats, open data).

Builds on dam (the catalog) and storage (the files); web calls it. Every exported picture goes
through one strip-and-embed function, :func:`publish.export.export_image`.
"""
