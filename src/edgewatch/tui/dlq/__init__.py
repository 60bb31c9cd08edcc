"""The DLQ screen, its text renderers and the replay confirmation."""
