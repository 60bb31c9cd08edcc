"""What every screen shares: the action table, messages, worker errors, help, themes, palette."""
