"""Training: the fit loop, checkpoints with exact resume, optimiser and EMA.

``from robolearn.training.fit import fit``; the config is
:class:`robolearn.training.config.FitConfig`. Importing this package imports nothing heavy.
"""
