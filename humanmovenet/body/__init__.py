"""humanmovenet.body stage."""
