"""humanmovenet.synth stage."""
