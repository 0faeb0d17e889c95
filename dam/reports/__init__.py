"""Reports for accountability (rendición de cuentas): the office's numbers for a period."""

OPEN_DATA_KEY = "open_data_report"  # the publishing setting holding a published report's counts
