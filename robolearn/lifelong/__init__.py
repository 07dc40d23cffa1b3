"""Lifelong learning: learners, task orderings, LIBERO's protocol, result matrices, reports.

``robolearn lifelong`` (:func:`robolearn.lifelong.run.run_lifelong`) learns the tasks of a
seeded ordering one after another with a registered learner (``seql``, ``er``, ``ewc``,
``packnet``, ``multitask``, ``single_task``; :data:`robolearn.lifelong.registry.LEARNERS`) and
writes the result matrix ``R[k, j]`` with FWT / NBT / AUC (:mod:`robolearn.lifelong.metrics`);
``robolearn report`` aggregates runs (:mod:`robolearn.lifelong.report`). Importing this
package imports nothing heavy; :mod:`~robolearn.lifelong.metrics`,
:mod:`~robolearn.lifelong.ordering` and :mod:`~robolearn.lifelong.config` are pure.
"""
