"""Simulation and evaluation: synthetic landmark streams and the ground-truth bench.

The generators (`synthetic`, `synthetic_geometry`, `synthetic_body`) have their own geometry and
import nothing of the estimator, so that they can catch its errors; `motion` scripts their poses
into sessions; `groundtruth` scores the estimator against rendered humans and so imports it.
"""
