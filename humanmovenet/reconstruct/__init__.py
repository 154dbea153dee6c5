"""humanmovenet.reconstruct stage."""
