"""humanmovenet.pose2d stage."""
