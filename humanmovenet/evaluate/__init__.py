"""humanmovenet.evaluate stage."""
