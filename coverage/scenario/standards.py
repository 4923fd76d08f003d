"""The standards a scenario analyses: one service, another threshold or target share."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the standards are a later stage's type; a scenario only names them
    from coverage.metrics.standards import Standards


def service_standards(standards: Standards, service: str, *, threshold_min: float | None = None,
                      target_share: float | None = None) -> Standards:
    """Standards with one service only (optionally another threshold / target) and no per-unit rules.

    What the app analyses after a change of threshold: one service, reusing the
    travel tables, in a fraction of a second.

    Parameters
    ----------
    standards
        A :class:`coverage.metrics.Standards`.
    service
        Key of the service kept.
    threshold_min
        Travel-time threshold [min]; default the service's own.
    target_share
        Target share 0..1; default the service's own.

    Raises
    ------
    UnknownCategoryError
        No such service (the message lists the known ones).
    """
    svc = standards.service(service)
    if threshold_min is not None:
        svc = svc.with_threshold(float(threshold_min))
    if target_share is not None:
        svc = dataclasses.replace(svc, target_share=float(target_share))
    return dataclasses.replace(standards, services=(svc,), unit_rules=())
