"""The DLQ screen: its message list, replay panel, text renderers and replay confirmation."""
