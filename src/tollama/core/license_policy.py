"""Which weights a site may pull and serve, by the class of their licence.

Every registry model declares its weights' licence class. A company that may only use weights
commercially sets ``tollama config set license_policy commercial``; the daemon then refuses to
pull or serve non-commercial and revenue-capped weights, naming the licence, so nobody ships a
forecast from weights they may not use.
"""

from __future__ import annotations

from tollama.core.errors import LicenseRequired
from tollama.core.schemas import ModelSpec

REFUSED_CLASSES: dict[str, frozenset[str]] = {
    "any": frozenset(),
    "commercial": frozenset({"non-commercial", "revenue-capped"}),
}


def check_license_policy(spec: ModelSpec, policy: str, verb: str) -> None:
    """Raise ``LicenseRequired`` (409) when ``policy`` excludes ``spec``'s licence class."""
    category = spec.license.category
    if category in REFUSED_CLASSES.get(policy, frozenset()):
        raise LicenseRequired(
            f"refusing to {verb} '{spec.name}': its weights are {category} ({spec.license.id}) and "
            f"license_policy is '{policy}'; choose a permissively licensed model (`tollama list --available`) "
            "or change the policy with `tollama config set license_policy any`"
        )
