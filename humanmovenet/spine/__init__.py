"""humanmovenet.spine stage."""
