"""The Send screen and the actions that open it."""
