"""Reports for accountability as charts, tables, CSV and PDF (counts only, never material)."""
