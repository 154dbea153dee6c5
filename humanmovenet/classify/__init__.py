"""humanmovenet.classify stage."""
