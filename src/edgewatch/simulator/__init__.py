"""The embedded local stack: moto's server in-process plus a simulated edge pipeline."""
