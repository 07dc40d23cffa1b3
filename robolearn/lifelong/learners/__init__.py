"""Lifelong learners: the :class:`~robolearn.lifelong.learners.base.Learner` interface and the
registered algorithms (imported on demand by :mod:`robolearn.lifelong.registry`)."""
