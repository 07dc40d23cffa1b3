"""Encoders shared by policies: CLIP text towers (open_clip) and image backbones.

``from robolearn.encoders.text import TextEncoder`` (frozen CLIP text tower, cached per
instruction); ``from robolearn.encoders.vision import FiLMResNet`` (ResNet-18-style trunk with
FiLM language conditioning and spatial softmax). Importing this package imports nothing heavy.
"""
