"""Analysis on top of the engines: sensitivity of a KPI to every parameter (the data of
:func:`cjsim.plotting.tornado`)."""

from cjsim.analysis.sensitivity import sensitivity

__all__ = ["sensitivity"]
