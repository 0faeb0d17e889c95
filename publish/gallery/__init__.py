"""The static public gallery: what it shows (plan), its pages (render), where it goes (targets)."""
