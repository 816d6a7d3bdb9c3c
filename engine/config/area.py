"""TERC codes of connection points and the area rule of an energy cluster.

A cluster's area is defined by its members' connection points (metering points, PPE), not
their seats: all of them must lie in one powiat (county), or in at most five neighbouring
gminy (municipalities). Each point carries the TERYT TERC code of its gmina, ``WWPPGGR``:

- ``WW`` the voivodeship, an even number 02..32 (24 = Śląskie);
- ``PP`` the powiat within it (01..99; 61 and up are cities with powiat rights);
- ``GG`` the gmina within the powiat (01..99);
- ``R`` the gmina type: 1 urban, 2 rural, 3 urban-rural, 4 the town and 5 the rural part of
  an urban-rural gmina.

Same powiat means the same first 4 digits; the gmina is the first 6 digits, so the town and
rural parts (types 4 and 5) of an urban-rural gmina fold into that gmina. Example: 2417011 is
the urban gmina Żywiec in powiat żywiecki (2417). Types 8 and 9 (districts and delegations of
the largest cities) are not gmina codes and are rejected.

Limit: whether the gminy are *neighbouring* cannot be decided from codes; it needs boundary
data (PRG). :func:`check_area` checks only the count, and a cluster spanning five gminy far
apart passes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Most distinct gminy a cluster outside one powiat may span.
MAX_GMINY = 5
GMINA_TYPES = {
    1: "urban",
    2: "rural",
    3: "urban-rural",
    4: "town part of an urban-rural gmina",
    5: "rural part of an urban-rural gmina",
}
_TERC = re.compile(r"[0-9]{7}")


@dataclass(frozen=True, slots=True)
class Terc:
    """A validated TERC gmina code ``WWPPGGR`` (build it with :func:`parse_terc`)."""

    code: str  # the 7 digits

    @property
    def voivodeship(self) -> str:
        """The voivodeship code ``WW``."""
        return self.code[:2]

    @property
    def powiat(self) -> str:
        """The powiat key ``WWPP`` (the first 4 digits)."""
        return self.code[:4]

    @property
    def gmina(self) -> str:
        """The gmina key ``WWPPGG`` (the first 6 digits; types 4 and 5 fold into their gmina)."""
        return self.code[:6]

    @property
    def kind(self) -> int:
        """The gmina type ``R``, 1..5 (see :data:`GMINA_TYPES`)."""
        return int(self.code[6])

    def __str__(self) -> str:
        return self.code


def parse_terc(text: str) -> Terc:
    """Parse a TERC gmina code ``WWPPGGR``; raise ``ValueError`` saying what is wrong.

    The messages read after the field name: ``terc must have a gmina type R 1..5, was ...``.
    """
    shown = f'"{text}"' if isinstance(text, str) else repr(text)
    if not isinstance(text, str) or not _TERC.fullmatch(text):
        raise ValueError(f"must be a TERC code WWPPGGR of 7 digits, was {shown}")
    voivodeship, powiat, gmina, kind = int(text[:2]), int(text[2:4]), int(text[4:6]), int(text[6])
    if not (2 <= voivodeship <= 32 and voivodeship % 2 == 0):
        raise ValueError(f"must have an even voivodeship code WW 02..32, was {shown}")
    if powiat == 0:
        raise ValueError(f"must have a powiat code PP 01..99, was {shown}")
    if gmina == 0:
        raise ValueError(f"must have a gmina code GG 01..99, was {shown}")
    if kind not in GMINA_TYPES:
        raise ValueError(f"must have a gmina type R 1..5, was {shown}")
    return Terc(text)


def check_area(points: Iterable[Terc]) -> str | None:
    """Check the area rule over the TERC codes of all connection points of a cluster.

    Return None when all points lie in one powiat or in at most :data:`MAX_GMINY` gminy,
    else the reason, naming the powiaty and gminy found (sorted). Neighbourhood of the gminy
    is not checked (see the module docstring). No points at all pass.
    """
    codes = list(points)
    powiaty = sorted({terc.powiat for terc in codes})
    gminy = sorted({terc.gmina for terc in codes})
    if len(powiaty) <= 1 or len(gminy) <= MAX_GMINY:
        return None
    return (
        f"connection points must lie in one powiat or in at most {MAX_GMINY} gminy; "
        f"found {len(powiaty)} powiaty ({', '.join(powiaty)}) "
        f"and {len(gminy)} gminy ({', '.join(gminy)})"
    )
