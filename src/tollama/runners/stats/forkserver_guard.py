"""Imported by the stats fork server alone (``workers.PRELOAD``): it dies with its runner.

multiprocessing's fork server exits when the last holder of its ``alive`` pipe closes it, but
every pool worker holds a copy, so a runner killed mid-request would leave the server and its
workers computing. Arming the parent-death signal here, at the server's start, kills it with
the runner; each worker arms its own in turn (``lifeline.guard_worker``) and dies with it.
"""

from tollama.runners.lifeline import die_with_parent

ARMED = die_with_parent()
