"""humanmovenet.viz stage."""
