"""humanmovenet.io stage."""
