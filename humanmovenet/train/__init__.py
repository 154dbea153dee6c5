"""humanmovenet.train stage."""
