"""Analysis on top of the engines: sensitivity of a KPI to every parameter (the data of
:func:`cjsim.plotting.tornado`), and the design of a field A/B test that confirms a
simulated effect (:func:`ab_test_design`)."""

from cjsim.analysis.abtest import ABTestDesign, ab_test_design
from cjsim.analysis.sensitivity import sensitivity

__all__ = ["ABTestDesign", "ab_test_design", "sensitivity"]
