"""robolearn: learn robot manipulation skills in simulation and measure how they transfer.

Importing this package does no work: heavy dependencies (torch, robosuite, open_clip, peft,
wandb) are imported only inside the subpackages that need them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
