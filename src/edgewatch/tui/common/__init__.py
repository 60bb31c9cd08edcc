"""What every screen shares: messages, help, errors, themes, palette, status bar."""
