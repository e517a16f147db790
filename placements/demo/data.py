"""Static data for the demo region: towns, postcode areas, schools, care organisations, opleidingen.

Everything here is invented for a believable demo modelled on the arbeidsmarktregio's Utrecht,
Amersfoort-Eemland and Gooi en Vechtstreek. Town names and postcode ranges are real; the
organisations, streets and people are not, and no name here is a real institution's.

Postcode centroids are APPROXIMATIONS: a town centre (rounded, from general knowledge) plus a
small deterministic offset per area (see builder.area_centroid). They are not official PDOK or
CBS data and must not be used for anything but this demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from placements.domain import Doelgroep, Leerweg, Niveau, Sector

PASSWORD = "leerplek-demo"

# The school year the demo requests and plekken fall in: Monday 31 Aug 2026 to Friday 9 Jul 2027.
SCHOOL_YEAR_START = dt.date(2026, 8, 31)
SCHOOL_YEAR_END = dt.date(2027, 7, 9)
PERIODS: dict[str, tuple[dt.date, dt.date]] = {
    "sep-jan": (SCHOOL_YEAR_START, dt.date(2027, 1, 29)),
    "feb-jul": (dt.date(2027, 2, 1), SCHOOL_YEAR_END),
    "jaar": (SCHOOL_YEAR_START, SCHOOL_YEAR_END),
}

DOELGROEP_LOADS: dict[str, Decimal] = {
    Doelgroep.EERSTEJAARS: Decimal("4.0"),
    Doelgroep.OUDEREJAARS: Decimal("2.0"),
    Doelgroep.ZIJ_INSTROMER: Decimal("3.0"),
    Doelgroep.HERINTREDER: Decimal("2.0"),
    Doelgroep.ANDERSTALIG: Decimal("5.0"),
    Doelgroep.STARTER: Decimal("3.0"),
}
PEER_HOURS = Decimal("2.0")
PEER_SHARE = Decimal("0.50")


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    request_share: float  # share of the demo's requests that come from this region's schools
    pool_hours: Decimal  # hours/week of the coordination office's regional pool


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec("utrecht", "Utrecht", 0.45, Decimal("32.0")),
    RegionSpec("amersfoort", "Amersfoort-Eemland", 0.30, Decimal("24.0")),
    RegionSpec("gooi-en-vechtstreek", "Gooi en Vechtstreek", 0.25, Decimal("20.0")),
)


@dataclass(frozen=True)
class Town:
    region: str
    name: str
    municipality: str
    latitude: float  # approximate town centre, see the module docstring
    longitude: float
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]  # invented street names for locations in this town


def _codes(*ranges: tuple[int, int]) -> tuple[str, ...]:
    return tuple(str(code) for lo, hi in ranges for code in range(lo, hi + 1))


TOWNS: tuple[Town, ...] = (
    # --- Utrecht ---
    Town(
        "utrecht",
        "Utrecht",
        "Utrecht",
        52.0907,
        5.1214,
        _codes((3511, 3515), (3521, 3528), (3531, 3534), (3541, 3544), (3551, 3555))
        + _codes((3561, 3565), (3571, 3573), (3581, 3585)),
        ("Domhoflaan", "Kromme Rijnkade", "Vaartsche Singel", "Oudwijkerpad", "Lunettenhof"),
    ),
    Town(
        "utrecht",
        "Nieuwegein",
        "Nieuwegein",
        52.0294,
        5.0806,
        _codes((3431, 3439)),
        ("Lekboulevard", "Merwedehof", "Zuidstedeweg"),
    ),
    Town(
        "utrecht",
        "Houten",
        "Houten",
        52.0285,
        5.1680,
        _codes((3991, 3995)),
        ("Rondweghof", "Oude Dorpsstraat-Oost", "Castellumplein"),
    ),
    Town(
        "utrecht",
        "Zeist",
        "Zeist",
        52.0893,
        5.2328,
        _codes((3701, 3709)),
        ("Slotlaan-Noord", "Heuvelrugweg", "Dijnselburgpad"),
    ),
    Town(
        "utrecht",
        "IJsselstein",
        "IJsselstein",
        52.0200,
        5.0431,
        _codes((3401, 3404)),
        ("Hollandse IJsselkade", "Poortdijk"),
    ),
    Town(
        "utrecht",
        "Woerden",
        "Woerden",
        52.0856,
        4.8831,
        _codes((3441, 3448)),
        ("Rijnoeverlaan", "Kazernehof", "Molenvlietpad"),
    ),
    Town(
        "utrecht",
        "Bilthoven",
        "De Bilt",
        52.1300,
        5.2000,
        _codes((3721, 3723)),
        ("Soestdijkseweg-Zuid", "Dennenhof"),
    ),
    Town(
        "utrecht",
        "Maarssen",
        "Stichtse Vecht",
        52.1351,
        5.0413,
        _codes((3601, 3607)),
        ("Vechtoeverlaan", "Bisonhof"),
    ),
    # --- Amersfoort-Eemland ---
    Town(
        "amersfoort",
        "Amersfoort",
        "Amersfoort",
        52.1561,
        5.3878,
        _codes((3811, 3818), (3821, 3829)),
        ("Eemhavenkade", "Koppelpoortlaan", "Stadsring-West", "Vathorsthof", "Kattenbroekpad"),
    ),
    Town(
        "amersfoort",
        "Leusden",
        "Leusden",
        52.1325,
        5.4297,
        _codes((3831, 3833)),
        ("Hamersveldseweg-Oost", "Biezenhof"),
    ),
    Town(
        "amersfoort",
        "Soest",
        "Soest",
        52.1740,
        5.2916,
        _codes((3761, 3769)),
        ("Soesterbergse Dreef", "Eemstraatje", "Duinhof"),
    ),
    Town(
        "amersfoort",
        "Baarn",
        "Baarn",
        52.2117,
        5.2876,
        _codes((3741, 3744)),
        ("Amalialaan-Zuid", "Eemboog"),
    ),
    Town(
        "amersfoort",
        "Nijkerk",
        "Nijkerk",
        52.2200,
        5.4861,
        _codes((3861, 3864)),
        ("Arkemheenweg", "Holkerhof"),
    ),
    Town(
        "amersfoort",
        "Bunschoten-Spakenburg",
        "Bunschoten",
        52.2447,
        5.3756,
        _codes((3751, 3752)),
        ("Oude Havenkade", "Botterhof"),
    ),
    Town(
        "amersfoort",
        "Woudenberg",
        "Woudenberg",
        52.0806,
        5.4167,
        ("3931",),
        ("Geerhof",),
    ),
    # --- Gooi en Vechtstreek ---
    Town(
        "gooi-en-vechtstreek",
        "Hilversum",
        "Hilversum",
        52.2292,
        5.1669,
        _codes((1211, 1223)),
        ("Mediaparkhof", "Gooilandsingel", "Kerkelandenlaan", "Heidepark-Oost"),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Huizen",
        "Huizen",
        52.2990,
        5.2410,
        _codes((1271, 1277)),
        ("Havenstraat-Noord", "Oostermeentweg"),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Bussum",
        "Gooise Meren",
        52.2733,
        5.1611,
        _codes((1401, 1406)),
        ("Spieghelhof", "Brinklaan-West", "Godelindepad"),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Naarden",
        "Gooise Meren",
        52.2953,
        5.1625,
        _codes((1411, 1412)),
        ("Vestinglaan", "Amersfoortsestraatweg-Noord"),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Weesp",
        "Amsterdam",
        52.3075,
        5.0417,
        _codes((1381, 1384)),
        ("Vechtkade", "Aetsveldsepad"),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Laren",
        "Laren",
        52.2567,
        5.2272,
        ("1251",),
        ("Brinkweg-Zuid",),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Blaricum",
        "Blaricum",
        52.2722,
        5.2444,
        ("1261",),
        ("Bijvanckhof",),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Eemnes",
        "Eemnes",
        52.2547,
        5.2564,
        ("3755",),
        ("Zuidbuurt-West",),
    ),
    Town(
        "gooi-en-vechtstreek",
        "Loosdrecht",
        "Wijdemeren",
        52.2047,
        5.0739,
        ("1231",),
        ("Plassenhof",),
    ),
)


# --- Opleidingen ----------------------------------------------------------------------------
#
# Crebo codes (MBO kwalificaties, SBB kwalificatiestructuur from 2016 on) and CROHO codes (HBO).
# Sources and confidence, stated per code because the `search` tool found no authoritative
# register page (SBB / DUO / s-bb.nl) for most of them:
#   - 34560 HBO Verpleegkunde: given in the project brief (CROHO).
#   - 25491 Verzorgende-IG: given in the project brief; consistent with the code the sector
#     uses for Verzorgende-IG niveau 3.
#   - 25498 Helpende zorg en welzijn, 25655 MBO-Verpleegkundige: from general knowledge of the
#     2016 kwalificatiestructuur; NOT confirmed by a source found with the search tool.
#   - 25476/25477/25478 (Maatschappelijke zorg kwalificaties), 25486 Gespecialiseerd
#     pedagogisch medewerker, 25407 Doktersassistent, 25406 Apothekersassistent, 34702 Social
#     Work: best recollection, NOT confirmed. Search only turned up contradicting third-party
#     mentions for Apothekersassistent (dossier 25391 vs. dossier 23450/kwalificatie 27141 in
#     an OOAPI example repository), so treat these as demo values and check them against
#     https://www.s-bb.nl (kwalificatiedossiers) and the DUO CROHO register before real use.


@dataclass(frozen=True)
class OpleidingSpec:
    key: str
    code: str
    name: str
    niveau: str
    leerwegen: tuple[str, ...]
    sectors: tuple[str, ...]  # where students of this opleiding typically do their BPV/stage


MBO_LEERWEGEN = (Leerweg.BOL, Leerweg.BBL)
HBO_LEERWEGEN = (Leerweg.VOLTIJD, Leerweg.DEELTIJD, Leerweg.DUAAL)

OPLEIDINGEN: tuple[OpleidingSpec, ...] = (
    OpleidingSpec(
        "helpende",
        "25498",
        "Helpende Zorg en Welzijn",
        Niveau.MBO2,
        MBO_LEERWEGEN,
        (Sector.VVT, Sector.THUISZORG, Sector.GHZ, Sector.WELZIJN),
    ),
    OpleidingSpec(
        "vig",
        "25491",
        "Verzorgende-IG",
        Niveau.MBO3,
        MBO_LEERWEGEN,
        (Sector.VVT, Sector.THUISZORG, Sector.ZIEKENHUIS, Sector.GHZ),
    ),
    OpleidingSpec(
        "mmz",
        "25476",
        "Maatschappelijke Zorg: Medewerker maatschappelijke zorg",
        Niveau.MBO3,
        MBO_LEERWEGEN,
        (Sector.GHZ, Sector.GGZ, Sector.WELZIJN, Sector.VVT),
    ),
    OpleidingSpec(
        "pbsd",
        "25477",
        "Maatschappelijke Zorg: Persoonlijk begeleider specifieke doelgroepen",
        Niveau.MBO4,
        MBO_LEERWEGEN,
        (Sector.GGZ, Sector.GHZ, Sector.JEUGDZORG, Sector.WELZIJN),
    ),
    OpleidingSpec(
        "pbgz",
        "25478",
        "Maatschappelijke Zorg: Persoonlijk begeleider gehandicaptenzorg",
        Niveau.MBO4,
        MBO_LEERWEGEN,
        (Sector.GHZ,),
    ),
    OpleidingSpec(
        "gpm",
        "25486",
        "Gespecialiseerd pedagogisch medewerker",
        Niveau.MBO4,
        MBO_LEERWEGEN,
        (Sector.JEUGDZORG, Sector.GHZ),
    ),
    OpleidingSpec(
        "mbov",
        "25655",
        "MBO-Verpleegkundige",
        Niveau.MBO4,
        MBO_LEERWEGEN,
        (Sector.ZIEKENHUIS, Sector.VVT, Sector.GGZ, Sector.GHZ, Sector.THUISZORG),
    ),
    OpleidingSpec(
        "doktersassistent",
        "25407",
        "Doktersassistent",
        Niveau.MBO4,
        (Leerweg.BOL,),
        (Sector.HUISARTSENZORG, Sector.ZIEKENHUIS),
    ),
    OpleidingSpec(
        "apothekersassistent",
        "25406",
        "Apothekersassistent",
        Niveau.MBO4,
        MBO_LEERWEGEN,
        (Sector.ZIEKENHUIS,),
    ),
    OpleidingSpec(
        "hbov",
        "34560",
        "HBO-Verpleegkunde (HBO-V)",
        Niveau.HBO,
        HBO_LEERWEGEN,
        (Sector.ZIEKENHUIS, Sector.VVT, Sector.GGZ, Sector.THUISZORG, Sector.GHZ),
    ),
    OpleidingSpec(
        "socialwork",
        "34702",
        "Social Work",
        Niveau.HBO,
        HBO_LEERWEGEN,
        (Sector.JEUGDZORG, Sector.WELZIJN, Sector.GGZ, Sector.GHZ),
    ),
)
OPLEIDING_BY_KEY = {o.key: o for o in OPLEIDINGEN}

# --- Schools and coordination offices -------------------------------------------------------


@dataclass(frozen=True)
class SchoolSpec:
    region: str
    slug: str
    name: str
    town: str
    catalogue: tuple[tuple[str, float], ...]  # (opleiding key, weight among its students)
    bbl_share: float  # share of MBO students in BBL (HBO: share in duaal/deeltijd)
    size: float  # relative number of requests within its region
    docent_hours: tuple[Decimal, ...]  # one docent-begeleider source per entry


_ROC = (
    ("helpende", 2.0),
    ("vig", 4.0),
    ("mmz", 2.0),
    ("pbsd", 2.5),
    ("pbgz", 1.0),
    ("gpm", 1.5),
    ("mbov", 3.5),
    ("doktersassistent", 1.0),
    ("apothekersassistent", 0.6),
)
_MBO_COLLEGE = (
    ("helpende", 2.0),
    ("vig", 4.0),
    ("mmz", 1.5),
    ("pbsd", 1.5),
    ("mbov", 3.0),
    ("doktersassistent", 0.8),
)
_HOGESCHOOL = (("hbov", 3.0), ("socialwork", 2.0))

SCHOOLS: tuple[SchoolSpec, ...] = (
    SchoolSpec(
        "utrecht",
        "roc-utrechtse-heuvelrug",
        "ROC Utrechtse Heuvelrug",
        "Utrecht",
        _ROC,
        0.35,
        3.0,
        (Decimal("10.0"), Decimal("8.0")),
    ),
    SchoolSpec(
        "utrecht",
        "zorgcollege-lekstroom",
        "MBO Zorgcollege Lekstroom",
        "Nieuwegein",
        _MBO_COLLEGE,
        0.45,
        1.5,
        (Decimal("8.0"),),
    ),
    SchoolSpec(
        "utrecht",
        "hogeschool-domstad",
        "Hogeschool Domstad",
        "Utrecht",
        _HOGESCHOOL,
        0.30,
        1.5,
        (Decimal("6.0"),),
    ),
    SchoolSpec(
        "amersfoort",
        "mbo-college-eemland",
        "MBO College Eemland",
        "Amersfoort",
        _ROC,
        0.40,
        2.5,
        (Decimal("10.0"),),
    ),
    SchoolSpec(
        "amersfoort",
        "roc-eem-en-vallei",
        "ROC Eem en Vallei",
        "Soest",
        _MBO_COLLEGE,
        0.35,
        1.2,
        (Decimal("6.0"),),
    ),
    SchoolSpec(
        "amersfoort",
        "hogeschool-eemstad",
        "Hogeschool Eemstad",
        "Amersfoort",
        _HOGESCHOOL,
        0.30,
        1.0,
        (Decimal("5.0"),),
    ),
    SchoolSpec(
        "gooi-en-vechtstreek",
        "roc-gooi-en-vecht",
        "ROC Gooi en Vecht",
        "Hilversum",
        _ROC,
        0.40,
        2.5,
        (Decimal("8.0"),),
    ),
    SchoolSpec(
        "gooi-en-vechtstreek",
        "zorgacademie-t-gooi",
        "Zorgacademie 't Gooi",
        "Huizen",
        _MBO_COLLEGE,
        0.55,
        1.0,
        (Decimal("5.0"),),
    ),
    SchoolSpec(
        "gooi-en-vechtstreek",
        "hogeschool-gooiland",
        "Hogeschool Gooiland",
        "Hilversum",
        _HOGESCHOOL,
        0.30,
        0.8,
        (Decimal("4.0"),),
    ),
)

COORDINATION_OFFICES: dict[str, str] = {
    "utrecht": "Stagebureau Zorg en Welzijn Regio Utrecht",
    "amersfoort": "Regionaal Leerwerkloket Amersfoort-Eemland",
    "gooi-en-vechtstreek": "Stagecoördinatie Gooi en Vechtstreek",
}

# --- Care organisations ---------------------------------------------------------------------


@dataclass(frozen=True)
class TeamSpec:
    name: str
    sector: str
    opleidingen: tuple[str, ...]  # keys into OPLEIDING_BY_KEY
    leerafdeling: bool = False


@dataclass(frozen=True)
class CareSpec:
    region: str
    slug: str
    name: str
    locations: tuple[tuple[str, str], ...]  # (location name, town)
    teams: tuple[TeamSpec, ...]  # each location offers a deterministic subset of these
    group_forms: float  # chance a location has a senior werkbegeleider/leercoach/inwerkcoach
    peer_mentoring: float  # chance a location runs student-ondersteuners


_NURSING = ("vig", "mbov", "hbov")
_CARE_ALL = ("helpende", "vig", "mbov", "hbov")
_AGOGIC = ("mmz", "pbsd", "socialwork")

_VVT_TEAMS = (
    TeamSpec("Somatiek", Sector.VVT, _CARE_ALL),
    TeamSpec("Psychogeriatrie", Sector.VVT, ("helpende", "vig", "mbov", "mmz")),
    TeamSpec("Geriatrische revalidatie", Sector.VVT, _NURSING),
    TeamSpec("Kleinschalig wonen", Sector.VVT, ("helpende", "vig", "mmz")),
    TeamSpec("Wijkteam", Sector.THUISZORG, _NURSING),
)
_VVT_LEER = TeamSpec("Leerafdeling Somatiek", Sector.VVT, _CARE_ALL, leerafdeling=True)
_GHZ_TEAMS = (
    TeamSpec("Woongroep", Sector.GHZ, ("helpende", "mmz", "pbgz", "pbsd")),
    TeamSpec("Dagbesteding", Sector.GHZ, ("helpende", "mmz", "pbgz", "socialwork")),
    TeamSpec("Intensieve begeleiding", Sector.GHZ, ("pbgz", "pbsd", "mbov", "gpm")),
    TeamSpec("Logeerhuis", Sector.GHZ, ("mmz", "pbgz", "gpm")),
)
_GGZ_TEAMS = (
    TeamSpec("Kliniek acute opname", Sector.GGZ, ("mbov", "hbov", "pbsd")),
    TeamSpec("FACT-team", Sector.GGZ, ("hbov", "pbsd", "socialwork")),
    TeamSpec("Beschermd wonen", Sector.GGZ, ("mmz", "pbsd", "socialwork", "mbov")),
    TeamSpec("Herstelacademie", Sector.GGZ, _AGOGIC),
)
_ZH_TEAMS = (
    TeamSpec("Interne geneeskunde", Sector.ZIEKENHUIS, ("vig", "mbov", "hbov")),
    TeamSpec("Chirurgie", Sector.ZIEKENHUIS, ("mbov", "hbov")),
    TeamSpec("Kinderafdeling", Sector.ZIEKENHUIS, ("mbov", "hbov")),
    TeamSpec("Poliklinieken", Sector.ZIEKENHUIS, ("doktersassistent", "mbov")),
    TeamSpec("Ziekenhuisapotheek", Sector.ZIEKENHUIS, ("apothekersassistent",)),
)
_ZH_LEER = TeamSpec("Leerafdeling Verpleegkunde", Sector.ZIEKENHUIS, ("mbov", "hbov"), True)
_JZ_TEAMS = (
    TeamSpec("Behandelgroep", Sector.JEUGDZORG, ("gpm", "pbsd", "socialwork")),
    TeamSpec("Ambulant gezinsteam", Sector.JEUGDZORG, ("pbsd", "socialwork")),
    TeamSpec("Gezinshuisondersteuning", Sector.JEUGDZORG, ("gpm", "socialwork")),
)
_WELZIJN_TEAMS = (
    TeamSpec("Buurtteam", Sector.WELZIJN, ("mmz", "pbsd", "socialwork")),
    TeamSpec("Mantelzorgsteunpunt", Sector.WELZIJN, ("helpende", "mmz", "socialwork")),
)
_HUISARTS_TEAMS = (
    TeamSpec("Huisartsenpraktijk", Sector.HUISARTSENZORG, ("doktersassistent", "hbov")),
    TeamSpec("Huisartsenpost", Sector.HUISARTSENZORG, ("doktersassistent",)),
)
_KRAAM_TEAMS = (TeamSpec("Kraamzorgteam", Sector.KRAAMZORG, ("helpende", "vig")),)

CARE_ORGANISATIONS: tuple[CareSpec, ...] = (
    # --- Utrecht ---
    CareSpec(
        "utrecht",
        "zorggroep-stichtse-waarden",
        "Zorggroep Stichtse Waarden",
        (
            ("Huize Domtoren", "Utrecht"),
            ("Lekhof", "Nieuwegein"),
            ("De Rondweide", "Houten"),
            ("Hof van IJssel", "IJsselstein"),
        ),
        (*_VVT_TEAMS, _VVT_LEER),
        0.6,
        0.5,
    ),
    CareSpec(
        "utrecht",
        "lekland-ziekenhuis",
        "Lekland Ziekenhuis",
        (
            ("Locatie Nieuwegein", "Nieuwegein"),
            ("Locatie Utrecht-Oost", "Utrecht"),
            ("Locatie Woerden", "Woerden"),
        ),
        (*_ZH_TEAMS, _ZH_LEER),
        0.7,
        0.2,
    ),
    CareSpec(
        "utrecht",
        "heuvelrug-ggz",
        "Heuvelrug GGZ",
        (("Park Dijnselburg", "Zeist"), ("Stadspoli Utrecht", "Utrecht"), ("Houten", "Houten")),
        _GGZ_TEAMS,
        0.4,
        0.2,
    ),
    CareSpec(
        "utrecht",
        "stichting-brugwerk",
        "Stichting Brugwerk",
        (("De Brug", "Utrecht"), ("Het Dennenhuis", "Bilthoven"), ("Vechtoever", "Maarssen")),
        _GHZ_TEAMS,
        0.4,
        0.5,
    ),
    CareSpec(
        "utrecht",
        "kinderkracht-utrecht",
        "Kinderkracht Utrecht",
        (("Hoofdlocatie", "Utrecht"), ("Woerden", "Woerden"), ("Zeist", "Zeist")),
        _JZ_TEAMS,
        0.3,
        0.1,
    ),
    CareSpec(
        "utrecht",
        "gezondheidscentra-lekstroom",
        "Gezondheidscentra Lekstroom",
        (("Gezondheidscentrum Lunetten", "Utrecht"), ("Gezondheidscentrum Merwede", "Nieuwegein")),
        _HUISARTS_TEAMS,
        0.0,
        0.0,
    ),
    # --- Amersfoort-Eemland ---
    CareSpec(
        "amersfoort",
        "eemzorg",
        "Eemzorg",
        (
            ("De Koppelpoort", "Amersfoort"),
            ("Biezenstein", "Leusden"),
            ("Duinoord", "Soest"),
            ("Eemhof", "Baarn"),
        ),
        (*_VVT_TEAMS, _VVT_LEER, *_KRAAM_TEAMS),
        0.6,
        0.5,
    ),
    CareSpec(
        "amersfoort",
        "medisch-centrum-de-eemhof",
        "Medisch Centrum De Eemhof",
        (("Hoofdlocatie Amersfoort", "Amersfoort"), ("Buitenpoli Nijkerk", "Nijkerk")),
        (*_ZH_TEAMS, _ZH_LEER),
        0.7,
        0.2,
    ),
    CareSpec(
        "amersfoort",
        "de-lindeboom-zorg",
        "Stichting De Lindeboom Zorg",
        (
            ("De Lindeboom", "Amersfoort"),
            ("Arkemheen", "Nijkerk"),
            ("Botterhuis", "Bunschoten-Spakenburg"),
        ),
        _GHZ_TEAMS,
        0.4,
        0.5,
    ),
    CareSpec(
        "amersfoort",
        "groeikracht-eemland",
        "Groeikracht Eemland",
        (("Vathorst", "Amersfoort"), ("Soest", "Soest"), ("Woudenberg", "Woudenberg")),
        (*_JZ_TEAMS, _GGZ_TEAMS[1]),
        0.3,
        0.1,
    ),
    CareSpec(
        "amersfoort",
        "buurtwerk-eemland",
        "Buurtwerk Eemland",
        (("Wijkcentrum Kattenbroek", "Amersfoort"), ("Dorpshuis Leusden", "Leusden")),
        _WELZIJN_TEAMS,
        0.2,
        0.0,
    ),
    # --- Gooi en Vechtstreek ---
    CareSpec(
        "gooi-en-vechtstreek",
        "gooise-zorgkring",
        "Gooise Zorgkring",
        (
            ("Heidehof", "Hilversum"),
            ("Oostermeent", "Huizen"),
            ("De Brink", "Laren"),
            ("Bijvanck", "Blaricum"),
        ),
        (*_VVT_TEAMS, _VVT_LEER),
        0.6,
        0.5,
    ),
    CareSpec(
        "gooi-en-vechtstreek",
        "ziekenhuis-heide-en-meren",
        "Ziekenhuis Heide en Meren",
        (("Locatie Hilversum", "Hilversum"), ("Locatie Blaricum", "Blaricum")),
        (*_ZH_TEAMS, _ZH_LEER),
        0.7,
        0.2,
    ),
    CareSpec(
        "gooi-en-vechtstreek",
        "ggz-vechtstreek",
        "GGZ Vechtstreek",
        (("Kliniek Loosdrecht", "Loosdrecht"), ("Weesp", "Weesp"), ("Bussum", "Bussum")),
        _GGZ_TEAMS,
        0.4,
        0.2,
    ),
    CareSpec(
        "gooi-en-vechtstreek",
        "stichting-hei-en-hoeve",
        "Stichting Hei en Hoeve",
        (("Hoevehuis", "Huizen"), ("Vestinghuis", "Naarden"), ("Zuidbuurt", "Eemnes")),
        (*_GHZ_TEAMS, *_WELZIJN_TEAMS[:1]),
        0.4,
        0.5,
    ),
    CareSpec(
        "gooi-en-vechtstreek",
        "jeugdplein-gooi",
        "Jeugdplein Gooi",
        (("Spiegel", "Bussum"), ("Mediapark", "Hilversum")),
        _JZ_TEAMS,
        0.3,
        0.1,
    ),
)

# --- People (invented) ----------------------------------------------------------------------

FIRST_NAMES = (
    "Sanne", "Daan", "Fatima", "Mohamed", "Lotte", "Sem", "Noor", "Yusuf", "Emma", "Luuk",
    "Aylin", "Bram", "Priya", "Jesse", "Sara", "Milan", "Zeynep", "Thijs", "Amira", "Ruben",
    "Julia", "Ilias", "Fleur", "Kevin", "Nadia", "Stijn", "Maryam", "Tim", "Esra", "Niels",
    "Iris", "Anouar", "Femke", "Rohan", "Lisa", "Joost", "Hanna", "Dewi", "Marloes", "Kofi",
    "Anouk", "Jayden", "Mila", "Ravi", "Inge", "Bilal", "Eva", "Wouter", "Samira", "Koen",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
    "El Amrani", "Yilmaz", "van Dijk", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
    "Dekker", "Brouwer", "de Wit", "Dijkstra", "Kaya", "Bouzid", "Ramdin", "Mensah",
    "van den Berg", "Kramer", "Verhoeven", "Koster", "Prins", "Huisman", "Tahiri", "Öztürk",
    "Sitaram", "Kok", "Post", "Willems", "Groot", "Boekhout", "Veenstra", "Schouten",
)  # fmt: skip
