"""Reports for accountability (rendición de cuentas): the office's numbers for a period."""
