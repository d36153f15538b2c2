"""Nystra: photo restoration with pretrained vision transformers and PnP-Nystra attention."""

__version__ = "0.1.0"
