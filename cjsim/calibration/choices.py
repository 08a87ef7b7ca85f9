"""The choices of :func:`~cjsim.calibration.calibrate`'s string options, in a module that
imports nothing, so the command line offers them without loading pandas or SciPy."""

__all__ = ["BY_DESTINATION", "CLASS_SHAPES", "HETEROGENEITY", "PACE_NAMES"]

PACE_NAMES = ("gamma", "lognormal")  # the names in :data:`.mixing.PACES`, in its order
CLASS_SHAPES = ("shared", "own")  # the options of calibrate(class_shapes=...)
HETEROGENEITY = ("classes", *PACE_NAMES)  # the options of calibrate(heterogeneity=...)
BY_DESTINATION = ("auto", "yes", "no")  # calibrate(dwell_by_destination=...), or a bool
