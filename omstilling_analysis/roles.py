"""The roles of the instrument: what a respondent's ``rolle`` may be published as.

A role is published only as one of :data:`ROLES`, the answers of the instrument's ``rolle``
question. Typed variants (case, spaces, dashes, a trailing full stop) and the synonyms an
analyst accepts (:data:`ROLE_SYNONYMS`) are mapped to it; anything else becomes
:data:`UNKNOWN_ROLE`, so that a name, an e-mail address or a CPR number typed into a role cell
never reaches an output.
"""

from __future__ import annotations

import re
from functools import cache

from omstilling_analysis import reference

__all__ = ["ROLES", "ROLE_SYNONYMS", "UNKNOWN_ROLE", "canonical_role"]

#: The roles of the instrument (the ``rolle`` question's answers), in its order.
ROLES: tuple[str, ...] = (
    "Direktion",
    "Digitaliseringschef eller -konsulent",
    "Fagchef",
    "Leder",
    "Medarbejder",
    "Andet",
)
#: What an own sheet's role that is none of :data:`ROLES` is published as.
UNKNOWN_ROLE = "(ukendt rolle)"
#: Other ways to write a role that an analyst accepts (compared as :func:`canonical_role` does).
ROLE_SYNONYMS: dict[str, str] = {
    "direktør": "Direktion",
    "direktionen": "Direktion",
    "direktionsmedlem": "Direktion",
    "kommunaldirektør": "Direktion",
    "digitaliseringschef": "Digitaliseringschef eller -konsulent",
    "digitaliseringskonsulent": "Digitaliseringschef eller -konsulent",
    "digitaliseringschef eller konsulent": "Digitaliseringschef eller -konsulent",
    "digitaliseringschef/-konsulent": "Digitaliseringschef eller -konsulent",
    "digitaliseringschef/konsulent": "Digitaliseringschef eller -konsulent",
    "digitaliseringschef og -konsulent": "Digitaliseringschef eller -konsulent",
    "digitaliseringsansvarlig": "Digitaliseringschef eller -konsulent",
    "chef": "Fagchef",
    "afdelingschef": "Fagchef",
    "centerchef": "Fagchef",
    "områdechef": "Fagchef",
    "afdelingsleder": "Leder",
    "teamleder": "Leder",
    "mellemleder": "Leder",
    "institutionsleder": "Leder",
    "daglig leder": "Leder",
    "ansat": "Medarbejder",
    "medarbejdere": "Medarbejder",
    "anden": "Andet",
    "andre": "Andet",
    "anden rolle": "Andet",
    "øvrige": "Andet",
}


def _role_key(text: object) -> str:
    key = reference.normalise_label(text)
    key = re.sub(r"\s*[-‐‑–—]\s*", "-", key).strip(" .:;")
    return key


@cache
def _role_index() -> dict[str, str]:
    index = {_role_key(role): role for role in ROLES}
    index.update({_role_key(k): v for k, v in ROLE_SYNONYMS.items()})
    index[_role_key("Digitaliseringschef eller - konsulent")] = ROLES[1]
    return index


def canonical_role(text: object) -> str | None:
    """The instrument's role a typed role stands for; ``None`` for a blank; else
    :data:`UNKNOWN_ROLE`. Case, spaces, dashes and a trailing full stop do not matter.

    >>> [canonical_role(t) for t in (" leder ", "Direktør", "DIGITALISERINGSCHEF ELLER - KONSULENT",
    ...                              "", "jens@greve.dk")]
    ['Leder', 'Direktion', 'Digitaliseringschef eller -konsulent', None, '(ukendt rolle)']
    """
    key = _role_key(text)
    if not key:
        return None
    return _role_index().get(key, UNKNOWN_ROLE)
