"""Evaluation: vectorised rollouts from fixed initial states, results, rollout videos.

``from robolearn.evaluation.evaluate import evaluate`` (config:
:class:`robolearn.evaluation.config.EvalConfig`, result:
:class:`robolearn.evaluation.result.EvalResult`). Importing this package imports nothing heavy.
"""
