"""Publishing rules that need no image library: electoral blackouts, the gallery's collections."""
