"""Analysis on top of the engines: sensitivity (tornado data)."""

from cjsim.analysis.sensitivity import tornado

__all__ = ["tornado"]
