"""The handover package (entrega-recepción): the archive as a BagIt bag, out and back in."""
