"""humanmovenet.biomech stage."""
