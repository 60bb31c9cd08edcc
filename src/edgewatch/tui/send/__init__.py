"""The Send screen: its form, its results and the worker between them."""
